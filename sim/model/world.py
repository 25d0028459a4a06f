"""Several regions in one run: each region's simulation steps in lockstep with the others, and
between steps the driver settles China's export pool (how much of each region's primary supply
arrives next step) and the trade (each region's scrap exports and the separated oxide it sells in
the step go to the others by the trade shares, and arrive before their next step). The single-region step is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..config.errors import ConfigError
from ..config.parameters import SupplyShock
from ..config.world import World
from .graph import METAL_ALLOY_MAKING, OXIDE_IMPORT, SCRAP_EXPORT, SCRAP_IMPORT, SCRAP_STORE
from .simulation import Record, Simulation, one_blas_thread

#: the clock's steps are at history_start + k / steps_per_year; a region runs up to just before the next
EPSILON = 1e-9


@dataclass
class CoupledRecord:
    """What one coupled replication leaves: each region's record, the trade between regions and the pool."""

    regions: dict[str, Record]
    trade: dict[tuple[str, str], np.ndarray]  # (exporter, destination) -> [year] kg of scrap
    oxide_trade: dict[tuple[str, str], np.ndarray]  # (exporter, destination) -> [year] kg of separated oxide
    asked: dict[str, np.ndarray]  # region -> [year] kg asked of China
    delivered: dict[str, np.ndarray]  # region -> [year] kg China's pool allotted
    licensed: dict[str, np.ndarray]  # region -> [year] kg of the allotment its licences let through
    pool: np.ndarray  # [year] kg: what China let the regions have


class CoupledRun:
    """The regions of a World, simulated together for one replication."""

    def __init__(self, world: World, replication: int = 0):
        self.world = world
        codes = list(world.regions)
        first = world.regions[codes[0]]
        for code in codes[1:]:
            for key in ("history_start", "start_year", "end_year", "steps_per_year"):
                if getattr(world.regions[code], key) != getattr(first, key):
                    raise ConfigError(f"{code}.{key}", getattr(world.regions[code], key),
                                      f"{getattr(first, key)}, as in {codes[0]} (regions run in lockstep)")
        self.first = first
        self.sims = {code: Simulation(params, replication) for code, params in world.regions.items()}
        self.policies = {code: sim.market.policy for code, sim in self.sims.items()}
        self.slots = {code: [s.name for s in params.segments] for code, params in world.regions.items()}
        for name, table in (("trade", world.trade), ("oxide_trade", world.oxide_trade)):
            for exporter, row in table.items():
                for destination, shares in row.items():
                    if max(shares.values) > 0 and sorted(self.slots[exporter]) != sorted(self.slots[destination]):
                        raise ConfigError(f"world.{name}.{exporter}.{destination}", list(shares.values),
                                          f"0: recycled material travels by segment of origin, and {exporter} and "
                                          f"{destination} differ in theirs")
        n_years = first.end_year + 1 - first.start_year
        self.trade = {(e, d): np.zeros(n_years) for e, row in world.trade.items() for d in row}
        self.oxide_trade = {(e, d): np.zeros(n_years) for e, row in world.oxide_trade.items() for d in row}
        self.asked = {code: np.zeros(n_years) for code in codes}
        self.delivered = {code: np.zeros(n_years) for code in codes}
        self.licensed = {code: np.zeros(n_years) for code in codes}
        self.given = {code: 0.0 for code in codes}  # the pool's allotment of the step [kg]
        self.pool = np.zeros(n_years)
        self.exported = {code: None for code in codes}  # (exports recorded so far, their year): a lot by slot
        self.demand_seen = {code: 0.0 for code in codes}

    def run(self) -> CoupledRecord:
        p = self.first
        spy = p.steps_per_year
        n_steps = (p.end_year + 1 - p.history_start) * spy
        last_demand = {code: 0.0 for code in self.sims}
        with one_blas_thread():  # as in Simulation.run: the regions' environments are stepped here
            for k in range(n_steps):
                year = p.history_start + k // spy
                t = p.history_start + k / spy
                recording = year >= p.start_year
                if recording:
                    self._settle_pool(year, t, t + 1 / spy, last_demand)
                    for code, sim in self.sims.items():  # the share of the step's separated oxide sold
                        sim.oxide_export_share = sum(float(s.at(year)) for s in self.world.oxide_trade[code].values())
                until = p.history_start + (k + 1) / spy - (2 if k == n_steps - 1 else 1) * EPSILON
                for sim in self.sims.values():
                    sim.env.run(until=until)
                if recording:
                    last_demand = self._step_demand(year)
                    self._settle_licences(year)
                    self._settle_trade(year)
        records = {code: sim.run() for code, sim in self.sims.items()}
        return CoupledRecord(records, self.trade, self.oxide_trade, self.asked, self.delivered, self.licensed,
                             self.pool)

    def _step_demand(self, year: int) -> dict[str, float]:
        """Each region's demand of the step just run [kg] (the metric accumulates over the year)."""
        row = year - self.first.start_year
        demand = {}
        for code, sim in self.sims.items():
            total = float(sim.metrics["demand"][row])
            seen = self.demand_seen[code] if total >= self.demand_seen[code] else 0.0  # a new year
            demand[code], self.demand_seen[code] = total - seen, total
        return demand

    def _settle_pool(self, year: int, start: float, end: float, demand: dict[str, float]) -> None:
        """Share China's pool of the coming step among the regions and set each one's primary
        availability: a region asks China for its China share of what it needed the step before."""
        pool, row = self.world.pool, year - self.first.start_year
        share = {code: float(pool.china_share[code].at(year)) for code in self.sims}
        asked = {code: share[code] * demand[code] for code in self.sims}
        total = sum(asked.values())
        size = total if pool.capacity is None else float(pool.capacity.at(year)) * (end - start)
        if year >= pool.cut_from:
            size *= 1.0 - pool.cut_share
        given = _fill(asked, pool.weights, size)
        self.pool[row] += min(size, total)
        for code, sim in self.sims.items():
            self.asked[code][row] += asked[code]
            self.delivered[code][row] += given[code]
            self.given[code] = given[code]
            factor = given[code] / asked[code] if asked[code] > 0 else 1.0
            availability = 1.0 - share[code] * (1.0 - factor)
            policy = self.policies[code]
            if availability < 1.0 - 1e-12:  # a shock of one step, on top of the region's own policy
                policy = replace(policy, supply_shocks=(*policy.supply_shocks, SupplyShock(start, end, availability)))
            sim.market.policy = policy
            sim.supply.shocks = policy.supply_shocks  # primary supply applies the cut

    def _settle_licences(self, year: int) -> None:
        """What of each region's allotment its own licences let through in the step just run: the
        allotment x the share of what the region asked of China (every form, before the pool's cut)
        that its licences passed (1 without licences)."""
        row = year - self.first.start_year
        for code, sim in self.sims.items():
            asked = sum(kg for kg, _ in sim.supply.licensed.values())
            passed = sum(kg for _, kg in sim.supply.licensed.values())
            factor = passed / asked if asked > 0 and passed != asked else 1.0
            self.licensed[code][row] += self.given[code] * factor

    def _settle_trade(self, year: int) -> None:
        """The step's scrap exports of each region go to the others by the trade shares (the rest
        leaves the regions); what arrives is stored for the region's plants and not exported again.
        The separated oxide each region sold in the step (its oxide-trade shares of what its long
        loop separated) goes to the destinations in proportion to their shares and joins their
        metal and alloy making, which makes it into alloy for their magnet making."""
        row = year - self.first.start_year
        arrivals = []
        for exporter, sim in self.sims.items():
            flows = sim.ledger.flows.get((SCRAP_STORE, SCRAP_EXPORT, "recycled"))
            if flows is None:
                continue
            so_far = flows[row].copy()
            before = self.exported[exporter]
            step = so_far - (before[0] if before is not None and before[1] == year else 0.0)
            self.exported[exporter] = (so_far, year)
            for destination, shares in self.world.trade[exporter].items():
                part = float(shares.at(year))
                if part <= 0 or not step.any():
                    continue
                arrivals.append((exporter, destination, self._to_slots(step * part, exporter, destination)))
        oxide = []
        for exporter, sim in self.sims.items():  # separated oxide sold this step, all of it to the regions
            sold, sim.oxide_sold = sim.oxide_sold, np.zeros_like(sim.oxide_sold)
            shares = {d: float(s.at(year)) for d, s in self.world.oxide_trade[exporter].items()}
            total = sum(shares.values())
            if total <= 0 or not sold.any():
                continue
            for destination, part in shares.items():
                if part > 0:
                    oxide.append((exporter, destination, self._to_slots(sold * (part / total), exporter, destination)))
        for exporter, destination, lot in arrivals:  # after every region's exports are read
            target = self.sims[destination]
            target.ledger.move(year, SCRAP_IMPORT, SCRAP_STORE, lot)
            target.store.deposit(year, lot, exportable=False)  # bought to be recycled there, not sold on
            self.trade[(exporter, destination)][row] += float(lot.sum())
        for exporter, destination, lot in oxide:  # made into metal and alloy there, for its magnet making
            target = self.sims[destination]
            target.ledger.move(year, OXIDE_IMPORT, METAL_ALLOY_MAKING, lot)
            target.metal_alloy_making.receive(lot)
            self.oxide_trade[(exporter, destination)][row] += float(lot.sum())

    def _to_slots(self, lot: np.ndarray, exporter: str, destination: str) -> np.ndarray:
        """A lot of the exporter's slots in the destination's slot order (segments by name, swarf last)."""
        if self.slots[exporter] == self.slots[destination]:
            return lot
        order = [self.slots[exporter].index(name) for name in self.slots[destination]] + [len(self.slots[exporter])]
        return lot[order]


def _fill(asked: dict[str, float], weights: dict[str, float], size: float) -> dict[str, float]:
    """Share `size` among the askers in proportion to weight x ask, none getting more than it asked
    (what a capped region leaves goes to the others)."""
    given = {code: 0.0 for code in asked}
    open_ = {code for code, kg in asked.items() if kg > 0}
    left = size
    while open_ and left > 1e-12:
        basis = sum(weights[c] * asked[c] for c in open_)
        if basis <= 0:
            break
        capped = {c for c in open_ if given[c] + left * weights[c] * asked[c] / basis >= asked[c] - 1e-12}
        if not capped:
            for c in open_:
                given[c] += left * weights[c] * asked[c] / basis
            break
        for c in capped:
            left -= asked[c] - given[c]
            given[c] = asked[c]
        open_ -= capped
    return given


def simulate_world(world: World, replication: int = 0) -> CoupledRecord:
    """Run one coupled replication."""
    return CoupledRun(world, replication).run()
