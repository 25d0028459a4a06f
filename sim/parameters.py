"""Turns a composed config into frozen, unit-free, validated parameters in canonical units (kg, yr).

This is the one place that validates: every key is checked against the parameter table, every
quantity is converted with pint here, and every mistake raises a one-line ConfigError.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, replace
from typing import Any, Mapping

import yaml

from . import table
from .errors import ConfigError
from .lifetimes import DISTRIBUTIONS, Lifetime
from .series import AnchorSeries
from .units import parse_quantity, ureg

ELEMENTS = ("Nd", "Pr", "Dy", "Tb", "B", "FeCo")
GRADES = ("short_loop", "long_loop_only")
RATE_KEYS = ("collection_rate", "liberation_rate")
SECTIONS = ("market", "scrap_store", "sintering", "policy", "target", "output")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Segment:
    """A product family holding NdFeB. Masses in kg, times in yr."""

    name: str
    placed_on_market: AnchorSeries  # units per year
    magnet_per_unit: float  # kg per unit (units are MW when given per MW)
    magnet_share: float
    lifetime: Lifetime
    hoarding: Lifetime | None
    collection_rate: AnchorSeries
    liberation_rate: AnchorSeries
    short_loop_share: float
    dismantling_capacity: AnchorSeries | None  # kg/yr of magnets, None = unlimited
    in_target_scope: bool
    composition: tuple[float, ...]  # shares of ELEMENTS


@dataclass(frozen=True)
class Plant:
    """A recycling plant: an HPMS short loop or a hydrometallurgical long loop."""

    name: str
    route: str
    capacity: AnchorSeries  # kg of feed per year
    vessels: int
    batch_size: float  # kg
    cycle_time: float  # yr
    cycle_time_cv: float
    availability: float
    mtbf: float | None  # yr
    mttr: float | None  # yr
    campaign_length: float  # yr
    accepts: tuple[str, ...]
    process_yield: float
    yield_sd: float

    @property
    def node(self) -> str:
        return f"{'hpms' if self.route == 'hpms' else 'long_loop'}:{self.name}"

    @property
    def mean_availability(self) -> float:
        if self.mtbf is not None and self.mttr is not None:
            return self.mtbf / (self.mtbf + self.mttr)
        return self.availability

    def physical_capacity(self) -> float:
        """Feed the vessels can process per year at mean availability [kg/yr]."""
        return self.vessels * self.batch_size / self.cycle_time * self.mean_availability


@dataclass(frozen=True)
class Market:
    other_uses: AnchorSeries  # kg/yr
    regional_magnet_making: AnchorSeries  # kg/yr
    swarf_share: float


@dataclass(frozen=True)
class ScrapStore:
    export_share: AnchorSeries
    imported_scrap: AnchorSeries  # kg/yr
    swarf_short_loop_share: float


@dataclass(frozen=True)
class Sintering:
    process_yield: float
    swarf_share_of_loss: float


@dataclass(frozen=True)
class SupplyShock:
    start: float  # yr
    end: float  # yr
    availability: float


@dataclass(frozen=True)
class Policy:
    name: str
    allocation: str
    export_ban_year: int | None
    rate_changes: tuple[tuple[int, str, str, float], ...]
    supply_shocks: tuple[SupplyShock, ...]
    mandate_share: float | None
    mandate_from: int

    def primary_availability(self, t: float) -> float:
        """Share of requested primary supply delivered at time t [yr]."""
        share = 1.0
        for shock in self.supply_shocks:
            if shock.start <= t < shock.end:
                share = min(share, shock.availability)
        return share

    def preferential(self, year: int) -> bool:
        mandate = self.mandate_share is not None and year >= self.mandate_from
        return self.allocation == "preferential" or mandate


@dataclass(frozen=True)
class Target:
    share: float
    year: int
    metric: str
    label: str


@dataclass(frozen=True)
class Output:
    figures: bool
    sankey_year: int
    parquet: bool


@dataclass(frozen=True)
class Params:
    start_year: int
    end_year: int
    history_start: int
    mode: str
    replications: int
    seed: int
    steps_per_year: int
    segments: tuple[Segment, ...]
    plants: tuple[Plant, ...]
    market: Market
    scrap_store: ScrapStore
    sintering: Sintering
    policy: Policy
    target: Target
    output: Output

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)


# --- parsing by kind -------------------------------------------------------------------------


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


def _series(key: str, value, parse_one) -> AnchorSeries:
    """A scalar or a mapping {year: value}, each value parsed by parse_one(key, value)."""
    if not isinstance(value, Mapping):
        return AnchorSeries.constant(parse_one(key, value))
    if not value:
        raise ConfigError(key, dict(value), "a value or a non-empty mapping {year: value}")
    anchors = []
    for year, item in value.items():
        item_key = f"{key}.{year}"
        try:  # YAML gives int keys; command-line overrides may give strings
            year_value = float(year)
        except (TypeError, ValueError):
            raise ConfigError(item_key, year, "a year as the anchor key") from None
        anchors.append((year_value, parse_one(item_key, item)))
    anchors.sort()
    return AnchorSeries(tuple(a for a, _ in anchors), tuple(v for _, v in anchors))


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


def _composition(key: str, value) -> tuple[float, ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, f"a mapping of element shares ({', '.join(ELEMENTS)})")
    for element in value:
        if element not in ELEMENTS:
            raise ConfigError(f"{key}.{element}", value[element], f"an element among {', '.join(ELEMENTS)}")
    shares = tuple(_share(f"{key}.{e}", value.get(e, 0.0)) for e in ELEMENTS)
    if abs(sum(shares) - 1.0) > 1e-6:
        raise ConfigError(key, dict(value), f"element shares summing to 1 (they sum to {sum(shares):.6g})")
    return shares


def _parse(row: table.Row, key: str, value) -> Any:
    """Parse one config value by its table kind into canonical units."""
    kind = row.kind
    if kind.startswith("optional_"):
        return None if value is None else _parse(replace(row, kind=kind[len("optional_"):]), key, value)
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
    if kind == "nonneg":
        number = _number(key, value, "a number >= 0")
        if number < 0:
            raise ConfigError(key, value, "a number >= 0")
        return number
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(key, value, "true or false")
        return value
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
        return _series(key, value, _share)
    if kind == "mass_per_unit":
        return _mass_per_unit(key, value)
    if kind == "distribution":
        return None if value in (None, "none") else _distribution(key, value)
    if kind == "composition":
        return _composition(key, value)
    if kind == "grades":
        grades = [value] if isinstance(value, str) else value
        if not isinstance(grades, list) or not grades or any(g not in GRADES for g in grades):
            raise ConfigError(key, value, f"a list of grades among {', '.join(GRADES)}")
        return tuple(dict.fromkeys(grades))
    if kind == "rate_changes":
        return _rate_changes(key, value)
    if kind == "supply_shocks":
        return _supply_shocks(key, value)
    raise AssertionError(f"unknown kind {kind!r} in the parameter table")


def _nonnegative(key: str, raw, number: float) -> float:
    if number < 0:
        raise ConfigError(key, raw, "a value >= 0")
    return number


def _mass_per_unit(key: str, value) -> float:
    expected = "a mass per unit, e.g. '1.5 kg', or a mass per power, e.g. '650 kg/MW'"
    try:
        quantity = ureg.Quantity(value) if isinstance(value, str) else None
    except Exception:
        quantity = None
    if quantity is None or not isinstance(quantity, ureg.Quantity):
        raise ConfigError(key, value, expected)
    for unit in ("kg", "kg/MW"):
        if quantity.check(ureg.Quantity(1, unit).dimensionality):
            mass = float(quantity.to(unit).magnitude)
            if not mass > 0 or not math.isfinite(mass):
                raise ConfigError(key, value, "a positive, finite mass")
            return mass
    raise ConfigError(key, value, expected)


def _rate_changes(key: str, value) -> tuple:
    if not isinstance(value, list):
        raise ConfigError(key, value, "a list of {year, segment, key, value}")
    changes = []
    for i, item in enumerate(value):
        item_key = f"{key}[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"year", "segment", "key", "value"}:
            raise ConfigError(item_key, item, "a mapping with exactly year, segment, key, value")
        if item["key"] not in RATE_KEYS:
            raise ConfigError(f"{item_key}.key", item["key"], f"one of {', '.join(RATE_KEYS)}")
        changes.append((_int(f"{item_key}.year", item["year"], 1800, "a year (integer)"),
                        str(item["segment"]), item["key"], _share(f"{item_key}.value", item["value"])))
    return tuple(changes)


def _supply_shocks(key: str, value) -> tuple:
    if not isinstance(value, list):
        raise ConfigError(key, value, "a list of {start, end, availability}")
    shocks = []
    for i, item in enumerate(value):
        item_key = f"{key}[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"start", "end", "availability"}:
            raise ConfigError(item_key, item, "a mapping with exactly start, end, availability")
        start = _number(f"{item_key}.start", item["start"], "a time in years")
        end = _number(f"{item_key}.end", item["end"], "a time in years")
        if end <= start:
            raise ConfigError(f"{item_key}.end", item["end"], f"a time after start ({start})")
        shocks.append(SupplyShock(start, end, _share(f"{item_key}.availability", item["availability"])))
    return tuple(shocks)


# --- walking the config ----------------------------------------------------------------------


def _default(row: table.Row):
    if row.default == "none":
        return None
    if row.kind == "composition":
        return yaml.safe_load("{" + row.default.replace(";", ",") + "}")
    return yaml.safe_load(row.default)


def _section(values: Mapping, prefix: tuple[str, ...]) -> dict[str, Any]:
    """Parse the keys of one mapping against the table: unknown keys, defaults, required keys."""
    allowed = table.children(prefix)
    path = ".".join(prefix)
    if not isinstance(values, Mapping):
        raise ConfigError(path, values, "a mapping")
    for name in values:
        if name not in allowed:
            raise ConfigError(f"{path}.{name}" if path else str(name), values[name],
                              f"a known key (allowed here: {', '.join(sorted(allowed))})")
    parsed = {}
    for name, row in allowed.items():
        if row is None:
            continue
        key = f"{path}.{name}" if path else name
        if name in values:
            parsed[name] = _parse(row, key, values[name])
        elif row.required:
            raise ConfigError(key, None, f"a value ({row.meaning.split(';')[0].rstrip('.')})")
        else:
            parsed[name] = _parse(row, key, _default(row))
    return parsed


def _named(values, prefix: str) -> dict[str, Mapping]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ConfigError(prefix, values, "a mapping of names to settings")
    for name in values:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{prefix}.{name}", values[name], "a name of letters, digits and _")
    return dict(values)


def validate(config: Mapping) -> Params:
    """Validate a composed config (a mapping, e.g. OmegaConf.to_container of the DictConfig)."""
    top = _section({k: v for k, v in config.items() if k not in ("segments", "plants", *SECTIONS)}, ())
    if top["end_year"] < top["start_year"]:
        raise ConfigError("end_year", top["end_year"], f"a year >= start_year ({top['start_year']})")
    if top["history_start"] > top["start_year"]:
        raise ConfigError("history_start", top["history_start"], f"a year <= start_year ({top['start_year']})")
    sections = {name: _section(config.get(name) or {}, (name,)) for name in SECTIONS}

    segment_cfg = _named(config.get("segments"), "segments")
    if not segment_cfg:
        raise ConfigError("segments", config.get("segments"), "at least one segment")
    segments = {name: _section(values, ("segments", name)) for name, values in segment_cfg.items()}

    policy = sections["policy"]
    for i, (year, segment, key, value) in enumerate(policy["rate_changes"]):
        targets = list(segments) if segment == "all" else [segment]
        if segment != "all" and segment not in segments:
            raise ConfigError(f"policy.rate_changes[{i}].segment", segment,
                              f"a segment name or 'all' (segments: {', '.join(segments)})")
        for name in targets:
            segments[name][key] = segments[name][key].with_step(year, value)

    plants = []
    for name, values in _named(config.get("plants"), "plants").items():
        fields = _section(values, ("plants", name))
        key = f"plants.{name}"
        if fields["route"] == "hpms" and fields["accepts"] != ("short_loop",):
            raise ConfigError(f"{key}.accepts", list(fields["accepts"]), "[short_loop] for an hpms plant")
        if (fields["mtbf"] is None) != (fields["mttr"] is None):
            raise ConfigError(f"{key}.mttr", values.get("mttr"), "mtbf and mttr set together, or neither")
        fields["process_yield"] = fields.pop("yield")
        plants.append(Plant(name=name, **fields))

    out, target = sections["output"], sections["target"]
    for key, year in (("output.sankey_year", out["sankey_year"]), ("target.year", target["year"])):
        if not top["start_year"] <= year <= top["end_year"]:
            raise ConfigError(key, year, f"a year in [{top['start_year']}, {top['end_year']}]")
    if sections["market"]["swarf_share"] >= 1.0:
        raise ConfigError("market.swarf_share", sections["market"]["swarf_share"],
                          "a share in [0, 1): some feedstock must end up in magnets")
    sintering = sections["sintering"]
    return Params(
        **top,
        segments=tuple(Segment(name=n, **f) for n, f in segments.items()),
        plants=tuple(plants),
        market=Market(**sections["market"]),
        scrap_store=ScrapStore(**sections["scrap_store"]),
        sintering=Sintering(process_yield=sintering["yield"], swarf_share_of_loss=sintering["swarf_share_of_loss"]),
        policy=Policy(**policy),
        target=Target(**target),
        output=Output(**out),
    )


def generic_composition() -> tuple[float, ...]:
    """Element shares of generic sintered NdFeB (the table default), used for pre-consumer swarf."""
    row = next(r for r in table.rows() if r.key == "segments.<segment>.composition")
    return _composition(row.key, _default(row))
