"""The landing region: site files, procedural Jezero relief, craters, rocks and hazard maps,
and fine tiles made lazily around the rover."""
