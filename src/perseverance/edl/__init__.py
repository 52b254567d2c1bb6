"""edl layer."""
