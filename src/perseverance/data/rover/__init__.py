"""Rover tables (TOML): power, mobility and telecom."""
