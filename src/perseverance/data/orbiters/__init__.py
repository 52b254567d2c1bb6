"""Relay orbiters (TOML): elements, UHF rates and store-and-forward delays."""
