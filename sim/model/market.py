"""Node `market`: new-magnet demand met from where magnets come from, recycled material first.

Demand is the placed-on-market magnet mass of every segment plus other uses. Each segment's
magnets arrive inside imported products (`imported_product_share`) or are bought as magnets:
made in the region (bonded magnets for the uses that take them, then sintered magnets up to
magnet-making capacity) or imported. Recycled material enters only region-made magnets. Primary
supply (imports and the primary feed of magnet making) arrives as far as its availability allows
(an export-licence shock delivers only a share); the gap is a shortage, and products short of
magnets are not placed.

Lots are kg by slot and element. Primary magnets (imported, in imported products, or made in the
region to order) have the composition of the use they go to; recycled magnets keep the
composition of the material they were made from, whichever use they go to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.parameters import Params
from ..config.series import by_year
from ..config.values import ELEMENTS
from . import lots
from .graph import MARKET
from .industry import BondedMaking, Made, MagnetMaking
from .supply import PrimarySupply


@dataclass
class Delivery:
    """One step's deliveries: lots [kg by destination slot (segments, then other uses) and element]
    by origin, and where the magnets came from."""

    primary: np.ndarray
    post_consumer: np.ndarray
    pre_consumer: np.ndarray
    units: np.ndarray  # units placed per segment
    demand: float
    demand_elements: np.ndarray  # [kg by element]: each use's demand at its own composition
    shortage: float
    made: Made  # sintered magnets made in the region (its primary composition set here)
    bonded: np.ndarray  # bonded magnets made in the region, by origin slot and element
    bonded_loss: np.ndarray
    imported_magnets: np.ndarray  # by destination slot and element
    imported_products: np.ndarray  # magnets inside imported products, by destination slot and element


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

    def __init__(self, params: Params, whole_units: bool, supply: PrimarySupply):
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
        self.supply = supply
        self.whole_units = whole_units
        self.wanted = WholeUnits(len(params.segments))  # units demanded
        self.served = WholeUnits(len(params.segments))  # units served while supply is short
        self.held = 0.0  # region-made primary magnets [kg] waiting for whole units (stochastic mode)
        self.held_elements = np.zeros(len(ELEMENTS))  # and their elements [kg]
        self.composition = lots.composition(params)  # of the magnets each destination slot takes

    def deliver(self, year: int, t: float, making: MagnetMaking, bonded: BondedMaking) -> Delivery:
        """Meet one step's demand at time t [yr] in calendar `year`."""
        row = year - self.first_year
        units = self.units_per_year[row] / self.steps_per_year
        if self.whole_units:  # stochastic mode places whole units
            units = self.wanted.take(units)
        wanted = np.append(units * self.kg_per_unit, self.other_uses[row] / self.steps_per_year)
        demand = wanted.sum()
        # primary supply by form and origin under the licence regimes (none act on history)
        supply = self.supply
        supply.begin(year, t, wanted)
        bought = wanted * (1.0 - self.product_share[row])  # bought as magnets, not in products
        bonded_made, bonded_loss = bonded.make(t, year, bought[~self.in_scope].sum())
        sintered = min(making.capacity(year), bought.sum() - bonded_made.sum())
        made = making.make(t, sintered, supply.feed(year, t, bought))
        imported = (bought.sum() - bonded_made.sum() - sintered) * supply.share(year, t, "magnets", bought)
        in_products = (demand - bought.sum()) * supply.share(year, t, "magnets_in_products", wanted - bought)
        limited = supply.limited
        supplied = bonded_made.sum() + made.total + imported + in_products
        served = supplied / demand if demand > 0 and limited else 1.0
        delivered, placed_units = wanted * served, units * served
        held_before = self.held
        if self.whole_units and (limited or self.held > 0):
            if limited:
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
        short = limited and not self.whole_units and demand > 0
        bought = (wanted if short else delivered) * (1.0 - self.product_share[row])
        to_bonded = _pro_rata(np.where(self.in_scope, 0.0, bought), bonded_made.sum())
        to_sintered = allocate(bought - to_bonded, float(made.recycled.sum()), self.in_scope,
                               self.policy.allocation_in(year))
        (bonded_post, bonded_pre), (sintered_post, sintered_pre) = (spread(bonded_made, to_bonded),
                                                                    spread(made.recycled, to_sintered))
        post, pre = bonded_post + sintered_post, bonded_pre + sintered_pre
        recycled_to = to_bonded + to_sintered
        primary = delivered - recycled_to
        if short:
            primary = _pro_rata(wanted - recycled_to, supplied - recycled_to.sum())
            delivered = recycled_to + primary
            placed_units = units * np.divide(delivered[:-1], wanted[:-1], out=np.zeros_like(units),
                                             where=wanted[:-1] > 0)
        primary = np.maximum(primary, 0.0)
        # primary magnets by source and destination: magnets in imported products go first to the
        # uses that import products, the rest is shared between imports and region-made magnets
        to_products = _fill(primary, in_products, wanted * self.product_share[row])
        rest = primary - to_products
        # region-made primary magnets go first where they make up the recycled material's magnets
        # (recycled rare-earth alloy needs iron and boron), imports fill the rest
        recycled = sintered_post + sintered_pre
        to_region = _fill(rest, rest.sum() - imported, make_up_mass(recycled, self.composition))
        to_imports = rest - to_region
        # recycled magnets made that whole units could not take this step wait with the held ones
        undelivered = np.maximum(bonded_made.sum(axis=0) + made.recycled.sum(axis=0) - (post + pre).sum(axis=0), 0.0)
        region_made = self._region_made(to_region, made, to_sintered, recycled, held_before, undelivered)
        return Delivery(
            primary=lots.of_mass(to_products + to_imports, self.composition) + region_made,
            post_consumer=post,
            pre_consumer=pre,
            units=placed_units,
            demand=demand,
            demand_elements=wanted @ self.composition,
            shortage=max(demand - delivered.sum(), 0.0),
            made=made,
            bonded=bonded_made,
            bonded_loss=bonded_loss,
            imported_magnets=lots.of_mass(to_imports, self.composition),
            imported_products=lots.of_mass(to_products, self.composition),
        )

    def _region_made(self, to_uses: np.ndarray, made: Made, to_sintered: np.ndarray, recycled: np.ndarray,
                     held_before: float, undelivered: np.ndarray) -> np.ndarray:
        """Region-made primary magnets delivered [kg by destination slot and element] for `to_uses`
        [kg per slot]; sets the composition of magnet making's primary feed.

        Magnets are made to order: the primary feed makes up, with the recycled material each use
        gets (`recycled`, [slot, element], `to_sintered` kg of it), the composition of the use's
        magnets (recycled rare-earth alloy brings no iron or boron, so the primary feed brings
        them); where the recycled material has more of an element than the use needs, it stays in
        the magnets. Magnets the market holds over for whole units (stochastic mode, short of
        supply; `undelivered` [kg by element] of them recycled) mix with the next step's."""
        target = lots.of_mass(to_sintered + to_uses, self.composition)
        ordered = lots.of_mass(to_uses, make_up(target, recycled, self.composition))
        total = to_uses.sum()
        made.composition = ordered.sum(axis=0) / total if total > 0 else self.composition[lots.ALL]
        if held_before == 0.0 and self.held == 0.0:
            return ordered
        pool = self.held_elements + made.primary_part(made.primary) + undelivered
        kept = pool * (self.held / pool.sum()) if pool.sum() > 0 else pool
        self.held_elements = kept
        return np.outer(to_uses / total, pool - kept) if total > 0 else ordered

    def stock(self) -> np.ndarray:
        return lots.in_all(self.held, np.zeros(len(self.in_scope)))  # otherwise magnets pass straight to their uses

    def element_stock(self) -> np.ndarray:
        return self.held_elements


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


def spread(lot: np.ndarray, to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(post-consumer, pre-consumer) lots [kg by destination slot and element] giving each
    destination its part `to` [kg per slot] of a recycled `lot` [kg by origin slot and element]:
    every destination gets the same mix of origins and elements."""
    total = lot.sum()
    if total <= 0:
        none = np.zeros((to.size, lot.shape[1]))
        return none, none
    share = to / total
    return np.outer(share, lots.segments_only(lot).sum(axis=0)), np.outer(share, lot[lots.ALL])


def make_up(target: np.ndarray, recycled: np.ndarray, composition: np.ndarray) -> np.ndarray:
    """Element shares [slot, element] of the primary feed that, with the `recycled` elements
    [slot, element], gives each slot its `target` elements as far as no element is in excess;
    a slot whose recycled material meets or exceeds every element gets its own `composition`."""
    need = np.maximum(target - recycled, 0.0)
    total = need.sum(axis=1, keepdims=True)
    return np.where(total > 0, need / np.where(total > 0, total, 1.0), composition)


def make_up_mass(recycled: np.ndarray, composition: np.ndarray) -> np.ndarray:
    """Primary material [kg per slot] that makes magnets of each slot's `composition` out of the
    `recycled` elements [slot, element] with no element short."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnets = np.where(composition > 0, recycled / composition, 0.0).max(axis=1)
    return np.maximum(magnets - recycled.sum(axis=1), 0.0)


def _fill(room: np.ndarray, kg: float, prefer: np.ndarray) -> np.ndarray:
    """`kg` spread over destinations [kg per slot], to the `prefer` [kg per slot] of each first (at
    most its room), then over the room left, pro rata."""
    first = _pro_rata(np.minimum(prefer, room), kg)
    return first + _pro_rata(room - first, kg - first.sum())
