"""The Sample Caching System: its data file, tubes, procedures, the cache and its saved state."""
