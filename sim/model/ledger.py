"""The ledger: every transfer of material goes through move() (or, for the flows compiled code
records, the same sums by add_lot and its kin); flows are summed per year.

Lots are masses by slot and element (sim/model/lots.py), so every flow is recorded by element too.
A flow the graph does not declare is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from .graph import FlowGraph
from .lots import ALL, N_ELEMENTS


class Ledger:
    """Annual flow sums by (from_node, to_node, origin), each an array [year, slot, element] of kg.

    origin "recycled" marks lots whose slots are origins (post_consumer per segment, pre_consumer
    in the last slot); other origins ("primary", "post_consumer", "pre_consumer") are stated as is.
    """

    def __init__(self, graph: FlowGraph, start_year: int, n_years: int, n_slots: int):
        self.graph = graph
        self.start_year = start_year
        self.n_years = n_years
        self.n_slots = n_slots
        self.flows: dict[tuple[str, str, str], np.ndarray] = {}
        # the same sums as views of each year held ready, of the whole lot, of the segments' slots
        # and of the `all` slot: adding in place to a view held ready costs half of indexing the
        # year and a third of indexing its slots too (about 40 moves a step)
        self._views: dict[tuple[str, str, str], tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]] = {}
        self._bound: dict[tuple[str, str, str], np.ndarray] = {}  # sums of flows compiled code adds to

    def _year_views(self, key: tuple[str, str, str]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """A flow's sums by year as views (whole lot, segments, `all` slot); a flow seen for the
        first time must be declared by the graph."""
        views = self._views.get(key)
        if views is None:
            self.graph.require(key[0], key[1])
            sums = self._bound.get(key)
            if sums is None:
                sums = np.zeros((self.n_years, self.n_slots, N_ELEMENTS))
            self.flows[key] = sums
            views = self._views[key] = (list(sums), list(sums[:, :ALL]), list(sums[:, ALL]))
        return views

    def bind(self, keys: Sequence[tuple[str, str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Sums [flow, year, slot, element] of the flows `keys`, for compiled code to record a
        step's many moves in one call (add_lot as move and move_segments, add_mass as move_mass),
        and whether each flow has seen a move [flow]; adopt() then makes the flows seen part of
        `flows`. The graph must declare them all."""
        for src, dst, _ in keys:
            self.graph.require(src, dst)
        block = np.zeros((len(keys), self.n_years, self.n_slots, N_ELEMENTS))
        for i, key in enumerate(keys):
            self._bound[key] = block[i]
        return block, np.zeros(len(keys), dtype=np.bool_)

    def adopt(self, keys: Sequence[tuple[str, str, str]], seen: np.ndarray) -> None:
        """The bound flows `keys` that have seen a move join `flows`, in the order of `keys`: compiled
        code makes its moves in that order, so `flows` keeps the order in which flows first moved."""
        for key, moved in zip(keys, seen):
            if moved:
                self._year_views(key)

    def move(self, year: int, src: str, dst: str, lot: np.ndarray, origin: str = "recycled") -> None:
        """Record a transfer of `lot` [kg per slot and element] in calendar `year` (ignored before
        start_year: placement history before the study period is not part of the results)."""
        index = year - self.start_year
        if index >= 0:
            self._year_views((src, dst, origin))[0][index] += lot

    def move_segments(self, year: int, src: str, dst: str, per_segment: np.ndarray, origin: str = "recycled") -> None:
        """Record a transfer of material from the segments' products [kg by segment and element]:
        a lot with the `all` slot empty, added without building it."""
        index = year - self.start_year
        if index >= 0:
            self._year_views((src, dst, origin))[1][index] += per_segment

    def move_mass(self, year: int, src: str, dst: str, elements: np.ndarray, origin: str) -> None:
        """Record a transfer of material not tied to a segment (the `all` slot) [kg by element]."""
        index = year - self.start_year
        if index >= 0 and np.count_nonzero(elements):  # count_nonzero: a third of any()'s cost
            self._year_views((src, dst, origin))[2][index] += elements

    def mass_flows(self) -> dict[tuple[str, str, str], np.ndarray]:
        """The flows by slot [year, slot] (summed over elements)."""
        return {key: sums.sum(axis=2) for key, sums in self.flows.items()}


# Moves into bound sums (Ledger.bind) from compiled code; each returns whether the flow is seen
# for the first time. `row` is the year's index from start_year.

@njit(cache=True)
def add_lot(block: np.ndarray, seen: np.ndarray, flow: int, row: int, lot: np.ndarray) -> bool:
    """Ledger.move: `lot` [kg by slot and element]; or Ledger.move_segments, given the segments'
    rows alone [kg by segment and element] (the `all` slot is the last)."""
    sums = block[flow, row]
    for s in range(lot.shape[0]):
        for e in range(lot.shape[1]):
            sums[s, e] += lot[s, e]
    new = not seen[flow]
    seen[flow] = True
    return new


@njit(cache=True)
def add_mass(block: np.ndarray, seen: np.ndarray, flow: int, row: int, elements: np.ndarray) -> bool:
    """Ledger.move_mass: `elements` [kg by element] into the `all` slot, if any is not 0."""
    for e in range(elements.size):
        if elements[e] != 0.0:
            break
    else:
        return False
    sums = block[flow, row]
    for e in range(elements.size):
        sums[sums.shape[0] - 1, e] += elements[e]
    new = not seen[flow]
    seen[flow] = True
    return new
