"""Primary supply by origin (China, rest of world) and form under export-licence regimes, and node
`stockpile`: a strategic store of heavy rare earths that fills while supply is free and releases
into the region's magnet making when licensed supply falls short.

A regime's approvals arrive `delay` after the application, so the share of what is asked that
arrives at time tau is: 1 before the regime; 0 until the first approvals (start + delay); then the
approval share in force at tau - delay (a window's share inside a window); 1 from the regime's end,
and 1 for a form from the date it is exempt. A step gets this share averaged over its interval.

What a regime does not approve is not lost: the requests wait (the market asks for them again the
next step, with its new demand, at the share then in force), less the regime's `cancel_share` of
them a month; the delayed material is a flow from the origin when it is approved, so nothing is
created. The rest of the world's spare capacity makes up `rest_of_world_make_up` of what a cut of
China's supply withholds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..config.parameters import Params
from ..config.series import by_year
from ..config.supply import Licence
from ..config.values import ELEMENTS, FORMS, ORIGINS
from . import lots
from .graph import STOCKPILE
from .lots import HEAVY


def instant_share(licence: Licence, form: str, tau: float) -> float:
    """Share of what is asked of a controlled lot of `form` that arrives at time tau [yr]."""
    if form not in licence.forms or any(f == form and tau >= since for f, since in licence.exempt):
        return 1.0
    if tau < licence.start or tau >= licence.end:
        return 1.0
    if tau < licence.start + licence.delay:
        return 0.0  # applications wait for their first approvals
    applied = tau - licence.delay
    for start, end, share in licence.windows:
        if start <= applied < end:
            return share
    return licence.approval_share


def step_share(licence: Licence, form: str, t0: float, t1: float) -> float:
    """instant_share averaged over [t0, t1): exact, since the share is constant between the dates
    at which the regime, its delay, its windows and its exemptions change."""
    dates = [licence.start, licence.end, licence.start + licence.delay, *(since for _, since in licence.exempt)]
    dates += [d + licence.delay for start, end, _ in licence.windows for d in (start, end)]
    points = sorted({t0, t1, *(d for d in dates if t0 < d < t1)})
    total = sum((b - a) * instant_share(licence, form, (a + b) / 2) for a, b in zip(points, points[1:]))
    return min(max(total / (t1 - t0), 0.0), 1.0)


def controls(licence: Licence, composition: np.ndarray) -> np.ndarray:
    """Whether the regime controls lots of each composition [slot, element]: a lot is controlled if
    it contains any of the regime's elements (so a Dy- and Tb-free magnet is not)."""
    columns = [ELEMENTS.index(e) for e in licence.elements]
    return composition[:, columns].sum(axis=1) > 0


class PrimarySupply:
    """What the region's primary requests receive, step by step, and from which origin.

    `share(year, t, form, asked)` gives the share of `asked` [kg by destination slot] that arrives
    in the step from t; `by_origin(form, lot)` splits what finally arrived into origins (in the same
    proportions); `region_feed(...)` is the primary feed of magnet making, topped up from the
    stockpile.
    """

    def __init__(self, params: Params):
        first, last = params.history_start, params.end_year
        self.first_year = first
        self.step = 1.0 / params.steps_per_year
        self.china = by_year([params.supply.china_share[f] for f in FORMS], first, last)  # [year row, form]
        self.make_up = by_year([params.supply.rest_of_world_make_up], first, last)[:, 0]
        self.licences = params.policy.licences
        self.shocks = params.policy.supply_shocks
        self.composition = lots.composition(params)  # [slot, element]
        self.controlled = [controls(licence, self.composition) for licence in self.licences]
        self.stockpile = Stockpile(params)
        self.arrived: dict[str, np.ndarray] = {}  # form -> kg [origin, item] asked x share, this step
        self.waiting = np.zeros(lots.n_slots(params))  # share of each slot's request that is waiting demand
        self.waiting_cells = np.zeros(0)  # and of each cell's
        # what a step without waiting demand or purchases holds (read only, shared by such steps)
        self.none_waiting, self.none_waiting_cells = self.waiting, self.waiting_cells
        self.none_bought = np.zeros((len(ORIGINS), len(ELEMENTS)))
        self.none_released = np.zeros(len(ELEMENTS))  # from the stockpile [kg by element]
        for array in (self.none_waiting, self.none_waiting_cells, self.none_bought, self.none_released):
            array.flags.writeable = False
        self.licensed: dict[str, tuple[float, float]] = {}  # form -> kg asked of China, let through by licences
        self.limited = False  # whether any request of this step was cut
        self.free_step = False  # whether every request of this step arrives in full (begin)

    def begin(self, year: int, t: float, demand: np.ndarray, waiting: np.ndarray | None = None,
              cells: np.ndarray | None = None) -> None:
        """Start a step: forget the last one's requests; buy into the stockpile while supply is free.
        `demand` [kg by slot] and its `cells` [kg by slot, cell] include `waiting` [kg by slot,
        cell], requests China's licences held back, which are asked of China again (the rest of the
        world delivered its part)."""
        self.arrived = {}
        self.licensed = {}
        self.limited = False
        self.waiting = self.none_waiting
        self.waiting_cells = self.none_waiting_cells
        waited = waiting is not None and np.count_nonzero(waiting) > 0
        if waited:
            per_slot = waiting.sum(axis=1)
            self.waiting = np.divide(per_slot, demand, out=np.zeros_like(demand), where=demand > 0)
            self.waiting_cells = np.divide(waiting, cells, out=np.zeros_like(cells), where=cells > 0).ravel()
        # no regime or shock cuts the step and nothing waits: every request arrives in full (share
        # then gives what its cuts would leave alone, in one operation)
        self.free_step = not waited and self._shock(t) >= 1.0 and all(
            self._origin_share(index, form, t) >= 1.0 for index, licence in enumerate(self.licences)
            for form in licence.forms)
        self.bought = self.none_bought  # into the stockpile [origin, element]
        if not self.stockpile.buys(t):
            return
        free = all(self._origin_share(licence_index, "oxide_metal", t) >= 1.0 - 1e-12
                   for licence_index in range(len(self.licences))) and self._shock(t) >= 1.0 - 1e-12
        if free:  # towards its size in months of the step's demand [kg by element]
            kg = self.stockpile.fill(t, demand @ self.composition, self.step)
            if np.count_nonzero(kg):
                c = self.china[year - self.first_year, FORMS.index("oxide_metal")]
                self.bought = np.outer([c, 1.0 - c], kg)

    def _origin_share(self, index: int, form: str, t: float) -> float:
        return step_share(self.licences[index], form, t, t + self.step)

    def _shock(self, t: float) -> float:
        share = 1.0
        for shock in self.shocks:  # a cut of all primary supply, every origin and form
            overlap = min(shock.end, t + self.step) - max(shock.start, t)
            if overlap > 0:
                covers = 1.0 if overlap >= self.step * (1 - 1e-9) else overlap / self.step
                share -= (1.0 - shock.availability) * covers
        return min(max(share, 0.0), 1.0)  # rounding must not make supply negative

    def share(self, year: int, t: float, form: str, asked: np.ndarray, composition: np.ndarray | None = None) -> float:
        """Share of `asked` [kg per item] of `form` that arrives in the step from t; items are the
        destination slots (of their compositions) unless `composition` [item, element] says what
        each item is made of (e.g. a grade of a slot). Only steps from start_year ask: history is
        observed placement (Market.observed)."""
        asked = np.asarray(asked, dtype=float)
        c = self.china[year - self.first_year, FORMS.index(form)]
        if self.free_step:  # every item arrives in full, China's share c of it
            self.arrived[form], from_china = _in_full(c, asked)
            self.licensed[form] = (from_china, from_china)
            return 1.0
        china = c + (1.0 - c) * self._waiting_by_item(asked.shape[0])  # China's share of each item
        by_origin = np.array([china, 1.0 - china])  # [origin, item]
        licensed = False  # whether a regime on China cuts this request
        for index, licence in enumerate(self.licences):
            cut = self._origin_share(index, form, t)
            if cut < 1.0:
                row = ORIGINS.index(licence.origin)
                controlled = self.controlled[index] if composition is None else controls(licence, composition)
                by_origin[row] *= np.where(controlled, cut, 1.0)
                licensed = licensed or row == ORIGINS.index("china")
        from_china = float(china @ asked)
        self.licensed[form] = (from_china, float(by_origin[0] @ asked) if licensed else from_china)
        if licensed:  # the rest of the world's spare capacity makes up a share of what China's licences withhold
            by_origin[1] += self.make_up[year - self.first_year] * (china - by_origin[0])
        shock = self._shock(t)
        if shock < 1.0:
            by_origin *= shock
        self.arrived[form] = by_origin * asked
        total = asked.sum()
        got = float(self.arrived[form].sum() / total) if total > 0 else float(by_origin.sum(axis=0).min())
        self.limited = self.limited or got < 1.0 - 1e-12
        return got

    def _waiting_by_item(self, n: int) -> np.ndarray:
        """Share of each of n items asked that is waiting demand: items are destination slots or
        cells (in the order of grades.cells); anything else (a single lot) has none."""
        if n == self.waiting.shape[0]:
            return self.waiting
        return self.waiting_cells if n == self.waiting_cells.shape[0] else np.zeros(n)

    def item_shares(self, year: int, t: float, form: str, composition: np.ndarray) -> np.ndarray:
        """Share of what is asked of `form` that arrives in the step from t, for items of each
        composition [item, element] (both origins): a lot is cut by the regimes whose elements it
        contains, so a Dy-only licence leaves a Tb-only magnet alone."""
        self.share(year, t, form, np.ones(composition.shape[0]), composition)
        return self.arrived[form].sum(axis=0)

    def waiting_share(self, t: float) -> float:
        """Share of the demand a step leaves unmet that waits for the next step: the requests of
        the regimes that cut this step wait, less their cancel_share a month (the most patient
        regime's); with no regime cutting, what is unmet is lost."""
        kept = [(1.0 - licence.cancel_share) ** (12.0 * self.step) for i, licence in enumerate(self.licences)
                if any(self._origin_share(i, form, t) < 1.0 - 1e-12 for form in licence.forms)]
        return max(kept, default=0.0)

    def origin_shares(self, kg_by_origin: np.ndarray) -> np.ndarray:
        """Shares of the origins in `kg_by_origin` (China's alone when there is nothing)."""
        return _origin_shares(kg_by_origin.reshape(-1, 1))

    def by_origin(self, form: str, lot: np.ndarray) -> np.ndarray:
        """What finally arrived of `form` (a lot [kg by destination slot and element]) by origin
        [origin, element], in the proportions of this step's share: per destination slot when the
        share was asked by slot, for the whole lot otherwise."""
        arrived = self.arrived.get(form)
        if arrived is None:
            total = lot.sum(axis=0)
            return np.array([total, np.zeros_like(total)])
        return _by_origin(arrived, lot)

    def region_feed(self, year: int, t: float, room: np.ndarray, need: np.ndarray, shares: np.ndarray,
                    free: float, recovered: float, to_magnets: float, n_cells: int) -> np.ndarray | float:
        """Share of each cell's `room` [kg by cell] of region-made magnets that the step's primary
        feed makes possible, by one rule for every Dy and Tb source: the heavy rare earths (`need`
        [kg/kg by cell]) of the cells a licence cuts come from the recovered oxide (`recovered` [kg],
        first), then licensed primary (the oxide share `shares` of each cell), then the stockpile, which tops up
        the feed licensed primary did not bring (with the rest of its elements, which are not
        controlled, from primary); the rest of the feed arrives at the `free` share.
        `to_magnets` is the share of the feed that ends in magnets. Where no licence cuts a cell's
        Dy or Tb, the one share of every cell."""
        weights = room.reshape(-1, n_cells).sum(axis=1)  # the feed's composition, by destination slot
        requested = room.sum() / to_magnets if to_magnets > 0 else 0.0
        self.released = self.none_released
        self.covered = 0.0
        got = self.share(year, t, "oxide_metal", weights)
        licensed = requested * got
        missing = requested - licensed
        self.feed_origins = licensed * _origin_shares(self.arrived["oxide_metal"])
        if missing > 0:
            mix = weights @ self.composition / weights.sum() if weights.sum() > 0 else self.composition[-1]
            self.covered, self.released = self.stockpile.release(missing, mix, self._short_elements(t))
            # the stockpile gives the short elements of the covered feed; the rest of it is not
            # controlled and comes from both origins at their shares
            c = self.china[year - self.first_year, FORMS.index("oxide_metal")]
            self.feed_origins = self.feed_origins + (self.covered * mix - self.released).sum() * np.array([c, 1.0 - c])
        if shares.min() >= 1.0 - 1e-12:  # no licence cuts any cell's Dy or Tb
            return free
        cut = (need > 0) & (shares < 1.0 - 1e-12)  # cells whose Dy or Tb a licence cuts
        heavy = np.where(cut, room * need, 0.0)  # kg of Dy + Tb those cells need
        total = heavy.sum()
        if total <= 0:
            return free
        from_primary = max(1.0 - recovered / total, 0.0)  # the part recovered oxide does not bring
        pool = min(recovered, total) + from_primary * (shares * heavy).sum() + self.released[HEAVY].sum()
        served = min(pool / total, 1.0)
        return np.where(cut, min(served, free), free)

    def _short_elements(self, t: float) -> tuple[str, ...]:
        """Elements whose licensed supply is cut this step (every element under a general shock)."""
        if self._shock(t) < 1.0:
            return ELEMENTS
        return tuple(dict.fromkeys(e for i, licence in enumerate(self.licences)
                                   if self._origin_share(i, "oxide_metal", t) < 1.0 for e in licence.elements))


@njit(cache=True)
def _origin_shares(kg: np.ndarray) -> np.ndarray:
    """Shares of the origins in `kg` [origin, item] (China's alone when there is nothing)."""
    by_origin = np.zeros(kg.shape[0])
    for o in range(kg.shape[0]):
        for j in range(kg.shape[1]):
            by_origin[o] += kg[o, j]
    total = by_origin.sum()
    if total <= 0:
        by_origin[:] = 0.0
        by_origin[0] = 1.0
        return by_origin
    return by_origin / total


@njit(cache=True)
def _in_full(c: float, asked: np.ndarray) -> tuple[np.ndarray, float]:
    """What arrives of `asked` [kg per item] when every item arrives in full, China's share `c` of
    each ([origin, item]), and the kg asked of China."""
    arrived = np.empty((2, asked.size))
    total = 0.0
    for j in range(asked.size):
        arrived[0, j] = c * asked[j]
        arrived[1, j] = (1.0 - c) * asked[j]
        total += asked[j]
    return arrived, c * total


@njit(cache=True)
def _by_origin(arrived: np.ndarray, lot: np.ndarray) -> np.ndarray:
    """PrimarySupply.by_origin from what arrived [origin, item] of what was asked: `lot` [kg by
    slot and element] by origin [origin, element], item by item when the items are its slots, at
    the origins' shares of everything that arrived otherwise (China's alone when nothing did)."""
    n_items, (n_slots, n_elements) = arrived.shape[1], lot.shape
    out = np.zeros((2, n_elements))
    total = np.zeros(n_elements)
    for i in range(n_slots):
        for e in range(n_elements):
            total[e] += lot[i, e]
    china, rest = 0.0, 0.0
    for j in range(n_items):
        china += arrived[0, j]
        rest += arrived[1, j]
    if china + rest <= 0:
        out[0] = total
        return out
    if n_items == n_slots:
        for i in range(n_slots):
            whole = arrived[0, i] + arrived[1, i]
            share = arrived[0, i] / whole if whole > 0 else 0.0
            for e in range(n_elements):
                out[0, e] += lot[i, e] * share
    else:
        for e in range(n_elements):
            out[0, e] = total[e] * (china / (china + rest))
    for e in range(n_elements):
        out[1, e] = total[e] - out[0, e]
    return out


class Stockpile:
    """Node `stockpile`: kg of each of ELEMENTS held (only the stockpile's elements are ever held)."""

    name = STOCKPILE

    def __init__(self, params: Params):
        spec = params.policy.stockpile
        self.size_months = spec.size_months
        self.fill_from = spec.fill_from
        self.fill_months = spec.fill_months
        self.holds = np.array([e in spec.elements for e in ELEMENTS])
        self.held = np.zeros(len(ELEMENTS))
        self.n_slots = lots.n_slots(params)

    def buys(self, t: float) -> bool:
        """Whether the stockpile buys in the step from t (while supply is free)."""
        return self.size_months > 0 and t >= self.fill_from - 1e-9

    def fill(self, t: float, demand: np.ndarray, step: float) -> np.ndarray:
        """Buy for the step from t [kg by element]: towards size_months of the step's demand
        `demand` [kg by element], at most 1/fill_months of that size a month."""
        if not self.buys(t):
            return np.zeros(len(ELEMENTS))
        monthly = demand / (12.0 * step)
        target = np.where(self.holds, self.size_months * monthly, 0.0)
        bought = np.minimum(np.maximum(target - self.held, 0.0), target / self.fill_months * 12.0 * step)
        self.held = self.held + bought
        return bought

    def release(self, missing: float, mix: np.ndarray, short: tuple[str, ...]) -> tuple[float, np.ndarray]:
        """Feed [kg] of composition `mix` the stockpile makes possible when `missing` kg of feed did
        not arrive because the `short` elements are cut, and the elements released [kg]. The feed
        needs every short element it contains; one the stockpile does not hold stops it."""
        needed = [ELEMENTS.index(e) for e in short if mix[ELEMENTS.index(e)] > 0]
        if not needed or any(not self.holds[i] for i in needed):
            return 0.0, np.zeros(len(ELEMENTS))
        covered = min(missing, min(self.held[i] / mix[i] for i in needed))
        released = np.zeros(len(ELEMENTS))
        released[needed] = covered * mix[needed]
        self.held = self.held - released
        return covered, released

    def stock(self) -> np.ndarray:
        return lots.in_all(float(self.held.sum()), np.zeros(self.n_slots))

    def element_stock(self) -> np.ndarray:
        return self.held.copy()


class Entry:
    """A stage where primary supply of one form enters the region from its origins; it holds nothing."""

    def __init__(self, name: str, n_slots: int):
        self.name = name
        self.n_slots = n_slots

    def stock(self) -> np.ndarray:
        return np.zeros(self.n_slots)

    def element_stock(self) -> np.ndarray:
        return np.zeros(len(ELEMENTS))
