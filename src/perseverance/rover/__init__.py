"""The rover: power (MMRTG, batteries), mobility and path planning, telecom, sample caching
and the depot."""
