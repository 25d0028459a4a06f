"""Validated parameters of primary supply: China's share of each form, export-licence regimes and
the strategic stockpile (frozen, times in years)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError
from .series import AnchorSeries


@dataclass(frozen=True)
class Supply:
    """Primary supply by origin: China's share of each form (the rest comes from the rest of the world),
    and the share of a cut of China's supply that the rest of the world's spare capacity makes up."""

    china_share: dict[str, AnchorSeries]  # form -> share series
    rest_of_world_make_up: AnchorSeries  # share of what a China cut withholds that the rest of the world supplies


@dataclass(frozen=True)
class Licence:
    """An export-licence regime of one origin: lots of `forms` that contain any of `elements` need a
    licence from `start` until `end` [yr]; approvals (`approval_share` of what is asked, or a
    window's share) arrive `delay` [yr] after the application. A form is exempt from its date on.
    What is not approved waits and is asked again the next step, less `cancel_share` of it a month
    (1: nothing waits; what is not approved is lost)."""

    origin: str
    elements: tuple[str, ...]
    forms: tuple[str, ...]
    start: float
    end: float  # inf: open-ended
    approval_share: float
    delay: float
    windows: tuple[tuple[float, float, float], ...]  # (start, end, approval_share), times in yr
    exempt: tuple[tuple[str, float], ...]  # (form, exempt from [yr])
    cancel_share: float  # share of the waiting requests withdrawn a month


@dataclass(frozen=True)
class Stockpile:
    """A strategic store of `elements`: filled up to `size_months` of the region's demand of each
    element, over `fill_months` from `fill_from` [yr] while supply is not short; released into the
    region's magnet making when licensed supply falls short."""

    size_months: float
    elements: tuple[str, ...]
    fill_from: float
    fill_months: float


def licences(regimes: tuple, start_year: int) -> tuple[Licence, ...]:
    """Licence regimes. Placement history before start_year is observed, so no regime acts then: a
    regime or window that ends before start_year would silently do nothing, and is refused."""
    out = []
    for i, fields in enumerate(regimes):
        licence = Licence(*fields)
        key = f"policy.licences.{i}"
        ends = [(f"{key}.to", licence.end)] + [(f"{key}.windows.{j}.to", w[1]) for j, w in enumerate(licence.windows)]
        for item_key, end in ends:
            if end <= start_year:
                raise ConfigError(item_key, _month(end), f"a period ending after the start of start_year "
                                                         f"({start_year}): placement before it is observed "
                                                         "history, which no policy changes")
        out.append(licence)
    return tuple(out)


def _month(t: float) -> str:
    year, month = divmod(round(t * 12) - 1, 12)
    return f"{year}-{month + 1:02d}"


def stockpile(fields: dict) -> Stockpile:
    """The stockpile section, parsed against the table."""
    if fields["fill_months"] <= 0:
        raise ConfigError("policy.stockpile.fill_months", fields["fill_months"], "a number of months > 0")
    return Stockpile(**fields)
