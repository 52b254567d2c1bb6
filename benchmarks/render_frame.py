"""Render frame: wall time of one 1280 x 960 terrain frame on this machine.

The default Jezero region (seed 0, rocks on, on the curved Mars), a pinhole camera 2 m
above the landing point looking level at the horizon toward the delta (bearing 292.5 deg),
90 deg horizontal field of view, the Sun at the Earth-received landing time
(2021-02-18T20:55Z). Prints the setup (region and pyramid) [s] and the best of a few
frames, rays included [s].

Target (issue 10): <= 1 s per frame on 2 cores.

Usage: python benchmarks/render_frame.py [--width 1280] [--height 960] [--repeat 3]
    [--workers 1] [--png frame.png]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from numpy.typing import NDArray

from perseverance.imaging.render import HeightField, render, save_png
from perseverance.imaging.sun import sun_at_site
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

TARGET_S = 1.0


def pinhole_rays(
    eye: NDArray[np.float64], azimuth_deg: float, hfov_deg: float, width: int, height: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rays of a level pinhole camera (a stand-in: the imaging camera model replaces it)."""
    az = math.radians(azimuth_deg)
    forward = np.array([math.sin(az), math.cos(az), 0.0])
    right = np.array([math.cos(az), -math.sin(az), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    focal = 0.5 * width / math.tan(math.radians(hfov_deg) / 2.0)
    cols = np.arange(width) + 0.5 - width / 2.0
    rows = height / 2.0 - (np.arange(height) + 0.5)
    directions = (
        focal * forward
        + cols[None, :, None] * right[None, None, :]
        + rows[:, None, None] * up[None, None, :]
    )
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    return np.broadcast_to(eye, directions.shape), directions


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=960)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="threads (render's workers)")
    parser.add_argument("--png", default=None, help="also save the frame here")
    args = parser.parse_args()

    t0 = time.perf_counter()
    site = load_site("jezero")
    region = LandingRegion.generate(site, seed=0)
    field = HeightField.of(region)
    setup = time.perf_counter() - t0
    ground = float(np.interp(0.0, region.east_m, region.elevation_m[region.north_m.size // 2]))
    eye = np.array([0.0, 0.0, ground + 2.0])
    sun = sun_at_site(site, "2021-02-18T20:55:00Z")

    best = math.inf
    for _ in range(args.repeat):
        t1 = time.perf_counter()
        origins, directions = pinhole_rays(eye, 292.5, 90.0, args.width, args.height)
        shape = (args.height, args.width)
        frame = render(field, origins, directions, sun.enu, shape=shape, workers=args.workers)
        best = min(best, time.perf_counter() - t1)
    print(f"setup (region, pyramid): {setup:.2f} s")
    verdict = "within" if best <= TARGET_S else "OVER"
    print(
        f"{args.width} x {args.height} frame: {best:.2f} s (best of {args.repeat}; {verdict} "
        f"the {TARGET_S:.0f} s target; {100 * frame.hit.mean():.0f}% ground)"
    )
    if args.png:
        save_png(args.png, frame.rgb)


if __name__ == "__main__":
    main()
