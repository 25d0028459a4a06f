"""The in-use stock (annual placement cohorts) and the end-of-life stock (hoarding before discard).

Both hold units by cohort and, beside them, each cohort's element content: a vintage keeps the
composition it was placed with (the mass check counts units, the element check the content).
"""

from __future__ import annotations

import numpy as np

from ..config.parameters import Params
from . import lots
from .cohorts import CohortStock, truncation_age
from .graph import END_OF_LIFE, IN_USE


class InUse:
    """Node `in_use`: units by segment and placement year, leaving by their lifetime distribution.

    Units of a placement year enter uniformly over that year (in monthly steps); lifetimes are
    continuous, so departures per step are exact expected values (or binomial draws).
    """

    name = IN_USE

    def __init__(self, params: Params, n_steps: int, rng):
        self.kg_per_unit = np.array([s.magnet_per_unit for s in params.segments])
        self.cohorts = CohortStock([s.lifetime for s in params.segments], params.steps_per_year,
                                   1.0 / params.steps_per_year, n_steps, rng, n_elements=lots.N_ELEMENTS)
        self.rows = np.arange(len(params.segments))  # every segment has cohorts

    def turn(self, k: int, units: np.ndarray, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Units placed in step k per segment, with their magnets [kg by segment and element]; returns
        the units reaching end of use in step k and their magnets."""
        return self.cohorts.turn(k, units, content, self.rows)

    def settle(self, units: np.ndarray, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The years before start_year at once in expected mode (CohortStock.settle): `units`
        [segment, year] placed in every step of each year with their magnets [segment, element,
        year]; the units and magnets reaching end of use in each step."""
        return self.cohorts.settle(units, content, units.shape[1] * self.cohorts.window)

    def stock(self) -> np.ndarray:
        return self.cohorts.total() * self.kg_per_unit

    def element_stock(self) -> np.ndarray:
        return self.cohorts.total_content().sum(axis=0)


class EndOfLife:
    """Node `end_of_life`: units past their use, kept (hoarded) for a delay before discard.

    Segments without a hoarding delay pass straight through.
    """

    name = END_OF_LIFE

    def __init__(self, params: Params, n_steps: int, rng):
        step = 1.0 / params.steps_per_year
        self.kg_per_unit = np.array([s.magnet_per_unit for s in params.segments])
        self.n_segments = len(params.segments)
        self.hoarded = np.array([s.hoarding is not None and s.hoarding.expected_value > 0
                                 for s in params.segments])
        delays = [s.hoarding for s, kept in zip(params.segments, self.hoarded) if kept]
        self.cohorts = None
        self.rows = np.flatnonzero(self.hoarded)  # the segments with cohorts
        if delays:
            max_age = max(truncation_age(d, step, n_steps) for d in delays)
            self.cohorts = CohortStock(delays, 1, step, n_steps, rng, max_age_steps=max_age,
                                       n_elements=lots.N_ELEMENTS)

    def discard(self, k: int, units: np.ndarray, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Take units reaching end of use in step k with their magnets [kg by segment and element];
        return the units discarded in step k and their magnets."""
        if self.cohorts is None:
            return units, content
        return self.cohorts.turn(k, units, content, self.rows)

    def settle(self, units: np.ndarray, content: np.ndarray) -> None:
        """Steps 0..n-1 at once in expected mode: `units` [segment, step] reaching end of use with
        their magnets [segment, element, step]; what is discarded leaves (the history before the
        study period records no flows)."""
        if self.cohorts is not None:
            self.cohorts.settle(units[self.hoarded], content[self.hoarded], units.shape[1])  # one-step cohorts

    def stock(self) -> np.ndarray:
        held = np.zeros(self.n_segments)
        if self.cohorts is not None:
            held[self.hoarded] = self.cohorts.total()
        return held * self.kg_per_unit

    def element_stock(self) -> np.ndarray:
        if self.cohorts is None:
            return np.zeros(lots.N_ELEMENTS)
        return self.cohorts.total_content().sum(axis=0)
