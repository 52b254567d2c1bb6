"""EDL speed as a user meets it: the commands end to end, then the kernel alone.

Prints one line per figure:
  - `perseverance --help` (start-up and imports) [s]
  - `perseverance edl --json` with an empty setup cache (cold) and with it filled (warm) [s]
    (target: warm <= 1.5 s on 2 cores)
  - `perseverance edl --monte-carlo 8001 --seed 7 --out DIR`, warm, plots and Parquet
    included [s] (target: <= 4 s)
  - the kernel alone at N = 2,000 and N = 20,000 entry-to-touchdown runs, in one process,
    with the NumPy step and the Numba one [trajectories/s] (target: >= 5,000 /s at
    N = 20,000 on 2 cores)

The commands run as a user runs them (a new process each, the installed `perseverance`),
with the setup cache in a temporary folder (``PERSEVERANCE_CACHE``), never the user's.
The commands run with the default backend (Numba's compiled step when installed:
``pip install -e '.[fast]'``); the kernel lines give both and their ratio.

Usage: python benchmarks/edl_throughput.py [--sizes 2000 20000] [--campaign 8001]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from perseverance.user_cache import CACHE_ENV


def _command(args: list[str], env: dict[str, str]) -> float:
    """Wall time [s] of ``perseverance <args>`` in a new process (exit 0 required)."""
    exe = Path(sys.executable).with_name("perseverance")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "perseverance.cli"]
    t0 = time.perf_counter()
    subprocess.run([*cmd, *args], env=env, check=True, capture_output=True, timeout=900)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vehicle", default="m2020")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--campaign", type=int, default=8001)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="perseverance-bench-"))
    env = os.environ | {CACHE_ENV: str(scratch / "cache")}
    os.environ[CACHE_ENV] = env[CACHE_ENV]
    try:
        print(f"perseverance --help: {_command(['--help'], env):.2f} s")
        flight = ["edl", "--vehicle", args.vehicle, "--json"]
        cold = _command(flight, env)
        warm = min(_command(flight, env) for _ in range(2))
        print(f"perseverance edl --json: cold {cold:.2f} s, warm {warm:.2f} s (target <= 1.5 s)")
        mc = ["edl", "--vehicle", args.vehicle, "--monte-carlo", str(args.campaign)]
        mc += ["--seed", "7", "--out", str(scratch / "mc")]
        _command(mc, env)  # fills the cache for the campaign's terrain seed
        shutil.rmtree(scratch / "mc")
        campaign = _command(mc, env)
        print(
            f"perseverance edl --monte-carlo {args.campaign} --seed 7 --out DIR (warm): "
            f"{campaign:.2f} s (target <= 4 s)"
        )
        _kernel(args.vehicle, args.sizes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _kernel(vehicle: str, sizes: list[int]) -> None:
    from perseverance.edl.api import prepare_edl
    from perseverance.edl.backend import numba_available
    from perseverance.edl.dispersions import sample_runs
    from perseverance.edl.sequence import fly

    system = prepare_edl(vehicle)
    backends = ["numpy", "numba"] if numba_available() else ["numpy"]
    if "numba" in backends:
        fly(system, sample_runs(system, 1, 0, 2), backend="numba")  # compile (or load)
    for n in sizes:
        runs = sample_runs(system, 1, 0, n)
        rates = {}
        for name in backends:
            t0 = time.perf_counter()
            result = fly(system, runs, backend=name)
            dt = time.perf_counter() - t0
            rates[name] = n / dt
            landed = (result.status == 0).mean()
            print(
                f"kernel ({name}), N = {n:>7,}: {rates[name]:8.0f} trajectories/s "
                f"({dt:.2f} s, {100 * landed:.2f}% landed)"
            )
        if len(rates) == 2:
            print(f"  numba / numpy at N = {n:,}: {rates['numba'] / rates['numpy']:.2f}x")


if __name__ == "__main__":
    main()
