"""Weather year: wall time of a whole Mars year (669 sols) of weather at MEDA's cadence.

MEDA's cadence (data/instruments/meda.toml [cadence]): a 5-minute 1 Hz session at the
start of every LMST hour, ~7,400 samples a sol, ~4.9 million in the year. Prints the
samples, the wall time [s] (target, issue 11: <= 10 s) and a few of the year's figures.

Usage: python benchmarks/weather_year.py [--sols 669] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from perseverance.weather import Weather


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sols", type=int, default=669)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    weather = Weather(args.seed)
    samples = 0
    low, high, peak, vortices = np.inf, -np.inf, 0.0, 0
    for first in range(0, args.sols, 24):
        sols = range(first, min(first + 24, args.sols))
        times = np.concatenate([weather.meda_times(sol) for sol in sols])
        day = weather.weather_at(times)
        samples += times.size
        low = min(low, float(day["pressure_pa"].min()))
        high = max(high, float(day["pressure_pa"].max()))
        peak = max(peak, float(day["wind_speed_mps"].max()))
        vortices += sum(len(weather.vortices(sol)) for sol in sols)
    wall = time.perf_counter() - start
    print(
        f"weather year: {args.sols} sols, {samples:,} samples at MEDA's cadence in {wall:.2f} s "
        f"(target <= 10 s); pressure {low:.0f}-{high:.0f} Pa, peak wind {peak:.1f} m/s, "
        f"{vortices / args.sols:.2f} vortices/sol"
    )


if __name__ == "__main__":
    main()
