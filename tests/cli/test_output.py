"""The progress display every long command uses (`perseverance.cli.output.progress`)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from perseverance.cli import output

STATUS = " 349 crater_floor      odometry   3.21 km  samples  5  battery  99%"


def _rendered(monkeypatch: pytest.MonkeyPatch, *, width: int, terminal: bool) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=terminal, color_system=None)
    monkeypatch.setattr(output, "err_console", console)
    with output.progress("mission", 701, "sol", quiet=False) as update:
        for sol in range(701):
            update(sol + 1, STATUS)
    return buf.getvalue()


@pytest.mark.parametrize("width", [50, 80, 160])
def test_the_bar_keeps_its_count_at_any_terminal_width(monkeypatch, width):
    last = _rendered(monkeypatch, width=width, terminal=True).split("\r")[-1]
    line = last.replace("\x1b[2K", "").replace("\x1b[?25h", "").rstrip("\n")
    assert "701/701 sol" in line
    assert "━" in line  # still a bar
    assert len(line) <= width


def test_a_log_gets_about_ten_plain_lines(monkeypatch):
    lines = _rendered(monkeypatch, width=80, terminal=False).splitlines()
    assert 9 <= len(lines) <= 11
    assert lines[0].startswith("mission 71/701 sol")
    assert lines[-1] == "mission 701/701 sol  " + STATUS


def test_quiet_shows_nothing(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(output, "err_console", Console(file=buf, force_terminal=True))
    with output.progress("mission", 5, "sol", quiet=True) as update:
        update(5, "done")
    assert buf.getvalue() == ""


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["mission"],
        ["edl"],
        ["time"],
        ["report"],
        ["runs"],
        ["runs", "list"],
        ["samples"],
        ["samples", "list"],
        ["samples", "show"],
    ],
)
def test_help_reads_as_prose(command):
    """No ``<bool>`` after a flag, no markup eaten, paragraphs wrapped as paragraphs."""
    from typer.testing import CliRunner

    from perseverance.cli import app

    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert " ." not in result.output  # markup such as "[default: 0]" eaten before a full stop
    lines = [line.strip("│ ").strip() for line in result.output.splitlines()]
    assert not any(len(line.split()) == 1 and line.isalpha() for line in lines), result.output
