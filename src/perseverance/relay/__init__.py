"""Relay orbiters and passes: orbits (Keplerian + J2), passes over a site, UHF volumes."""
