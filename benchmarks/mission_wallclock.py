"""Mission wall clock: the default mission (landing + sols 1-700) end to end on this machine.

Prints one line per figure:
  - setup: scenario, models, EDL system and terrain [s]
  - the sols: wall time [s] and sols per second, the report included
  - peak memory of the process (resident set) [MB]; the issue's limit is 2 GB
  - the odometry, samples and depot the run ended with

Target (issue 3): the default mission in <= 3 minutes on 2 cores. The run goes to a
temporary folder (database, EDL products, report, terrain tile cache), removed after.

Usage: python benchmarks/mission_wallclock.py [--sols N] [--seed S]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from perseverance.mission.runner import MissionRunner, start_mission

TARGET_S = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sols", type=int, default=None, help="last sol (default: 700)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = start_mission("default", seed=args.seed, sols=args.sols, runs_dir=Path(tmp))
        runner = MissionRunner(run, cache_dir=Path(tmp) / "cache")
        setup = time.perf_counter() - t0
        t1 = time.perf_counter()
        state = runner.fly()
        flown = time.perf_counter() - t1
        total = time.perf_counter() - t0
        n_sols = runner.scenario.last_sol + 1
        samples = run.store.samples(run.run_id)
        deposited = sum(1 for t in run.store.tubes(run.run_id) if t.state == "deposited")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"setup (scenario, models, EDL system, terrain): {setup:.2f} s")
    print(f"sols 0-{n_sols - 1}: {flown:.1f} s, {n_sols / flown:.1f} sols/s (report included)")
    verdict = "within" if total <= TARGET_S else "OVER"
    print(f"total: {total:.1f} s ({verdict} the {TARGET_S:.0f} s target)")
    print(f"peak memory: {peak_mb:.0f} MB (limit 2048 MB)")
    print(
        f"ended with {state.odometry_m / 1000:.2f} km odometry, {len(samples)} samples sealed, "
        f"{deposited} tubes in the depot"
    )


if __name__ == "__main__":
    main()
