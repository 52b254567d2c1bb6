"""Data files shipped with the package: vehicles, sites, rover and instrument tables,
scenarios; every figure carries its source."""
