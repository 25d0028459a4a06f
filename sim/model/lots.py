"""A lot: masses [kg] over slots, one slot per segment and a last slot `all`, and what a slot means.

For recycled material the slot is its origin: post-consumer scrap from that segment's products,
pre-consumer swarf in `all`. For deliveries from the market the slot is the destination: magnets
placed in that segment's products, other uses in `all`. Element shares will be an axis of a lot.
"""

from __future__ import annotations

import numpy as np

from ..config.parameters import Params, generic_composition
from ..config.values import ELEMENTS

ALL = -1  # index of the `all` slot
ALL_NAME = "all"
HEAVY_RARE_EARTHS = ("Dy", "Tb")


def n_slots(params: Params) -> int:
    return len(params.segments) + 1


def slot_names(params: Params) -> list[str]:
    """The label of each slot in the tables' `segment` column."""
    return [*params.segment_names, ALL_NAME]


def empty(params: Params) -> np.ndarray:
    return np.zeros(n_slots(params))


def from_segments(per_segment: np.ndarray) -> np.ndarray:
    """A lot from masses per segment (the `all` slot empty)."""
    return np.append(per_segment, 0.0)


def segments_only(lot: np.ndarray) -> np.ndarray:
    """The same lot with the `all` slot emptied."""
    out = lot.copy()
    out[ALL] = 0.0
    return out


def in_all(kg: float, like: np.ndarray) -> np.ndarray:
    """A lot shaped like `like` holding `kg` in the `all` slot only."""
    lot = np.zeros_like(like)
    lot[ALL] = kg
    return lot


def is_post_consumer(slots: np.ndarray, n_segments: int) -> np.ndarray:
    """For slots of recycled material: whether each is post-consumer (a segment) or swarf (`all`)."""
    return slots < n_segments


def composition(params: Params) -> np.ndarray:
    """Element shares [slot, element of ELEMENTS]: each segment's magnets; the `all` slot (swarf)
    is generic sintered NdFeB."""
    return np.array([s.composition for s in params.segments] + [generic_composition()])


def heavy_rare_earth_share(params: Params) -> np.ndarray:
    """Share of Dy + Tb in the magnets of each slot [kg/kg]."""
    return composition(params)[:, [ELEMENTS.index(e) for e in HEAVY_RARE_EARTHS]].sum(axis=1)
