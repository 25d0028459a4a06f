"""Units held in cohorts (by period of entry) that leave by a residence-time distribution.

One mechanism serves the in-use stock (annual placement cohorts, product lifetimes) and the
end-of-life stock (monthly discard cohorts, hoarding delays). Each step, the units present in a
cohort leave with the probability of their age (lifetimes.cohort_hazard): as an expected value in
expected mode, as a binomial draw in stochastic mode. Each cohort holds its element content too,
which leaves with the share of the cohort's units that leave.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from ..config.lifetimes import Lifetime, cohort_hazard, window_departures


class CohortStock:
    """Units by (segment, cohort) for segments that share a cohort width.

    distributions : one residence-time distribution per segment
    window_steps : steps per cohort; units entering during a cohort's window are spread uniformly
    step : step length [yr]
    n_steps : steps the simulation runs (sets the cohort count and the ages covered)
    rng : a numpy Generator for binomial departures, or None for expected values
    max_age_steps : ages beyond which every remaining unit leaves (None: never truncate)
    n_elements : element masses [kg] each cohort holds beside its units (the placed lots)
    """

    def __init__(self, distributions: list[Lifetime], window_steps: int, step: float, n_steps: int,
                 rng: np.random.Generator | None = None, max_age_steps: int | None = None,
                 n_elements: int = 0):
        self.window = window_steps
        self.rng = rng
        n_ages = max_age_steps or n_steps
        self.hazard = np.array([cohort_hazard(d, window_steps, step, n_ages) for d in distributions])
        if max_age_steps is not None:
            self.hazard[:, -1] = 1.0  # the truncated tail leaves at the last age: mass is kept
        self.n_ages = n_ages
        n_cohorts = n_steps // window_steps + 1
        self.units = np.zeros((len(distributions), n_cohorts))
        # [segment, element, cohort]: cohorts last, so that the per-step updates and sums over
        # cohorts run along contiguous rows rather than over rows of a few elements
        self.content = np.zeros((len(distributions), n_elements, n_cohorts))
        self._first = 0

    def place(self, k: int, units: np.ndarray, content: np.ndarray | None = None) -> None:
        """Add units entering during step k to their cohort, with their element masses
        [segment, element] if given."""
        cohort = k // self.window
        self.units[:, cohort] += units
        if content is not None:
            self.content[:, :, cohort] += content

    def turn(self, k: int, units: np.ndarray, content: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step k of a stock whose segments are `rows` of the caller's: units [caller's segment]
        with their element masses [caller's segment, element] enter (place), and what leaves
        (depart_with_content) is returned in their place, the other rows passed through."""
        if self.rng is not None:
            self.place(k, units[rows], content[rows])
            out_units, out_content = units.copy(), content.copy()
            out_units[rows], out_content[rows] = self.depart_with_content(k)
            return out_units, out_content
        first, last = self._visited(k)
        return _turn(self.units, self.content, self.hazard, first, last, k, self.window, units, content, rows)

    def _visited(self, k: int) -> tuple[int, int]:
        """The first and last cohorts present in step k: cohorts past the last age are empty, so
        they are not visited again."""
        if k >= self.n_ages:
            self._first = max(self._first, -(-(k - self.n_ages + 1) // self.window))
        return self._first, k // self.window

    def depart(self, k: int) -> np.ndarray:
        """Units leaving during step k, per segment (placements of step k already added)."""
        return self.depart_with_content(k)[0]

    def depart_with_content(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(units, element masses [segment, element]) leaving during step k: each cohort's
        content leaves with the share of its units that leave (its hazard in expected mode, the
        units drawn in stochastic mode), so vintages of different composition stay apart."""
        first, last = self._visited(k)
        if self.rng is None:  # each cohort's units and content leave at the hazard of its age
            return _leave_expected(self.units, self.content, self.hazard, first, last, k, self.window)
        present = self.units[:, first:last + 1]
        # the hazard at each present cohort's age, k - window x cohort: a strided view of the ages
        # from the oldest cohort's down to the newest's, k % window (a stop of -1 would wrap)
        w = self.window
        newest_age = k % w
        q = self.hazard[:, k - w * first:newest_age - 1 if newest_age else None:-w]
        leaving = self.rng.binomial(present.astype(np.int64), q).astype(float)
        share = np.divide(leaving, present, out=np.zeros(leaving.shape), where=present > 0)
        return _leave(self.units, self.content, first, leaving, share)

    def settle(self, units: np.ndarray, content: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps 0..n-1 of an empty stock at once, in expected mode, with each cohort's entries even
        over its window: in every step of cohort c's window (steps w c .. w c + w - 1 below n)
        `units[:, c]` [segment, cohort] enter with their element masses `content[:, :, c]` [segment,
        element, cohort]. Returns the units and element masses leaving in each step ([segment,
        step], [segment, element, step]) and leaves the stock as n steps of place and
        depart_with_content leave it (to rounding).

        A unit entering at age r of its cohort is present at the start of age a >= r with the
        probability prod over r <= j < a of (1 - q[j]) and leaves then with q[a]. Summed over the
        entry ages r of the window, these give one kernel by cohort age (the share of a step's entry
        leaving at each age, and still present after it), so a step's departures sum every cohort's
        entry times the kernel at its age then: one product of [cohort] by [cohort, step] per
        segment, whose cost grows with n squared.
        """
        n_segments, n_cohorts = units.shape
        w = self.window
        opened = w * np.arange(n_cohorts)
        q = np.ones((n_segments, n))  # ages past the last: every remaining unit leaves (truncated tail)
        reach = min(n, self.n_ages)
        q[:, :reach] = self.hazard[:, :reach]
        leaving, staying = _by_age(q, min(w, n))
        # kernel[s, c, k]: leaving at cohort c's age in step k (0 before it opens); column n of
        # `padded` is age 0, so cohort c's step 0 is column n - its opening step
        padded = np.hstack([np.zeros((n_segments, n)), leaving])
        kernel = np.lib.stride_tricks.sliding_window_view(padded, n, axis=1)[:, n - opened]
        departed = np.matmul(units[:, None, :], kernel)[:, 0]
        departed_content = np.matmul(content, kernel)
        still = staying[:, n - 1 - opened]  # [segment, cohort]: present after the last step
        self.units[:, :n_cohorts] = units * still
        self.content[:, :, :n_cohorts] = content * still[:, None, :]
        if n - 1 >= self.n_ages:  # as depart_with_content leaves the first cohort it visits
            self._first = max(self._first, -(-(n - self.n_ages) // w))
        return departed, departed_content

    def total(self) -> np.ndarray:
        """Units present per segment."""
        return self.units[:, self._first:].sum(axis=1)

    def total_content(self) -> np.ndarray:
        """Element masses present per segment [segment, element]."""
        return self.content[:, :, self._first:].sum(axis=2)


@njit(cache=True)
def _leave(units: np.ndarray, content: np.ndarray, first: int, leaving: np.ndarray,
           share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Take `leaving` units [segment, cohort from `first`] out of `units` [segment, cohort], and
    the `share` [segment, cohort from `first`] of each cohort's element masses out of `content`
    [segment, element, cohort], in place: (units, element masses [segment, element]) that left."""
    n_segments, n_elements, n = content.shape[0], content.shape[1], leaving.shape[1]
    left, gone = np.zeros(n_segments), np.zeros((n_segments, n_elements))
    for s in range(n_segments):
        for c in range(n):
            units[s, first + c] -= leaving[s, c]
            left[s] += leaving[s, c]
        for e in range(n_elements):
            total = 0.0
            for c in range(n):
                moved = content[s, e, first + c] * share[s, c]
                content[s, e, first + c] -= moved
                total += moved
            gone[s, e] = total
    return left, gone


@njit(cache=True)
def _by_age(q: np.ndarray, entry_ages: int) -> tuple[np.ndarray, np.ndarray]:
    """For units entering at each age r < `entry_ages` of a cohort's window and leaving at age a
    with probability q[segment, a]: the shares [segment, age] leaving at each age and still present
    after it, summed over r (a running product over ages, as np.cumprod forms it)."""
    n_segments, n = q.shape
    leaving, staying = np.zeros((n_segments, n)), np.zeros((n_segments, n))
    for s in range(n_segments):
        for r in range(entry_ages):
            present = 1.0  # of the units entering at age r, present at the start of age a
            for a in range(r, n):
                leaving[s, a] += present * q[s, a]
                present *= 1.0 - q[s, a]
                staying[s, a] += present
    return leaving, staying


@njit(cache=True)
def _leave_expected(units: np.ndarray, content: np.ndarray, hazard: np.ndarray, first: int, last: int, k: int,
                    window: int) -> tuple[np.ndarray, np.ndarray]:
    """_leave in expected mode for step k: of cohorts `first`..`last`, the share hazard[segment,
    age] leaves, at the cohort's age k - window x cohort."""
    n_segments, n_elements = content.shape[0], content.shape[1]
    left, gone = np.zeros(n_segments), np.zeros((n_segments, n_elements))
    for s in range(n_segments):
        for c in range(first, last + 1):
            leaving = units[s, c] * hazard[s, k - window * c]
            units[s, c] -= leaving
            left[s] += leaving
        for e in range(n_elements):
            total = 0.0
            for c in range(first, last + 1):
                moved = content[s, e, c] * hazard[s, k - window * c]
                content[s, e, c] -= moved
                total += moved
            gone[s, e] = total
    return left, gone


@njit(cache=True)
def _turn(units: np.ndarray, content: np.ndarray, hazard: np.ndarray, first: int, last: int, k: int, window: int,
          entering: np.ndarray, entering_content: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CohortStock.turn in expected mode: the `rows` of `entering` units [caller's segment] and
    their element masses join cohort k // window, then _leave_expected; what leaves takes their
    rows of the returned copies."""
    cohort = k // window
    for s in range(rows.size):
        units[s, cohort] += entering[rows[s]]
        for e in range(content.shape[1]):
            content[s, e, cohort] += entering_content[rows[s], e]
    left, gone = _leave_expected(units, content, hazard, first, last, k, window)
    out_units, out_content = entering.copy(), entering_content.copy()
    for s in range(rows.size):
        out_units[rows[s]] = left[s]
        for e in range(content.shape[1]):
            out_content[rows[s], e] = gone[s, e]
    return out_units, out_content


@functools.lru_cache(maxsize=256)  # the futures of an exploration share most hoarding delays
def truncation_age(distribution: Lifetime, step: float, n_steps: int, tail: float = 1e-4) -> int:
    """Steps after which a one-step cohort has all but `tail` of its units gone (at most n_steps).

    Hoarding delays are cut there: the last `tail` of a cohort leaves at that age instead of later,
    a shift far below the precision of any input, and it bounds the cohorts each step visits.
    """
    gone = window_departures(distribution, step, step, n_steps)
    reached = np.nonzero(gone >= 1.0 - tail)[0]
    return int(reached[0]) + 1 if reached.size else n_steps
