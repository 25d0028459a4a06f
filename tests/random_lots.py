"""Random lots for the tests of the compiled arithmetic (tests/model/test_*_arithmetic.py)."""

from __future__ import annotations

import numpy as np


def random_lot(rng: np.random.Generator, n_origins: int, n_elements: int = 6) -> np.ndarray:
    """Masses [origin, element] with some origins empty."""
    return rng.uniform(0, 10, (n_origins, n_elements)) * (rng.random(n_origins) < 0.7)[:, None]
