"""Node `scrap_store`: magnet scrap by origin, in two grades, waiting for recycling plants.

Grades: `short_loop` (fit for HPMS) and `long_loop_only` (coated, mixed or oxidised scrap that only
a hydrometallurgical plant takes). Lots keep their origin slots, so every downstream product can
say how much of it came from which segment and from pre-consumer swarf.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..config.parameters import Params
from ..config.series import by_year
from . import lots
from .graph import SCRAP_STORE


class ScrapStore:
    name = SCRAP_STORE

    def __init__(self, params: Params):
        self.first_year = params.history_start
        self.short_loop_share = np.array([s.short_loop_share for s in params.segments]
                                         + [params.scrap_store.swarf_short_loop_share])
        self.export_share = by_year([params.scrap_store.export_share], params.history_start, params.end_year)[:, 0]
        ban = params.policy.export_ban_year
        if ban is not None:
            self.export_share[max(ban - params.history_start, 0):] = 0.0
        self.pools = {"short_loop": lots.empty(params), "long_loop_only": lots.empty(params)}
        # each pool's mass [kg], summed again only after the pool changed: vessels ask for it at
        # every wake-up, several times between two changes
        self._held = dict.fromkeys(self.pools, 0.0)

    def deposit(self, year: int, lot: np.ndarray, exportable: bool = True) -> np.ndarray:
        """Store a lot [kg by origin slot and element]; return the part exported (scrap bought in
        from outside the recycling chain can be exported; swarf of re-sintering stays with the recycler)."""
        share = self.export_share[year - self.first_year] if exportable else 0.0
        exported = _deposit(self.pools["short_loop"], self.pools["long_loop_only"], lot, share, self.short_loop_share)
        self._held = dict.fromkeys(self.pools)
        return exported

    def available(self, grades: tuple[str, ...]) -> float:
        """Scrap [kg] the pools of `grades` hold (asked at every wake-up of a vessel)."""
        kg = 0.0
        for grade in grades:
            kg += self._mass(grade)
        return float(kg)

    def _mass(self, grade: str) -> float:
        held = self._held[grade]
        if held is None:
            held = self._held[grade] = float(self.pools[grade].sum())
        return held

    def take(self, grades: tuple[str, ...], kg: float, reserve: float = 0.0) -> np.ndarray:
        """Remove `kg` from the grades in order, each pool giving up its origins pro rata; `reserve`
        [kg] of short-loop scrap stays for the HPMS plants (a long-loop plant takes only the rest)."""
        taken = None  # nothing taken yet
        for grade in grades:
            pool = self.pools[grade]
            held = self._mass(grade)
            amount = min(kg, held - (reserve if grade == "short_loop" else 0.0))
            if amount <= 0 or held <= 0:
                continue
            if amount >= held:
                part = pool.copy()
                pool[:] = 0.0
                self._held[grade] = 0.0
            else:
                part = pool * (amount / held)
                pool -= part
                self._held[grade] = None
            taken = part if taken is None else taken + part
            kg -= amount
        return np.zeros(self.pools["short_loop"].shape) if taken is None else taken

    def stock(self) -> np.ndarray:
        return lots.mass(self.pools["short_loop"] + self.pools["long_loop_only"])

    def element_stock(self) -> np.ndarray:
        return (self.pools["short_loop"] + self.pools["long_loop_only"]).sum(axis=0)


@njit(cache=True)
def _deposit(short_loop: np.ndarray, long_loop_only: np.ndarray, lot: np.ndarray, export_share: float,
             short_loop_share: np.ndarray) -> np.ndarray:
    """ScrapStore.deposit in one pass: the `export_share` of `lot` [kg by origin slot and element]
    is exported (returned); of the rest, each origin's `short_loop_share` goes to the short-loop
    pool and the remainder to the long-loop-only pool (both updated in place)."""
    exported = np.empty(lot.shape)
    for i in range(lot.shape[0]):
        for e in range(lot.shape[1]):
            exported[i, e] = lot[i, e] * export_share
            kept = lot[i, e] - exported[i, e]
            short = kept * short_loop_share[i]
            short_loop[i, e] += short
            long_loop_only[i, e] += kept - short
    return exported
