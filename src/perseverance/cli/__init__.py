"""The `perseverance` command line: the Typer app, its sub-commands and the entry point.

A `PerseveranceError` (bad input the user can fix) prints as one line on stderr with
exit code 2, and so does a usage error (an unknown option, a value of the wrong type);
anything else is a bug and keeps its traceback. The sub-commands live in `edl`,
`mission`, `records`, `image`, `weather`, `passes` and `products`; what they print
through (consoles, errors, JSON, progress, coordinates) in `output`.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Annotated, TextIO

import typer
from rich.markup import escape
from typer._click.exceptions import ClickException, UsageError

from perseverance.cli.edl import edl
from perseverance.cli.image import image
from perseverance.cli.mission import mission
from perseverance.cli.output import (
    Command,
    Group,
    console,
    err_console,
    fail,
    print_json,
    warn,
)
from perseverance.cli.passes import passes
from perseverance.cli.products import products_app
from perseverance.cli.records import report, runs_app, samples_app
from perseverance.cli.weather import weather
from perseverance.errors import PerseveranceError, PerseveranceWarning

app = typer.Typer(
    help="Perseverance: fly NASA's Mars 2020 mission yourself.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)
app.add_typer(runs_app, name="runs")
app.add_typer(samples_app, name="samples")
app.add_typer(products_app, name="products")


def time(
    utc: Annotated[str | None, typer.Argument(help="UTC instant, ISO 8601 (default: now).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON.", metavar="")
    ] = False,
) -> None:
    """Mars time at Jezero (Mars24): MSD, MTC, LMST, LTST, Ls and the mission sol; the
    Sun's elevation and azimuth there; the Earth-Mars distance, the one-way light time
    (Mars to Earth, leaving at UTC) and the Sun-Earth-Mars angle from JPL's DE421."""
    from perseverance.mars.ephemeris import (
        earth_mars_distance_m,
        light_time_s,
        sun_earth_mars_angle_deg,
    )
    from perseverance.mars.sun import sun_position
    from perseverance.mars.time import mars_clock, parse_utc
    from perseverance.terrain.site import load_site

    try:
        if utc is not None and not utc.strip():
            raise PerseveranceError("UTC '': empty; give an ISO 8601 instant or leave it out")
        when = parse_utc(utc) if utc is not None else datetime.now(UTC)
        site = load_site("jezero")
        clock = mars_clock(
            when,
            longitude_east_deg=site.landing_site.longitude_deg,
            landing_utc=site.landing_site.landing_utc,
        )
        point = site.landing_site
        sun = sun_position(when, point.latitude_deg, point.longitude_deg)
        clock |= {
            "sun_elevation_deg": sun.elevation_deg,
            "sun_azimuth_deg": sun.azimuth_deg,
            "earth_mars_distance_km": earth_mars_distance_m(when) / 1e3,
            "light_time_s": light_time_s(when),
            "sun_earth_mars_angle_deg": sun_earth_mars_angle_deg(when),
        }
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json(clock)
        return
    minutes, seconds = divmod(clock["light_time_s"], 60.0)
    console.print(f"UTC {when.isoformat()}  at Jezero ({site.landing_site.longitude_deg}° E)")
    console.print(
        f"  Mars Sol Date {clock['msd']:.5f}, MTC {clock['mtc_hours']:.4f} h, "
        f"LMST {clock['lmst']}, LTST {clock['ltst']}, Ls {clock['ls_deg']:.2f}°, sol {clock['sol']}"
    )
    console.print(
        f"  Sun elevation {clock['sun_elevation_deg']:.2f}°, "
        f"azimuth {clock['sun_azimuth_deg']:.2f}° (from north, east-positive)"
    )
    console.print(
        f"  Earth-Mars {clock['earth_mars_distance_km'] / 1e6:.3f} million km, light time "
        f"{int(minutes)} min {seconds:.1f} s, Sun-Earth-Mars angle "
        f"{clock['sun_earth_mars_angle_deg']:.2f}°"
    )


app.command(cls=Command)(mission)
app.command(cls=Command)(report)
app.command(cls=Command)(edl)
app.command(cls=Command)(time)
app.command(cls=Command)(image)
app.command(cls=Command)(weather)
app.command(cls=Command)(passes)


def main(argv: list[str] | None = None) -> int:
    """The console entry point: runs the app; a usage error is one line and exit code 2;
    a `PerseveranceWarning` is one ``warning:`` line on stderr."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = app(args=argv, standalone_mode=False)
    except ClickException as exc:
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if isinstance(exc, UsageError) and ctx is not None:
            hint = f" (see {ctx.command_path} --help)"
        err_console.print(
            f"[red]error:[/red] {escape(exc.format_message())}{escape(hint)}",
            highlight=False,
            soft_wrap=True,
        )
        return exc.exit_code
    except typer.Abort:
        err_console.print("interrupted", highlight=False)
        return 130
    return code if isinstance(code, int) else 0


_python_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    if issubclass(category, PerseveranceWarning):
        warn(str(message))
    else:
        _python_showwarning(message, category, filename, lineno, file, line)
