"""The region's magnet value chain after recycling: metal and alloy making from separated rare
earths, sintered magnet making (which re-sinters HPMS powder too) and bonded magnet making.

Recycled inputs wait in a buffer and can be used LEAD_TIME after they arrive, so the answer does
not depend on the step length. Lots are masses [kg] by origin slot and element (sim/model/lots.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..config.parameters import Params
from ..config.series import by_year
from . import lots
from .plants import sample_yield

#: time from a recycled input's arrival to its use in magnet making [yr]: a month, whatever the
#: step length (steps longer than a month use it at the next step)
LEAD_TIME = 1.0 / 12


class Buffer:
    """Recycled lots by origin slot, each usable from LEAD_TIME after it arrived."""

    def __init__(self, params: Params):
        self.ready = lots.empty(params)
        self.waiting: list[tuple[float, np.ndarray]] = []  # (time usable [yr], lot), in arrival order

    def add(self, lot: np.ndarray, t: float) -> None:
        if np.count_nonzero(lot):  # count_nonzero: a third of any()'s cost
            self.waiting.append((t + LEAD_TIME, lot))

    def release(self, t: float) -> None:
        while self.waiting and self.waiting[0][0] <= t + 1e-9:
            self.ready += self.waiting.pop(0)[1]  # in place: `ready` is the buffer's own array

    def take(self, kg: float, cap: np.ndarray | None = None) -> np.ndarray:
        """Up to `kg` of the ready lots, every origin and element pro rata, and at most `cap`
        [kg by origin] of each origin (what the grades of the step's demand can take; the rest
        stays ready). An origin held to its cap leaves its part of `kg` to the origins with room,
        so the take is `kg` whenever the caps allow it: what is made does not depend on how much
        of the ready material finds no room, which grows with the step length (README: time steps)."""
        if cap is not None:
            return _take_capped(self.ready, kg, cap)
        held = self.ready.sum()
        if kg <= 0 or held <= 0:
            return np.zeros(self.ready.shape)
        part = self.ready.copy() if kg >= held else self.ready * (kg / held)
        self.ready = self.ready - part
        return part

    def take_all_ready(self) -> np.ndarray:
        part, self.ready = self.ready, np.zeros(self.ready.shape)
        return part

    def stock(self) -> np.ndarray:
        return self.ready + sum((lot for _, lot in self.waiting), np.zeros_like(self.ready))


@njit(cache=True)
def _take_capped(ready: np.ndarray, kg: float, cap: np.ndarray) -> np.ndarray:
    """Buffer.take with caps, in one pass: the part of `ready` [kg by origin and element] taken,
    which leaves `ready` in place."""
    n_origins, n_elements = ready.shape
    part = np.zeros(ready.shape)
    mass = np.zeros(n_origins)
    for i in range(n_origins):
        for e in range(n_elements):
            mass[i] += ready[i, e]
    if kg <= 0 or mass.sum() <= 0:
        return part
    shares = _capped_shares(mass, kg, cap)
    for i in range(n_origins):
        for e in range(n_elements):
            part[i, e] = ready[i, e] * shares[i]
            ready[i, e] -= part[i, e]
    return part


@njit(cache=True)
def _capped_shares(mass: np.ndarray, kg: float, cap: np.ndarray) -> np.ndarray:
    """The share of each origin's `mass` [kg] taken when `kg` are asked and at most `cap` [kg] of
    each origin: min(scale, cap / mass), with the one scale at which the take is `kg` (or every
    origin at its cap, if they let out less). The take grows with the scale and bends where it
    reaches an origin's cap share, so the scale lies between two of those shares, sorted."""
    out = np.zeros(mass.size)
    active = np.flatnonzero(mass > 0)
    m = mass[active]
    c = np.minimum(cap[active], m)  # no origin gives more than it holds
    r = c / m
    if kg >= c.sum():  # the caps let out no more than is asked (the usual case): all they let out
        out[active] = r
        return out
    order = np.argsort(r, kind="mergesort")  # stable
    r_sorted, m_sorted, c_sorted = r[order], m[order], c[order]
    below = np.zeros(r.size)  # caps of the origins of lower share
    below[1:] = np.cumsum(c_sorted)[:-1]
    above = np.cumsum(m_sorted[::-1])[::-1]  # mass of each origin and those of higher share
    # the take at each cap share, and the first that reaches kg (the last if rounding leaves
    # the last take a hair below the caps' sum)
    i = min(np.searchsorted(below + r_sorted * above, kg), r.size - 1)
    out[active] = np.minimum(r, (kg - below[i]) / above[i])
    return out


@njit(cache=True)
def _split_feed(whole: np.ndarray, ree: np.ndarray, to_magnets: float, to_swarf: float, to_loss: float):
    """A step's recycled feed of magnet making [kg by origin and element], HPMS powder (`whole`) and
    recycled alloy (`ree`), split per kg of feed into magnets, traded swarf and loss: (magnets from
    each, swarf, loss, kg of feed)."""
    n_origins, n_elements = whole.shape
    from_whole, from_ree = np.empty(whole.shape), np.empty(whole.shape)
    swarf, loss = np.empty(whole.shape), np.empty(whole.shape)
    kg = 0.0
    for i in range(n_origins):
        for e in range(n_elements):
            feed = whole[i, e] + ree[i, e]
            from_whole[i, e] = whole[i, e] * to_magnets
            from_ree[i, e] = ree[i, e] * to_magnets
            swarf[i, e] = feed * to_swarf
            loss[i, e] = feed * to_loss
            kg += feed
    return from_whole, from_ree, swarf, loss, kg


@dataclass
class Made:
    """One step of region-made magnets: the recycled part as lots by origin slot and route [kg by
    slot and element], and the primary part [kg] with the element shares of its feed.

    Every kg of feed splits alike into magnets, swarf and loss, so each part keeps its feed's
    composition: swarf and loss are of the composition of what is made.
    """

    recycled_whole: np.ndarray  # from HPMS powder: whole magnet material
    recycled_ree: np.ndarray  # from separated rare earths: rare-earth metal only
    primary: float  # primary feed that ended up in magnets
    primary_feed: float  # primary feed bought for the step
    recycled_swarf: np.ndarray  # traded swarf of the recycled feed by origin slot
    recycled_loss: np.ndarray  # process loss of the recycled feed by origin slot
    primary_swarf: float  # traded swarf of the primary feed
    primary_loss: float
    in_house_swarf: float  # swarf reclaimed within the plant (not recycled content)
    #: element shares of the primary feed: the market sets them to those of the uses the primary
    #: magnets go to (magnets are made to order)
    composition: np.ndarray | None = None

    @property
    def recycled(self) -> np.ndarray:
        return self.recycled_whole + self.recycled_ree

    @property
    def total(self) -> float:
        return float(self.recycled.sum()) + self.primary

    def primary_part(self, kg: float) -> np.ndarray:
        """`kg` of the primary feed's material [kg by element]."""
        return kg * self.composition

    @property
    def swarf(self) -> np.ndarray:
        """Traded swarf [kg by origin slot and element], the primary feed's in `all`."""
        return self.recycled_swarf + lots.in_all(self.primary_part(self.primary_swarf), self.recycled_swarf)


@dataclass
class Batch:
    """One step's feed of magnet making before primary supply is known: the recycled feed [kg by
    origin slot and element] (HPMS powder, recycled alloy), the primary feed [kg] the rest would
    need, and how each kg of feed splits."""

    whole: np.ndarray
    ree: np.ndarray
    primary_wanted: float
    to_magnets: float
    to_swarf: float
    in_house_per_feed: float  # in-house swarf per kg of external feed

    @property
    def primary_room(self) -> float:
        """Magnets the primary feed would make if all of it arrived [kg]."""
        return self.primary_wanted * self.to_magnets


class MetalAlloyMaking:
    """Node `metal_alloy_making`: separated rare earths from long-loop plants become metal and
    alloy for magnet making, up to a capacity [kg rare-earth metal per yr]; a backlog waits."""

    name = "metal_alloy_making"

    def __init__(self, params: Params):
        spec = params.industry.metal_alloy_making
        self.first_year = params.history_start
        self.per_step = by_year([spec.capacity], params.history_start, params.end_year)[:, 0] / params.steps_per_year
        self.process_yield = spec.process_yield
        self.held = lots.empty(params)

    def receive(self, lot: np.ndarray) -> None:
        self.held += lot

    def process(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """One step: (alloy's recycled rare earths, loss) by origin slot and element."""
        capacity = self.per_step[year - self.first_year]
        held = self.held.sum()
        if held <= 0 or capacity <= 0:
            return np.zeros(self.held.shape), np.zeros(self.held.shape)
        taken = self.held.copy() if capacity >= held else self.held * (capacity / held)
        self.held = self.held - taken
        alloy = taken * self.process_yield
        return alloy, taken - alloy

    def stock(self) -> np.ndarray:
        return lots.mass(self.held)

    def element_stock(self) -> np.ndarray:
        return self.held.sum(axis=0)


class MagnetMaking:
    """Node `magnet_making`: sintered magnets made in the region, from recycled inputs first (HPMS
    powder to re-sinter, recycled rare-earth alloy) and primary feed for the rest.

    Feed F gives magnets F (1 - swarf - loss), swarf F x swarf_share and loss F x loss_share; the
    `in_house_share` of the swarf goes straight back into the same plant's feed (reclaimed within
    the process, so not recycled content), the rest is traded to the scrap store.
    """

    name = "magnet_making"

    def __init__(self, params: Params, rng=None):
        spec = params.industry.magnet_making
        self.first_year = params.history_start
        self.per_step = by_year([spec.capacity], params.history_start, params.end_year)[:, 0] / params.steps_per_year
        self.swarf_share, self.loss_share = spec.swarf_share, spec.loss_share
        self.in_house_share = spec.in_house_share
        self.yield_sd = spec.yield_sd
        self.rng = rng
        self.powder = Buffer(params)
        self.alloy = Buffer(params)

    def capacity(self, year: int) -> float:
        """Magnets the plant can make in one step of `year` [kg]."""
        return self.per_step[year - self.first_year]

    def start(self, t: float, magnets: float, cap=None) -> Batch:
        """Take recycled feed for up to `magnets` kg at time t [yr]: HPMS powder first (at most
        cap(ready powder [kg by origin and element], magnets per kg of it) -> kg of powder by origin,
        what the grades of the step's demand can take), then recycled alloy; `finish` makes the rest
        from the primary feed that arrives."""
        self.powder.release(t)
        self.alloy.release(t)
        none = np.zeros(self.powder.ready.shape)
        magnet_yield = sample_yield(1.0 - self.swarf_share - self.loss_share, self.yield_sd, self.rng)
        waste = 1.0 - magnet_yield
        swarf_share = waste * self.swarf_share / (self.swarf_share + self.loss_share) if waste > 0 else 0.0
        in_house = swarf_share * self.in_house_share
        # every kg of external feed splits alike into magnets, traded swarf and loss
        batch = Batch(none, none, 0.0, magnet_yield / (1.0 - in_house),
                      swarf_share * (1.0 - self.in_house_share) / (1.0 - in_house), in_house / (1.0 - in_house))
        if magnets <= 0:
            return batch
        external = magnets / magnet_yield * (1.0 - in_house)  # in-house swarf makes up the rest
        limit = None if cap is None else cap(self.powder.ready, batch.to_magnets)
        batch.whole = self.powder.take(external, limit)
        whole = batch.whole.sum()
        batch.ree = self.alloy.take(external - whole)
        batch.primary_wanted = max(external - whole - batch.ree.sum(), 0.0)
        return batch

    def finish(self, batch: Batch, primary_magnets: float) -> Made:
        """The step's magnets, `primary_magnets` kg of them made from the primary feed that arrived
        (the market sets the composition of that feed)."""
        primary_feed = primary_magnets / batch.to_magnets
        to_loss = 1.0 - batch.to_magnets - batch.to_swarf
        whole, ree, swarf, loss, recycled_feed = _split_feed(batch.whole, batch.ree, batch.to_magnets, batch.to_swarf,
                                                             to_loss)
        return Made(whole, ree, primary_magnets, primary_feed, swarf, loss, primary_feed * batch.to_swarf,
                    primary_feed * to_loss, (recycled_feed + primary_feed) * batch.in_house_per_feed)

    def unabsorbed(self) -> np.ndarray:
        """Recycled inputs ready but not used this step (the region could not absorb them)."""
        return self.powder.take_all_ready() + self.alloy.take_all_ready()

    def stock(self) -> np.ndarray:
        return lots.mass(self.powder.stock() + self.alloy.stock())

    def element_stock(self) -> np.ndarray:
        return (self.powder.stock() + self.alloy.stock()).sum(axis=0)


class BondedMaking:
    """Node `bonded_making`: bonded and hot-deformed magnets from HPMS powder (as at Heraeus Remloy),
    up to a capacity [kg magnets per yr]; they serve uses other than EV traction and wind grades."""

    name = "bonded_making"

    def __init__(self, params: Params):
        spec = params.industry.bonded_making
        self.first_year = params.history_start
        self.per_step = by_year([spec.capacity], params.history_start, params.end_year)[:, 0] / params.steps_per_year
        self.process_yield = spec.process_yield
        self.powder = Buffer(params)

    def make(self, t: float, year: int, wanted: float, cap=None) -> tuple[np.ndarray, np.ndarray]:
        """Up to `wanted` kg of magnets at time t: (magnets, loss) by origin slot and element; of
        each origin at most cap(ready powder [kg by origin and element], magnets per kg of it) -> kg
        of powder by origin (what the grades it can serve take)."""
        self.powder.release(t)
        magnets = min(wanted, self.per_step[year - self.first_year])
        limit = None if cap is None else cap(self.powder.ready, self.process_yield)
        powder = self.powder.take(magnets / self.process_yield, limit)
        made = powder * self.process_yield
        return made, powder - made

    def unabsorbed(self) -> np.ndarray:
        return self.powder.take_all_ready()

    def stock(self) -> np.ndarray:
        return lots.mass(self.powder.stock())

    def element_stock(self) -> np.ndarray:
        return self.powder.stock().sum(axis=0)
