"""EDL vehicles (TOML), loaded with `perseverance.edl.vehicle.load_vehicle`."""
