"""The ledger: every transfer of material goes through move(); flows are summed per year.

A lot is a vector of masses [kg] over slots: one per segment and a last slot `all` for material
not tied to a segment. For recycled material the slot is its origin (post-consumer from that
segment; pre-consumer swarf in `all`); for deliveries from the market the slot is the destination.
"""

from __future__ import annotations

import numpy as np

SOURCES = ("primary_supply", "scrap_import")  # boundary nodes: material enters the system here
SINKS = ("uncollected", "shredder_loss", "scrap_export", "process_loss", "other_uses")


class Ledger:
    """Annual flow sums by (from_node, to_node, origin), each an array [year, slot] of kg.

    origin "recycled" marks lots whose slots are origins (post_consumer per segment, pre_consumer
    in the last slot); other origins ("primary", "post_consumer", "pre_consumer") are stated as is.
    """

    def __init__(self, start_year: int, n_years: int, n_slots: int):
        self.start_year = start_year
        self.n_years = n_years
        self.n_slots = n_slots
        self.flows: dict[tuple[str, str, str], np.ndarray] = {}

    def move(self, year: int, src: str, dst: str, lot: np.ndarray, origin: str = "recycled") -> None:
        """Record a transfer of `lot` [kg per slot] in calendar `year` (ignored before start_year)."""
        index = year - self.start_year
        if index < 0:
            return  # placement history before the study period is not part of the results
        key = (src, dst, origin)
        sums = self.flows.get(key)
        if sums is None:
            sums = self.flows[key] = np.zeros((self.n_years, self.n_slots))
        sums[index] += lot

    def move_mass(self, year: int, src: str, dst: str, kg: float, origin: str) -> None:
        """Record a transfer of material not tied to a segment (the `all` slot)."""
        index = year - self.start_year
        if index < 0 or kg == 0.0:
            return
        key = (src, dst, origin)
        sums = self.flows.get(key)
        if sums is None:
            sums = self.flows[key] = np.zeros((self.n_years, self.n_slots))
        sums[index, -1] += kg
