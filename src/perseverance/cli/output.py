"""What every `perseverance` command prints through: the consoles, the one-line error,
JSON, the progress display, coordinates, and the default runs folder.

Shared by the sub-command modules of `perseverance.cli`, so none of them needs to
import another (``cli`` imports the sub-commands; this module imports neither).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column
from typer._click import Context
from typer.core import TyperCommand, TyperGroup, TyperOption


class _Help:
    """Help as a reader expects it: ``--help`` shown as the flag it is (no ``<bool>``
    placeholder), and each paragraph of a docstring wrapped to the terminal as one
    paragraph (Typer keeps the docstring's own line breaks after the first)."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.help:
            paragraphs = self.help.split("\n\n")
            self.help = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option: TyperOption | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = ""
        return option


class Command(_Help, TyperCommand):
    """Every command of the app (``cls=Command``)."""


class Group(_Help, TyperGroup):
    """Every group of commands of the app (``cls=Group``)."""


#: Tables and messages (stdout).
console = Console()
#: Errors, warnings and progress bars (stderr), so that ``--json`` output stays clean.
err_console = Console(stderr=True)
#: When stderr is not a terminal, how many progress lines a long job prints (about).
PROGRESS_LINES = 10

#: ``update(completed, status)``: how a long job reports how far it got.
ProgressUpdate = Callable[[int, str], None]


def fail(message: str) -> typer.Exit:
    """Print ``error: <message>`` on stderr; return the exit (code 2) to raise.

    The message is printed as it is (square brackets are not rich markup).

    >>> raise fail(str(exc)) from None  # doctest: +SKIP
    """
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def warn(message: str) -> None:
    """Print ``warning: <message>`` on stderr."""
    err_console.print(
        f"[yellow]warning:[/yellow] {escape(message)}", highlight=False, soft_wrap=True
    )


def print_json(doc: Any) -> None:
    """Print ``doc`` as indented JSON on stdout (plain, never wrapped or coloured).

    Non-finite floats become ``null``: strict JSON has no NaN.
    """
    print(json.dumps(_finite(doc), indent=2, allow_nan=False))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


@contextmanager
def working(message: str, *, quiet: bool) -> Iterator[None]:
    """A spinner with ``message`` on stderr while a short job runs (on a terminal only)."""
    if quiet or not err_console.is_terminal:
        yield
        return
    with err_console.status(escape(message)):
        yield


@contextmanager
def progress(label: str, total: int, unit: str, *, quiet: bool) -> Iterator[ProgressUpdate]:
    """Show how far a long job got, on stderr; yields ``update(completed, status)``.

    On a terminal: a bar with ``completed/total unit`` that fits any width (the status
    text is cut short first, then the bar narrows). Otherwise (a log, a pipe): one line
    ``label completed/total unit status`` about every tenth of the job and at its end,
    so a log shows the job is alive. ``quiet`` shows nothing.
    """
    if quiet:

        def nothing(completed: int, status: str = "") -> None:
            return None

        yield nothing
    elif err_console.is_terminal:
        bar = Progress(
            TextColumn(f"[bold]{escape(label)}"),
            BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=10)),
            MofNCompleteColumn(),
            TextColumn(escape(unit)),
            TextColumn(
                "{task.fields[status]}",
                markup=False,
                table_column=Column(ratio=2, no_wrap=True, overflow="ellipsis"),
            ),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
            expand=True,
        )
        task = bar.add_task(label, total=total, status="")

        def advance(completed: int, status: str = "") -> None:
            bar.update(task, completed=completed, status=status)

        with bar:
            yield advance
    else:
        step = max(1, math.ceil(total / PROGRESS_LINES))
        shown = [0]

        def line(completed: int, status: str = "") -> None:
            if completed >= shown[0] + step or (completed >= total > shown[0]):
                shown[0] = completed
                text = f"{label} {completed}/{total} {unit}" + (f"  {status}" if status else "")
                err_console.print(text, markup=False, highlight=False, soft_wrap=True)

        yield line
