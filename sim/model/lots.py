"""A lot: masses [kg] by slot and element, one slot per segment and a last slot `all`; what a slot means.

For recycled material the slot is its origin: post-consumer scrap from that segment's products,
pre-consumer swarf in `all`. For deliveries from the market the slot is the destination: magnets
placed in that segment's products, other uses in `all`. The second axis is ELEMENTS; a lot's mass
by slot is its sum over elements.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..config.parameters import Params, generic_composition
from ..config.values import ELEMENTS

ALL = -1  # index of the `all` slot
ALL_NAME = "all"
HEAVY_RARE_EARTHS = ("Dy", "Tb")
#: their columns of a lot: adjacent in ELEMENTS, so a slice (a view, where a list of columns copies)
HEAVY = slice(ELEMENTS.index("Dy"), ELEMENTS.index("Tb") + 1)
assert ELEMENTS[HEAVY] == HEAVY_RARE_EARTHS


def n_slots(params: Params) -> int:
    return len(params.segments) + 1


def slot_names(params: Params) -> list[str]:
    """The label of each slot in the tables' `segment` column."""
    return [*params.segment_names, ALL_NAME]


N_ELEMENTS = len(ELEMENTS)


def empty(params: Params) -> np.ndarray:
    return np.zeros((n_slots(params), N_ELEMENTS))


def from_segments(per_segment: np.ndarray) -> np.ndarray:
    """A lot from element masses per segment [segment, element] (the `all` slot empty)."""
    lot = np.zeros((per_segment.shape[0] + 1, per_segment.shape[1]))  # filled in place: cheaper than stacking
    lot[:ALL] = per_segment
    return lot


def of_mass(kg: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Element masses [slot, element] of `kg` per slot with element `shares` [slot, element]."""
    return kg[:, None] * shares


def mass(lot: np.ndarray) -> np.ndarray:
    """Mass by slot [kg] of a lot."""
    return lot.sum(axis=-1)


def in_all(elements: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A lot shaped like `like` holding `elements` [kg by element] in the `all` slot only."""
    lot = np.zeros(like.shape)  # np.zeros: a fraction of zeros_like's cost, on a hot path
    lot[ALL] = elements
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


def share_of(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole per entry, 0 where whole is 0 (e.g. units collected out of units discarded)."""
    out = np.zeros(whole.shape)
    np.divide(part, whole, out=out, where=whole > 0)
    return out


@njit(cache=True)
def split_lot(lot: np.ndarray, part: np.ndarray, whole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A lot [segment, element] split in the ratio of `part` to `whole` [per segment] (e.g. units
    collected of units discarded; nothing where whole is 0): (the part's lot, the rest)."""
    taken, rest = np.empty(lot.shape), np.empty(lot.shape)
    for s in range(lot.shape[0]):
        share = part[s] / whole[s] if whole[s] > 0 else 0.0
        for e in range(lot.shape[1]):
            taken[s, e] = lot[s, e] * share
            rest[s, e] = lot[s, e] - taken[s, e]
    return taken, rest


class SegmentContent:
    """Element masses [segment, element] held by a node that counts units in a pool rather than
    by cohort (the dismantling backlog): what enters is added; what leaves takes its segment's
    current element shares (the pool is well mixed). The node's unit count stays the mass
    account; this is the element account the element balance checks. Nodes that hold cohorts
    (in use, end of life) keep the content per cohort instead (cohorts.CohortStock)."""

    def __init__(self, n_segments: int):
        self.held = np.zeros((n_segments, N_ELEMENTS))

    def add(self, lot: np.ndarray) -> None:
        self.held += lot

    def remove(self, kg: np.ndarray) -> np.ndarray:
        """Take `kg` per segment; return its element masses [segment, element]."""
        return _remove(self.held, kg)


@njit(cache=True)
def _remove(held: np.ndarray, kg: np.ndarray) -> np.ndarray:
    """SegmentContent.remove in one pass: each segment's share kg / its mass (at most all of it,
    none of an empty segment) taken out of `held` [segment, element] in place and returned."""
    part = np.zeros(held.shape)
    for s in range(held.shape[0]):
        mass = 0.0
        for e in range(held.shape[1]):
            mass += held[s, e]
        if mass > 0:
            share = min(kg[s] / mass, 1.0)
            for e in range(held.shape[1]):
                part[s, e] = held[s, e] * share
                held[s, e] -= part[s, e]
    return part
