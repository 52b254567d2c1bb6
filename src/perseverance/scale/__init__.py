"""Running Monte Carlo chunks on a Dask cluster, with every wait bounded."""
