"""Parsing of one config value by its kind in the parameter table (share, quantity, anchor
series, distribution, composition, ...) into canonical units, with one-line errors."""

from __future__ import annotations

import calendar
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

import yaml

from . import parameter_table as table
from .errors import ConfigError
from .lifetimes import DISTRIBUTIONS, Lifetime
from .series import AnchorSeries
from .units import magnitude, parse_quantity

ELEMENTS = ("Nd", "Pr", "Dy", "Tb", "B", "FeCo")
#: where primary supply comes from, and the forms it comes in: oxide and metal (the primary feed of the
#: region's metal, alloy and magnet making), magnets, and magnets inside imported products
ORIGINS = ("china", "rest_of_world")
FORMS = ("oxide_metal", "magnets", "magnets_in_products")
GRADES = ("short_loop", "long_loop_only")
#: the segment keys a policy's dated changes may set (policy.rate_changes)
RATE_KEYS = ("collection_rate", "liberation_rate", "gbd_share", "dy_free_share", "magnet_free_share")
#: knobs of an anchor series beside its `anchors`: a factor on every value, a move in time [yr]
SERIES_KNOBS = ("scale", "shift")
#: a name in the config: a region, segment or plant
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _number(key: str, value, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ConfigError(key, value, expected)
    return float(value)


def _int(key: str, value, low: int, expected: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ConfigError(key, value, expected)
    return int(value)


def _share(key: str, value) -> float:
    share = _number(key, value, "a share in [0, 1]")
    if not 0.0 <= share <= 1.0:
        raise ConfigError(key, value, "a share in [0, 1]")
    return share


def _series(key: str, value, parse_one, ceiling: float | None = None) -> AnchorSeries:
    """A scalar, a mapping {year: value}, or {anchors: <either>, scale: factor, shift: years}: the
    anchors multiplied by `scale` and moved `shift` years later. Each value is parsed by
    parse_one(key, value); a scaled series may not exceed `ceiling` (shares stay <= 1)."""
    if not (isinstance(value, Mapping) and "anchors" in value):
        return _anchors(key, value, parse_one)
    for extra in sorted(set(value) - {"anchors", *SERIES_KNOBS}, key=str):
        raise ConfigError(f"{key}.{extra}", value[extra], "only anchors, scale and shift in a scaled series")
    series = _anchors(f"{key}.anchors", value["anchors"], parse_one)
    scale = _number(f"{key}.scale", value.get("scale", 1.0), "a factor >= 0")
    if scale < 0:
        raise ConfigError(f"{key}.scale", value["scale"], "a factor >= 0")
    shift = _number(f"{key}.shift", value.get("shift", 0.0), "a number of years (negative: earlier)")
    series = series.scaled(scale).shifted(shift)
    if ceiling is not None and max(series.values) > ceiling:
        raise ConfigError(f"{key}.scale", value["scale"],
                          f"a factor that keeps every value <= {ceiling:g} "
                          f"(the largest would be {max(series.values):.6g})")
    return series


def _anchors(key: str, value, parse_one) -> AnchorSeries:
    if not isinstance(value, Mapping):
        return AnchorSeries.constant(parse_one(key, value))
    if not value:
        raise ConfigError(key, dict(value), "a value or a non-empty mapping {year: value}")
    anchors: dict[float, tuple] = {}
    for year, item in value.items():
        item_key = f"{key}.{year}"
        if year in SERIES_KNOBS:
            raise ConfigError(item_key, item, "a year as the anchor key ({year: value} goes under 'anchors:' "
                                              "beside scale and shift)")
        year_value = anchor_year(item_key, year)
        if year_value in anchors:
            raise ConfigError(item_key, item, f"one anchor per year ({anchors[year_value][0]!r} and {year!r} are "
                                              f"the same year; edit one anchor with {key}.{year_value:g}=...)")
        anchors[year_value] = (year, parse_one(item_key, item))
    ordered = sorted(anchors.items())
    return AnchorSeries(tuple(y for y, _ in ordered), tuple(v for _, (_, v) in ordered))


def anchor_year(key: str, year) -> float:
    """An anchor key as a year: an integer, or its text (YAML keys in conf/ are quoted so that the
    command line can edit them; overrides give text); finite and never a boolean."""
    number = year
    if isinstance(year, str):
        try:
            number = float(year)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or not math.isfinite(number):
        raise ConfigError(key, year, "a year as the anchor key (a finite number such as 2030)")
    return float(number)


def _distribution(key: str, value) -> Lifetime:
    if not isinstance(value, Mapping) or "distribution" not in value:
        raise ConfigError(key, value, "a mapping with 'distribution' and its parameters")
    name = value["distribution"]
    if name not in DISTRIBUTIONS:
        raise ConfigError(f"{key}.distribution", name, f"one of {', '.join(DISTRIBUTIONS)}")
    needed = {"weibull": ("shape", "scale"), "normal": ("mean", "std"), "lognormal": ("mean", "std"),
              "fixed": ("mean",)}[name]
    for extra in sorted(set(value) - set(needed) - {"distribution"}):
        raise ConfigError(f"{key}.{extra}", value[extra], f"only {', '.join(needed)} for a {name} distribution")
    fields = {}
    for param in needed:
        param_key = f"{key}.{param}"
        if param not in value:
            raise ConfigError(param_key, None, f"a value for the {name} distribution")
        if param == "shape":
            fields[param] = _number(param_key, value[param], "a positive number")
        else:
            fields[param] = parse_quantity(param_key, value[param], "yr")
        if fields[param] <= 0 and not (name == "fixed" and key.endswith("hoarding") and fields[param] == 0):
            raise ConfigError(param_key, value[param], "a positive value")
    return Lifetime(name, **fields)


def composition(key: str, value) -> tuple[float, ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, f"a mapping of element shares ({', '.join(ELEMENTS)})")
    for element in value:
        if element not in ELEMENTS:
            raise ConfigError(f"{key}.{element}", value[element], f"an element among {', '.join(ELEMENTS)}")
    shares = tuple(_share(f"{key}.{e}", value.get(e, 0.0)) for e in ELEMENTS)
    if abs(sum(shares) - 1.0) > 1e-6:
        raise ConfigError(key, dict(value), f"element shares summing to 1 (they sum to {sum(shares):.6g})")
    return shares


def parse(row: table.Row, key: str, value) -> Any:
    """Parse one config value by its table kind into canonical units."""
    kind = row.kind
    if kind.startswith("optional_"):
        return None if value is None else parse(replace(row, kind=kind[len("optional_"):]), key, value)
    if kind == "year":
        return _int(key, value, 1800, "a year (integer)")
    if kind == "count":
        return _int(key, value, 1, "an integer >= 1")
    if kind == "seed":
        return _int(key, value, 0, "an integer >= 0")
    if kind.startswith("choice:"):
        options = kind[len("choice:"):].split("|")
        if value not in options:
            raise ConfigError(key, value, f"one of {', '.join(options)}")
        return value
    if kind == "share":
        return _share(key, value)
    if kind == "yield":
        share = _number(key, value, "a yield in (0, 1]")
        if not 0.0 < share <= 1.0:
            raise ConfigError(key, value, "a yield in (0, 1]")
        return share
    if kind == "number":
        return _number(key, value, "a number")
    if kind == "nonneg":
        number = _number(key, value, "a number >= 0")
        if number < 0:
            raise ConfigError(key, value, "a number >= 0")
        return number
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(key, value, "true or false")
        return value
    if kind == "name":
        if not isinstance(value, str) or not NAME.match(value):
            raise ConfigError(key, value, "a name of letters, digits and _ (starting with a letter)")
        return value
    if kind == "names":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or any(not isinstance(n, str) or not NAME.match(n) for n in names):
            raise ConfigError(key, value, "a list of names of letters, digits and _, or all")
        return tuple(dict.fromkeys(names))
    if kind == "text":
        if not isinstance(value, str):
            raise ConfigError(key, value, "a text")
        return value
    if kind == "quantity":
        number = parse_quantity(key, value, row.unit)
        if number <= 0:
            raise ConfigError(key, value, "a positive quantity")
        return number
    if kind == "quantity_series":
        return _series(key, value, lambda k, v: _nonnegative(k, v, parse_quantity(k, v, row.unit)))
    if kind == "number_series":
        return _series(key, value, lambda k, v: _nonnegative(k, v, _number(k, v, "a number of units per year >= 0")))
    if kind == "share_series":
        return _series(key, value, _share, ceiling=1.0)
    if kind == "mass_per_unit":
        return _mass_per_unit(key, value)
    if kind == "distribution":
        return None if value in (None, "none") else _distribution(key, value)
    if kind == "composition":
        return composition(key, value)
    if kind == "grades":
        grades = [value] if isinstance(value, str) else value
        if not isinstance(grades, list) or not grades or any(g not in GRADES for g in grades):
            raise ConfigError(key, value, f"a list of grades among {', '.join(GRADES)}")
        return tuple(dict.fromkeys(grades))
    if kind == "grade_mix":
        return None if value is None else _grade_mix(key, value)
    if kind == "rate_changes":
        return _rate_changes(key, value)
    if kind == "supply_shocks":
        return _supply_shocks(key, value)
    if kind == "licences":
        return _licences(key, value)
    if kind == "elements":
        return _members(key, value, ELEMENTS, "elements")
    if kind == "date":
        return date(key, value)
    raise AssertionError(f"unknown kind {kind!r} in the parameter table")


def _grade_mix(key: str, value) -> dict[str, float]:
    """Shares by grade name summing to 1 (the names are checked against the grade table later)."""
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, value, "a mapping of grade names to shares summing to 1, e.g. {SH: 0.4, UH: 0.6}")
    shares = {str(grade): _share(f"{key}.{grade}", share) for grade, share in value.items()}
    if abs(sum(shares.values()) - 1.0) > 1e-6:
        raise ConfigError(key, dict(value), f"grade shares summing to 1 (they sum to {sum(shares.values()):.6g})")
    return shares


def _nonnegative(key: str, raw, number: float) -> float:
    if number < 0:
        raise ConfigError(key, raw, "a value >= 0")
    return number


def _mass_per_unit(key: str, value) -> float:
    expected = "a mass per unit, e.g. '1.5 kg', or a mass per power, e.g. '650 kg/MW'"
    for unit in ("kg", "kg / MW"):  # per MW: the segment's units are MW
        mass = magnitude(value, unit) if isinstance(value, str) else None
        if mass is not None:
            if mass <= 0:
                raise ConfigError(key, value, "a positive mass")
            return mass
    raise ConfigError(key, value, expected)


def _events(key: str, value, fields: tuple[str, ...]) -> list[tuple[str, Mapping]]:
    """The items of a list of dated events, each a mapping with exactly `fields`, with their keys."""
    if not isinstance(value, list):
        raise ConfigError(key, value, "a list of {" + ", ".join(fields) + "}")
    items = []
    for i, item in enumerate(value):
        item_key = f"{key}.{i}"
        if not isinstance(item, Mapping) or set(item) != set(fields):
            raise ConfigError(item_key, item, f"a mapping with exactly {', '.join(fields)}")
        items.append((item_key, item))
    return items


def _rate_changes(key: str, value) -> tuple:
    """Dated rate changes in date order (the order of the list does not matter); two changes of
    the same rate of the same segment in the same year are refused, since neither would be meant."""
    changes = []
    for item_key, item in _events(key, value, ("year", "segment", "key", "value")):
        if item["key"] not in RATE_KEYS:
            raise ConfigError(f"{item_key}.key", item["key"], f"one of {', '.join(RATE_KEYS)}")
        if not isinstance(item["segment"], str):
            raise ConfigError(f"{item_key}.segment", item["segment"], "a segment name or 'all'")
        changes.append((_int(f"{item_key}.year", item["year"], 1800, "a year (integer)"),
                        item["segment"], item["key"], _share(f"{item_key}.value", item["value"])))
    return tuple(changes)


def _supply_shocks(key: str, value) -> tuple:
    shocks = []
    for item_key, item in _events(key, value, ("start", "end", "availability")):
        start = _number(f"{item_key}.start", item["start"], "a time in years")
        end = _number(f"{item_key}.end", item["end"], "a time in years")
        if end <= start:
            raise ConfigError(f"{item_key}.end", item["end"], f"a time after start ({start})")
        shocks.append((start, end, _share(f"{item_key}.availability", item["availability"])))
    return tuple(shocks)


@cache
def default(row: table.Row):
    """The row's default as a config value (cached: validation reads every default on every run;
    the parsers never change the value they are given)."""
    if row.default == "none":
        return None
    if row.kind == "composition":
        return yaml.safe_load("{" + row.default.replace(";", ",") + "}")
    return yaml.safe_load(row.default)


def date(key: str, value) -> float:
    """A month 'YYYY-MM' (its start) or a day 'YYYY-MM-DD' as a time [yr] on the model's calendar of
    twelve equal months (a monthly step covers exactly one month)."""
    text = value.isoformat() if hasattr(value, "isoformat") else value
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text) if isinstance(text, str) else None
    expected = "a month 'YYYY-MM' or a day 'YYYY-MM-DD' (quoted in YAML)"
    if match is None:
        raise ConfigError(key, value, expected)
    year, month = int(match.group(1)), int(match.group(2))
    day = int(match.group(3) or 1)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ConfigError(key, value, expected)
    return year + (month - 1) / 12 + (day - 1) / (12 * calendar.monthrange(year, month)[1])


def month_end(key: str, value) -> float:
    """The end [yr] of a month 'YYYY-MM' given as the last month of a period (inclusive), or of a
    day 'YYYY-MM-DD'."""
    start = date(key, value)
    text = value.isoformat() if hasattr(value, "isoformat") else value
    if len(text) == 7:
        return start + 1 / 12
    year, month = int(text[:4]), int(text[5:7])
    return start + 1 / (12 * calendar.monthrange(year, month)[1])


def _members(key: str, value, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or any(item not in allowed for item in items):
        raise ConfigError(key, value, f"a list of {what} among {', '.join(allowed)}")
    return tuple(dict.fromkeys(items))


#: fields of a licence regime: required ones, then optional ones with their defaults
LICENCE_FIELDS = ("elements", "forms", "from", "approval_share")
LICENCE_OPTIONAL = {"origin": "china", "to": None, "months": None, "delay": "0 day", "windows": [], "exempt": {},
                    "cancel_share": 0.0}


def _licences(key: str, value) -> tuple:
    """Export-licence regimes: (origin, elements, forms, start, end, approval_share, delay,
    windows ((start, end, approval_share), ...), exempt ((form, from), ...), cancel_share) with times
    in years."""
    if not isinstance(value, list):
        raise ConfigError(key, value, "a list of licence regimes {" + ", ".join(LICENCE_FIELDS) + ", ...}")
    regimes = []
    for i, item in enumerate(value):
        item_key = f"{key}.{i}"
        if not isinstance(item, Mapping):
            raise ConfigError(item_key, item, "a mapping with " + ", ".join(LICENCE_FIELDS))
        for name in item:
            if name not in LICENCE_FIELDS and name not in LICENCE_OPTIONAL:
                raise ConfigError(f"{item_key}.{name}", item[name],
                                  f"a field of a licence regime ({', '.join([*LICENCE_FIELDS, *LICENCE_OPTIONAL])})")
        for name in LICENCE_FIELDS:
            if name not in item:
                raise ConfigError(f"{item_key}.{name}", None, "a value (a licence regime needs "
                                                             f"{', '.join(LICENCE_FIELDS)})")
        fields = {**LICENCE_OPTIONAL, **item}
        origin = fields["origin"]
        if origin not in ORIGINS:
            raise ConfigError(f"{item_key}.origin", origin, f"one of {', '.join(ORIGINS)}")
        elements = _members(f"{item_key}.elements", fields["elements"], ELEMENTS, "elements")
        forms = _members(f"{item_key}.forms", fields["forms"], FORMS, "forms")
        start = date(f"{item_key}.from", fields["from"])
        if fields["to"] is not None and fields["months"] is not None:
            raise ConfigError(f"{item_key}.months", fields["months"], "either to or months, not both")
        end = math.inf
        if fields["to"] is not None:
            end = month_end(f"{item_key}.to", fields["to"])
        elif fields["months"] is not None:
            end = start + _number(f"{item_key}.months", fields["months"], "a number of months > 0") / 12
        if end <= start:
            raise ConfigError(f"{item_key}.{'to' if fields['to'] is not None else 'months'}",
                              fields["to"] if fields["to"] is not None else fields["months"], "an end after from")
        approval = _share(f"{item_key}.approval_share", fields["approval_share"])
        delay = parse_quantity(f"{item_key}.delay", fields["delay"], "yr")
        if delay < 0:
            raise ConfigError(f"{item_key}.delay", fields["delay"], "a time >= 0, e.g. '45 day'")
        windows = []
        for window_key, window in _events(f"{item_key}.windows", fields["windows"], ("from", "to", "approval_share")):
            w_start, w_end = date(f"{window_key}.from", window["from"]), month_end(f"{window_key}.to", window["to"])
            if w_end <= w_start:
                raise ConfigError(f"{window_key}.to", window["to"], "a month from 'from' on")
            windows.append((w_start, w_end, _share(f"{window_key}.approval_share", window["approval_share"])))
        exempt = fields["exempt"]
        if not isinstance(exempt, Mapping):
            raise ConfigError(f"{item_key}.exempt", exempt, "a mapping of forms to the date they are exempt from")
        for form in exempt:
            if form not in FORMS:
                raise ConfigError(f"{item_key}.exempt.{form}", exempt[form], f"a form among {', '.join(FORMS)}")
        regimes.append((origin, elements, forms, start, end, approval, delay, tuple(windows),
                        tuple((form, date(f"{item_key}.exempt.{form}", d)) for form, d in exempt.items()),
                        _share(f"{item_key}.cancel_share", fields["cancel_share"])))
    return tuple(regimes)
