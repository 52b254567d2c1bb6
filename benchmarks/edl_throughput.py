"""EDL throughput: full entry-to-touchdown trajectories per second on this machine.

Prints one line per figure:
  - setup: loading, terrain, entry targeting and guidance reference [s]
  - batch throughput at N = 2,000 and N = 20,000 (in one process) [trajectories/s]
  - the 8,001-run campaign (`perseverance edl --monte-carlo 8001`) including setup [s]

Usage: python benchmarks/edl_throughput.py [--vehicle m2020] [--sizes 2000 20000]
"""

from __future__ import annotations

import argparse
import time

from perseverance.edl.api import fly_campaign, prepare_edl
from perseverance.edl.dispersions import sample_runs
from perseverance.edl.sequence import fly


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vehicle", default="m2020")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--campaign", type=int, default=8001)
    args = parser.parse_args()

    t0 = time.perf_counter()
    system = prepare_edl(args.vehicle)
    setup = time.perf_counter() - t0
    print(f"setup ({args.vehicle}: terrain, targeting, guidance reference): {setup:.2f} s")
    for n in args.sizes:
        runs = sample_runs(system, 1, 0, n)
        t0 = time.perf_counter()
        result = fly(system, runs)
        dt = time.perf_counter() - t0
        landed = (result.status == 0).mean()
        print(f"N = {n:>7,}: {n / dt:8.0f} trajectories/s ({dt:.2f} s, {100 * landed:.2f}% landed)")
    t0 = time.perf_counter()
    campaign = fly_campaign(args.vehicle, args.campaign, seed=7)
    dt = time.perf_counter() - t0
    el = campaign.summary.get("ellipse_99", {})
    print(
        f"campaign of {args.campaign:,} runs including setup: {dt:.2f} s "
        f"({args.campaign / dt:.0f} runs/s; "
        f"99% ellipse {2 * el.get('semi_major_m', 0) / 1e3:.1f} x "
        f"{2 * el.get('semi_minor_m', 0) / 1e3:.1f} km)"
    )


if __name__ == "__main__":
    main()
