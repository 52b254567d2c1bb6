"""Instrument tables (TOML): the sample caching system."""
