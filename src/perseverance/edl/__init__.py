"""Entry, descent and landing: vehicle files, the batched 3-DOF kernel, guidance, the event
sequence, dispersions and Monte Carlo campaigns."""
