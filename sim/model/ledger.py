"""The ledger: every transfer of material goes through move(); flows are summed per year.

Lots are masses by slot and element (sim/model/lots.py), so every flow is recorded by element too.
A flow the graph does not declare is refused.
"""

from __future__ import annotations

import numpy as np

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
        # the same sums as a view of each year [slot, element]: adding a lot in place to a view held
        # ready costs half of indexing the year and assigning it back (about 40 moves a step)
        self._by_year: dict[tuple[str, str, str], list[np.ndarray]] = {}

    def _new(self, key: tuple[str, str, str]) -> list[np.ndarray]:
        """The sums by year of a flow seen for the first time, which the graph must declare."""
        self.graph.require(key[0], key[1])
        sums = self.flows[key] = np.zeros((self.n_years, self.n_slots, N_ELEMENTS))
        by_year = self._by_year[key] = list(sums)
        return by_year

    def _sums(self, year: int, key: tuple[str, str, str]) -> np.ndarray | None:
        """A flow's sums of calendar `year` [slot, element], a view to add to in place; None before
        start_year (placement history before the study period is not part of the results)."""
        index = year - self.start_year
        if index < 0:
            return None
        by_year = self._by_year.get(key)
        if by_year is None:
            by_year = self._new(key)
        return by_year[index]

    def move(self, year: int, src: str, dst: str, lot: np.ndarray, origin: str = "recycled") -> None:
        """Record a transfer of `lot` [kg per slot and element] in calendar `year` (ignored before
        start_year)."""
        sums = self._sums(year, (src, dst, origin))
        if sums is not None:
            sums += lot

    def move_segments(self, year: int, src: str, dst: str, per_segment: np.ndarray, origin: str = "recycled") -> None:
        """Record a transfer of material from the segments' products [kg by segment and element]:
        a lot with the `all` slot empty, added without building it."""
        sums = self._sums(year, (src, dst, origin))
        if sums is not None:
            sums[:ALL] += per_segment

    def move_mass(self, year: int, src: str, dst: str, elements: np.ndarray, origin: str) -> None:
        """Record a transfer of material not tied to a segment (the `all` slot) [kg by element]."""
        if not np.count_nonzero(elements):  # count_nonzero: a third of any()'s cost
            return
        sums = self._sums(year, (src, dst, origin))
        if sums is not None:
            sums[ALL] += elements

    def mass_flows(self) -> dict[tuple[str, str, str], np.ndarray]:
        """The flows by slot [year, slot] (summed over elements)."""
        return {key: sums.sum(axis=2) for key, sums in self.flows.items()}
