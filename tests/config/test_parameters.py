"""The parameter layer: every shipped config composes and validates; every bad input is rejected
with a one-line ConfigError naming its key; keys left out take the parameter table's defaults."""

from __future__ import annotations

import copy
import csv
import math
from pathlib import Path

import pytest
import yaml

import sim

CONF = Path(__file__).resolve().parents[2] / "conf"
TABLE = Path(sim.__file__).parent / "config" / "parameter_table.csv"


def config_options() -> list[tuple[str, str]]:
    """(group, option) for every option file of every config group in conf/.

    conf/hydra/ configures Hydra itself (sweeps, callbacks), not the model, conf/explore/ holds
    exploration specs that `python -m sim explore` reads and conf/world/ the coupled runs of
    `python -m sim world` (tests/analysis/test_world.py): none is a group here.
    """
    return [(group.name, option.stem)
            for group in sorted(p for p in CONF.iterdir()
                                if p.is_dir() and p.name not in ("hydra", "explore", "world"))
            for option in sorted(group.glob("*.yaml"))]


def test_conf_has_the_documented_groups():
    """conf/ holds at least the region, plants, policy and target groups, each with an option."""
    groups = {group for group, _ in config_options()}
    assert {"region", "plants", "policy", "target"} <= groups


def test_default_config_composes_and_validates():
    """The default config (conf/config.yaml and its defaults list) validates into parameters."""
    params = sim.parameters(sim.load_config())

    assert params.segments and params.start_year <= params.end_year


@pytest.mark.parametrize("group, option", config_options(), ids=[f"{g}={o}" for g, o in config_options()])
def test_every_config_option_composes_and_validates(group, option):
    """Selecting any option of any config group gives a config that validates (sweep specs are
    not in the defaults list, so they are appended with +)."""
    cfg = sim.load_config([f"{'+' if group == 'sweep' else ''}{group}={option}"])

    params = sim.parameters(cfg)
    assert params.segments and params.start_year <= params.target.year <= params.end_year
    if group == "policy":  # the option chosen is the policy that runs
        assert params.policy.name == option


# --- bad input ----------------------------------------------------------------------------------


def minimal_config() -> dict:
    """One segment and one HPMS plant; everything else at its default."""
    return {
        "start_year": 2000, "end_year": 2020, "history_start": 2000,
        "segments": {"a": {"placed_on_market": {2000: 1000, 2010: 3000}, "magnet_per_unit": "1 kg",
                           "lifetime": {"distribution": "weibull", "shape": 2.5, "scale": "12 yr"},
                           "collection_rate": 0.5, "liberation_rate": 0.5}},
        "plants": {"p": {"route": "hpms", "capacity": {2000: "0 t/yr", 2010: "100 t/yr"}, "vessels": 1}},
        "target": {"year": 2010}, "output": {"sankey_year": 2010},
    }


def with_value(path: str, value) -> dict:
    """The minimal config with the value at a dotted path set (mappings on the way are created)."""
    config = copy.deepcopy(minimal_config())
    *parents, last = path.split(".")
    node = config
    for name in parents:
        node = node.setdefault(name, {})
    node[last] = value
    return config


WEIBULL = {"distribution": "weibull", "shape": 2.5, "scale": "12 yr"}
NORMAL = {"distribution": "normal", "mean": "10 yr", "std": "2.5 yr"}
LOGNORMAL = {"distribution": "lognormal", "mean": "9 yr", "std": "5 yr"}
FIXED_ZERO = {"distribution": "fixed", "mean": "0 yr"}
UNKNOWN_SEGMENT = [{"year": 2010, "segment": "b", "key": "collection_rate", "value": 0.9}]

#: (dotted path, bad value, the key the error must name)
BAD_INPUTS = {
    "mass with wrong dimension": ("segments.a.magnet_per_unit", "1.5 m", "segments.a.magnet_per_unit"),
    "time with wrong dimension": ("segments.a.lifetime", {**WEIBULL, "scale": "12 kg"}, "segments.a.lifetime.scale"),
    "unparsable mass": ("segments.a.magnet_per_unit", "1.5 kilogramz", "segments.a.magnet_per_unit"),
    "unparsable time": ("segments.a.lifetime", {**WEIBULL, "scale": "twelve years"}, "segments.a.lifetime.scale"),
    "unparsable mass per time": ("market.other_uses", "lots", "market.other_uses"),
    "unparsable cycle time": ("plants.p.cycle_time", "8 hourz", "plants.p.cycle_time"),
    "time without unit": ("segments.a.lifetime", {**WEIBULL, "scale": 12}, "segments.a.lifetime.scale"),
    "mass that is not a number": ("segments.a.magnet_per_unit", "nan kg", "segments.a.magnet_per_unit"),
    "infinite mass": ("segments.a.magnet_per_unit", "inf kg", "segments.a.magnet_per_unit"),
    "time that is not a number": ("segments.a.lifetime", {**WEIBULL, "scale": "nan yr"}, "segments.a.lifetime.scale"),
    "infinite time": ("segments.a.lifetime", {**WEIBULL, "scale": "inf yr"}, "segments.a.lifetime.scale"),
    "mass per time that is not a number": ("market.other_uses", "nan t/yr", "market.other_uses"),
    "batch size that is not a number": ("plants.p.batch_size", "nan kg", "plants.p.batch_size"),
    "magnet share above 1": ("segments.a.magnet_share", 1.2, "segments.a.magnet_share"),
    "collection rate below 0": ("segments.a.collection_rate", -0.1, "segments.a.collection_rate"),
    "liberation rate anchor above 1": ("segments.a.liberation_rate", {2000: 0.5, 2010: 1.5},
                                       "segments.a.liberation_rate.2010"),
    "short-loop share above 1": ("segments.a.short_loop_share", 2, "segments.a.short_loop_share"),
    "export share above 1": ("scrap_store.export_share", 1.1, "scrap_store.export_share"),
    "swarf share below 0": ("industry.magnet_making.swarf_share", -0.1, "industry.magnet_making.swarf_share"),
    "swarf and loss leave no magnets": ("industry.magnet_making.loss_share", 0.8,
                                        "industry.magnet_making.loss_share"),
    "magnet-making capacity that is a mass": ("industry.magnet_making.capacity", "100 t",
                                              "industry.magnet_making.capacity"),
    "negative alloy-making capacity": ("industry.metal_alloy_making.capacity", "-1 t/yr",
                                       "industry.metal_alloy_making.capacity"),
    "bonded yield zero": ("industry.bonded_making.yield", 0.0, "industry.bonded_making.yield"),
    "unknown unabsorbed rule": ("industry.unabsorbed", "burn", "industry.unabsorbed"),
    "unknown stage of the industry": ("industry.smelting", {"capacity": "1 t/yr"}, "industry.smelting"),
    "unknown key in a stage": ("industry.magnet_making.colour", "red", "industry.magnet_making.colour"),
    "stage that is not a mapping": ("industry.bonded_making", 5, "industry.bonded_making"),
    "imported product share above 1": ("segments.a.imported_product_share", 1.5,
                                       "segments.a.imported_product_share"),
    "unknown powder product": ("plants.p.product", "printed", "plants.p.product"),
    "target share above 1": ("target.share", 1.5, "target.share"),
    "weibull shape zero": ("segments.a.lifetime", {**WEIBULL, "shape": 0}, "segments.a.lifetime.shape"),
    "weibull shape negative": ("segments.a.lifetime", {**WEIBULL, "shape": -2.5}, "segments.a.lifetime.shape"),
    "weibull scale zero": ("segments.a.lifetime", {**WEIBULL, "scale": "0 yr"}, "segments.a.lifetime.scale"),
    "weibull scale negative": ("segments.a.lifetime", {**WEIBULL, "scale": "-12 yr"}, "segments.a.lifetime.scale"),
    "normal mean negative": ("segments.a.lifetime", {**NORMAL, "mean": "-10 yr"}, "segments.a.lifetime.mean"),
    "normal std zero": ("segments.a.lifetime", {**NORMAL, "std": "0 yr"}, "segments.a.lifetime.std"),
    "lognormal mean negative": ("segments.a.lifetime", {**LOGNORMAL, "mean": "-9 yr"}, "segments.a.lifetime.mean"),
    "lognormal std zero": ("segments.a.lifetime", {**LOGNORMAL, "std": "0 yr"}, "segments.a.lifetime.std"),
    "fixed lifetime zero": ("segments.a.lifetime", FIXED_ZERO, "segments.a.lifetime.mean"),
    "hoarding std negative": ("segments.a.hoarding", {**LOGNORMAL, "std": "-1 yr"}, "segments.a.hoarding.std"),
    "unknown distribution": ("segments.a.lifetime", {"distribution": "gamma", "mean": "9 yr"},
                             "segments.a.lifetime.distribution"),
    "unknown hoarding distribution": ("segments.a.hoarding", {"distribution": "exponential", "mean": "2 yr"},
                                      "segments.a.hoarding.distribution"),
    "end_year before start_year": ("end_year", 1999, "end_year"),
    "history_start after start_year": ("history_start", 2001, "history_start"),
    "unknown top-level key": ("colour", "red", "colour"),
    "unknown key in a segment": ("segments.a.colour", "red", "segments.a.colour"),
    "unknown key in a plant": ("plants.p.colour", "red", "plants.p.colour"),
    "unknown key in a section": ("market.colour", "red", "market.colour"),
    "parameter of another distribution": ("segments.a.lifetime", {**WEIBULL, "mean": "10 yr"},
                                          "segments.a.lifetime.mean"),
    "negative plant capacity": ("plants.p.capacity", "-100 t/yr", "plants.p.capacity"),
    "negative plant capacity anchor": ("plants.p.capacity", {2000: "0 t/yr", 2010: "-1 t/yr"},
                                       "plants.p.capacity.2010"),
    "plant yield zero": ("plants.p.yield", 0, "plants.p.yield"),
    "plant yield above 1": ("plants.p.yield", 1.2, "plants.p.yield"),
    "metal-making yield zero": ("industry.metal_alloy_making.yield", 0.0, "industry.metal_alloy_making.yield"),
    "plant with zero vessels": ("plants.p.vessels", 0, "plants.p.vessels"),
    "capacity that is a mass": ("plants.p.capacity", "100 t", "plants.p.capacity"),
    "capacity that is a mass per power": ("plants.p.capacity", "100 kg/MW", "plants.p.capacity"),
    "rate change of an unknown segment": ("policy.rate_changes", UNKNOWN_SEGMENT, "policy.rate_changes.0.segment"),
}


def test_minimal_config_is_valid():
    """The config the bad inputs are written into validates as it is."""
    params = sim.parameters(minimal_config())

    assert params.segment_names == ("a",) and params.plants[0].name == "p"


@pytest.mark.parametrize("path, value, key", BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_bad_input_is_rejected_naming_its_key(path, value, key):
    """A bad value raises ConfigError whose key is the offending config key, in a one-line message."""
    with pytest.raises(sim.ConfigError) as raised:
        sim.parameters(with_value(path, value))

    error = raised.value
    assert error.key == key
    assert error.expected
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"config error: {key} = ")


def test_bad_input_in_a_composed_config_names_its_key():
    """A Hydra override with a wrong dimension is rejected in the composed config as well."""
    cfg = sim.load_config(["segments.ev_traction.magnet_per_unit=1.5 m"])

    with pytest.raises(sim.ConfigError) as raised:
        sim.parameters(cfg)
    assert raised.value.key == "segments.ev_traction.magnet_per_unit"


def test_run_validates_before_simulating():
    """sim.run rejects a bad config with the same ConfigError."""
    with pytest.raises(sim.ConfigError) as raised:
        sim.run(with_value("plants.p.vessels", 0))
    assert raised.value.key == "plants.p.vessels"


# --- defaults -----------------------------------------------------------------------------------


def table_defaults() -> dict[str, object]:
    """Defaults of the parameter table for keys whose default is a plain YAML scalar."""
    with TABLE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row["key"]: yaml.safe_load(row["default"]) for row in rows
            if row["default"] not in ("", "none") and row["unit"] == "" and row["kind"] != "composition"}


@pytest.mark.parametrize("key, read", [
    ("mode", lambda p: p.mode),
    ("replications", lambda p: p.replications),
    ("seed", lambda p: p.seed),
    ("steps_per_year", lambda p: p.steps_per_year),
    ("segments.<segment>.magnet_share", lambda p: p.segments[0].magnet_share),
    ("segments.<segment>.short_loop_share", lambda p: p.segments[0].short_loop_share),
    ("segments.<segment>.in_target_scope", lambda p: p.segments[0].in_target_scope),
    ("plants.<plant>.yield", lambda p: p.plants[0].process_yield),
    ("plants.<plant>.availability", lambda p: p.plants[0].availability),
    ("industry.magnet_making.swarf_share", lambda p: p.industry.magnet_making.swarf_share),
    ("industry.magnet_making.in_house_share", lambda p: p.industry.magnet_making.in_house_share),
    ("industry.bonded_making.yield", lambda p: p.industry.bonded_making.process_yield),
    ("industry.unabsorbed", lambda p: p.industry.unabsorbed),
    ("plants.<plant>.product", lambda p: p.plants[0].product),
    ("target.share", lambda p: p.target.share),
    ("policy.allocation", lambda p: p.policy.allocation),
])
def test_keys_left_out_take_the_parameter_table_default(key, read):
    """A key missing from the config gets the default written in sim/config/parameter_table.csv."""
    params = sim.parameters(minimal_config())

    default = table_defaults()[key]
    value = read(params)
    if isinstance(default, float):
        assert math.isclose(value, default)
    else:
        assert value == default
