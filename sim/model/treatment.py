"""Collection of discarded units and dismantling (liberation of their magnets)."""

from __future__ import annotations

import numpy as np

from ..config.parameters import Params
from ..config.series import by_year
from . import lots
from .graph import COLLECTION, DISMANTLING


def split(units: np.ndarray, share: np.ndarray, rng) -> np.ndarray:
    """Units kept by a per-unit share: the expected value, or a binomial draw per segment."""
    if rng is None:
        return units * share
    return rng.binomial(units.astype(np.int64), share).astype(float)


class Collection:
    """Node `collection`: discarded units are collected (to dismantling) or not (to `uncollected`)."""

    name = COLLECTION

    def __init__(self, params: Params, rng):
        self.first_year = params.history_start
        self.rates = by_year([s.collection_rate for s in params.segments], params.history_start, params.end_year)
        self.rng = rng

    def collect(self, year: int, units: np.ndarray) -> np.ndarray:
        """Units collected out of `units` discarded in `year`."""
        return split(units, self.rates[year - self.first_year], self.rng)

    def stock(self) -> np.ndarray:
        return np.zeros(self.rates.shape[1])  # collection is a pass-through

    def element_stock(self) -> np.ndarray:
        return np.zeros(lots.N_ELEMENTS)


class Dismantling:
    """Node `dismantling`: collected units wait for dismantling capacity, then their magnets are
    liberated (to the scrap store) or lost in shredding (to `shredder_loss`)."""

    name = DISMANTLING

    def __init__(self, params: Params, rng):
        self.kg_per_unit = np.array([s.magnet_per_unit for s in params.segments])
        self.first_year = params.history_start
        self.liberation = by_year([s.liberation_rate for s in params.segments], params.history_start, params.end_year)
        capacity = by_year([s.dismantling_capacity for s in params.segments], params.history_start, params.end_year)
        self.limit_units = capacity / params.steps_per_year / self.kg_per_unit  # per step
        self.allowance = np.zeros(len(params.segments))  # units dismantling may still take
        self.rng = rng
        self.backlog = np.zeros(len(params.segments))  # units
        self.content = lots.SegmentContent(len(params.segments))  # element masses of the backlog

    def dismantle(self, year: int, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Take collected units; return (units dismantled, units whose magnets were liberated)."""
        self.backlog += units
        # unused capacity is not banked, except a fraction of a unit (stochastic: whole units)
        self.allowance = np.minimum(self.allowance, 1.0) + self.limit_units[year - self.first_year]
        limit = self.allowance if self.rng is None else np.floor(self.allowance + 1e-9)
        dismantled = np.minimum(self.backlog, limit)
        self.allowance -= dismantled
        self.backlog -= dismantled
        return dismantled, split(dismantled, self.liberation[year - self.first_year], self.rng)

    def stock(self) -> np.ndarray:
        return self.backlog * self.kg_per_unit

    def element_stock(self) -> np.ndarray:
        return self.content.held.sum(axis=0)
