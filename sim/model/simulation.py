"""One replication of the flow model: the stages as SimPy processes over lots, and the record.

A clock process steps through the periods and moves each period's material through the stages in
flow order (magnet making and market, in use, end of life, collection, dismantling, scrap store,
plants, metal and alloy making);
HPMS vessels run batches in continuous time, each campaign an event of its own. Before start_year
only the installed base runs, so that it starts with the age structure of its history.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import simpy
from numba import njit
from threadpoolctl import ThreadpoolController

from ..config.parameters import Params
from ..config.series import by_year
from ..config.values import ELEMENTS, ORIGINS
from . import lots
from .graph import (
    BONDED_MAKING,
    COLLECTION,
    DISMANTLING,
    END_OF_LIFE,
    IN_USE,
    MAGNET_IMPORTS,
    MAGNET_MAKING,
    MARKET,
    METAL_ALLOY_MAKING,
    ORIGIN_NODES,
    OTHER_USES,
    OXIDE_EXPORT,
    PRIMARY_SUPPLY,
    PROCESS_LOSS,
    PRODUCT_IMPORTS,
    RECYCLED_EXPORT,
    SCRAP_EXPORT,
    SCRAP_IMPORT,
    SCRAP_STORE,
    SHREDDER_LOSS,
    STOCKPILE,
    UNCOLLECTED,
    FlowGraph,
    flow_graph,
)
from .industry import BondedMaking, MagnetMaking, MetalAlloyMaking
from .installed_base import EndOfLife, InUse
from .ledger import Ledger, add_lot, add_mass
from .market import Market
from .plants import RARE_EARTHS, Campaign, HpmsPlant, LongLoopPlant
from .random_streams import stream
from .scrap_store import ScrapStore
from .supply import Entry, PrimarySupply
from .treatment import Collection, Dismantling

#: elements whose recycled content is reported one by one
REPORTED_ELEMENTS = RARE_EARTHS
#: longest history (steps) computed at once in expected mode: its cost grows with the square of
#: the steps (about 5 ms for 30 years of monthly steps), so daily histories go step by step
HISTORY_AT_ONCE_STEPS = 1200
#: the flows of a step's supply and deliveries (Simulation._record_supply), in the order of their
#: moves: primary supply from each origin into the form it arrives in and the stockpile's
#: purchases, the primary and stockpiled feed of magnet making, region-made and bonded magnets and
#: their losses, imports, and the market's deliveries to the segments and other uses by origin
SUPPLY_FLOWS = (
    *((ORIGIN_NODES[origin], node, "primary") for node in (PRIMARY_SUPPLY, MAGNET_IMPORTS, PRODUCT_IMPORTS, STOCKPILE)
      for origin in ORIGINS),
    (PRIMARY_SUPPLY, MAGNET_MAKING, "primary"),
    (STOCKPILE, MAGNET_MAKING, "primary"),
    (MAGNET_MAKING, MARKET, "recycled"),
    (MAGNET_MAKING, MARKET, "primary"),
    (MAGNET_MAKING, PROCESS_LOSS, "recycled"),
    (BONDED_MAKING, MARKET, "recycled"),
    (BONDED_MAKING, PROCESS_LOSS, "recycled"),
    (MAGNET_IMPORTS, MARKET, "primary"),
    (PRODUCT_IMPORTS, MARKET, "primary"),
    *(flow for origin in ("primary", "post_consumer", "pre_consumer")
      for flow in ((MARKET, IN_USE, origin), (MARKET, OTHER_USES, origin))),
)
#: the flows of a step's end-of-life chain into the scrap store (Simulation._step), in the order of
#: their moves: units reaching end of use, discarded, left uncollected or collected, lost in
#: shredding, and the scrap the store receives (liberated magnets, swarf, imports) and exports
CHAIN_FLOWS = (
    (IN_USE, END_OF_LIFE, "recycled"),
    (END_OF_LIFE, COLLECTION, "recycled"),
    (COLLECTION, UNCOLLECTED, "recycled"),
    (COLLECTION, DISMANTLING, "recycled"),
    (DISMANTLING, SHREDDER_LOSS, "recycled"),
    (DISMANTLING, SCRAP_STORE, "recycled"),
    (SCRAP_STORE, SCRAP_EXPORT, "recycled"),
    (MAGNET_MAKING, SCRAP_STORE, "recycled"),
    (SCRAP_IMPORT, SCRAP_STORE, "pre_consumer"),
)
#: the BLAS libraries numpy loaded, found once per process (finding them takes about 1.5 ms)
_blas = functools.cache(ThreadpoolController)


def one_blas_thread():
    """A context in which BLAS runs one thread. A replication's matrices are small, so threads do
    not shorten it, but once the history's matrix products wake them they spin on the other cores
    for the rest of the run (measured: the same wall time at 1.6 times the CPU); parallel work goes
    through the process pool instead. The caller's setting is restored on leaving."""
    return _blas().limit(limits=1, user_api="blas")


@dataclass
class Record:
    """What one replication leaves: annual flows, end-of-year stocks, and non-flow metrics.

    stocks[node] has one row more than there are years: row 0 is the opening stock (the end of
    start_year - 1), row i the stock at the end of start_year + i - 1. `flows` and `stocks` are
    masses (summed over elements); `element_flows` and `element_stocks` the same by element.
    """

    replication: int
    graph: FlowGraph
    flows: dict[tuple[str, str, str], np.ndarray]  # [year, slot] kg
    stocks: dict[str, np.ndarray]  # [year row, slot] kg
    metrics: dict[str, np.ndarray]
    element_flows: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)  # [year, slot, element]
    element_stocks: dict[str, np.ndarray] = field(default_factory=dict)  # [year row, element] kg
    trace: list[Campaign] = field(default_factory=list)


class Simulation:
    """The nodes of one replication, wired to one ledger and one SimPy environment (years)."""

    def __init__(self, params: Params, replication: int = 0, trace: bool = False):
        self.params = params
        spy = params.steps_per_year
        self.n_steps = (params.end_year + 1 - params.history_start) * spy
        self.n_years = params.end_year + 1 - params.start_year
        n_slots = lots.n_slots(params)
        stochastic = params.mode == "stochastic"

        def rng(name):
            return stream(params.seed, replication, name) if stochastic else None

        self.replication = replication
        self.env = simpy.Environment(initial_time=params.history_start)
        self.graph = flow_graph(params)
        self.ledger = Ledger(self.graph, params.start_year, self.n_years, n_slots)
        # about 35 moves a step, recorded in two compiled calls
        self.supply_sums, self.supply_seen = self.ledger.bind(SUPPLY_FLOWS)
        self.chain_sums, self.chain_seen = self.ledger.bind(CHAIN_FLOWS)
        self.trace: list[Campaign] | None = [] if trace else None
        self.supply = PrimarySupply(params)
        self.market = Market(params, whole_units=stochastic, supply=self.supply)
        self.in_use = InUse(params, self.n_steps, rng("lifetimes"))
        self.end_of_life = EndOfLife(params, self.n_steps, rng("hoarding"))
        self.collection = Collection(params, rng("collection"))
        self.dismantling = Dismantling(params, rng("liberation"))
        self.store = ScrapStore(params)
        self.metal_alloy_making = MetalAlloyMaking(params)
        self.magnet_making = MagnetMaking(params, rng("magnet_making"))
        self.bonded_making = BondedMaking(params)
        powder_to = {"sintered": self.magnet_making, "bonded": self.bonded_making}
        self.hpms = [HpmsPlant(p, params, self.env, self.ledger, self.store, powder_to[p.product],
                               rng(f"plant:{p.name}"), self.trace)
                     for p in params.plants if p.route == "hpms"]
        self.long_loop = [LongLoopPlant(p, params, self.ledger, self.store, self.metal_alloy_making)
                          for p in params.plants if p.route == "long_loop"]
        self.export_unabsorbed = params.industry.unabsorbed == "export"
        # share of each step's separated oxide sold to other regions, and what was sold since the
        # coupled driver last collected it (a single-region run sells none)
        self.oxide_export_share = 0.0
        self.oxide_sold = lots.empty(params)
        self.imported = by_year([params.scrap_store.imported_scrap], params.history_start, params.end_year)[:, 0] / spy
        self.generic = lots.composition(params)[lots.ALL]  # imported scrap: generic sintered NdFeB
        self.kg_per_unit = np.array([s.magnet_per_unit for s in params.segments])
        self.nodes = [self.in_use, self.end_of_life, self.collection, self.dismantling, self.store,
                      *self.hpms, *self.long_loop, self.metal_alloy_making, self.magnet_making,
                      self.bonded_making, self.market, self.supply.stockpile,
                      *(Entry(name, n_slots) for name in (PRIMARY_SUPPLY, MAGNET_IMPORTS, PRODUCT_IMPORTS))]
        self.stocks = {n.name: np.zeros((self.n_years + 1, n_slots)) for n in self.nodes}
        self.element_stocks = {n.name: np.zeros((self.n_years + 1, len(ELEMENTS))) for n in self.nodes}
        self.metrics = {name: np.zeros(self.n_years) for name in ("demand", "shortage", "heavy_shortage",
                                                                  "element_shortage", "in_house_swarf")}
        self.metrics["demand_elements"] = np.zeros((self.n_years, len(ELEMENTS)))
        for element in lots.HEAVY_RARE_EARTHS:  # the stockpile's heavy rare earths at the end of the year
            self.metrics[f"stockpile:{element}"] = np.zeros(self.n_years)
        for name in ("demand_by_grade", "delivered_by_grade"):  # [year, slot, grade] kg
            self.metrics[name] = np.zeros((self.n_years, n_slots, len(params.grades)))
        self.metrics["capacity:magnet_making"] = np.array(
            [self.magnet_making.capacity(y) * spy for y in params.years], dtype=float)
        for plant in (*self.hpms, *self.long_loop):
            self.metrics[f"capacity:{plant.name}"] = np.array(
                [plant.available_capacity(y) for y in params.years], dtype=float)
        self.env.process(self._clock())

    def run(self) -> Record:
        # campaigns still running at the end stay in their plant's stock (the margin keeps a
        # campaign ending a rounding error before the horizon out of a year that is not reported)
        with one_blas_thread():
            self.env.run(until=self.params.end_year + 1 - 1e-9)
        self._snapshot(self.n_years)
        return Record(self.replication, self.graph, self.ledger.mass_flows(), self.stocks, self.metrics,
                      self.ledger.flows, self.element_stocks, self.trace or [])

    def _snapshot(self, row: int) -> None:
        """Each node's own account of its stock [kg by slot] and [kg by element], which the
        balance checks compare with the flows the ledger recorded."""
        for node in self.nodes:
            stock = node.stock()
            self.stocks[node.name][row, : stock.shape[0]] = stock  # segment-only nodes: `all` stays 0
            self.element_stocks[node.name][row] = node.element_stock()

    def _clock(self):
        params = self.params
        spy = params.steps_per_year
        first_recorded = (params.start_year - params.history_start) * spy
        begin = 0
        if params.mode == "expected" and 0 < first_recorded <= HISTORY_AT_ONCE_STEPS:  # in closed form
            self._history(first_recorded)
            begin = first_recorded
            yield self.env.timeout(params.start_year - self.env.now)
        for k in range(begin, self.n_steps):
            year = params.history_start + k // spy
            if k >= first_recorded and k % spy == 0:
                self._snapshot(year - params.start_year)
            self._step(k, year, params.history_start + k / spy)
            yield self.env.timeout(params.history_start + (k + 1) / spy - self.env.now)

    def _history(self, n_steps: int) -> None:
        """Steps 0..n_steps-1 (before start_year) of the installed base at once: what _step does in
        history, one step at a time, with the expected departures computed for every step
        together (CohortStock.settle; equal to the stepwise ones to rounding)."""
        first, spy = self.params.history_start, self.params.steps_per_year
        years = [self.market.observed(first + i) for i in range(n_steps // spy)]
        units = np.array([u for u, _ in years]).T  # [segment, year]: placed in each step of the year
        placed = np.array([lot[: lots.ALL] for _, lot in years]).transpose(1, 2, 0)  # [segment, element, year]
        self.end_of_life.settle(*self.in_use.settle(units, placed))

    def _step(self, k: int, year: int, t: float) -> None:
        ledger, kg = self.ledger, self.kg_per_unit
        if year < self.params.start_year:  # history: the installed base only
            units, placed = self.market.observed(year)
            # the `all` slot goes to other uses; discards then left the system
            self.end_of_life.discard(k, *self.in_use.turn(k, units, placed[: lots.ALL]))
            return
        delivery = self.market.deliver(year, t, self.magnet_making, self.bonded_making)
        placed = delivery.primary + delivery.post_consumer + delivery.pre_consumer
        departed, departed_lot = self.in_use.turn(k, delivery.units, placed[: lots.ALL])
        discarded, discarded_lot = self.end_of_life.discard(k, departed, departed_lot)
        self._record_supply(year, delivery)

        collected = self.collection.collect(year, discarded)
        collected_lot, uncollected_lot = lots.split_lot(discarded_lot, collected, discarded)
        self.dismantling.content.add(collected_lot)
        dismantled, liberated = self.dismantling.dismantle(year, collected)
        dismantled_lot = self.dismantling.content.remove(dismantled * kg)
        liberated_lot, lost_lot = lots.split_lot(dismantled_lot, liberated, dismantled)
        scrap = lots.from_segments(liberated_lot)  # from here on, slots are origins
        swarf = delivery.made.swarf  # swarf of primary feed in `all`
        imported = self.imported[year - self.params.history_start] * self.generic
        store = self.store
        if _chain_flows(self.chain_sums, self.chain_seen, year - self.params.start_year, departed_lot, discarded_lot,
                        uncollected_lot, collected_lot, lost_lot, scrap, swarf, imported,
                        store.deposit(year, scrap), store.deposit(year, swarf),
                        store.deposit(year, lots.in_all(imported, scrap))):
            ledger.adopt(CHAIN_FLOWS, self.chain_seen)

        for plant in self.hpms:  # after all deposits: plants take feed in the order listed
            plant.refill(year)
        # long-loop plants take the step's scrap after the HPMS plants have reserved theirs, so
        # the split between the routes does not depend on the step length (README: time steps)
        reserve = sum(plant.reserve(year) for plant in self.hpms)
        separated_before = self.metal_alloy_making.held.copy() if self.oxide_export_share > 0 else None
        for plant in self.long_loop:
            plant.process(year, reserve)
        if separated_before is not None:  # a coupled run sells a share of the step's separated oxide
            sold = (self.metal_alloy_making.held - separated_before) * self.oxide_export_share
            self.metal_alloy_making.held = self.metal_alloy_making.held - sold
            ledger.move(year, METAL_ALLOY_MAKING, OXIDE_EXPORT, sold)
            self.oxide_sold = self.oxide_sold + sold
        alloy, loss = self.metal_alloy_making.process(year)
        ledger.move(year, METAL_ALLOY_MAKING, MAGNET_MAKING, alloy)
        ledger.move(year, METAL_ALLOY_MAKING, PROCESS_LOSS, loss)
        self.magnet_making.alloy.add(alloy, t)
        if self.export_unabsorbed:  # what region-made magnets could not take this step leaves
            for node in (self.magnet_making, self.bonded_making):
                ledger.move(year, node.name, RECYCLED_EXPORT, node.unabsorbed())

    def _record_supply(self, year: int, delivery) -> None:
        """Where the step's magnets came from, where they went, and their elements (SUPPLY_FLOWS)."""
        supply, made, row = self.supply, delivery.made, year - self.params.start_year
        self.metrics["demand"][row] += delivery.demand
        self.metrics["shortage"][row] += delivery.shortage
        self.metrics["heavy_shortage"][row] += delivery.heavy_shortage
        if delivery.free_supply:  # short of Dy/Tb alone: the heavy rare earths bind
            self.metrics["element_shortage"][row] += delivery.heavy_shortage
        self.metrics["in_house_swarf"][row] += made.in_house_swarf
        self.metrics["demand_elements"][row] += delivery.demand_elements
        self.metrics["demand_by_grade"][row] += delivery.demand_by_grade
        self.metrics["delivered_by_grade"][row] += delivery.delivered_by_grade
        # the stockpile gives at most the feed's own Dy and Tb (its composition is set by the
        # market after making); what the feed did not take stays in the stockpile
        feed = made.primary_part(made.primary_feed)
        released, from_primary = supply.none_released, feed
        if supply.covered > 0:
            released = np.minimum(supply.released, feed)
            supply.stockpile.held += supply.released - released
            from_primary = feed - released
        # every entry node passes on what it receives, by origin [origin, element]
        if _supply_flows(self.supply_sums, self.supply_seen, row, supply.origin_shares(supply.feed_origins),
                         from_primary, supply.by_origin("magnets", delivery.imported_magnets),
                         supply.by_origin("magnets_in_products", delivery.imported_products), supply.bought,
                         released, made.recycled_whole, made.recycled_ree, made.primary, made.composition,
                         made.recycled_loss, made.primary_loss, delivery.bonded, delivery.bonded_loss,
                         delivery.imported_magnets, delivery.imported_products, delivery.primary,
                         delivery.post_consumer, delivery.pre_consumer):
            self.ledger.adopt(SUPPLY_FLOWS, self.supply_seen)
        held = supply.stockpile.element_stock()
        for element in lots.HEAVY_RARE_EARTHS:
            self.metrics[f"stockpile:{element}"][row] = held[ELEMENTS.index(element)]


@njit(cache=True)
def _supply_flows(sums, seen, row, feed_shares, from_primary, imported_by_origin, products_by_origin, bought, released,
                  recycled_whole, recycled_ree, primary, composition, recycled_loss, primary_loss, bonded, bonded_loss,
                  imported_magnets, imported_products, to_uses_primary, to_uses_post, to_uses_pre) -> bool:
    """The moves of SUPPLY_FLOWS into their bound sums (Ledger.bind) for year `row`: what primary
    supply's origins deliver [origin, element] (the feed of magnet making at the origins' shares
    `feed_shares`, imported magnets and products, the stockpile's purchases), magnet making's feed
    from primary and the stockpile [kg by element], the magnets made (recycled lots of HPMS powder
    and recycled alloy, `primary` kg of the primary feed's `composition`) and their loss, bonded
    magnets and theirs, imports [kg by destination slot and element], and the lots delivered by
    origin. Returns whether a flow moved for the first time."""
    n_origins, last = feed_shares.size, recycled_whole.shape[0] - 1
    new = False
    for o in range(n_origins):
        new |= add_mass(sums, seen, o, row, feed_shares[o] * from_primary)
        new |= add_mass(sums, seen, n_origins + o, row, imported_by_origin[o])
        new |= add_mass(sums, seen, 2 * n_origins + o, row, products_by_origin[o])
        new |= add_mass(sums, seen, 3 * n_origins + o, row, bought[o])
    flow = 4 * n_origins
    new |= add_mass(sums, seen, flow, row, from_primary)
    new |= add_mass(sums, seen, flow + 1, row, released)
    new |= add_lot(sums, seen, flow + 2, row, recycled_whole + recycled_ree)
    new |= add_mass(sums, seen, flow + 3, row, primary * composition)
    loss = recycled_loss.copy()  # the primary feed's loss is in `all`
    loss[last] += primary_loss * composition
    new |= add_lot(sums, seen, flow + 4, row, loss)
    new |= add_lot(sums, seen, flow + 5, row, bonded)
    new |= add_lot(sums, seen, flow + 6, row, bonded_loss)
    new |= add_mass(sums, seen, flow + 7, row, _column_sums(imported_magnets))
    new |= add_mass(sums, seen, flow + 8, row, _column_sums(imported_products))
    # slots are destinations: the segments, then other uses
    new |= add_lot(sums, seen, flow + 9, row, to_uses_primary[:last])
    new |= add_mass(sums, seen, flow + 10, row, to_uses_primary[last])
    new |= add_lot(sums, seen, flow + 11, row, to_uses_post[:last])
    new |= add_mass(sums, seen, flow + 12, row, to_uses_post[last])
    new |= add_lot(sums, seen, flow + 13, row, to_uses_pre[:last])
    new |= add_mass(sums, seen, flow + 14, row, to_uses_pre[last])
    return new


@njit(cache=True)
def _chain_flows(sums, seen, row, departed, discarded, uncollected, collected, lost, scrap, swarf, imported,
                 scrap_exported, swarf_exported, imported_exported) -> bool:
    """The moves of CHAIN_FLOWS into their bound sums (Ledger.bind) for year `row`: the units'
    magnets reaching end of use, discarded, left uncollected, collected and lost in shredding [kg by
    segment and element]; the scrap, swarf [kg by origin slot and element] and imported scrap [kg
    by element] the store received and the part of each it exported. Returns whether a flow moved
    for the first time."""
    new = add_lot(sums, seen, 0, row, departed)
    new |= add_lot(sums, seen, 1, row, discarded)
    new |= add_lot(sums, seen, 2, row, uncollected)
    new |= add_lot(sums, seen, 3, row, collected)
    new |= add_lot(sums, seen, 4, row, lost)
    new |= add_lot(sums, seen, 5, row, scrap)
    new |= add_lot(sums, seen, 6, row, scrap_exported)
    new |= add_lot(sums, seen, 7, row, swarf)
    new |= add_lot(sums, seen, 6, row, swarf_exported)
    new |= add_mass(sums, seen, 8, row, imported)
    new |= add_lot(sums, seen, 6, row, imported_exported)
    return new


@njit(cache=True)
def _column_sums(lot: np.ndarray) -> np.ndarray:
    """A lot [kg by slot and element] summed over its slots, slot after slot."""
    out = np.zeros(lot.shape[1])
    for s in range(lot.shape[0]):
        for e in range(lot.shape[1]):
            out[e] += lot[s, e]
    return out


def simulate(params: Params, replication: int = 0, trace: bool = False) -> Record:
    """Run one replication."""
    return Simulation(params, replication, trace).run()
