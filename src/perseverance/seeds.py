"""The seeds every command accepts: whole numbers in 0..`MAX_SEED`.

NumPy's `SeedSequence` takes any non-negative integer; the mission database keeps
the seed as a signed 64-bit integer (BIGINT), which sets the upper end.
"""

from __future__ import annotations

from perseverance.errors import ConfigError

#: The largest seed accepted (stored as BIGINT).
MAX_SEED = 2**63 - 1


def check_seed(seed: object, option: str = "--seed") -> int:
    """``seed`` if it is a whole number in 0..`MAX_SEED`; `ConfigError` naming ``option`` if not."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{option} = {seed!r}: must be a whole number in 0..{MAX_SEED}")
    return seed
