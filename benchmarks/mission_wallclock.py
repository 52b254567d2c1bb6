"""Mission wall clock: the default mission (landing + sols 1-700) end to end on this machine.

Prints one line per figure:
  - setup: scenario, models, EDL system and terrain [s]
  - the sols: wall time [s] and sols per second, the report included
  - peak memory of the process (resident set) [MB]; the issue's limit is 2 GB
  - the odometry, samples and depot the run ended with
  - imaging: the time spent rendering and writing images, the number of images and
    the run folder's size (the issue's limit: 1 GB)
  - MEDA, the microphones and RIMFAX: seconds and MB each; the products and MOXIE's O2

Target (issues 10, 11): the default mission with its surface imaging, MEDA, the
microphones, MOXIE and RIMFAX in <= 5 minutes on 2 cores (issue 3's 3 minutes were
without images). The run goes to a temporary folder (database, EDL products, images,
report, terrain tile cache), removed after.

Usage: python benchmarks/mission_wallclock.py [--sols N] [--seed S] [--imaging MODE]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from perseverance.mission.runner import MissionRunner, start_mission

TARGET_S = 300.0
#: The run folder's size limit [bytes] (issue 10).
FOLDER_LIMIT_BYTES = 1e9


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sols", type=int, default=None, help="last sol (default: 700)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--imaging", default="default", help="default, full or off")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = start_mission(
            "default", seed=args.seed, sols=args.sols, runs_dir=Path(tmp), imaging=args.imaging
        )
        runner = MissionRunner(run, cache_dir=Path(tmp) / "cache")
        setup = time.perf_counter() - t0
        t1 = time.perf_counter()
        state = runner.fly()
        flown = time.perf_counter() - t1
        total = time.perf_counter() - t0
        n_sols = runner.scenario.last_sol + 1
        samples = run.store.samples(run.run_id)
        deposited = sum(1 for t in run.store.tubes(run.run_id) if t.state == "deposited")
        imager = runner.imager
        folder_bytes = sum(p.stat().st_size for p in run.folder.rglob("*") if p.is_file())
        products = run.store.products(run.run_id)
        images = [p for p in products if p.camera is not None]
        failed = sum(1 for p in images if p.status == "failed")
        instruments = runner.instruments().seconds
        moxie = run.store.moxie_runs(run.run_id)
        counts = {k: sum(1 for p in products if p.kind == k and p.status == "ok")
                  for k in ("meda_table", "audio", "radargram", "moxie_series")}  # fmt: skip
        sizes = {
            d: sum(f.stat().st_size for f in (run.folder / d).rglob("*") if f.is_file())
            for d in ("weather", "audio", "rimfax", "moxie")
        }
        downlinks = run.store.downlinks(run.run_id)
        ages_h = sorted((d.received_utc - d.acquired_utc).total_seconds() / 3600 for d in downlinks)
        labels = sum(1 for _ in run.folder.rglob("*.xml"))
        waiting = len((state.onboard or {}).get("key", []))
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
    seconds = imager.seconds if imager is not None else 0.0
    print(f"imaging ({args.imaging}): {seconds:.1f} s, {len(images)} images ({failed} failed)")
    for name, key, folder in (
        ("MEDA", "meda", "weather"),
        ("microphones", "microphones", "audio"),
        ("RIMFAX", "rimfax", "rimfax"),
    ):
        print(f"{name}: {instruments.get(key, 0.0):.1f} s, {sizes[folder] / 1e6:.1f} MB")
    print(
        f"products: {counts['meda_table']} MEDA tables, {counts['audio']} recordings, "
        f"{counts['radargram']} radargrams, {counts['moxie_series']} MOXIE runs "
        f"({sum(r.grams for r in moxie):.1f} g O2)"
    )
    median = ages_h[len(ages_h) // 2] if ages_h else float("nan")
    print(
        f"data return: {len(downlinks)} products received, "
        f"{sum(d.bits for d in downlinks) / 1e9:.1f} Gbit, median age on arrival "
        f"{median:.1f} h; {waiting} still onboard; {labels} PDS4 labels"
    )
    verdict = "within" if folder_bytes <= FOLDER_LIMIT_BYTES else "OVER"
    print(f"run folder: {folder_bytes / 1e6:.1f} MB ({verdict} the 1 GB limit)")


if __name__ == "__main__":
    main()
