"""`perseverance mission`: fly the mission into its database with progress, then a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from perseverance.cli.output import console, err_console, fail, print_json, progress
from perseverance.errors import LandingFailedError, PerseveranceError
from perseverance.outputs import DEFAULT_RUNS_DIR
from perseverance.places import east_north, latlon


def mission(
    sols: Annotated[
        int | None,
        typer.Option(help="Last sol to fly (default: the scenario's, sol 700 for the default)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the terrain and every random draw (default: 0).")
    ] = None,
    scenario: Annotated[
        str, typer.Option(help="Scenario: default, or a path to a scenario TOML.")
    ] = "default",
    db: Annotated[
        str | None,
        typer.Option(
            "--db", metavar="URL", help="Database URL (default: SQLite runs/<run-id>/mission.db)."
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(metavar="RUN", help="Continue this run from its last committed sol."),
    ] = None,
    runs_dir: Annotated[
        Path, typer.Option("--runs-dir", metavar="DIR", help="Folder of the run folders.")
    ] = DEFAULT_RUNS_DIR,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Name the new run (default: time + random).")
    ] = None,
    imaging: Annotated[
        str,
        typer.Option(
            "--imaging",
            metavar="MODE",
            help="Surface images: default (the scenario's sizes), full (every frame at the "
            "camera's own format: large and slow) or off.",
        ),
    ] = "default",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON.", metavar="")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display.", metavar="")
    ] = False,
) -> None:
    """Fly the mission: landing, commissioning, drives, sampling, the depot; sol by sol.

    Every sol is committed to the mission database as it ends; a run stopped at any
    moment continues with --resume RUN. The report (report.html) is written at the end.
    """
    from perseverance.mission.runner import MissionRunner, resume_mission, start_mission

    try:
        if resume is not None:
            given = [sols, seed, run_id, None if scenario == "default" else scenario]
            given.append(None if imaging == "default" else imaging)
            if any(v is not None for v in given):
                raise fail(
                    "--resume continues a run as it was started: drop --sols, --seed, "
                    "--scenario, --run-id and --imaging"
                )
            run = resume_mission(resume, db=db, runs_dir=runs_dir)
        else:
            run = start_mission(
                scenario,
                seed=0 if seed is None else seed,
                sols=sols,
                db=db,
                runs_dir=runs_dir,
                run_id=run_id,
                imaging=imaging,
            )
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    err_console.print(f"run {run.run_id}", highlight=False, markup=False)
    if run.status == "complete":
        err_console.print(
            f"run {run.run_id} is already complete: nothing left to fly", markup=False
        )
        _finish(run, as_json)
        return
    try:
        runner = MissionRunner(run)
    except PerseveranceError as exc:
        run.store.release(run.run_id)
        raise fail(str(exc)) from None
    try:
        total = runner.scenario.last_sol + 1
        with progress("mission", total, "sols", quiet=quiet) as update:

            def show(sol: int, last_sol: int, state: Any, summary: Any) -> None:
                update(
                    sol + 1,
                    f"sol {sol:>3} {summary.phase:<17} odometry {state.odometry_m / 1000:6.2f}"
                    f" km  samples {summary.samples_sealed:>2}  battery "
                    f"{100 * summary.battery_soc:3.0f}%",
                )

            runner.fly(show)
    except LandingFailedError as exc:
        err_console.print(f"[red]landing failed:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=1) from None
    except (PerseveranceError, OSError) as exc:
        if isinstance(exc, OSError):
            reason = f"{exc.filename or run.folder}: {exc.strerror or exc}"
        else:
            reason = str(exc)
        raise fail(f"{reason} (run {run.run_id}: --resume {run.run_id} continues it)") from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted: --resume {run.run_id} continues the run", markup=False)
        raise typer.Exit(code=130) from None
    _finish(run, as_json)


def _finish(run: Any, as_json: bool) -> None:
    """Print the run's summary (JSON or text) and close its database."""
    try:
        from perseverance.mission.summary import mission_summary

        summary = mission_summary(run.store, run.run_id, run.folder)
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    finally:
        run.store.close()
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)


def _print_summary(s: dict[str, Any]) -> None:
    land = s["landing"]
    console.print(
        f"\n[bold]Landed[/bold] {escape(str(land['utc']))} (LMST {escape(str(land['lmst']))}) at "
        f"{latlon(land['latitude_deg'], land['longitude_deg'])}, "
        f"{east_north(land['east_m'], land['north_m'])} of the real touchdown point",
        highlight=False,
    )
    console.print(
        f"[bold]Flew[/bold] sols 0-{s['last_sol']} ({s['sols_flown']} sols), "
        f"odometry {s['odometry_m'] / 1000:.2f} km",
        highlight=False,
    )
    by_type = escape(", ".join(f"{n} {t}" for t, n in sorted(s["samples_by_type"].items())))
    sealed = f"{s['samples_sealed']} samples ({by_type})" if by_type else "no samples"
    console.print(
        f"[bold]Sealed[/bold] {sealed}; {s['kept_aboard']} aboard, {len(s['depot'])} in the depot",
        highlight=False,
    )
    if s["depot"]:
        table = Table(title="Three Forks depot" if s["depot"] else "depot", title_justify="left")
        for col in ("tube", "sample", "east (m)", "north (m)"):
            table.add_column(col, justify="right" if "(" in col else "left")
        for d in s["depot"]:
            table.add_row(
                escape(d["designation"]),
                escape(d["name"]),
                f"{d['east_m']:.1f}",
                f"{d['north_m']:.1f}",
            )
        console.print(table)
    console.print(
        f"[bold]Instruments[/bold] MEDA on {s['weather_sols']} sols; MOXIE {s['moxie_runs']} runs, "
        f"{s['moxie_o2_g']:.1f} g O2; {s['recordings']} recordings; "
        f"{s['radargrams']} radargrams",
        highlight=False,
    )
    console.print(f"database {s['database']}", highlight=False, markup=False)
    if s["images"] or s["images_failed"]:
        failed = f" ({s['images_failed']} failed)" if s["images_failed"] else ""
        where = f"{s['folder']}/images"
        console.print(f"images   {s['images']}{failed} in {where}", highlight=False, markup=False)
    if s["report"]:
        console.print(f"report   {s['report']}", highlight=False, markup=False)
