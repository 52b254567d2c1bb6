"""Mission scenarios (TOML), loaded with `perseverance.mission.scenario.load_scenario`."""
