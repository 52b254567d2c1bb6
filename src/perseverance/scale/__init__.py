"""Monte Carlo campaigns in this process or on a Dask cluster, with every wait bounded."""
