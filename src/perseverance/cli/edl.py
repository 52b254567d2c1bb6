"""`perseverance edl`: fly one entry, descent and landing or a Monte Carlo campaign, and
print its timeline or its statistics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from perseverance.cli.output import console, fail, print_json, progress, working
from perseverance.edl.status import Status
from perseverance.errors import PerseveranceError
from perseverance.places import east_north, latlon
from perseverance.seeds import check_seed

if TYPE_CHECKING:
    from perseverance.edl.results import CampaignResult


class Trigger(StrEnum):
    range = "range"
    velocity = "velocity"


#: The parachute trigger a campaign is compared with (--compare-triggers).
OTHER_TRIGGER = {"range": "velocity", "velocity": "range"}
#: How an event is named in the `edl` table (the others: underscores become spaces).
EVENT_LABELS = {
    "sufr": "straighten up (SUFR)",
    "lvs_solution": "LVS position fix",
    "heatshield_separation": "heat shield separation",
}
#: Unit suffixes of quantity names, as written in table rows.
UNIT_SUFFIXES = (("_mps", "m/s"), ("_pa", "Pa"), ("_kg", "kg"), ("_m", "m"), ("_g_load", "g"))


def _quantity_label(key: str) -> str:
    """``deploy_dynamic_pressure_pa`` -> ``deploy dynamic pressure [Pa]`` (rich-escaped)."""
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix):
            stem = key.removesuffix(suffix) if suffix != "_g_load" else key
            return escape(f"{stem.replace('_', ' ')} [{unit}]")
    return escape(key.replace("_", " ").replace("mach", "Mach"))


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value:,.{digits}f}"


def edl(
    vehicle: Annotated[
        str, typer.Option(help="Vehicle: m2020, msl, or a path to a vehicle TOML.")
    ] = "m2020",
    seed: Annotated[int, typer.Option(help="Seed of the terrain and of the dispersions.")] = 0,
    monte_carlo: Annotated[
        int | None,
        typer.Option("--monte-carlo", metavar="N", help="Fly N dispersed runs (run 0 is nominal)."),
    ] = None,
    trigger: Annotated[
        Trigger | None,
        typer.Option(help="Override the parachute trigger.", show_default="the vehicle's"),
    ] = None,
    compare_triggers: Annotated[
        bool,
        typer.Option(
            "--compare-triggers",
            help="With --monte-carlo: fly the same runs with the other parachute trigger too "
            "and plot both 99% ellipses (trigger_comparison.png in --out).",
            metavar="",
        ),
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Run the campaign on a local Dask cluster.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on an existing Dask scheduler (address).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write data products and plots to this folder.")
    ] = None,
    video: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Render the EDL cameras of the flown run into DIR: descent.mp4 (H.264, "
            "30 fps), descent_preview.webp, sky_crane.png, hirise.png and a manifest.",
        ),
    ] = None,
    video_width: Annotated[
        int,
        typer.Option(
            "--video-width",
            metavar="PX",
            help="Width of the video's frames (16..1920 px; 320 px renders in about 50 s "
            "on 2 cores).",
        ),
    ] = 320,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON.", metavar="")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.", metavar="")] = False,
    backend: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            help="The RK4 step: auto (Numba when installed, else NumPy), numpy, or numba "
            "(pip install 'perseverance[fast]'); also $PERSEVERANCE_EDL_BACKEND.",
        ),
    ] = "auto",
) -> None:
    """Fly entry, descent and landing: one nominal trajectory, or a Monte Carlo campaign.

    Exit codes: 0 landed (or a campaign ran), 1 the nominal vehicle did not land safely,
    2 bad input.
    """
    from perseverance.edl import api
    from perseverance.scale import campaign as campaigns  # in this process or on Dask

    try:
        check_seed(seed)
        step = _choose_backend(backend)
        if scheduler is not None and not scheduler.strip():
            raise PerseveranceError(
                "--scheduler '': empty; give the scheduler's address, e.g. tcp://host:8786"
            )
        if video is not None:
            _check_video(video, video_width, out, monte_carlo)
        if monte_carlo is not None:
            api.check_campaign(monte_carlo, workers)  # before the slow setup
            system = api.prepare_edl(vehicle, terrain_seed=seed)
            if compare_triggers and system.reference is None:
                raise PerseveranceError(
                    f"--compare-triggers: {system.vehicle.name} has no guidance reference, "
                    "so no Range Trigger: it flies the velocity trigger only"
                )
            total = 2 * monte_carlo if compare_triggers else monte_carlo
            with _runs_progress(total, quiet or as_json) as advance:
                campaign = partial(
                    campaigns.monte_carlo,
                    system.vehicle,
                    monte_carlo,
                    seed=seed,
                    system=system,
                    workers=workers,
                    scheduler=scheduler,
                    on_chunk=advance,
                    backend=step,
                )
                runs = campaign(trigger=trigger.value if trigger else None)
                other = campaign(trigger=OTHER_TRIGGER[runs.trigger]) if compare_triggers else None
            written = _products().write_campaign(runs, out, compare_with=other) if out else []
            _print_campaign(runs, as_json, written, other)
            return  # a campaign that ran exits 0, whatever its runs did
        else:
            if workers is not None or scheduler is not None:
                raise PerseveranceError("--workers and --scheduler need --monte-carlo N")
            if compare_triggers:
                raise PerseveranceError("--compare-triggers needs --monte-carlo N")
            with working("flying entry, descent and landing", quiet=quiet or as_json):
                flight = api.fly_edl(
                    vehicle, seed=seed, trigger=trigger.value if trigger else None, backend=step
                )
            written = _products().write_flight(flight, out) if out else []
            if video is not None:
                written += _write_video(flight, video, video_width, quiet or as_json)
            _print_flight(flight, as_json, written)
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:  # writing --out: a full disk, a folder we may not write
        raise fail(f"{exc.filename or out}: {exc.strerror or exc}") from None
    if flight.status is not Status.LANDED:
        raise typer.Exit(code=1)  # the simulation ran; the vehicle did not land safely


def _choose_backend(name: str) -> str:
    """``--backend`` resolved before the slow setup (`perseverance.edl.backend`)."""
    from perseverance.edl.backend import resolve_backend

    return resolve_backend(None if name == "auto" else name)


def _products() -> ModuleType:
    """`perseverance.report.edl_products`, imported only when ``--out`` asks for files
    (it brings Matplotlib and Parquet: half a second that a plain flight does not need)."""
    from perseverance.report import edl_products

    return edl_products


#: The widths `--video-width` takes [px].
VIDEO_WIDTH_RANGE = (16, 1920)


def _check_video(folder: Path, width: int, out: Path | None, monte_carlo: int | None) -> None:
    """Refuse a bad --video before the flight: a campaign, a bad width, --out's folder,
    a file, or a folder holding files we did not write."""
    from perseverance.outputs import foreign_file

    lo, hi = VIDEO_WIDTH_RANGE
    if monte_carlo is not None:
        raise PerseveranceError("--video renders one flown run: it does not take --monte-carlo")
    if not lo <= width <= hi:
        raise PerseveranceError(f"--video-width = {width} is out of range ({lo}..{hi} px)")
    if out is not None and folder.resolve() == out.resolve():
        raise PerseveranceError(f"--video {folder}: the same folder as --out; give another")
    if folder.exists() and not folder.is_dir():
        raise PerseveranceError(f"--video {folder}: exists and is not a folder")
    if folder.is_dir():
        why = foreign_file(folder)
        if why is not None:
            raise PerseveranceError(
                f"--video {folder}: {why}; choose a new or empty folder "
                "(a folder is replaced only when everything in it is output of ours)"
            )


def _write_video(flight, folder: Path, width: int, quiet: bool) -> list[Path]:
    """Render the flight's EDL imagery into ``folder`` (staged: all of it or nothing)."""
    import json

    from perseverance.errors import ConfigError
    from perseverance.imaging.edl_imagery import make_edl_imagery
    from perseverance.outputs import staged_directory

    system = flight.system
    site = getattr(system.terrain, "site", None)
    try:
        with staged_directory(folder) as stage, ExitStack() as bars:
            updates: list[Callable[[int, str], None]] = []

            def advance(done: int, total: int) -> None:
                if not updates:  # the bar opens once the number of frames is known
                    updates.append(
                        bars.enter_context(progress("EDL cameras", total, "frames", quiet=quiet))
                    )
                updates[0](done, "")

            products = make_edl_imagery(
                flight, system.terrain, site, stage, width_px=width, progress=advance
            )
            doc = {
                "vehicle": system.vehicle.name,
                "products": [
                    {"kind": kind, "file": path.name, **meta} for kind, path, meta in products
                ],
            }
            (stage / "imagery.json").write_text(json.dumps(doc, indent=2, allow_nan=False))
    except ConfigError as exc:  # the staging folder's refusal names --out: say --video
        raise ConfigError(str(exc).replace("--out ", "--video ", 1)) from None
    except (RuntimeError, ValueError) as exc:  # the encoder or the renderer gave up
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PerseveranceError(f"--video {folder}: the EDL imagery failed ({text})") from None
    made = [path.name for _, path, meta in products if meta.get("status") != "failed"]
    names = [*made, "imagery.json"]
    return [folder / name for name in names]


@contextmanager
def _runs_progress(total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """The campaign's progress over runs; yields ``advance(runs_just_done)``."""
    done = [0]
    with progress("Monte Carlo", total, "runs", quiet=quiet) as update:

        def advance(k: int) -> None:
            done[0] += k
            update(done[0], "")

        yield advance


def _print_flight(result, as_json: bool, written: list[Path]) -> None:
    doc = result.to_dict()
    if as_json:
        print_json(doc)
        return
    table = Table(title=f"{escape(doc['vehicle'])}: entry, descent and landing")
    for col in ("event", "T+ s", "altitude [m]", "speed [m/s]", "Mach", "g"):
        table.add_column(escape(col), justify="left" if col == "event" else "right")
    for ev in doc["events"]:
        table.add_row(
            EVENT_LABELS.get(ev["name"], ev["name"].replace("_", " ")),
            _fmt(ev["t_s"]),
            _fmt(ev["altitude_m"], 0),
            _fmt(ev["velocity_mps"]),
            _fmt(ev["mach"], 2),
            _fmt(ev["g_load"], 2),
        )
    console.print(table)
    td = doc["touchdown"]
    if td is None:
        console.print(f"[red]No touchdown:[/red] {escape(result.failure_message())}")
    else:
        console.print(_touchdown_line(doc["status"], td))
        if doc["status"] != "landed":
            console.print(f"[red]Not landed safely:[/red] {escape(result.failure_message())}")
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)


def _touchdown_line(status: str, td: dict) -> str:
    """One sentence on the touchdown; a figure the run did not produce is left out."""
    verdict = "Landed" if status == "landed" else f"Touched down ({status.replace('_', ' ')})"
    parts = [
        f"{verdict} at {latlon(td['latitude_deg'], td['longitude_deg'])}, "
        f"{td['utc']} ({td['lmst']} LMST)"
    ]
    speeds = []
    for key, text in (
        ("vertical_speed_mps", "{:.2f} m/s down"),
        ("horizontal_speed_mps", "{:.2f} m/s across"),
        ("tilt_deg", "tilt {:.1f}°"),
    ):
        if td.get(key) is not None:
            speeds.append(text.format(td[key]))
    distances = []
    for key, text in (
        ("distance_to_safe_target_m", "{:.1f} m from the safe target"),
        ("distance_to_target_m", "{:,.0f} m from the target"),
    ):
        if td.get(key) is not None:
            distances.append(text.format(td[key]))
    stage = []
    if td.get("propellant_margin_kg") is not None:
        stage.append(f"{max(td['propellant_margin_kg'], 0.0):.0f} kg propellant left")
    if td.get("flyaway_distance_m") is not None:
        stage.append(f"descent stage down {td['flyaway_distance_m']:,.0f} m away")
    for group in (speeds, distances, stage):
        if group:
            parts.append(", ".join(group))
    return "; ".join(parts) + "."


def _ellipse_size(el: dict) -> str:
    return f"{2 * el['semi_major_m'] / 1e3:.2f} km x {2 * el['semi_minor_m'] / 1e3:.2f} km"


def _print_campaign(
    result: CampaignResult,
    as_json: bool,
    written: list[Path],
    other: CampaignResult | None = None,
) -> None:
    s = result.to_dict()
    if as_json:
        print_json(s if other is None else {**s, "compared_trigger": other.to_dict()})
        return
    console.print(
        f"[bold]{escape(s['vehicle'])}[/bold], {s['runs']:,} runs (seed {s['seed']}, "
        f"{s['parachute_trigger']} trigger): {100 * s['success_rate']:.2f}% landed safely"
    )
    counts = ", ".join(f"{k} {v}" for k, v in s["status_counts"].items() if v)
    console.print(f"  outcomes: {counts}")
    for key, label in (("ellipse_99", "99% ellipse"), ("ellipse_3sigma", "3-sigma ellipse")):
        el = s.get(key)
        if el:
            console.print(
                f"  {label}: {_ellipse_size(el)}, "
                f"major axis at {el['azimuth_deg']:.0f}° from north, centre "
                f"{east_north(el['centre_east_m'], el['centre_north_m'])} of the site"
            )
    if other is not None:
        o = other.to_dict()
        el = o.get("ellipse_99")
        size = f"; 99% ellipse {_ellipse_size(el)}" if el else ""
        console.print(
            f"  {o['parachute_trigger']} trigger, same runs: "
            f"{100 * o['success_rate']:.2f}% landed safely{size}"
        )
    table = Table(title="percentiles")
    for col in ("quantity", "1%", "50%", "99%"):
        table.add_column(col, justify="left" if col == "quantity" else "right")
    for q, p in s["percentiles"].items():
        table.add_row(_quantity_label(q), *(_fmt(p[k], 3) for k in ("p01", "p50", "p99")))
    console.print(table)
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)
