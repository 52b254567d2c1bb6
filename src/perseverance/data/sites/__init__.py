"""Landing-site descriptions (TOML), loaded with `perseverance.terrain.site.load_site`."""
