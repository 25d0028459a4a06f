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
from numba import njit

from ..config.parameters import Params
from ..config.series import by_year
from ..config.values import ELEMENTS, FORMS
from . import lots
from .grades import TOLERANCE, GradeDemand, by_grade, caps, place, pro_rata
from .graph import MARKET
from .industry import BondedMaking, Made, MagnetMaking
from .lots import HEAVY
from .supply import PrimarySupply


@dataclass
class Delivery:
    """One step's deliveries: lots [kg by destination slot (segments, then other uses) and element]
    by origin, where the magnets came from, and demand and deliveries by grade."""

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
    demand_by_grade: np.ndarray  # [slot, grade] kg
    delivered_by_grade: np.ndarray  # [slot, grade] kg
    heavy_shortage: float  # shortage of magnets that need Dy or Tb [kg] (negative: held-back requests arrive)
    free_supply: bool  # whether primary supply of everything without Dy or Tb arrived in full


@dataclass(frozen=True)
class YearCells:
    """The cells of one year's demand (grades.GradeDemand.cells), flat: what every step's demand
    is split by and what the magnets of each cell are made of."""

    row: int
    composition: np.ndarray  # of each slot's new magnets [slot, element]
    cell_shares: np.ndarray  # share of a slot's demand in each of its cells [slot, cell]
    need: np.ndarray  # Dy + Tb share each cell needs [kg/kg by cell]
    controlled: np.ndarray  # cells made with Dy or Tb
    free: np.ndarray  # each slot's magnets made Dy- and Tb-free [slot, element]
    cell_composition: np.ndarray  # of each cell's magnets [cell, element]
    ones: np.ndarray  # [cell]: every cell's request arrives in full

    @classmethod
    def of(cls, grades: GradeDemand, row: int) -> YearCells:
        composition = grades.compositions[row]
        shares, need = grades.cells(grades.first_year + row, np.ones(len(composition)))
        need = need.ravel()
        controlled = need > 0
        n_cells = shares.shape[1]
        free = composition.copy()
        free[:, ELEMENTS.index("Nd")] += free[:, HEAVY].sum(axis=1)
        free[:, HEAVY] = 0.0
        cell_composition = np.where(controlled[:, None], np.repeat(composition, n_cells, axis=0),
                                    np.repeat(free, n_cells, axis=0))
        return cls(row, composition, shares, need, controlled, free, cell_composition, np.ones(len(need)))


@dataclass(frozen=True)
class StepDemand:
    """A step's own demand: units per segment, kg by slot and by cell, the part inside imported
    products and the rest bought as magnets [kg by cell], and kg by element and by grade."""

    units: np.ndarray
    fresh: np.ndarray
    total: float
    cells: np.ndarray  # [slot, cell]
    products: np.ndarray  # [cell]
    room: np.ndarray  # [cell]
    elements: np.ndarray
    by_grade: np.ndarray  # [slot, grade]


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
        magnet_free = by_year([s.magnet_free_share for s in params.segments], first, last)
        # units made without rare-earth magnets (EESM, induction motors) are not units with magnets
        self.units_per_year = by_year([s.placed_on_market for s in params.segments], first, last) * share \
            * (1.0 - magnet_free)
        self.other_uses = by_year([params.market.other_uses], first, last)[:, 0]
        products = by_year([s.imported_product_share for s in params.segments], first, last)
        self.product_share = np.hstack([products, np.zeros((products.shape[0], 1))])  # other uses: bought
        self.in_scope = np.array([s.in_target_scope for s in params.segments] + [False])
        self.policy = params.policy
        self.supply = supply
        self.grades = GradeDemand(params)
        self.whole_units = whole_units
        self.wanted = WholeUnits(len(params.segments))  # units demanded
        self.served = WholeUnits(len(params.segments))  # units served while supply is short
        self.held = 0.0  # region-made primary magnets [kg] waiting for whole units (stochastic mode)
        self.held_elements = np.zeros(len(ELEMENTS))  # and their elements [kg]
        self.composition = lots.composition(params)  # of the magnets each destination slot takes
        self.waiting = np.zeros((len(self.in_scope), 2 * len(params.grades)))  # demand [kg by slot, cell]
        # waiting for licensed supply (cells as grades.cells)
        self.scope_by_cell = np.repeat(self.in_scope, 2 * len(params.grades))  # cells: grades.GradeDemand.cells
        self.addition = by_year([params.industry.magnet_making.heavy_addition], first, last)[:, 0]
        self._cached: YearCells | None = None
        self._steady: tuple[int, StepDemand] | None = None  # (row, the step's own demand) in expected mode
        self.any_grade = np.full(len(self.in_scope), np.inf)  # Dy + Tb share of separated rare earths' magnets

    def _year(self, row: int) -> YearCells:
        """What the cells of every step of a year share (kept for the year's steps)."""
        if self._cached is None or self._cached.row != row:
            self._cached = YearCells.of(self.grades, row)
        return self._cached

    def _own_demand(self, row: int, cached: YearCells) -> StepDemand:
        """The step's own demand (without what waits): the same every step of a year in expected
        mode (kept for the year's steps), whole units of it in stochastic mode."""
        if not self.whole_units and self._steady is not None and self._steady[0] == row:
            return self._steady[1]
        units = self.units_per_year[row] / self.steps_per_year
        if self.whole_units:  # stochastic mode places whole units
            units = self.wanted.take(units)
        fresh = np.append(units * self.kg_per_unit, self.other_uses[row] / self.steps_per_year)
        cells = fresh[:, None] * cached.cell_shares
        products, room = self._split(cells, row)
        step = StepDemand(units, fresh, float(fresh.sum()), cells, products, room, fresh @ cached.composition,
                          by_grade(cells))
        if not self.whole_units:
            for array in (units, fresh, cells, products, step.room, step.elements, step.by_grade):
                array.flags.writeable = False  # shared by the year's steps
            self._steady = (row, step)
        return step

    def _split(self, cells: np.ndarray, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Demand [kg by slot, cell] as (the part inside imported products, the rest bought as
        magnets) [kg by cell]."""
        products = (cells * self.product_share[row][:, None]).ravel()
        return products, cells.ravel() - products

    def observed(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """History (before start_year): one step's units placed per segment and their magnets [kg
        by destination slot and element]. Placement then is observed and met in full, by primary
        magnets of each use's composition: nothing is collected before the study period, so no
        recycled material exists yet and there is nothing to allocate by grade."""
        row = year - self.first_year
        self.composition = self.grades.compositions[row]
        units = self.units_per_year[row] / self.steps_per_year
        if self.whole_units:
            units = self.wanted.take(units)
        wanted = np.append(units * self.kg_per_unit, self.other_uses[row] / self.steps_per_year)
        return units, lots.of_mass(wanted, self.composition)

    def deliver(self, year: int, t: float, making: MagnetMaking, bonded: BondedMaking) -> Delivery:
        """Meet one step's demand at time t [yr] in calendar `year`, grade by grade.

        Recycled magnets come first, each only to grades its own Dy + Tb supports, and first to the
        grades primary supply reaches least; separated rare earths serve any grade, and their Dy
        and Tb beyond what their own magnets need go into region-made magnets that need them.
        Primary supply fills the rest by form; what is still missing is the shortage.
        """
        row = year - self.first_year
        cached = self._year(row)
        self.composition = cached.composition  # of this year's new magnets, by slot
        step = self._own_demand(row, cached)
        units, fresh, fresh_cells = step.units, step.fresh, step.cells
        # demand a licence regime left waiting, cell by cell, is asked for again with the step's own
        cells, wanted, products, room = fresh_cells, fresh, step.products, step.room
        waited = np.count_nonzero(self.waiting) > 0
        if waited:
            cells = fresh_cells + self.waiting
            units = units + self.waiting[:-1].sum(axis=1) / self.kg_per_unit
            wanted = fresh + self.waiting.sum(axis=1)
            products, room = self._split(cells, row)
        demand, demand_fresh = wanted.sum() if waited else step.total, step.total
        supply = self.supply
        supply.begin(year, t, wanted, self.waiting if waited else None, cells)
        n_cells = cells.shape[1]
        need, controlled, composition = cached.need, cached.controlled, cached.cell_composition
        # --- primary supply by form and origin under the licence regimes (none act on history):
        # the share of each cell that arrives, by the elements its magnets contain (a Dy-only
        # licence leaves Tb-only magnets alone), and of material without Dy or Tb
        factor = dict.fromkeys(FORMS, cached.ones)
        free_share = dict.fromkeys(FORMS, 1.0)
        if not supply.free_step:  # a regime or shock cuts this step, or demand waits
            factor = {form: supply.item_shares(year, t, form, composition) for form in FORMS}
            free_share = {form: supply.item_shares(year, t, form, cached.free[lots.ALL][None])[0] for form in FORMS}
        # --- end of the supply probe

        def per_slot(kg_by_cell: np.ndarray) -> np.ndarray:
            return kg_by_cell.reshape(-1, n_cells).sum(axis=1)

        def arriving(form: str) -> np.ndarray:
            return factor[form]

        scope, rule = self.scope_by_cell, self.policy.allocation_in(year)

        order = arriving("magnets")  # recycled magnets go first where primary supply reaches least
        bonded_room = np.where(scope, 0.0, room)  # bonded magnets: uses outside the target scope
        bonded_made, bonded_loss = bonded.make(
            t, year, bonded_room.sum(), lambda ready, scale: _caps_of(bonded_room, need, ready, scale))
        to_bonded, bonded_left = place(bonded_room, need, *_mass_and_heavy(bonded_made), order, scope, rule)
        room = np.where(scope, room, bonded_left)
        batch = making.start(t, min(making.capacity(year), room.sum()),
                             lambda ready, scale: _caps_of(room, need, ready, scale))
        whole = batch.whole * batch.to_magnets
        to_whole, room = place(room, need, *_mass_and_heavy(whole), order, scope, rule)
        separated = batch.ree * batch.to_magnets  # separated rare earths serve any grade
        to_separated, room = place(room, need, lots.mass(separated), self.any_grade, order, scope, rule)
        # their Dy and Tb beyond what their own magnets need go into region-made magnets that need them
        recovered = _heavy_left(separated, to_separated, need)
        added = None  # primary Dy/Tb added to re-sintered HPMS magnets [kg by cell]
        if self.addition[row] > 0 and batch.primary_room > 0:
            taken, lifted, added, used = self._upgrade(self.addition[row], making, batch, room, need, order, scope,
                                                       rule, recovered, arriving("oxide_metal"))
            whole = whole + taken * batch.to_magnets
            to_whole = to_whole + lifted
            # the recovered Dy/Tb moves out of the separated rare earths' magnets into the lifted ones
            # (the room it leaves is filled like any other); the rest of the addition is primary
            from_recovered = added * (used / added.sum()) if used > 0 else np.zeros_like(added)
            to_separated, freed = _moved(to_separated, separated, used, from_recovered)
            added = added - from_recovered
            batch.primary_wanted = max(batch.primary_wanted - added.sum() / batch.to_magnets, 0.0)
            room = np.maximum(room + freed - lifted.sum(axis=0) - added - from_recovered, 0.0)
            recovered -= used
        left, wanted_primary = room.sum(), max(batch.primary_room, 0.0)
        region_room = room if wanted_primary >= left else room * (wanted_primary / left)
        # Dy and Tb of region-made magnets: recovered oxide, licensed primary, the stockpile
        region = region_room * supply.region_feed(year, t, region_room, need, arriving("oxide_metal"),
                                                  free_share["oxide_metal"], recovered, batch.to_magnets, n_cells)
        if added is not None:
            region = region + added
        imported = (room - region_room) * arriving("magnets")
        in_products = products * arriving("magnets_in_products")
        # what was finally asked, cell by cell, is what splits the arrivals into origins
        supply.share(year, t, "magnets", room - region_room, composition)
        supply.share(year, t, "magnets_in_products", products, composition)

        recycled_by_cell, recycled, primary_by_cell, delivered, imported_kg, products_kg = _delivered(
            to_bonded, to_whole, to_separated, region, imported, in_products, n_cells)
        short = delivered.sum() < demand * (1.0 - 1e-12)
        placed_units = units * np.divide(delivered[:-1], wanted[:-1], out=np.zeros_like(units),
                                         where=wanted[:-1] > 0) if short else units
        held_before = self.held
        if self.whole_units and (short or self.held > 0):
            if short:
                placed_units = self.served.take(placed_units)
                # a use keeps at least the whole units its recycled magnets fill
                extra = np.maximum(np.ceil(recycled[:-1] / self.kg_per_unit - 1e-9) - placed_units, 0.0)
                self.served.given += extra
                placed_units = placed_units + extra
            rounded = np.append(placed_units * self.kg_per_unit, delivered[-1])
            # imports make up the rounding to whole units; region-made primary magnets that whole
            # units cannot take (less than a unit's) wait in the market for the next step
            excess = delivered.sum() + self.held - rounded.sum()
            self.held = 0.0
            imported_kg -= excess
            if imported_kg < 0:
                products_kg, imported_kg = products_kg + imported_kg, 0.0
            if products_kg < 0:
                self.held, products_kg = -products_kg, 0.0
            primary_by_cell = _scaled_by_slot(primary_by_cell, rounded - recycled, n_cells)
            delivered = rounded
        to_products, to_imports, to_region, post, pre, sintered_lot = _sources(
            delivered, recycled, in_products, products_kg, imported_kg, to_bonded, bonded_made, to_whole, whole,
            to_separated, separated, self.composition, n_cells)
        made = making.finish(batch, region.sum())
        delivered_by_cell = recycled_by_cell + primary_by_cell
        missing = np.maximum(cells.ravel() - delivered_by_cell, 0.0) if short else np.zeros(need.shape)
        added_lot = None if added is None else self._heavy_lot(np.minimum(per_slot(added), to_region))
        region_made = self._region_made(to_region, made, lots.mass(sintered_lot), sintered_lot, held_before,
                                        np.zeros(len(ELEMENTS)), added_lot)
        primary, imported_magnets, imported_products = _primary_lots(to_products, to_imports, region_made,
                                                                     self.composition)
        # demand left unmet waits while a licence regime holds its requests back; the rest is lost
        keep = supply.waiting_share(t) if short else 0.0
        caught_up = self.waiting.sum() if waited else 0.0  # delivered this step, or waiting again
        heavy_caught_up = self.waiting.ravel()[controlled].sum() if waited else 0.0
        self.waiting = missing.reshape(-1, n_cells) * keep
        if self.whole_units:  # whole units wait
            whole = np.floor(np.maximum(units - placed_units, 0.0) * keep + 1e-9) * self.kg_per_unit
            self.waiting[:-1] = _scaled_by_slot(self.waiting[:-1].ravel(), whole, n_cells).reshape(-1, n_cells)
        # the step's shortage is its own demand less what it delivered: negative when requests held
        # back earlier arrive (the year's sum is what the year did not deliver; KPIs clip it at 0)
        return Delivery(
            primary=primary,
            post_consumer=post,
            pre_consumer=pre,
            units=placed_units,
            demand=demand_fresh,
            demand_elements=step.elements,
            shortage=(max(demand - delivered.sum(), 0.0) if short else 0.0) - caught_up,
            made=made,
            bonded=bonded_made,
            bonded_loss=bonded_loss,
            imported_magnets=imported_magnets,
            imported_products=imported_products,
            demand_by_grade=step.by_grade,
            delivered_by_grade=by_grade(delivered_by_cell.reshape(-1, n_cells)),
            heavy_shortage=(float(missing[controlled].sum()) if short else 0.0) - heavy_caught_up,
            free_supply=supply.free_step or all(free_share[form] >= 1.0 - 1e-12 for form in FORMS),
        )

    def _upgrade(self, addition: float, making: MagnetMaking, batch, room: np.ndarray, need: np.ndarray,
                 order: np.ndarray, scope: np.ndarray, rule: str, recovered: float, licensed: float):
        """Re-sintered HPMS magnets lifted to cells of a higher need than their feed's share s by
        Dy/Tb added up to `addition` [kg/kg]: a magnet of need n holds (n - s) / (1 - s) of added Dy/Tb
        per kg (so that its share is n), the rest is HPMS material. The powder still ready after the
        step's own-grade placing goes, within the plant's capacity left, to the cells above its grade
        (first where primary supply reaches least); the Dy/Tb comes from the `recovered` [kg] first,
        then from primary of which the `licensed` share [by cell] arrives, and the lift is cut to what
        arrives.
        Returns (powder taken [kg feed by origin and element], HPMS magnets placed [kg by origin and
        cell], Dy/Tb added [kg by cell], recovered Dy/Tb used [kg]); the added Dy/Tb is region-made
        magnet mass, moved from the separated rare earths' magnets or from the primary feed."""
        ready = making.powder.ready * batch.to_magnets  # magnets the ready powder would make
        mass, own = _mass_and_heavy(ready)
        none = np.zeros_like(need)
        if mass.sum() <= 0:
            return np.zeros_like(ready), np.zeros((len(mass), len(need))), none, 0.0
        above = np.where(need > own[mass > 0].min() + TOLERANCE, room, 0.0)  # cells above the feed's grade
        magnets, _ = place(above, need, mass, own + addition, order, scope, rule)  # [origin, cell]
        gap = need[None, :] - own[:, None]
        magnets = np.where(gap > TOLERANCE, magnets, 0.0)
        if magnets.sum() > batch.primary_room:  # within the plant's capacity left
            magnets *= batch.primary_room / magnets.sum()
        dy_tb = magnets * np.maximum(gap, 0.0) / (1.0 - own[:, None])
        wanted, by_cell = dy_tb.sum(), dy_tb.sum(axis=0)
        # as for region-made magnets (supply.region_feed): the part recovered Dy/Tb does not bring
        # arrives at each cell's licensed share
        served = 1.0 if wanted <= recovered else \
            (recovered + (1.0 - recovered / wanted) * (licensed * by_cell).sum()) / wanted
        magnets, dy_tb = magnets * served, dy_tb * served
        lifted = magnets - dy_tb
        feed = lifted.sum(axis=1) / batch.to_magnets
        taken = making.powder.take(making.powder.ready.sum(), feed)
        batch.whole = batch.whole + taken
        batch.primary_wanted = max(batch.primary_wanted - feed.sum(), 0.0)
        return taken, lifted, dy_tb.sum(axis=0), min(dy_tb.sum(), recovered)

    def _heavy_lot(self, kg: np.ndarray) -> np.ndarray:
        """`kg` [per slot] of Dy and Tb [kg by slot and element] in the ratio of each slot's magnets
        (Dy alone where they have neither)."""
        ratio = self.composition[:, HEAVY]
        total = ratio.sum(axis=1, keepdims=True)
        ratio = np.where(total > 0, ratio / np.where(total > 0, total, 1.0), np.eye(len(lots.HEAVY_RARE_EARTHS))[0])
        out = np.zeros((len(kg), len(ELEMENTS)))
        out[:, HEAVY] = kg[:, None] * ratio
        return out

    def _region_made(self, to_uses: np.ndarray, made: Made, to_sintered: np.ndarray, recycled: np.ndarray,
                     held_before: float, undelivered: np.ndarray, added: np.ndarray | None) -> np.ndarray:
        """Region-made primary magnets delivered [kg by destination slot and element] for `to_uses`
        [kg per slot]; sets the composition of magnet making's primary feed.

        Magnets are made to order: the primary feed makes up, with the recycled material each use
        gets (`recycled`, [slot, element], `to_sintered` kg of it), the composition of the use's
        magnets (recycled rare-earth alloy brings no iron or boron, so the primary feed brings
        them); where the recycled material has more of an element than the use needs, it stays in
        the magnets. Magnets the market holds over for whole units (stochastic mode, short of
        supply; `undelivered` [kg by element] of them recycled) mix with the next step's. The `added`
        Dy/Tb [kg by slot and element] lifting re-sintered HPMS magnets (if any) is part of the
        primary feed."""
        target = to_sintered + to_uses  # [kg per slot] of the use's composition
        if added is None:
            ordered = _to_order(to_uses, target, recycled, self.composition)
        else:
            ordered = _to_order(to_uses - lots.mass(added), target, recycled + added, self.composition) + added
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


@njit(cache=True)
def _caps_of(room: np.ndarray, need: np.ndarray, ready: np.ndarray, scale: float) -> np.ndarray:
    """The caps (grades.caps) of `ready` material [kg by origin and element] of which each kg makes
    `scale` kg of magnets, in kg of that material by origin."""
    magnets = ready * scale
    mass, heavy = _mass_and_heavy(magnets)
    return caps(room, need, mass, heavy) / scale


@njit(cache=True)
def _delivered(to_bonded: np.ndarray, to_whole: np.ndarray, to_separated: np.ndarray, region: np.ndarray,
               imported: np.ndarray, in_products: np.ndarray, n_cells: int):
    """A step's deliveries from the recycled magnets placed [kg by origin and cell] (bonded, HPMS
    powder, separated rare earths) and the primary ones [kg by cell] (region-made, imported,
    inside imported products): (recycled [kg by cell], recycled [kg by slot], primary [kg by
    cell], all [kg by slot], imported kg, kg inside products)."""
    n = region.size
    recycled_by_cell, primary_by_cell = np.zeros(n), np.zeros(n)
    recycled, delivered = np.zeros(n // n_cells), np.zeros(n // n_cells)
    imported_kg, products_kg = 0.0, 0.0
    for c in range(n):
        kg = 0.0
        for o in range(to_bonded.shape[0]):
            kg += to_bonded[o, c] + to_whole[o, c] + to_separated[o, c]
        recycled_by_cell[c] = kg
        primary_by_cell[c] = region[c] + imported[c] + in_products[c]
        recycled[c // n_cells] += kg
        delivered[c // n_cells] += primary_by_cell[c]
        imported_kg += imported[c]
        products_kg += in_products[c]
    for slot in range(recycled.size):
        delivered[slot] += recycled[slot]
    return recycled_by_cell, recycled, primary_by_cell, delivered, imported_kg, products_kg


@njit(cache=True)
def _heavy_left(separated: np.ndarray, placed: np.ndarray, need: np.ndarray) -> float:
    """Dy + Tb [kg] of `separated` rare earths [kg by origin and element] beyond what the magnets
    `placed` of them [kg by origin and cell] need (`need` [kg/kg by cell]), at least 0."""
    held, needed = 0.0, 0.0
    for o in range(separated.shape[0]):
        for e in range(HEAVY.start, HEAVY.stop):
            held += separated[o, e]
    for c in range(need.size):
        kg = 0.0
        for o in range(placed.shape[0]):
            kg += placed[o, c]
        needed += kg * need[c]
    return max(held - needed, 0.0)


@njit(cache=True)
def _mass_and_heavy(lot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mass [kg by origin] of a lot [kg by origin and element] and the Dy + Tb share of each
    origin's material: what placing by grade needs of a lot."""
    mass = lot.sum(axis=1)
    heavy = np.zeros(mass.size)
    for o in range(mass.size):
        if mass[o] > 0:
            heavy[o] = lot[o, HEAVY.start:HEAVY.stop].sum() / mass[o]
    return mass, heavy


@njit(cache=True)
def _sources(delivered: np.ndarray, recycled: np.ndarray, in_products: np.ndarray, products_kg: float,
             imported_kg: float, to_bonded: np.ndarray, bonded: np.ndarray, to_whole: np.ndarray,
             whole: np.ndarray, to_separated: np.ndarray, separated: np.ndarray, composition: np.ndarray,
             n_cells: int):
    """Where a step's magnets [kg per destination slot] came from: primary magnets (`delivered` less
    `recycled`) inside imported products, imported, and made in the region, each source where it was
    asked for first (`in_products` [kg by cell] asked inside products; `products_kg`, `imported_kg`
    arrived); and the recycled lots placed [origin, cell] of bonded magnets, HPMS powder (`whole`)
    and separated rare earths, by destination slot and element.
    Returns (in products, imported, region-made) [kg per slot], the recycled lots [slot, element] from
    the segments' scrap and from swarf (the `all` origin), and the sintered part of both."""
    primary = np.maximum(delivered - recycled, 0.0)
    to_products = _fill(primary, products_kg, in_products.reshape(-1, n_cells).sum(axis=1))
    rest = primary - to_products
    bonded_post, bonded_pre = _to_uses(to_bonded, bonded, n_cells)
    whole_post, whole_pre = _to_uses(to_whole, whole, n_cells)
    separated_post, separated_pre = _to_uses(to_separated, separated, n_cells)
    post = bonded_post + whole_post + separated_post
    pre = bonded_pre + whole_pre + separated_pre
    sintered = whole_post + whole_pre + separated_post + separated_pre
    # region-made primary magnets go first where they make up the recycled material's magnets
    # (recycled rare-earth alloy needs iron and boron), imports fill the rest
    to_region = _fill(rest, rest.sum() - imported_kg, make_up_mass(sintered, composition))
    return to_products, rest - to_region, to_region, post, pre, sintered


@njit(cache=True)
def _to_uses(placed: np.ndarray, lot: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Recycled lots [destination slot, element] for `placed` [kg by origin and cell] of `lot` [kg by
    origin and element], each origin's material keeping its composition: (from the segments' scrap,
    from swarf)."""
    n_origins, n_elements = lot.shape
    n_slots = placed.shape[1] // n_cells
    post, pre = np.zeros((n_slots, n_elements)), np.zeros((n_slots, n_elements))
    for o in range(n_origins):  # loops over scalars: a temporary array per (origin, slot) costs more
        mass = 0.0
        for e in range(n_elements):
            mass += lot[o, e]
        if mass <= 0:
            continue
        into = pre if o == n_origins - 1 else post  # the last origin is swarf
        for slot in range(n_slots):
            kg = 0.0
            for c in range(slot * n_cells, (slot + 1) * n_cells):
                kg += placed[o, c]
            if kg != 0:
                for e in range(n_elements):
                    into[slot, e] += kg * (lot[o, e] / mass)
    return post, pre


@njit(cache=True)
def _to_order(kg: np.ndarray, target: np.ndarray, recycled: np.ndarray, composition: np.ndarray) -> np.ndarray:
    """Primary magnets made to order [kg by slot and element]: `kg` [per slot] of the primary feed's
    make-up (make_up) of `target` [kg per slot] of the slots' `composition` with the `recycled`
    elements [slot, element]."""
    n_slots, n_elements = composition.shape
    wanted = np.empty(composition.shape)
    for s in range(n_slots):
        for e in range(n_elements):
            wanted[s, e] = target[s] * composition[s, e]
    shares = make_up(wanted, recycled, composition)
    for s in range(n_slots):
        for e in range(n_elements):
            shares[s, e] *= kg[s]
    return shares


@njit(cache=True)
def _primary_lots(to_products: np.ndarray, to_imports: np.ndarray, region_made: np.ndarray,
                  composition: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A step's primary magnets [kg by destination slot and element]: all of them, the imported
    ones and those inside imported products, from kg per slot inside products and imported (of
    each slot's `composition`) and the `region_made` lot."""
    primary, imported, in_products = np.empty(composition.shape), np.empty(composition.shape), \
        np.empty(composition.shape)
    for s in range(composition.shape[0]):
        bought = to_products[s] + to_imports[s]
        for e in range(composition.shape[1]):
            primary[s, e] = bought * composition[s, e] + region_made[s, e]
            imported[s, e] = to_imports[s] * composition[s, e]
            in_products[s, e] = to_products[s] * composition[s, e]
    return primary, imported, in_products


@njit(cache=True)
def make_up(target: np.ndarray, recycled: np.ndarray, composition: np.ndarray) -> np.ndarray:
    """Element shares [slot, element] of the primary feed that, with the `recycled` elements
    [slot, element], gives each slot its `target` elements as far as no element is in excess;
    a slot whose recycled material meets or exceeds every element gets its own `composition`."""
    need = np.maximum(target - recycled, 0.0)
    out = composition.copy()
    for slot in range(need.shape[0]):
        total = need[slot].sum()
        if total > 0:
            for e in range(need.shape[1]):
                out[slot, e] = need[slot, e] / total
    return out


def _moved(placed: np.ndarray, lot: np.ndarray, kg: float, into: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`kg` of Dy/Tb taken out of the magnets `placed` [kg by origin and cell] of `lot` [kg by origin
    and element], from each origin pro rata to its Dy/Tb, and put into the cells `into` [kg]:
    (placed after, room freed [kg by cell])."""
    if kg <= 0:
        return placed, np.zeros(placed.shape[1])
    heavy = lot[:, HEAVY].sum(axis=1)
    total = placed.sum(axis=1)
    moved = kg * heavy / heavy.sum()  # [by origin]
    kept = 1.0 - np.divide(moved, total, out=np.zeros_like(total), where=total > 0)
    freed = placed * (1.0 - kept)[:, None]
    return placed - freed + moved[:, None] * (into / into.sum())[None, :], freed.sum(axis=0)


def _scaled_by_slot(primary: np.ndarray, per_slot: np.ndarray, n_cells: int) -> np.ndarray:
    """Primary deliveries [kg by cell] rescaled so that each slot's cells sum to `per_slot` [kg]
    (whole units), in proportion to what each cell had (evenly if it had none)."""
    cells = primary.reshape(-1, n_cells)
    total = cells.sum(axis=1, keepdims=True)
    shares = np.divide(cells, total, out=np.full_like(cells, 1.0 / n_cells), where=total > 0)
    return (shares * np.maximum(per_slot, 0.0)[:, None]).ravel()


@njit(cache=True)
def make_up_mass(recycled: np.ndarray, composition: np.ndarray) -> np.ndarray:
    """Primary material [kg per slot] that makes magnets of each slot's `composition` out of the
    `recycled` elements [slot, element] with no element short."""
    out = np.zeros(recycled.shape[0])
    for slot in range(recycled.shape[0]):
        magnets = 0.0  # the most magnets any element makes
        for e in range(recycled.shape[1]):
            if composition[slot, e] > 0:
                magnets = max(magnets, recycled[slot, e] / composition[slot, e])
        out[slot] = max(magnets - recycled[slot].sum(), 0.0)
    return out


@njit(cache=True)
def _fill(room: np.ndarray, kg: float, prefer: np.ndarray) -> np.ndarray:
    """`kg` spread over destinations [kg per slot], to the `prefer` [kg per slot] of each first (at
    most its room), then over the room left, pro rata."""
    first = pro_rata(np.minimum(prefer, room), kg)
    return first + pro_rata(room - first, kg - first.sum())
