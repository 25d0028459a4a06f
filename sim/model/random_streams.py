"""Named random streams from one SeedSequence: adding a source does not shift the others, and
scenarios run with the same seed share common random numbers."""

from __future__ import annotations

import hashlib

import numpy as np


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of source `name` in `replication`, independent of every other source."""
    name_key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, name_key))))
