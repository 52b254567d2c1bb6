"""Data files shipped with the package (vehicles, sites)."""
