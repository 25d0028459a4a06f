"""Anchor-point time series: values at anchor years, linear between them, flat outside them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnchorSeries:
    """A series given by anchor points (year -> value) in canonical units.

    The value at time t (years, float) is linearly interpolated between anchors and held flat
    before the first and after the last anchor.
    """

    years: tuple[float, ...]
    values: tuple[float, ...]

    @classmethod
    def constant(cls, value: float) -> AnchorSeries:
        return cls((0.0,), (float(value),))

    def at(self, t):
        """Value at time t [yr]; t may be a float or an array."""
        return np.interp(t, self.years, self.values)

    def with_step(self, year: float, value: float) -> AnchorSeries:
        """The same series up to `year`, then `value` from `year` on (a policy event)."""
        before = [(y, v) for y, v in zip(self.years, self.values) if y < year]
        anchors = before + [(year - 1e-9, float(self.at(year - 1e-9))), (float(year), float(value))]
        ys, vs = zip(*anchors)
        return AnchorSeries(tuple(ys), tuple(vs))

    def scaled(self, factor: float) -> AnchorSeries:
        """Every value multiplied by `factor`."""
        return AnchorSeries(self.years, tuple(v * factor for v in self.values))

    def shifted(self, years: float) -> AnchorSeries:
        """The series moved `years` later in time (earlier when negative): value(t) = old(t - years)."""
        return AnchorSeries(tuple(y + years for y in self.years), self.values)


def by_year(series: list[AnchorSeries | None], first_year: int, last_year: int,
            missing: float = np.inf) -> np.ndarray:
    """Values of several series at each calendar year: array [year - first_year, series].

    The rate for calendar year y is the series evaluated at y; tables are built once per run so
    that the event loop only indexes arrays. A None series takes the value `missing`.
    """
    years = np.arange(first_year, last_year + 1, dtype=float)
    columns = [np.full(years.shape, missing) if s is None else s.at(years) for s in series]
    return np.array(columns).T.reshape(len(years), len(series))
