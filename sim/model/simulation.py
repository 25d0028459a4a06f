"""One replication of the flow model: the stages as SimPy processes over lots, and the record.

A clock process steps through the periods and moves each period's material through the stages in
flow order (magnet making and market, in use, end of life, collection, dismantling, scrap store,
plants, metal and alloy making);
HPMS vessels are processes of their own that run batches in continuous time. Before start_year
only the installed base runs, so that it starts with the age structure of its history.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import simpy
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
from .ledger import Ledger
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
        ledger.move_segments(year, IN_USE, END_OF_LIFE, departed_lot)
        ledger.move_segments(year, END_OF_LIFE, COLLECTION, discarded_lot)

        collected = self.collection.collect(year, discarded)
        collected_lot, uncollected_lot = lots.split_lot(discarded_lot, collected, discarded)
        ledger.move_segments(year, COLLECTION, UNCOLLECTED, uncollected_lot)
        ledger.move_segments(year, COLLECTION, DISMANTLING, collected_lot)
        self.dismantling.content.add(collected_lot)
        dismantled, liberated = self.dismantling.dismantle(year, collected)
        dismantled_lot = self.dismantling.content.remove(dismantled * kg)
        liberated_lot, lost_lot = lots.split_lot(dismantled_lot, liberated, dismantled)
        ledger.move_segments(year, DISMANTLING, SHREDDER_LOSS, lost_lot)
        scrap = lots.from_segments(liberated_lot)  # from here on, slots are origins
        ledger.move(year, DISMANTLING, SCRAP_STORE, scrap)
        self._deposit(year, scrap)
        swarf = delivery.made.swarf  # swarf of primary feed in `all`
        ledger.move(year, MAGNET_MAKING, SCRAP_STORE, swarf)
        self._deposit(year, swarf)
        imported = self.imported[year - self.params.history_start] * self.generic
        ledger.move_mass(year, SCRAP_IMPORT, SCRAP_STORE, imported, "pre_consumer")
        self._deposit(year, lots.in_all(imported, scrap))

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
        """Where the step's magnets came from, where they went, and their elements."""
        ledger, made, row = self.ledger, delivery.made, year - self.params.start_year
        self.metrics["demand"][row] += delivery.demand
        self.metrics["shortage"][row] += delivery.shortage
        self.metrics["heavy_shortage"][row] += delivery.heavy_shortage
        if delivery.free_supply:  # short of Dy/Tb alone: the heavy rare earths bind
            self.metrics["element_shortage"][row] += delivery.heavy_shortage
        self.metrics["in_house_swarf"][row] += made.in_house_swarf
        self.metrics["demand_elements"][row] += delivery.demand_elements
        self._record_origins(year, delivery)
        self.metrics["demand_by_grade"][row] += delivery.demand_by_grade
        self.metrics["delivered_by_grade"][row] += delivery.delivered_by_grade
        ledger.move(year, MAGNET_MAKING, MARKET, made.recycled)
        ledger.move_mass(year, MAGNET_MAKING, MARKET, made.primary_part(made.primary), "primary")
        ledger.move(year, MAGNET_MAKING, PROCESS_LOSS, made.loss)
        ledger.move(year, BONDED_MAKING, MARKET, delivery.bonded)
        ledger.move(year, BONDED_MAKING, PROCESS_LOSS, delivery.bonded_loss)
        ledger.move_mass(year, MAGNET_IMPORTS, MARKET, delivery.imported_magnets.sum(axis=0), "primary")
        ledger.move_mass(year, PRODUCT_IMPORTS, MARKET, delivery.imported_products.sum(axis=0), "primary")
        for origin in ("primary", "post_consumer", "pre_consumer"):
            lot = getattr(delivery, origin)  # slots are destinations: segments, then other uses
            ledger.move_segments(year, MARKET, IN_USE, lot[: lots.ALL], origin)
            ledger.move_mass(year, MARKET, OTHER_USES, lot[lots.ALL], origin)

    def _record_origins(self, year: int, delivery) -> None:
        """Primary supply from each origin into the form it arrives in [kg by element], the
        stockpile's purchases and releases; every entry node passes on what it receives."""
        ledger, supply, made, row = self.ledger, self.supply, delivery.made, year - self.params.start_year
        feed = made.primary_part(made.primary_feed)
        # the stockpile gives at most the feed's own Dy and Tb (its composition is set by the
        # market after making); what the feed did not take stays in the stockpile
        released, from_primary = supply.none_released, feed
        if supply.covered > 0:
            released = np.minimum(supply.released, feed)
            supply.stockpile.held += supply.released - released
            from_primary = feed - released
        arrivals = {
            PRIMARY_SUPPLY: supply.origin_shares(supply.feed_origins)[:, None] * from_primary,
            MAGNET_IMPORTS: supply.by_origin("magnets", delivery.imported_magnets),
            PRODUCT_IMPORTS: supply.by_origin("magnets_in_products", delivery.imported_products),
            STOCKPILE: supply.bought,
        }
        for node, by_origin in arrivals.items():  # [origin, element]
            for i, origin in enumerate(ORIGINS):
                ledger.move_mass(year, ORIGIN_NODES[origin], node, by_origin[i], "primary")
        ledger.move_mass(year, PRIMARY_SUPPLY, MAGNET_MAKING, from_primary, "primary")
        ledger.move_mass(year, STOCKPILE, MAGNET_MAKING, released, "primary")
        held = supply.stockpile.element_stock()
        for element in lots.HEAVY_RARE_EARTHS:
            self.metrics[f"stockpile:{element}"][row] = held[ELEMENTS.index(element)]

    def _deposit(self, year: int, lot: np.ndarray) -> None:
        exported = self.store.deposit(year, lot)
        self.ledger.move(year, SCRAP_STORE, SCRAP_EXPORT, exported)


def simulate(params: Params, replication: int = 0, trace: bool = False) -> Record:
    """Run one replication."""
    return Simulation(params, replication, trace).run()
