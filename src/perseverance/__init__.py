"""Perseverance: an open, physically honest simulator of NASA's Mars 2020 mission."""

__version__ = "0.1.0"
