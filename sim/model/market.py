"""Node `market`: new-magnet demand met by recycled magnets first, then primary supply.

Demand is the placed-on-market magnet mass of every segment plus other uses. Recycled magnets
(re-sintered or from long-loop oxides) are used first; primary supply covers the rest as far as
its availability allows (an export-licence shock delivers only a share); the gap is a shortage,
and products short of magnets are not placed. Regional magnet making yields pre-consumer swarf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.parameters import Params
from ..config.series import by_year
from . import lots
from .graph import MARKET

#: time from making a recycled magnet to its delivery [yr]: a month, whatever the step length, so
#: the recycled content of a year does not depend on steps_per_year (steps longer than a month
#: deliver at the next step)
LEAD_TIME = 1.0 / 12


@dataclass
class Delivery:
    """One step's deliveries [kg]: per destination slot (segments, then other uses) and origin."""

    primary: np.ndarray
    post_consumer: np.ndarray
    pre_consumer: np.ndarray
    units: np.ndarray  # units placed per segment
    demand: float
    shortage: float
    swarf: float  # pre-consumer swarf of regional magnet making


class WholeUnits:
    """Whole units out of fractional amounts per step: the running total is rounded down, so no
    fraction is lost over time (3.4 units a step gives 3, 3, 4, 3, 4, ...)."""

    def __init__(self, n: int):
        self.owed = np.zeros(n)
        self.given = np.zeros(n)

    def take(self, amount: np.ndarray) -> np.ndarray:
        self.owed += amount
        whole = np.floor(self.owed + 1e-9) - self.given
        self.given += whole
        return whole


class Market:
    name = MARKET

    def __init__(self, params: Params, whole_units: bool):
        first, last = params.history_start, params.end_year
        self.first_year = first
        self.start_year = params.start_year
        self.steps_per_year = params.steps_per_year
        self.kg_per_unit = np.array([s.magnet_per_unit for s in params.segments])
        share = np.array([s.magnet_share for s in params.segments])
        self.units_per_year = by_year([s.placed_on_market for s in params.segments], first, last) * share
        self.other_uses = by_year([params.market.other_uses], first, last)[:, 0]
        made = by_year([params.market.regional_magnet_making], first, last)[:, 0]
        swarf_share = params.market.swarf_share
        # swarf is a share of magnet-making feedstock: feed = made / (1 - share), swarf = feed * share
        self.swarf_per_year = made * swarf_share / (1.0 - swarf_share)
        self.in_scope = np.array([s.in_target_scope for s in params.segments] + [False])
        self.policy = params.policy
        self.whole_units = whole_units
        self.wanted = WholeUnits(len(params.segments))  # units demanded
        self.served = WholeUnits(len(params.segments))  # units served while supply is short
        self.recycled = lots.empty(params)  # recycled magnets ready, by origin
        self.in_transit: list[tuple[float, np.ndarray]] = []  # (time ready [yr], lot) in order made

    def receive(self, lot: np.ndarray, t: float) -> None:
        """Recycled magnets [kg by origin slot] made at time t [yr], ready LEAD_TIME later."""
        if lot.any():
            self.in_transit.append((t + LEAD_TIME, lot))

    def _release(self, t: float) -> None:
        while self.in_transit and self.in_transit[0][0] <= t + 1e-9:
            self.recycled = self.recycled + self.in_transit.pop(0)[1]

    def deliver(self, year: int, t: float) -> Delivery:
        """Meet one step's demand at time t [yr] in calendar `year`."""
        self._release(t)
        row = year - self.first_year
        units = self.units_per_year[row] / self.steps_per_year
        if self.whole_units:  # stochastic mode places whole units
            units = self.wanted.take(units)
        wanted = np.append(units * self.kg_per_unit, self.other_uses[row] / self.steps_per_year)
        demand = wanted.sum()
        recycled_total = self.recycled.sum()
        recycled_used = min(recycled_total, demand)
        # history is observed placement: shocks act from the start of the study period only
        availability = self.policy.primary_availability(t) if year >= self.start_year else 1.0
        delivered, placed_units = wanted, units
        if availability < 1.0 and demand > 0:  # short of magnets: each use gets the same share
            served = (recycled_used + (demand - recycled_used) * availability) / demand
            delivered, placed_units = wanted * served, units * served
        if self.whole_units and availability < 1.0:
            placed_units = self.served.take(placed_units)
            delivered[:-1] = placed_units * self.kg_per_unit
            recycled_used = min(recycled_used, delivered.sum())
        recycled_to = allocate(delivered, recycled_used, self.in_scope, self.policy.allocation_in(year))
        used_by_origin = self.recycled * (recycled_used / recycled_total) if recycled_total > 0 else self.recycled * 0
        self.recycled = self.recycled - used_by_origin
        post_share = used_by_origin[:-1].sum() / recycled_used if recycled_used > 0 else 0.0
        return Delivery(
            # recycled_to is delivered x a share <= 1; rounding must not make primary negative
            primary=np.maximum(delivered - recycled_to, 0.0),
            post_consumer=recycled_to * post_share,
            pre_consumer=recycled_to * (1.0 - post_share),
            units=placed_units,
            demand=demand,
            shortage=max(demand - delivered.sum(), 0.0),
            swarf=self.swarf_per_year[row] / self.steps_per_year,
        )

    def stock(self) -> np.ndarray:
        return self.recycled + sum((lot for _, lot in self.in_transit), np.zeros_like(self.recycled))


def allocate(delivered: np.ndarray, recycled: float, in_scope: np.ndarray, rule: str) -> np.ndarray:
    """Recycled magnets [kg] per destination slot out of `recycled` [kg] for `delivered` [kg per slot].

    rule (Policy.allocation_in): `proportional` spreads them pro rata to deliveries; `preferential`
    fills the target-scope slots first (pro rata among them) and spreads the rest over the others.
    """
    total = delivered.sum()
    if recycled <= 0 or total <= 0:
        return np.zeros_like(delivered)
    if rule == "proportional":
        return delivered * (recycled / total)
    scope = np.where(in_scope, delivered, 0.0)
    to_scope = min(recycled, scope.sum())
    allocated = scope * (to_scope / scope.sum()) if to_scope > 0 else np.zeros_like(delivered)
    rest = np.where(in_scope, 0.0, delivered)
    if recycled > to_scope and rest.sum() > 0:
        allocated += rest * ((recycled - to_scope) / rest.sum())
    return allocated
