"""Turns a composed config into frozen, unit-free, validated parameters in canonical units (kg, yr).

This is the one place that validates: every key is checked against the parameter table, every
quantity is converted with pint here, and every mistake raises a one-line ConfigError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import parameter_table as table
from .errors import ConfigError
from .lifetimes import Lifetime
from .series import AnchorSeries
from .supply import Licence, Stockpile, Supply, licences, stockpile
from .values import ELEMENTS, NAME, composition, default, parse

SECTIONS = ("region", "plant_schedules", "market", "scrap_store", "policy", "target", "output", "supply")
INDUSTRY = ("magnet_making", "metal_alloy_making", "bonded_making")
#: the one grade of a config without a grade table
ANY_GRADE = "any"


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
    imported_product_share: AnchorSeries
    composition: tuple[float, ...]  # shares of ELEMENTS
    grade_mix: tuple[float, ...]  # demand shares by grade, in the order of Params.grades
    gbd_share: AnchorSeries
    dy_free_share: AnchorSeries
    magnet_free_share: AnchorSeries


@dataclass(frozen=True)
class Grade:
    """A coercivity class of sintered NdFeB (N, M, H, SH, UH, EH)."""

    name: str
    dy_tb: float  # Dy + Tb share of the magnet made by bulk alloying [kg/kg]
    gbd_factor: float  # share of dy_tb still needed when made by grain-boundary diffusion


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
    product: str  # hpms: sintered or bonded
    process_yield: float
    yield_sd: float

    @property
    def mean_availability(self) -> float:
        if self.mtbf is not None and self.mttr is not None:
            return self.mtbf / (self.mtbf + self.mttr)
        return self.availability

    def recycled_yield(self, industry: Industry) -> float:
        """Recycled material in region-made magnets per feed [kg/kg]: HPMS powder through magnet
        making or bonded making, or a long loop's rare earths (generic composition) through metal
        and alloy making and magnet making."""
        making = industry.magnet_making
        sintered = 1.0 - making.swarf_share - making.loss_share
        if self.route == "hpms":
            powder = sintered if self.product == "sintered" else industry.bonded_making.process_yield
            return self.process_yield * powder
        rare_earths = sum(generic_composition()[ELEMENTS.index(e)] for e in ("Nd", "Pr", "Dy", "Tb"))
        return self.process_yield * rare_earths * industry.metal_alloy_making.process_yield * sintered

    def physical_capacity(self) -> float:
        """Feed the vessels can process per year at mean availability [kg/yr]."""
        return self.vessels * self.batch_size / self.cycle_time * self.mean_availability


@dataclass(frozen=True)
class Market:
    other_uses: AnchorSeries  # kg/yr


@dataclass(frozen=True)
class ScrapStore:
    export_share: AnchorSeries
    imported_scrap: AnchorSeries  # kg/yr
    swarf_short_loop_share: float


@dataclass(frozen=True)
class MagnetMaking:
    capacity: AnchorSeries  # kg of magnets per yr
    swarf_share: float
    loss_share: float
    in_house_share: float
    yield_sd: float
    heavy_addition: AnchorSeries  # most Dy + Tb added to re-sintered HPMS magnets [kg/kg of magnet]


@dataclass(frozen=True)
class Making:
    """A making stage with a capacity schedule and a yield (metal and alloy; bonded magnets)."""

    capacity: AnchorSeries  # kg per yr of output
    process_yield: float


@dataclass(frozen=True)
class Industry:
    """The value chain in the region after recycling."""

    magnet_making: MagnetMaking
    metal_alloy_making: Making
    bonded_making: Making
    unabsorbed: str  # stock | export


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
    licences: tuple[Licence, ...]
    stockpile: Stockpile
    mandate_share: float | None
    mandate_from: int

    def allocation_in(self, year: int) -> str:
        """How recycled magnets are allocated in `year`, the one rule that the market applies and the
        summary states: `preferential` (target scope first) when chosen, and from `mandate_from` on
        when a mandate is set; `proportional` otherwise."""
        mandate = self.mandate_share is not None and year >= self.mandate_from
        return "preferential" if self.allocation == "preferential" or mandate else "proportional"


@dataclass(frozen=True)
class Region:
    """Where the scenario is: its code (tables and keys), how the outputs name it, its benchmark."""

    code: str
    name: str  # in a sentence: 'the EU', 'the United States', 'Japan'
    label: str  # in titles: 'EU', 'US', 'Japan'
    capacity_benchmark: float | None
    capacity_benchmark_label: str


@dataclass(frozen=True)
class Target:
    share: float | None  # None: no target; the outputs still centre on `year`
    year: int
    metric: str
    label: str
    regions: tuple[str, ...]  # region codes, or ("all",)
    note: str | None


@dataclass(frozen=True)
class Output:
    figures: bool
    sankey_year: int
    parquet: bool
    replication_tables: str  # all, or first: flows and stocks of replication 0 only


@dataclass(frozen=True)
class Params:
    start_year: int
    end_year: int
    history_start: int
    mode: str
    replications: int
    seed: int
    steps_per_year: int
    region: Region
    segments: tuple[Segment, ...]
    grades: tuple[Grade, ...]  # by rising dy_tb
    plants: tuple[Plant, ...]
    market: Market
    scrap_store: ScrapStore
    industry: Industry
    supply: Supply
    policy: Policy
    target: Target
    output: Output

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)


# --- walking the config ----------------------------------------------------------------------


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
            parsed[name] = parse(row, key, values[name])
        elif row.required:
            raise ConfigError(key, None, f"a value ({row.meaning.split(';')[0].rstrip('.')})")
        else:
            parsed[name] = parse(row, key, default(row))
    return parsed


def _named(values, prefix: str) -> dict[str, Mapping]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ConfigError(prefix, values, "a mapping of names to settings")
    for name in values:
        if not isinstance(name, str) or not NAME.match(name):
            raise ConfigError(f"{prefix}.{name}", values[name], "a name of letters, digits and _")
    return dict(values)


def validate(config: Mapping) -> Params:
    """Validate a composed config (a mapping, e.g. OmegaConf.to_container of the DictConfig)."""
    groups = ("segments", "grades", "plants", "industry", *SECTIONS)
    top = _section({k: v for k, v in config.items() if k not in groups}, ())
    if top["end_year"] < top["start_year"]:
        raise ConfigError("end_year", top["end_year"], f"a year >= start_year ({top['start_year']})")
    if top["history_start"] > top["start_year"]:
        raise ConfigError("history_start", top["history_start"], f"a year <= start_year ({top['start_year']})")
    if top["mode"] == "stochastic" and top["replications"] > top["max_replications"]:
        raise ConfigError("replications", top["replications"],
                          f"at most max_replications ({top['max_replications']}); raise max_replications to run more")
    del top["max_replications"]
    sections = {name: _section(config.get(name) or {}, (name,)) for name in SECTIONS}

    segment_cfg = _named(config.get("segments"), "segments")
    if not segment_cfg:
        raise ConfigError("segments", config.get("segments"), "at least one segment")
    segments = {name: _section(values, ("segments", name)) for name, values in segment_cfg.items()}
    grades = _grades(config.get("grades"))
    for name, fields in segments.items():
        fields["grade_mix"] = _grade_mix(f"segments.{name}.grade_mix", fields, grades)

    policy = sections["policy"]
    policy["rate_changes"] = _apply_rate_changes(policy, segments)
    plants = []
    for name, values in _named(config.get("plants"), "plants").items():
        fields = _section(values, ("plants", name))
        key = f"plants.{name}"
        if fields["route"] == "hpms" and fields["accepts"] != ("short_loop",):
            raise ConfigError(f"{key}.accepts", list(fields["accepts"]), "[short_loop] for an hpms plant")
        if fields["route"] == "long_loop" and "product" in values:
            raise ConfigError(f"{key}.product", values["product"],
                              "no product for a long_loop plant (its output is separated rare earths)")
        if (fields["mtbf"] is None) != (fields["mttr"] is None):
            raise ConfigError(f"{key}.mttr", values.get("mttr"), "mtbf and mttr set together, or neither")
        fields["process_yield"] = fields.pop("yield")
        schedules = sections["plant_schedules"]
        fields["capacity"] = fields["capacity"].scaled(schedules["scale"]).shifted(schedules["shift"])
        fields["vessels"] = _vessels(key, fields)
        _check_yield_sd(f"{key}.yield_sd", fields["yield_sd"], fields["process_yield"])
        plants.append(Plant(name=name, **fields))

    out, target = sections["output"], sections["target"]
    for key, year in (("output.sankey_year", out["sankey_year"]), ("target.year", target["year"])):
        if not top["start_year"] <= year <= top["end_year"]:
            raise ConfigError(key, year, f"a year in [{top['start_year']}, {top['end_year']}]")
    region = Region(**sections["region"])
    if "all" not in target["regions"] and region.code not in target["regions"]:
        raise ConfigError("target.regions", list(target["regions"]),
                          f"a list that includes region.code {region.code!r}: this target is for "
                          f"{', '.join(target['regions'])} only; choose target=none or a target for {region.code}")
    industry = _industry(config.get("industry") or {})
    supply_cfg = config.get("supply") or {}
    supply = Supply(_section(supply_cfg.get("china_share") or {}, ("supply", "china_share")),
                    **_section(supply_cfg, ("supply",)))
    policy["licences"] = licences(policy["licences"], top["start_year"])
    stockpile_cfg = (config.get("policy") or {}).get("stockpile") or {}
    policy["stockpile"] = stockpile(_section(stockpile_cfg, ("policy", "stockpile")))
    return Params(
        **top,
        region=region,
        segments=tuple(Segment(name=n, **f) for n, f in segments.items()),
        grades=grades,
        plants=tuple(plants),
        market=Market(**sections["market"]),
        scrap_store=ScrapStore(**sections["scrap_store"]),
        industry=industry,
        supply=supply,
        policy=Policy(**{**policy, "supply_shocks": tuple(SupplyShock(*shock) for shock in policy["supply_shocks"])}),
        target=Target(**target),
        output=Output(**out),
    )


#: most vessels a plant gets without naming them (each vessel's campaigns are events of the simulation)
DERIVED_VESSELS = 1000


def _vessels(key: str, fields: dict) -> int:
    """HPMS vessels: as given, or when not given as many as the peak of the capacity schedule needs
    (one vessel by default capped a 2,000 t/yr plant at 394 t/yr without a word). Given vessels
    may be fewer: then they cap the capacity, and the capacity reported says so."""
    if fields["vessels"] is not None:
        return fields["vessels"]
    if fields["route"] != "hpms":
        return 1  # a long-loop plant has no vessels; its capacity is its schedule
    availability = fields["mtbf"] / (fields["mtbf"] + fields["mttr"]) if fields["mtbf"] is not None \
        else fields["availability"]
    per_vessel = fields["batch_size"] / fields["cycle_time"] * availability  # kg/yr
    peak = max(fields["capacity"].values)
    needed = max(1, math.ceil(peak / per_vessel - 1e-9))
    if needed > DERIVED_VESSELS:
        raise ConfigError(f"{key}.vessels", None,
                          f"a number of vessels: the peak of {key}.capacity ({peak / 1e3:g} t/yr) needs {needed} "
                          f"at {per_vessel / 1e3:.4g} t/yr each, more than are derived ({DERIVED_VESSELS})")
    return needed


def _check_yield_sd(key: str, sd: float, mean: float) -> None:
    """A sampled yield is a beta draw with the given mean and sd; its concentration
    mean (1 - mean) / sd^2 - 1 must be at least 1, so sd is at most sqrt(mean (1 - mean) / 2).
    A yield of 1 is certain and its sd is not used."""
    largest = math.sqrt(mean * (1 - mean) / 2)
    if mean < 1 and sd > largest:
        raise ConfigError(key, sd, f"a standard deviation <= {largest:.4g} for a yield of {mean:g} "
                                   "(a beta distribution of that mean cannot spread more)")


def _grades(values) -> tuple[Grade, ...]:
    """The grade table, by rising Dy + Tb content; without one, a single grade that needs no Dy or
    Tb (every recycled magnet serves every use)."""
    named = _named(values, "grades")
    if not named:
        return (Grade(name=ANY_GRADE, dy_tb=0.0, gbd_factor=1.0),)
    grades = [Grade(name=name, **_section(fields, ("grades", name))) for name, fields in named.items()]
    return tuple(sorted(grades, key=lambda grade: grade.dy_tb))


def _grade_mix(key: str, fields: dict, grades: tuple[Grade, ...]) -> tuple[float, ...]:
    """A segment's demand shares in the order of the grade table; without a mix, all of it at the
    highest grade its own composition's Dy + Tb reaches (so its scrap serves its own demand)."""
    mix = fields["grade_mix"]
    names = [grade.name for grade in grades]
    if mix is None:
        heavy = sum(fields["composition"][ELEMENTS.index(e)] for e in ("Dy", "Tb"))
        reached = [i for i, grade in enumerate(grades) if grade.dy_tb <= heavy + 1e-12] or [0]
        return tuple(1.0 if i == reached[-1] else 0.0 for i in range(len(grades)))
    for name in mix:
        if name not in names:
            raise ConfigError(f"{key}.{name}", mix[name], f"a grade of the grade table ({', '.join(names)})")
    return tuple(mix.get(name, 0.0) for name in names)


def _apply_rate_changes(policy: dict, segments: dict[str, dict]) -> tuple:
    """Step each segment's rates at the dates of the policy's rate changes and of the changes added
    to them (policy.added_rate_changes), in date order whatever the order of the lists."""
    listed = [(f"policy.rate_changes.{i}", c) for i, c in enumerate(policy["rate_changes"])]
    listed += [(f"policy.added_rate_changes.{i}", c) for i, c in enumerate(policy.pop("added_rate_changes"))]
    changed: dict[tuple[int, str, str], str] = {}
    for item_key, (year, segment, key, value) in sorted(listed, key=lambda item: item[1][0]):
        if segment != "all" and segment not in segments:
            raise ConfigError(f"{item_key}.segment", segment,
                              f"a segment name or 'all' (segments: {', '.join(segments)})")
        for name in list(segments) if segment == "all" else [segment]:
            if (year, name, key) in changed:
                raise ConfigError(f"{item_key}.year", year, f"one change of {name}'s {key} a year "
                                                            f"({changed[year, name, key]} changes it in {year} too)")
            changed[year, name, key] = item_key
            segments[name][key] = segments[name][key].with_step(year, value)
    return tuple(change for _, change in listed)


def _industry(values: Mapping) -> Industry:
    """The industry group: one section per making stage, checked like every other section."""
    top = _section(values, ("industry",))
    stages = {name: _section(values.get(name) or {}, ("industry", name)) for name in INDUSTRY}
    making = stages["magnet_making"]
    if making["swarf_share"] >= 1.0:
        raise ConfigError("industry.magnet_making.swarf_share", making["swarf_share"],
                          "a share below 1: some feedstock must end up in magnets")
    if making["swarf_share"] + making["loss_share"] >= 1.0:
        raise ConfigError("industry.magnet_making.loss_share", making["loss_share"],
                          f"a share below 1 - swarf_share ({1 - making['swarf_share']:g}): "
                          "some feedstock must end up in magnets")
    _check_yield_sd("industry.magnet_making.yield_sd", making["yield_sd"],
                    1.0 - making["swarf_share"] - making["loss_share"])
    return Industry(
        magnet_making=MagnetMaking(**making),
        metal_alloy_making=Making(stages["metal_alloy_making"]["capacity"], stages["metal_alloy_making"]["yield"]),
        bonded_making=Making(stages["bonded_making"]["capacity"], stages["bonded_making"]["yield"]),
        unabsorbed=top["unabsorbed"],
    )


def generic_composition() -> tuple[float, ...]:
    """Element shares of generic sintered NdFeB (the table default), used for pre-consumer swarf."""
    row = next(r for r in table.rows() if r.key == "segments.<segment>.composition")
    return composition(row.key, default(row))

