"""Node `market`: new-magnet demand met from where magnets come from, recycled material first.

Demand is the placed-on-market magnet mass of every segment plus other uses. Each segment's
magnets arrive inside imported products (`imported_product_share`) or are bought as magnets:
made in the region (bonded magnets for the uses that take them, then sintered magnets up to
magnet-making capacity) or imported. Recycled material enters only region-made magnets. Primary
supply (imports and the primary feed of magnet making) arrives as far as its availability allows
(an export-licence shock delivers only a share); the gap is a shortage, and products short of
magnets are not placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.parameters import Params
from ..config.series import by_year
from . import lots
from .graph import MARKET
from .industry import BondedMaking, Made, MagnetMaking


@dataclass
class Delivery:
    """One step's deliveries [kg]: per destination slot (segments, then other uses) and origin,
    and where the magnets came from."""

    primary: np.ndarray
    post_consumer: np.ndarray
    pre_consumer: np.ndarray
    units: np.ndarray  # units placed per segment
    demand: float
    shortage: float
    made: Made  # sintered magnets made in the region
    bonded: np.ndarray  # bonded magnets made in the region, by origin slot
    bonded_loss: np.ndarray
    imported_magnets: float
    imported_products: float  # magnets inside imported products


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
        products = by_year([s.imported_product_share for s in params.segments], first, last)
        self.product_share = np.hstack([products, np.zeros((products.shape[0], 1))])  # other uses: bought
        self.in_scope = np.array([s.in_target_scope for s in params.segments] + [False])
        self.policy = params.policy
        self.whole_units = whole_units
        self.wanted = WholeUnits(len(params.segments))  # units demanded
        self.served = WholeUnits(len(params.segments))  # units served while supply is short
        self.held = 0.0  # region-made primary magnets [kg] waiting for whole units (stochastic mode)

    def deliver(self, year: int, t: float, making: MagnetMaking, bonded: BondedMaking) -> Delivery:
        """Meet one step's demand at time t [yr] in calendar `year`."""
        row = year - self.first_year
        units = self.units_per_year[row] / self.steps_per_year
        if self.whole_units:  # stochastic mode places whole units
            units = self.wanted.take(units)
        wanted = np.append(units * self.kg_per_unit, self.other_uses[row] / self.steps_per_year)
        demand = wanted.sum()
        # history is observed placement: shocks act from the start of the study period only
        availability = self.policy.primary_availability(t) if year >= self.start_year else 1.0
        bought = wanted * (1.0 - self.product_share[row])  # bought as magnets, not in products
        bonded_made, bonded_loss = bonded.make(t, year, bought[~self.in_scope].sum())
        sintered = min(making.capacity(year), bought.sum() - bonded_made.sum())
        made = making.make(t, sintered, availability)
        imported = (bought.sum() - bonded_made.sum() - sintered) * availability
        in_products = (demand - bought.sum()) * availability
        supplied = bonded_made.sum() + made.total + imported + in_products
        served = supplied / demand if demand > 0 and availability < 1.0 else 1.0
        delivered, placed_units = wanted * served, units * served
        if self.whole_units and (availability < 1.0 or self.held > 0):
            if availability < 1.0:
                placed_units = self.served.take(placed_units)
            delivered = np.append(placed_units * self.kg_per_unit, delivered[-1])
            # imports make up the rounding to whole units; region-made primary magnets that whole
            # units cannot take (less than a unit's) wait in the market for the next step
            excess = supplied + self.held - delivered.sum()
            self.held = 0.0
            imported -= excess
            if imported < 0:
                in_products, imported = in_products + imported, 0.0
            if in_products < 0:
                self.held, in_products = -in_products, 0.0
        # bonded magnets go to the uses that take them, sintered recycled magnets to any use; short
        # of primary supply (expected mode), recycled magnets are placed first and primary ones
        # share out the rest, so no recycled magnet is counted as primary
        short = availability < 1.0 and not self.whole_units and demand > 0
        bought = (wanted if short else delivered) * (1.0 - self.product_share[row])
        to_bonded = _pro_rata(np.where(self.in_scope, 0.0, bought), bonded_made.sum())
        to_sintered = allocate(bought - to_bonded, float(made.recycled.sum()), self.in_scope,
                               self.policy.allocation_in(year))
        post = _post_share(bonded_made) * to_bonded + _post_share(made.recycled) * to_sintered
        recycled_to = to_bonded + to_sintered
        primary = delivered - recycled_to
        if short:
            primary = _pro_rata(wanted - recycled_to, supplied - recycled_to.sum())
            delivered = recycled_to + primary
            placed_units = units * np.divide(delivered[:-1], wanted[:-1], out=np.zeros_like(units),
                                             where=wanted[:-1] > 0)
        return Delivery(
            primary=np.maximum(primary, 0.0),
            post_consumer=post,
            pre_consumer=recycled_to - post,
            units=placed_units,
            demand=demand,
            shortage=max(demand - delivered.sum(), 0.0),
            made=made,
            bonded=bonded_made,
            bonded_loss=bonded_loss,
            imported_magnets=imported,
            imported_products=in_products,
        )

    def stock(self) -> np.ndarray:
        return lots.in_all(self.held, np.zeros(len(self.in_scope)))  # otherwise magnets pass straight to their uses


def allocate(room: np.ndarray, recycled: float, in_scope: np.ndarray, rule: str) -> np.ndarray:
    """Recycled magnets [kg] per destination slot out of `recycled` [kg], for `room` [kg per slot]
    that region-made magnets can fill (at most all of it).

    rule (Policy.allocation_in): `proportional` spreads them pro rata to the room; `preferential`
    fills the target-scope slots first (pro rata among them) and spreads the rest over the others.
    """
    if rule == "proportional":
        return _pro_rata(room, recycled)
    scope = np.where(in_scope, room, 0.0)
    to_scope = _pro_rata(scope, min(recycled, scope.sum()))
    rest = np.where(in_scope, 0.0, room)
    return to_scope + _pro_rata(rest, recycled - to_scope.sum())


def _pro_rata(room: np.ndarray, kg: float) -> np.ndarray:
    """`kg` spread over destinations in proportion to their room (at most all of it)."""
    total = room.sum()
    if kg <= 0 or total <= 0:
        return np.zeros_like(room)
    return room * min(kg / total, 1.0)


def _post_share(lot: np.ndarray) -> float:
    """Post-consumer share of a recycled lot by origin slot (swarf is in the `all` slot)."""
    total = lot.sum()
    return float(lots.segments_only(lot).sum() / total) if total > 0 else 0.0
