"""Render frame: wall time of one 1280 x 960 frame of the mission's scene on this machine.

The default Jezero region (seed 0, rocks on, on the curved Mars), the crater far field
round it and the rover itself (the scene the mission's cameras see), the left Navcam of the
catalogue on the rover's mast at the landing point, the rover facing the delta (bearing
292.5 deg) and the mast level, its frame resampled to the requested size, the Sun at the
Earth-received landing time (2021-02-18T20:55Z). Prints the setup (region, far field,
pyramids) [s] and the best of a few frames, rays included [s], of the whole scene and of
the local map alone (``--local-only`` skips the first).

Target (issue 10): <= 1 s per frame on 2 cores.

Usage: python benchmarks/render_frame.py [--width 1280] [--height 960] [--repeat 3]
    [--workers 1] [--png frame.png]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from perseverance.imaging.camera_model import PinholeCamera, rays
from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.heightfield import HeightField
from perseverance.imaging.mounts import VehiclePose, camera_pose
from perseverance.imaging.render import render, save_png
from perseverance.imaging.scene import Scene, site_scene
from perseverance.mars.sun import sun_at_site
from perseverance.terrain.far_field import FarField
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

TARGET_S = 1.0


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
    ground = float(np.interp(0.0, region.east_m, region.elevation_m[region.north_m.size // 2]))
    rover = VehiclePose(0.0, 0.0, ground, heading_rad=math.radians(292.5))
    scene = site_scene(region, FarField.generate(site, region), rover=rover)
    setup = time.perf_counter() - t0
    catalogue = load_cameras()
    camera = PinholeCamera.from_catalogue(catalogue.cameras["navcam_left"])
    pose = camera_pose(catalogue, "navcam_left", rover)
    sun = sun_at_site(site, "2021-02-18T20:55:00Z")
    print(f"setup (region, far field, pyramids): {setup:.2f} s")

    def best_of(target: Scene | HeightField, name: str) -> None:
        best = math.inf
        for _ in range(args.repeat):
            t1 = time.perf_counter()
            origins, directions = rays(camera, pose, args.width, args.height)
            shape = (args.height, args.width)
            frame = render(target, origins, directions, sun.enu, shape=shape, workers=args.workers)
            best = min(best, time.perf_counter() - t1)
        verdict = "within" if best <= TARGET_S else "OVER"
        print(
            f"{args.width} x {args.height} frame, {name}: {best:.2f} s (best of {args.repeat}; "
            f"{verdict} the {TARGET_S:.0f} s target; {100 * frame.solid.mean():.0f}% solid)"
        )
        if args.png and isinstance(target, Scene):
            save_png(args.png, frame.rgb)

    best_of(scene, "local map + far field + rover")
    best_of(scene.fields[0], "local map only")


if __name__ == "__main__":
    main()
