"""Magnet grades: each use's demand by grade with the Dy + Tb it needs, and the placing of recycled
magnets only where their own Dy + Tb supports the grade (re-sintered magnets keep their feed's).

A cell is (slot, grade, made with or without Dy/Tb); cells are columns [slot, 2 x grades]: the
grades made with Dy/Tb, then the same grades made Dy-free (need 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..config.parameters import Params, generic_composition
from ..config.series import by_year
from ..config.values import ELEMENTS
from . import lots

#: Dy + Tb share a lot may fall short of a cell's need by (rounding of shares)
TOLERANCE = 1e-9


def grade_names(params: Params) -> list[str]:
    return [grade.name for grade in params.grades]


def reached_grade(params: Params, heavy: float) -> int:
    """Index of the highest grade whose bulk Dy + Tb a share `heavy` reaches (the lowest if none)."""
    reached = [i for i, grade in enumerate(params.grades) if grade.dy_tb <= heavy + 1e-12]
    return reached[-1] if reached else 0


class GradeDemand:
    """Dated Dy + Tb needs of every (slot, grade): the bulk content, lowered by the segment's GBD
    share (dy_tb x (1 - gbd_share x (1 - gbd_factor))), and the Dy-free share of each grade."""

    def __init__(self, params: Params):
        first, last = params.history_start, params.end_year
        self.first_year = first
        n_grades = len(params.grades)
        other = np.zeros(n_grades)  # other uses: the grade generic magnets reach
        other[reached_grade(params, _heavy(generic_composition()))] = 1.0
        self.mix = np.vstack([[s.grade_mix for s in params.segments], other])  # [slot, grade]
        content = np.array([g.dy_tb for g in params.grades])
        saved = 1.0 - np.array([g.gbd_factor for g in params.grades])
        gbd = _with_other_uses(by_year([s.gbd_share for s in params.segments], first, last))
        self.need = content * (1.0 - gbd[:, :, None] * saved)  # [year row, slot, grade]
        self.dy_free = _with_other_uses(by_year([s.dy_free_share for s in params.segments], first, last))
        # Dy + Tb share of each slot's new magnets (mix, GBD and Dy-free weighted) [year row, slot]
        self.heavy = (self.mix[None] * self.need).sum(axis=2) * (1.0 - self.dy_free)
        self.compositions = self._compositions(params)

    def _compositions(self, params: Params) -> np.ndarray:
        """Element shares of each slot's new magnets by year [year row, slot, element]: the
        configured composition in start_year, its Dy and Tb scaled by the slot's Dy + Tb need
        relative to start_year (dated GBD and Dy-free shares), Nd taking up the difference."""
        base = lots.composition(params)
        heavy = self.heavy
        now = heavy[params.start_year - self.first_year]
        ratio = np.divide(heavy, now, out=np.ones_like(heavy), where=now > 0)  # [year row, slot]
        columns = [ELEMENTS.index(e) for e in lots.HEAVY_RARE_EARTHS]
        out = np.repeat(base[None], heavy.shape[0], axis=0)
        out[:, :, columns] = base[None, :, columns] * ratio[:, :, None]
        out[:, :, ELEMENTS.index("Nd")] += base[None, :, columns].sum(axis=2) * (1.0 - ratio)
        return out

    def heavy_share(self, year: int) -> np.ndarray:
        """Dy + Tb share of each slot's new magnets in `year` [kg/kg]."""
        return self.heavy[year - self.first_year]

    def cells(self, year: int, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(kg, need) [slot, cell] of one step's demand `wanted` [kg by slot] in `year`."""
        row = year - self.first_year
        by_grade = wanted[:, None] * self.mix
        free = self.dy_free[row][:, None]
        kg = np.hstack([by_grade * (1.0 - free), by_grade * free])
        return kg, np.hstack([self.need[row], np.zeros_like(self.need[row])])


def by_grade(cells: np.ndarray) -> np.ndarray:
    """[slot, cell] summed over made with and without Dy/Tb: [slot, grade]."""
    half = cells.shape[-1] // 2
    return cells[..., :half] + cells[..., half:]


def heavy_shares(params: Params) -> np.ndarray:
    """Dy + Tb share of the magnets of each origin slot (segments, then swarf of generic magnets)."""
    return np.array([_heavy(c) for c in lots.composition(params)])


def separated_heavy_shares(params: Params) -> np.ndarray:
    """Dy + Tb share of the rare earths (Nd, Pr, Dy, Tb) a long loop separates from each origin slot."""
    composition = lots.composition(params)
    rare_earths = composition[:, [ELEMENTS.index(e) for e in ("Nd", "Pr", "Dy", "Tb")]].sum(axis=1)
    heavy = heavy_shares(params)
    return np.divide(heavy, rare_earths, out=np.zeros_like(heavy), where=rare_earths > 0)


@njit(cache=True)
def caps(room: np.ndarray, need: np.ndarray, ready: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Most recycled magnets [kg] of each origin that `room` [cell] can take when origin o serves only
    cells of need <= share[o]: by rising share, each group may fill the room it can serve less what
    the groups below may already take (so that any order of placing fits; `ready` [kg by origin])."""
    out = np.zeros(ready.shape[0])
    active = np.flatnonzero(ready > 0)
    if active.size == 0:
        return out
    shares, group = _groups(share[active])
    n = shares.size
    totals = np.zeros(n)
    for j in range(active.size):
        totals[group[j]] += ready[active[j]]
    band = np.searchsorted(shares + TOLERANCE, need)  # the first group that may serve each cell
    servable = np.zeros(n + 1)  # room of need <= each share
    for c in range(need.size):
        servable[band[c]] += room[c]
    for b in range(1, n + 1):
        servable[b] += servable[b - 1]
    ratio, taken = np.ones(n), 0.0
    for g in range(n):
        allowed = servable[g] - taken if servable[g] > taken else 0.0
        if allowed < totals[g]:
            ratio[g] = allowed / totals[g]
            taken += allowed
        else:
            taken += totals[g]
    for j in range(active.size):
        out[active[j]] = ready[active[j]] * ratio[group[j]]
    return out


def place(room: np.ndarray, need: np.ndarray, lots_kg: np.ndarray, share: np.ndarray, order: np.ndarray,
          in_scope: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Place recycled lots [kg by origin] of Dy + Tb `share` [by origin] into `room` [kg by cell].

    Lots go by rising share (so each finds room when its origin's cap was kept); a lot serves only
    cells whose need is at most its share. Among them it fills first the cells of lowest `order`
    (the share of their primary supply that arrives), and where that share is below 1 the cells of
    highest need first (those lower lots cannot serve); cells primary supply reaches in full share
    the rest by the policy's allocation rule (`allocate`, with the cells' `in_scope`).
    Returns (placed [origin, cell], room left [cell]); what finds no room stays unplaced.
    """
    placed, left, tiered = _place_in_one_tier(room, need, lots_kg, share, order, in_scope, rule == "proportional")
    if tiered:
        cells = (room > 0).nonzero()[0]  # only cells with room take any: the rest work on these alone
        placed[:, cells], left[cells] = _place_by_tiers(room[cells], need[cells], lots_kg, share, order[cells],
                                                        in_scope[cells], rule)
    return placed, left


def _place_by_tiers(room, need, lots_kg, share, order, in_scope, rule):
    """`place` where primary supply reaches cells unequally: each group of lots (by rising share)
    fills the tiers of the cells it may serve one after another."""
    active = lots_kg > 0
    tier = _tiers(order, need, in_scope if rule != "proportional" else None)
    room = room.copy()
    placed = np.zeros((lots_kg.shape[0], room.shape[0]))
    shares, group = _groups(share[active])
    totals = np.bincount(group, weights=lots_kg[active])
    for g, (h, kg) in enumerate(zip(shares.tolist(), totals.tolist())):
        eligible = np.where(need <= h + TOLERANCE, room, 0.0)
        # tiers fill one after another: those the group's kg covers in full, the next in part
        by_tier = np.bincount(tier, weights=eligible)
        before = np.concatenate([[0.0], np.cumsum(by_tier)[:-1]])
        filled = np.clip(np.divide(kg - before, by_tier, out=np.zeros_like(by_tier), where=by_tier > 0), 0.0, 1.0)
        into = eligible * filled[tier]
        room -= into
        members = np.flatnonzero(active)[group == g]
        placed[members] = lots_kg[members][:, None] / kg * into[None, :]
    return placed, np.maximum(room, 0.0)


@njit(cache=True)
def _place_in_one_tier(room, need, lots_kg, share, order, in_scope, proportional):
    """`place` where primary supply reaches every cell alike (one tier), compiled: (placed, room
    left, False); or, where supply reaches cells unequally, (nothing placed, room, True) for
    _place_by_tiers to place. Only cells with room take any: the rest are left out of the work.

    Group g of lots (by rising share) may serve a growing prefix of the cells sorted by need: bands
    0..g, band g being the cells the groups below may not serve. It takes the share x_g of the room
    left in its bands (all of it if it has more), so its free room is F_g = F_(g-1) (1 - x_(g-1)) +
    S_g (S_g: band g's room), and band b keeps prod over g >= b of (1 - x_g). Under the preferential
    rule the target scope is filled first and what a group has left goes to the other cells.
    """
    placed = np.zeros((lots_kg.shape[0], room.shape[0]))
    left = np.maximum(room, 0.0)
    active = np.flatnonzero(lots_kg > 0)
    cells = np.flatnonzero(room > 0)
    if active.size == 0 or cells.size == 0:
        return placed, left, False
    if order.min() < 1.0 or order.max() != order.min():
        return placed, left, True
    shares, group = _groups(share[active])
    n = shares.size
    totals = np.zeros(n)
    for j in range(active.size):
        totals[group[j]] += lots_kg[active[j]]
    kg = totals.copy()  # what each group has still to place
    open_room, open_need, open_scope = room[cells], need[cells], in_scope[cells]  # of the cells with room
    if n == 1:  # one group (e.g. separated rare earths, which serve any grade): the rule itself
        into = _allocate(np.where(open_need <= shares[0] + TOLERANCE, open_room, 0.0), kg[0], open_scope,
                         proportional)
        for c in range(cells.size):
            for j in range(active.size):
                placed[active[j], cells[c]] = lots_kg[active[j]] / kg[0] * into[c]
            left[cells[c]] = max(open_room[c] - into[c], 0.0)
        return placed, left, False
    band = np.searchsorted(shares + TOLERANCE, open_need)  # each cell's band; band n: no group may serve it
    part = np.zeros(cells.size, np.intp)  # each cell's part: the target scope first, then the rest
    if not proportional:
        part[~open_scope] = 1
    # by part: [band, group] share of the band's room each group took, and [band] the share kept
    took = np.zeros((2, n + 1, n))
    kept = np.ones((2, n + 1))
    for p in range(1 if proportional else 2):
        sums = np.zeros(n + 1)
        for c in range(cells.size):
            if part[c] == p:
                sums[band[c]] += open_room[c]
        if not np.any(sums[:n]):  # no room any group may serve (bonded magnets' room is all outside the scope)
            continue
        x, free = np.zeros(n), 0.0
        for g in range(n):
            free = free * (1.0 - x[g - 1]) + sums[g] if g else sums[0]
            if kg[g] > 0 and free > 0:  # what the group has left goes to the next part
                if kg[g] >= free:
                    x[g], kg[g] = 1.0, kg[g] - free
                else:
                    x[g], kg[g] = kg[g] / free, 0.0
        for b in range(n):  # groups below b do not reach band b
            keep = 1.0
            for g in range(b, n):
                took[p, b, g] = x[g] * keep
                keep *= 1.0 - x[g]
            kept[p, b] = keep
    for c in range(cells.size):
        p, b = part[c], band[c]
        for j in range(active.size):
            lot = active[j]
            placed[lot, cells[c]] = lots_kg[lot] / totals[group[j]] * (open_room[c] * took[p, b, group[j]])
        left[cells[c]] = max(open_room[c] * kept[p, b], 0.0)
    return placed, left, False


@njit(cache=True)
def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values in rising order, each value's index among them): np.unique with
    return_inverse, compiled."""
    ranked = np.sort(values)
    keep = np.ones(ranked.size, np.bool_)
    keep[1:] = ranked[1:] != ranked[:-1]
    distinct = ranked[keep]
    return distinct, np.searchsorted(distinct, values)  # exact: every value is one of them


def _tiers(order: np.ndarray, need: np.ndarray, in_scope: np.ndarray | None) -> np.ndarray:
    """Each cell's tier, 0 first, in the order a recycled lot fills them (see place): by rising
    `order`; where it is below 1, by falling need (cells lower lots cannot serve first); and under
    the preferential rule (`in_scope` given) the target-scope cells of a tier before the others."""
    short = order < 1.0
    keys = [np.where(short, -need, 0.0), order]  # np.lexsort: the last key sorts first
    if in_scope is not None:
        keys.insert(0, (~in_scope).astype(float))
    sort = np.lexsort(keys)
    ranked = np.stack(keys)[:, sort]
    starts = np.ones(len(order), dtype=bool)  # where a new tier begins in the sorted cells
    starts[1:] = (ranked[:, 1:] != ranked[:, :-1]).any(axis=0)
    tier = np.empty(len(order), dtype=np.intp)
    tier[sort] = np.cumsum(starts) - 1
    return tier


def allocate(room: np.ndarray, recycled: float, in_scope: np.ndarray, rule: str) -> np.ndarray:
    """Recycled magnets [kg] per destination out of `recycled` [kg], for `room` [kg per destination]
    that region-made magnets can fill (at most all of it).

    rule (Policy.allocation_in): `proportional` spreads them pro rata to the room; `preferential`
    fills the target-scope destinations first (pro rata among them) and spreads the rest over the others.
    """
    return _allocate(room, recycled, in_scope, rule == "proportional")


@njit(cache=True)
def _allocate(room, recycled, in_scope, proportional):
    """`allocate` with its rule as a flag, compiled (placing calls it from compiled code)."""
    if proportional:
        return pro_rata(room, recycled)
    scope = np.where(in_scope, room, 0.0)
    to_scope = pro_rata(scope, min(recycled, scope.sum()))
    rest = np.where(in_scope, 0.0, room)
    return to_scope + pro_rata(rest, recycled - to_scope.sum())


@njit(cache=True)
def pro_rata(room: np.ndarray, kg: float) -> np.ndarray:
    """`kg` spread over destinations in proportion to their room (at most all of it)."""
    total = room.sum()
    if kg <= 0 or total <= 0:
        return np.zeros(room.shape)
    return room.copy() if kg >= total else room * (kg / total)


def _heavy(composition) -> float:
    return float(sum(composition[ELEMENTS.index(e)] for e in lots.HEAVY_RARE_EARTHS))


def _with_other_uses(per_segment: np.ndarray) -> np.ndarray:
    """A [year, segment] table with a last column for other uses (no GBD, no Dy-free magnets)."""
    return np.hstack([per_segment, np.zeros((per_segment.shape[0], 1))])
