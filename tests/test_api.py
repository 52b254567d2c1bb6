"""The front door: a mission flown, continued and read back through `perseverance.api`."""

import pytest

from perseverance import api


def test_every_advertised_name_exists():
    assert all(hasattr(api, name) for name in api.__all__)


def test_fly_mission_then_read_its_samples(tmp_path):
    runs = tmp_path / "runs"
    summary = api.fly_mission(sols=3, runs_dir=runs, run_id="front", imaging="off")
    assert summary["run"] == "front" and summary["last_sol"] == 3
    assert summary["sols_flown"] == 4  # sols 0..3
    assert api.read_samples("front", runs_dir=runs) == []  # no coring before sol 3
    again = api.fly_mission(resume="front", runs_dir=runs)  # complete: nothing flown
    assert again == summary
    with pytest.raises(api.ConfigError, match="resume continues a run"):
        api.fly_mission(resume="front", seed=1, runs_dir=runs)
    store, row = api.open_run("front", runs_dir=runs)
    with store:
        assert row.status == "complete" and store.last_committed_sol(row.id) == 3


def test_load_scenario_names_a_bad_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n")
    with pytest.raises(api.ConfigError, match="name = 3 is invalid"):
        api.load_scenario(str(bad))
