"""Properties of the recycling chain that hold for any valid config, checked on random small configs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from chain_scenarios import assert_balanced, assert_sources_match_holdings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.model.simulation import Simulation

START, END, HISTORY = 2015, 2025, 2010
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fraction(low: float = 0.0, high: float = 1.0):
    # thousandths from integers: float strategies favour the ends of a range and tiny subnormals
    return st.integers(round(low * 1000), round(high * 1000)).map(lambda i: i / 1000)


def _quantity(low: float, high: float, unit: str):
    return _fraction(low, high).map(lambda x: f"{x:g} {unit}")


def _years(low: float, high: float):
    return _quantity(low, high, "yr")


lifetimes = st.one_of(
    st.fixed_dictionaries({"distribution": st.just("fixed"), "mean": _years(1, 12)}),
    st.fixed_dictionaries({"distribution": st.just("weibull"), "shape": _fraction(1, 5), "scale": _years(2, 12)}),
    st.fixed_dictionaries({"distribution": st.just("normal"), "mean": _years(2, 12), "std": _years(0.5, 4)}),
    st.fixed_dictionaries({"distribution": st.just("lognormal"), "mean": _years(2, 12), "std": _years(0.5, 4)}),
)
hoarding = st.one_of(
    st.just("none"),
    st.fixed_dictionaries({"distribution": st.just("lognormal"), "mean": _years(0.5, 3), "std": _years(0.2, 2)}),
    st.fixed_dictionaries({"distribution": st.just("fixed"), "mean": _years(0.25, 2)}),
)
placements = st.one_of(
    st.integers(500, 5000),
    st.fixed_dictionaries({"2010": st.integers(0, 5000), "2020": st.integers(0, 5000)}).map(
        lambda d: {int(k): v for k, v in d.items()}),
)
segment = st.fixed_dictionaries(
    {"placed_on_market": placements, "magnet_per_unit": _quantity(0.5, 5, "kg"), "lifetime": lifetimes,
     "collection_rate": _fraction(), "liberation_rate": _fraction(), "in_target_scope": st.booleans()},
    optional={"hoarding": hoarding, "short_loop_share": _fraction(),
              "dismantling_capacity": _quantity(0.5, 10, "t/yr"), "magnet_share": _fraction(0.1, 1)},
)
breakdowns = st.one_of(
    st.just({}), st.fixed_dictionaries({"mtbf": _quantity(2, 60, "d"), "mttr": _quantity(0.1, 5, "d")}))
def _spread_within_beta(plant: dict) -> dict:
    """A yield_sd a beta distribution of the plant's mean yield can have (at most sqrt(m (1 - m) / 2))."""
    if "yield_sd" in plant:
        mean = plant.get("yield", 0.9)
        plant["yield_sd"] = min(plant["yield_sd"], math.sqrt(mean * (1 - mean) / 2))
    return plant


hpms_plant = st.tuples(st.fixed_dictionaries(
    {"route": st.just("hpms"), "capacity": _quantity(0.5, 20, "t/yr"),
     "vessels": st.integers(1, 4), "batch_size": _quantity(10, 200, "kg"), "cycle_time": _quantity(1, 24, "h"),
     "availability": _fraction(0.5, 1.0)},
    optional={"yield": _fraction(0.5, 1.0), "campaign_length": _quantity(0.5, 60, "d"),
              "cycle_time_cv": _fraction(0, 0.5), "yield_sd": _fraction(0, 0.1),
              "product": st.sampled_from(["sintered", "bonded"])},
), breakdowns).map(lambda parts: _spread_within_beta({**parts[0], **parts[1]}))
long_loop_plant = st.fixed_dictionaries(
    {"route": st.just("long_loop"), "capacity": _quantity(0.2, 5, "t/yr"),
     "accepts": st.sampled_from([["long_loop_only"], ["long_loop_only", "short_loop"], ["short_loop"]])},
)
supply_shock = st.tuples(_fraction(2015, 2024), _fraction(0.1, 2), _fraction()).map(
    lambda t: {"start": t[0], "end": round(t[0] + t[1], 3), "availability": t[2]})


@st.composite
def configs(draw, mode=None):
    """A small valid config: 1-3 segments, 0-2 HPMS plants and 0-1 long-loop plant, optional export,
    ban year, imports, magnet making, metal and bonded making, other uses, supply shocks, allocation policy, and
    monthly steps or others."""
    n_segments = draw(st.integers(1, 3))
    segments = {f"s{i}": draw(segment) for i in range(n_segments)}
    plants = {f"h{i}": draw(hpms_plant) for i in range(draw(st.sampled_from([1, 2, 0])))}
    if draw(st.booleans()):
        plants["hydro"] = draw(long_loop_plant)
    mode = mode or draw(st.sampled_from(["expected", "expected", "stochastic"]))
    exporting = draw(st.booleans())
    return {
        "start_year": START, "end_year": END, "history_start": HISTORY, "mode": mode,
        "replications": draw(st.integers(1, 2)), "seed": draw(st.integers(0, 2**32)),
        "steps_per_year": draw(st.sampled_from([12, 4, 1, 52])),
        "segments": segments,
        "plants": plants,
        "market": {"other_uses": draw(_quantity(0, 3, "t/yr"))},
        "industry": {"magnet_making": {"capacity": draw(_quantity(0, 3, "t/yr")),
                                       "swarf_share": draw(_fraction(0.0, 0.4)),
                                       "in_house_share": draw(_fraction())},
                     "metal_alloy_making": {"capacity": draw(_quantity(0, 1, "t/yr"))},
                     "bonded_making": {"capacity": draw(_quantity(0, 1, "t/yr"))},
                     "unabsorbed": draw(st.sampled_from(["stock", "export"]))},
        "scrap_store": {"export_share": draw(_fraction()) if exporting else 0.0,
                        "imported_scrap": draw(_quantity(0, 2, "t/yr")),
                        "swarf_short_loop_share": draw(_fraction())},
        "policy": {"export_ban_year": draw(st.none() | st.integers(START, END)) if exporting else None,
                   "allocation": draw(st.sampled_from(["proportional", "preferential"])),
                   "supply_shocks": draw(st.lists(supply_shock, max_size=2))},
        "target": {"year": 2020},
        "output": {"sankey_year": 2020, "figures": False},
    }


def _with_all_segments(config: dict, **values) -> dict:
    for settings_ in config["segments"].values():
        settings_.update(values)
    return config


def _with_all_plants(config: dict, **values) -> dict:
    for settings_ in config["plants"].values():
        settings_.update(values)
    return config


@PROPERTY_SETTINGS
@given(configs())
def test_mass_is_conserved_for_any_valid_config(config):
    """Any valid config runs, and every node balances in every year in the flows and stocks tables."""
    result = sim.run(config)
    assert_balanced(result)
    assert_sources_match_holdings(result)
    assert (result.flows["mass_t"] >= -1e-12).all()
    assert (result.stocks["mass_t"] >= -1e-9).all()


@PROPERTY_SETTINGS
@given(configs())
def test_zero_collection_gives_no_post_consumer_recycled_content(config):
    """With every collection rate at zero no post-consumer material reaches the scrap store or new magnets."""
    result = sim.run(_with_all_segments(config, collection_rate=0.0))
    kpis = result.kpis
    assert (kpis["recycled_content_post_consumer"] == 0).all()
    assert (kpis["recycled_content_target_scope_post_consumer"] == 0).all()
    assert (kpis["collected_t"] == 0).all()
    flows = result.flows.astype({"from_node": str, "to_node": str})
    # material of the end-of-life chain is post-consumer by nature; none of it may pass collection
    recycling = ~flows["from_node"].isin(["in_use", "end_of_life", "collection"])
    post = flows[recycling & (flows["origin"] == "post_consumer")]
    assert post["mass_t"].abs().to_numpy().max(initial=0.0) == 0.0, post.to_string()
    # pre-consumer content (swarf, imports) is untouched: it equals all the recycled content
    assert kpis["recycled_content_pre_consumer"].to_numpy() == pytest.approx(kpis["recycled_content"].to_numpy())


@PROPERTY_SETTINGS
@given(configs(), st.integers(1, 2))
def test_unlimited_capacity_leaves_no_backlog(config, n_hpms):
    """Plants with ample capacity, vessels and short cycles leave no backlog in the short-loop pool.

    HPMS plants take whole batches only, so "no backlog" means: after every step, the short-loop
    pool holds less than one batch of the plant with the smallest batch (any more, and that plant
    would have started another batch). All scrap is made short-loop grade here, so the store's
    end-of-year stock in the tables is that pool; a campaign never outlasts its step, so the plants
    hold nothing at a year end either.
    """
    config = _with_all_segments(config, short_loop_share=1.0)
    config["scrap_store"]["swarf_short_loop_share"] = 1.0
    config["plants"] = {name: plant for name, plant in config["plants"].items() if plant["route"] != "hpms"}
    batch_kg = [50.0, 80.0][:n_hpms]
    for i, kg in enumerate(batch_kg):
        config["plants"][f"h{i}"] = {"route": "hpms", "capacity": "1e6 t/yr", "vessels": 20,
                                     "batch_size": f"{kg} kg", "cycle_time": "1 min", "availability": 1.0}
    result = sim.run(config)
    stocks = result.stocks.astype({"node": str})
    store = stocks[stocks["node"] == "scrap_store"].groupby(["replication", "year"])["mass_t"].sum()
    assert (store * 1e3 < min(batch_kg)).all(), store.to_dict()
    plants = stocks[stocks["node"].str.startswith("hpms:")]
    assert plants["mass_t"].abs().to_numpy().max(initial=0.0) < 1e-9
    # the pool at the very end, read from the simulation itself
    simulation = Simulation(sim.parameters(config))
    simulation.run()
    assert simulation.store.pools["short_loop"].sum() < min(batch_kg)


@PROPERTY_SETTINGS
@given(configs())
def test_unlimited_capacity_backlog_with_mixed_grades(config):
    """With any grades, ample HPMS capacity leaves less than one batch in the short-loop pool at the end."""
    config["plants"] = {name: plant for name, plant in config["plants"].items() if plant["route"] != "hpms"}
    config["plants"]["big"] = {"route": "hpms", "capacity": "1e6 t/yr", "vessels": 20, "batch_size": "60 kg",
                               "cycle_time": "1 min", "availability": 1.0}
    simulation = Simulation(sim.parameters(config))
    simulation.run()
    assert simulation.store.pools["short_loop"].sum() < 60.0


@PROPERTY_SETTINGS
@given(configs())
def test_zero_capacity_gives_no_hpms_output(config):
    """HPMS plants with zero capacity take no feed and make no powder, whatever else the config says."""
    config = _with_all_plants(config, capacity="0 t/yr")
    if not any(p["route"] == "hpms" for p in config["plants"].values()):
        config["plants"]["h"] = {"route": "hpms", "capacity": "0 t/yr"}
    result = sim.run(config)
    flows = result.flows.astype({"from_node": str, "to_node": str})
    hpms = flows[flows["from_node"].str.startswith("hpms:") | flows["to_node"].str.startswith("hpms:")]
    assert hpms["mass_t"].abs().to_numpy().max(initial=0.0) == 0.0
    assert flows.loc[flows["to_node"] == "bonded_making", "mass_t"].abs().to_numpy().max(initial=0.0) == 0.0
    kpis = result.kpis
    assert (kpis["hpms_feed_t"] == 0).all()
    # with every plant shut, no recycled magnets exist at all
    assert (kpis["recycled_supply_t"] == 0).all()
    assert (kpis["recycled_content"] == 0).all()


@PROPERTY_SETTINGS
@given(configs())
def test_recycled_content_is_a_share(config):
    """Every recycled-content KPI lies in [0, 1], and the post- and pre-consumer parts add up to the whole."""
    kpis = sim.run(config).kpis
    columns = [c for c in kpis.columns if c.startswith("recycled_content")]
    values = kpis[columns].to_numpy()
    assert np.all(values >= -1e-12) and np.all(values <= 1 + 1e-12)
    parts = kpis["recycled_content_post_consumer"] + kpis["recycled_content_pre_consumer"]
    assert parts.to_numpy() == pytest.approx(kpis["recycled_content"].to_numpy(), abs=1e-12)
    assert (kpis["recycled_supply_t"] <= kpis["delivered_t"] * (1 + 1e-12) + 1e-12).all()
