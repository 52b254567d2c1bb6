"""Shared sampling test helpers: the shipped system, a variant with other failure odds."""

from __future__ import annotations

import numpy as np

from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.caching import CachingSystem, load_caching

ORIGIN = (0.0, 0.0)
SYSTEM = load_caching()


def with_failures(crumble: float, jam: float, keep: bool = True) -> CachingSystem:
    """The shipped system with other crumble and jam probabilities."""
    failures = SYSTEM.failures.model_copy(
        update={
            "crumble_probability": crumble,
            "jam_probability": jam,
            "keep_crumbled_as_atmospheric": keep,
        }
    )
    return SYSTEM.model_copy(update={"failures": failures})


def generator(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def stored(cache: SampleCache, n: int, sol: int = 200) -> list[int]:
    """Core ``n`` rocks on ``sol`` (no failures); the ids of the stored tubes."""
    return [
        cache.core(sol, "igneous", generator(i), ORIGIN, failure="none").tube_ids[0]
        for i in range(n)
    ]
