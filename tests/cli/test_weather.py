"""`perseverance weather`: a sol's summary as a table or JSON, and bad input as one line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from perseverance.cli import app

runner = CliRunner()


def test_the_table_of_a_sol():
    result = runner.invoke(app, ["weather", "--sol", "3"])
    assert result.exit_code == 0, result.output
    assert "Jezero, sol 3" in result.stdout and "pressure (Pa)" in result.stdout
    assert "convective vortices" in result.stdout


def test_json_and_the_seed():
    docs = [
        json.loads(runner.invoke(app, ["weather", "--sol", "3", "--json", "--seed", s]).stdout)
        for s in ("4", "4", "5")
    ]
    assert docs[0] == docs[1] and docs[0] != docs[2]
    doc = docs[0]
    assert doc["sol"] == 3 and doc["seed"] == 4 and doc["vortex_count"] == len(doc["vortices"])
    assert 690.0 < doc["pressure_mean_pa"] < 750.0


def test_a_negative_sol_is_one_line_and_exit_2():
    result = runner.invoke(app, ["weather", "--sol", "-1"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "sol = -1" in result.stderr


def test_a_bad_seed_is_one_line_and_exit_2():
    result = runner.invoke(app, ["weather", "--sol", "1", "--seed", "-3"])
    assert result.exit_code == 2 and "--seed = -3" in result.stderr
