"""Recycling plants: HPMS short-loop plants (vessels running batches) that make powder, and
long-loop plants that separate the rare earths of scrap."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..config.parameters import Params, Plant
from ..config.series import by_year
from ..config.values import ELEMENTS
from . import lots
from .graph import PROCESS_LOSS, SCRAP_STORE, plant_node
from .ledger import Ledger, add_lot
from .scrap_store import ScrapStore

#: the elements a long-loop plant separates
RARE_EARTHS = ("Nd", "Pr", "Dy", "Tb")


def year_of(t: float) -> int:
    """Calendar year of time t [yr]; a step time a rounding error below a new year belongs to it."""
    return math.floor(t + 1e-9)


def separation_yield(process_yield: float) -> np.ndarray:
    """A long-loop plant's yield per element of ELEMENTS: the rare earths at `process_yield`,
    iron, cobalt and boron none (they go to process loss)."""
    return np.array([process_yield if e in RARE_EARTHS else 0.0 for e in ELEMENTS])


def sample_yield(mean: float, sd: float, rng) -> float:
    """A yield: the mean in expected mode, a beta draw with that mean and sd in stochastic mode."""
    if rng is None or sd == 0 or mean == 1.0:
        return mean
    concentration = max(mean * (1 - mean) / sd**2 - 1.0, 1.0)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


@dataclass(frozen=True)
class Campaign:
    """Back-to-back batches of one vessel: starts at `start`, batch i ends at start + (i+1)*cycle."""

    plant: str
    vessel: int
    start: float  # yr
    end: float  # yr
    batches: int


class HpmsPlant:
    """Node `hpms:<plant>`: vessels run batches of `batch_size` kg, each taking `cycle_time`.

    A vessel starts a campaign (up to `campaign_length` of back-to-back batches) when the store
    holds a whole batch of accepted feed and the capacity still allows a batch this step;
    otherwise it waits for the next step. The capacity (the schedule, capped by the vessels at mean
    availability) refills each step with capacity x step length; unused allowance is not banked
    beyond part of one batch, nor into the next year.
    """

    def __init__(self, plant: Plant, params: Params, env, ledger: Ledger, store: ScrapStore,
                 powder_to, rng, trace: list | None = None):
        """powder_to : the node that takes the powder (magnet making, or bonded magnet making)."""
        self.plant = plant
        self.name = plant_node(plant)
        self.env, self.ledger, self.store, self.powder_to = env, ledger, store, powder_to
        self.rng = rng
        self.trace = trace
        self.first_year, self.start_year = params.history_start, params.start_year
        # a campaign's powder and process loss, recorded in one compiled call (_campaign_output)
        self.output_flows = ((self.name, powder_to.name, "recycled"), (self.name, PROCESS_LOSS, "recycled"))
        self.output_sums, self.output_seen = ledger.bind(self.output_flows)
        # the feed a year may take: the schedule, capped by what the vessels process at mean
        # availability; it is the capacity reported, so utilisation never exceeds 1
        schedule = by_year([plant.capacity], params.history_start, params.end_year)[:, 0]
        self.capacity = np.minimum(schedule, plant.physical_capacity())
        self.step = 1.0 / params.steps_per_year
        self.allowance = 0.0
        self.year = None  # calendar year of the allowance
        self.empty = lots.empty(params)
        self.held: dict[int, np.ndarray] = {}  # the feed inside each running vessel
        self.max_batches = max(1, int(plant.campaign_length / plant.cycle_time + 1e-9))
        self.cycle = plant.cycle_time / plant.mean_availability  # mean time per batch [yr]
        # the store's deposit count when a vessel last found no batch to start: until the next
        # refill or deposit neither allowance nor feed grows, so the other idle vessels need not ask
        self.dry_at: int | None = None
        self.idle = plant.vessels  # vessels not running a campaign
        self.waiting: list[int] = []  # idle vessels waiting for the next refill, in the order they began to wait
        # vessels are driven by the callbacks of events (SimPy calls them in order, as it resumes the
        # processes waiting for an event) rather than a process each: a process waiting for the next
        # step costs a resumption every step
        opening = self._opening()
        if opening is not None:  # a plant that never has capacity runs no vessel
            for vessel in range(plant.vessels):
                env.timeout(max(opening - env.now, 0.0)).callbacks.append(functools.partial(self._try, vessel))

    def refill(self, year: int) -> None:
        """Start of a step: the capacity allows capacity x step of feed, plus at most a batch left
        from earlier steps of the same year: a year's feed never exceeds its capacity. The vessels
        waiting try again once the step's other work is done (an event of this time)."""
        left = min(self.allowance, self.plant.batch_size) if year == self.year else 0.0
        self.year = year
        self.allowance = left + self.capacity[year - self.first_year] * self.step
        self.dry_at = None
        waiting, self.waiting = self.waiting, []  # vessels going idle from now wait for the next refill
        refilled = self.env.event()
        refilled.callbacks.append(functools.partial(self._wake, waiting))
        refilled.succeed()

    def reserve(self, year: int) -> float:
        """Short-loop scrap [kg] the plant keeps from long-loop plants this step: what its schedule
        allows it to take, plus a batch being formed (none while it has no capacity)."""
        if self.capacity[year - self.first_year] <= 0:
            return 0.0
        return self.allowance + self.plant.batch_size

    def _opening(self) -> float | None:
        """Start of the first year the schedule gives capacity [yr], or None if it never does."""
        open_years = np.nonzero(self.capacity > 0)[0]
        return float(self.first_year + open_years[0]) if open_years.size else None

    def _batches_ready(self) -> int:
        """Batches for the next campaign of a vessel: what feed and allowance permit, shared with
        the other idle vessels, ending by the end of the step, at most `campaign_length`.

        Feed and allowance only come at step boundaries, so sharing within the step and cutting
        at its end keep every batch where one-batch campaigns would put it (a batch that crosses
        the boundary runs alone): feed, output and utilisation per year do not depend on grouping.
        """
        size = self.plant.batch_size
        allowed = int(self.allowance / size + 1e-9)
        if allowed == 0:  # the store need not be asked
            return 0
        ready = min(int(self.store.available(self.plant.accepts) / size + 1e-9), allowed)
        if ready == 0:
            return 0
        share = -(-ready // self.idle)  # round-robin over the idle vessels, as single batches go
        now = self.env.now
        steps_done = math.floor((now - self.first_year) / self.step + 1e-9)
        to_step_end = self.first_year + (steps_done + 1) * self.step - now
        return min(self.max_batches, share, max(1, int(to_step_end / self.cycle + 1e-9)))

    def _duration(self, batches: int) -> float:
        """Time for a campaign of `batches` [yr]: mean times, or sampled cycles and breakdowns."""
        plant = self.plant
        running = batches * plant.cycle_time
        if self.rng is None:
            return running / plant.mean_availability
        if plant.cycle_time_cv > 0:
            cv2 = plant.cycle_time_cv ** 2  # the sum of `batches` cycles, matched in mean and variance
            running = self.rng.gamma(batches / cv2, cv2 * plant.cycle_time)
        if plant.mtbf is None:
            return running / plant.availability
        breakdowns = self.rng.poisson(running / plant.mtbf)
        return running + (self.rng.gamma(breakdowns, plant.mttr) if breakdowns else 0.0)

    def _yield(self) -> float:
        return sample_yield(self.plant.process_yield, self.plant.yield_sd, self.rng)

    def _wake(self, vessels: list[int], _event) -> None:
        for vessel in vessels:
            self._try(vessel)

    def _try(self, vessel: int, _event=None) -> None:
        """An idle vessel starts a campaign if feed and allowance permit; otherwise it waits for
        the next refill: new feed and allowance both come with the next step, and plants are
        refilled in the order they are listed, so when scrap is short they take it in that order."""
        batches = 0 if self.dry_at == self.store.deposits else self._batches_ready()
        if batches == 0:
            self.dry_at = self.store.deposits
            self.waiting.append(vessel)
            return
        start = self.env.now
        self.idle -= 1
        kg = batches * self.plant.batch_size
        feed = self.store.take(self.plant.accepts, kg)
        self.allowance -= kg
        self.held[vessel] = feed
        self.ledger.move(year_of(start), SCRAP_STORE, self.name, feed)
        done = self.env.timeout(self._duration(batches))
        done.callbacks.append(functools.partial(self._end, vessel, start, batches))

    def _end(self, vessel: int, start: float, batches: int, _event) -> None:
        """A vessel's campaign ends: its powder goes on, and the vessel is idle again."""
        feed = self.held.pop(vessel)
        powder, new = _campaign_output(self.output_sums, self.output_seen, year_of(self.env.now) - self.start_year,
                                       feed, self._yield())
        if new:
            self.ledger.adopt(self.output_flows, self.output_seen)
        self.powder_to.powder.add(powder, self.env.now)
        self.idle += 1
        if self.trace is not None:
            self.trace.append(Campaign(self.plant.name, vessel, start, self.env.now, batches))
        self._try(vessel)

    def stock(self) -> np.ndarray:
        return lots.mass(sum(self.held.values(), self.empty))

    def element_stock(self) -> np.ndarray:
        return sum(self.held.values(), self.empty).sum(axis=0)

    def available_capacity(self, year: int) -> float:
        """Feed the plant could take in `year` [kg]: the schedule, capped by its vessels."""
        return self.capacity[year - self.first_year]


@njit(cache=True)
def _campaign_output(sums: np.ndarray, seen: np.ndarray, row: int, feed: np.ndarray,
                     process_yield: float) -> tuple[np.ndarray, bool]:
    """The powder [kg by origin slot and element] a campaign's `feed` gives at `process_yield`, and
    the moves of it and of the rest (process loss) into the plant's bound sums (Ledger.bind) of year
    `row` (none before start_year): (powder, whether a flow moved for the first time)."""
    powder = feed * process_yield
    new = False
    if row >= 0:
        new |= add_lot(sums, seen, 0, row, powder)
        new |= add_lot(sums, seen, 1, row, feed - powder)
    return powder, new


class LongLoopPlant:
    """Node `long_loop:<plant>`: hydrometallurgical separation of scrap; the rare earths (Nd, Pr,
    Dy, Tb, as oxides) go to metal and alloy making, iron, boron and the unrecovered rest are
    process loss; continuous throughput up to the capacity schedule."""

    def __init__(self, plant: Plant, params: Params, ledger: Ledger, store: ScrapStore, separated_to):
        self.plant = plant
        self.name = plant_node(plant)
        self.ledger, self.store, self.separated_to = ledger, store, separated_to
        self.separation_yield = separation_yield(plant.process_yield)
        self.first_year = params.history_start
        self.capacity = by_year([plant.capacity], params.history_start, params.end_year)[:, 0]
        self.step = 1.0 / params.steps_per_year

    def process(self, year: int, reserve: float = 0.0) -> np.ndarray:
        """Process one step of feed, leaving `reserve` kg of short-loop scrap to the HPMS plants;
        return the separated rare earths [kg metal basis by origin slot and element]."""
        feed = self.store.take(self.plant.accepts, self.capacity[year - self.first_year] * self.step, reserve)
        separated = feed * self.separation_yield
        self.ledger.move(year, SCRAP_STORE, self.name, feed)
        self.ledger.move(year, self.name, self.separated_to.name, separated)
        self.ledger.move(year, self.name, PROCESS_LOSS, feed - separated)
        self.separated_to.receive(separated)
        return separated

    def stock(self) -> np.ndarray:
        return np.zeros(self.store.pools["short_loop"].shape[0])  # no work in progress is held

    def element_stock(self) -> np.ndarray:
        return np.zeros(lots.N_ELEMENTS)

    def available_capacity(self, year: int) -> float:
        return self.capacity[year - self.first_year]
