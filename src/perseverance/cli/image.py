"""`perseverance image`: one camera frame rendered on demand from a run's state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perseverance.cli.output import console, fail, print_json, working
from perseverance.cli.records import DbOption, JsonOption, RunOption, RunsDirOption
from perseverance.errors import PerseveranceError
from perseverance.outputs import DEFAULT_RUNS_DIR


def image(
    camera: Annotated[
        str, typer.Option(metavar="NAME", help="The camera, e.g. navcam_left, hazcam_front_left.")
    ],
    run: RunOption = None,
    sol: Annotated[
        int | None, typer.Option(help="The sol (default: the run's last committed one).")
    ] = None,
    lmst: Annotated[str, typer.Option(metavar="HH:MM", help="Local mean solar time.")] = "14:00",
    az: Annotated[
        float | None,
        typer.Option(help="Azimuth of a mast camera, deg from north (default: the heading)."),
    ] = None,
    el: Annotated[
        float | None, typer.Option(help="Elevation of a mast camera, deg (default: level).")
    ] = None,
    width: Annotated[
        int | None,
        typer.Option(metavar="PX", help="Frame width; same field of view (default: ≤ 1280)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="The PNG to write (default: <run>_<camera>_sol<N>.png here)."
        ),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="Write the detector's data: a colour camera's Bayer (RGGB) mosaic at its "
            "bit depth, as a 16-bit mono PNG above 8 bits.",
        ),
    ] = False,
    db: DbOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Render what a camera sees on a sol of a run: the run's terrain, the rover where its
    traverse left it, the Sun of that sol and LMST at the site.

    Writes a PNG (colour, or mono at the camera's bit depth; ``--raw``: the Bayer mosaic
    at the camera's bit depth); an existing file is never overwritten.
    """
    from perseverance.imaging.cameras import load_cameras
    from perseverance.imaging.render import save_png, to_bayer
    from perseverance.mission.snapshot import snapshot
    from perseverance.store.locate import open_run

    try:
        store, row = open_run(run, db=db, runs_dir=runs_dir, readonly=True)
        with store, working(f"rendering {camera}", quiet=as_json):
            shot = snapshot(
                store,
                row,
                camera=camera,
                sol=sol,
                lmst=lmst,
                azimuth_deg=az,
                elevation_deg=el,
                width_px=width,
            )
        path = out or Path(f"{row.id}_{camera}_sol{shot.sol:04d}.png")
        if path.exists():
            raise PerseveranceError(f"--out {path}: exists; choose another name or remove it")
        pixels, bits = shot.image, shot.bit_depth
        if raw and pixels.ndim == 3:
            pixels, bits = to_bayer(pixels), min(load_cameras().cameras[camera].bit_depth, 16)
        save_png(path, pixels, bits=bits)
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or out}: {exc.strerror or exc}") from None
    meta = {"run": row.id, "file": str(path), **shot.metadata()}
    if as_json:
        print_json(meta)
        return
    height, width_px = shot.image.shape[:2]
    console.print(
        f"{camera} on sol {shot.sol} at LMST {shot.lmst} ({shot.utc}): {width_px} x {height}, "
        f"{100 * shot.ground_fraction:.0f}% ground, Sun at {shot.sun_elevation_deg:.1f}° "
        f"elevation, {shot.sun_azimuth_deg:.1f}° azimuth",
        highlight=False,
        markup=False,
    )
    console.print(f"wrote {path}", highlight=False, markup=False)
