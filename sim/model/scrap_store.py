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
        # each pool's mass [kg], summed where the pool changes (deposits and takes): vessels ask
        # for it at every wake-up, several times between two changes
        self._held = dict.fromkeys(self.pools, 0.0)
        self.deposits = 0  # deposits so far: plants waiting for feed know whether any came

    def deposit(self, year: int, lot: np.ndarray, exportable: bool = True) -> np.ndarray:
        """Store a lot [kg by origin slot and element]; return the part exported (scrap bought in
        from outside the recycling chain can be exported; swarf of re-sintering stays with the recycler)."""
        share = self.export_share[year - self.first_year] if exportable else 0.0
        exported, short_loop, long_loop_only = _deposit(self.pools["short_loop"], self.pools["long_loop_only"], lot,
                                                        share, self.short_loop_share)
        self._held = {"short_loop": short_loop, "long_loop_only": long_loop_only}
        self.deposits += 1
        return exported

    def available(self, grades: tuple[str, ...]) -> float:
        """Scrap [kg] the pools of `grades` hold (asked at every wake-up of a vessel)."""
        kg = 0.0
        for grade in grades:
            kg += self._held[grade]
        return float(kg)

    def take(self, grades: tuple[str, ...], kg: float, reserve: float = 0.0) -> np.ndarray:
        """Remove `kg` from the grades in order, each pool giving up its origins pro rata; `reserve`
        [kg] of short-loop scrap stays for the HPMS plants (a long-loop plant takes only the rest)."""
        taken = None  # nothing taken yet
        for grade in grades:
            pool = self.pools[grade]
            held = self._held[grade]
            amount = min(kg, held - (reserve if grade == "short_loop" else 0.0))
            if amount <= 0 or held <= 0:
                continue
            if amount >= held:
                part = pool.copy()
                pool[:] = 0.0
                self._held[grade] = 0.0
            else:
                part, self._held[grade] = _take_share(pool, amount / held)
            taken = part if taken is None else taken + part
            kg -= amount
        return np.zeros(self.pools["short_loop"].shape) if taken is None else taken

    def stock(self) -> np.ndarray:
        return lots.mass(self.pools["short_loop"] + self.pools["long_loop_only"])

    def element_stock(self) -> np.ndarray:
        return (self.pools["short_loop"] + self.pools["long_loop_only"]).sum(axis=0)


@njit(cache=True)
def _deposit(short_loop: np.ndarray, long_loop_only: np.ndarray, lot: np.ndarray, export_share: float,
             short_loop_share: np.ndarray) -> tuple[np.ndarray, float, float]:
    """ScrapStore.deposit in one pass: the `export_share` of `lot` [kg by origin slot and element]
    is exported; of the rest, each origin's `short_loop_share` goes to the short-loop pool and the
    remainder to the long-loop-only pool (both updated in place). Returns the exported part and
    the mass of each pool after the deposit [kg]."""
    exported = np.empty(lot.shape)
    for i in range(lot.shape[0]):
        for e in range(lot.shape[1]):
            exported[i, e] = lot[i, e] * export_share
            kept = lot[i, e] - exported[i, e]
            short = kept * short_loop_share[i]
            short_loop[i, e] += short
            long_loop_only[i, e] += kept - short
    return exported, short_loop.sum(), long_loop_only.sum()


@njit(cache=True)
def _take_share(pool: np.ndarray, share: float) -> tuple[np.ndarray, float]:
    """The `share` of every origin and element of `pool` [kg by origin slot and element], taken out
    of it in place: (the part taken, the mass left in the pool [kg])."""
    part = np.empty(pool.shape)
    left = 0.0
    for i in range(pool.shape[0]):
        for e in range(pool.shape[1]):
            part[i, e] = pool[i, e] * share
            pool[i, e] -= part[i, e]
            left += pool[i, e]
    return part, left
