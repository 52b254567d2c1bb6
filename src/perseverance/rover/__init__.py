"""rover layer: mobility (path planning, driving), power, sampling."""
