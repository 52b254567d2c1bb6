"""Relay passes: wall time of a whole mission's passes over Jezero, all five orbiters.

Finds every pass of MRO, Mars Odyssey, MAVEN, TGO and Mars Express above the elevation
mask of data/orbiters/orbiters.toml for ``--sols`` sols from the landing, in one batch
per orbiter. Prints the wall time [s] (target, issue 12: <= 10 s on 2 cores), passes per
sol (mean, min, max: all orbiters and the routine relays), per orbiter (count, median
duration and volume), and where MRO's passes fall in local mean solar time (its
ascending node is at 15:00 LMST: passes near 3 am and 3 pm).

Usage: python benchmarks/passes.py [--sols 700] [--step 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from perseverance.mars.constants import SOL_S
from perseverance.mars.time import mission_sol
from perseverance.relay.orbits import load_orbiters
from perseverance.relay.passes import find_passes
from perseverance.terrain.site import load_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sols", type=int, default=700)
    parser.add_argument("--step", type=float, default=20.0, help="grid step [s]")
    args = parser.parse_args()
    site = load_site("jezero").landing_site
    landing = np.datetime64(site.landing_utc.replace(tzinfo=None), "us")
    end = landing + np.timedelta64(int(args.sols * SOL_S * 1e6), "us")
    fleet = load_orbiters()
    start = time.perf_counter()
    passes = find_passes(landing, end, orbiters=fleet.keys, step_s=args.step, constellation=fleet)
    wall = time.perf_counter() - start
    print(
        f"passes: {args.sols} sols, 5 orbiters, {len(passes):,} passes in {wall:.2f} s "
        "(target <= 10 s)"
    )
    sols = np.asarray(mission_sol(passes.rise_utc, site.landing_utc, site.longitude_deg))
    whole = (sols >= 1) & (sols < args.sols)  # the landing sol and the last are partial
    for label, keys in (("all five", fleet.keys), ("routine", fleet.routine_keys)):
        mine = whole & np.isin(passes.orbiter, keys)
        per_sol = np.bincount(sols[mine] - 1, minlength=args.sols - 1)
        print(
            f"  passes per sol, {label} ({', '.join(keys)}): mean {per_sol.mean():.2f}, "
            f"min {per_sol.min()}, max {per_sol.max()}"
        )
    for key in fleet.keys:
        mine = passes.orbiter == key
        print(
            f"  {key:8s} {mine.sum():5d} passes, {mine.sum() / args.sols:.2f}/sol, median "
            f"{np.median(passes.duration_s[mine]) / 60:.1f} min, max elevation "
            f"{np.median(passes.max_elevation_deg[mine]):.0f} deg, "
            f"{np.median(passes.volume_bits[mine]) / 1e6:.0f} Mbit (10-90%: "
            f"{np.percentile(passes.volume_bits[mine], 10) / 1e6:.0f}-"
            f"{np.percentile(passes.volume_bits[mine], 90) / 1e6:.0f})"
        )
    mro = passes.orbiter == "mro"
    mid_h = 0.5 * (passes.rise_lmst_h[mro] + passes.set_lmst_h[mro])
    off_h = np.abs((mid_h - 3.0 + 6.0) % 12.0 - 6.0)  # distance from 03:00 or 15:00
    print(
        f"  MRO passes near its local times (03:00 / 15:00 LMST): {np.mean(off_h <= 1.5):.0%} "
        f"within 1.5 h, median offset {np.median(off_h):.2f} h, largest {off_h.max():.2f} h"
    )


if __name__ == "__main__":
    main()
