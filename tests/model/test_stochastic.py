"""Stochastic mode: its mean matches expected mode, and its random numbers are reproducible and independent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from chain_scenarios import full_feature_config, merged, small_config

import sim

REPLICATIONS = 60
COMPARED = ["liberated_t", "hpms_feed_t", "recycled_supply_t"]
REMAINDER_T = 2e-3  # one 2 kg batch: what whole batches may leave unprocessed in either mode


def sampling_config(mode: str, replications: int = 1, seed: int = 11) -> dict:
    """A steady chain with plenty of units (binomial noise) and 2 kg batches (small whole-batch remainders).

    The plant has far more capacity than feed, so what it takes in a year is the year's feed up to
    less than one 2 kg batch in both modes; the means can differ by that remainder only.
    """
    return small_config(
        start_year=2015, end_year=2022, history_start=2000, mode=mode, replications=replications, seed=seed,
        segments={"a": {"placed_on_market": {2000: 1000, 2015: 3000},
                        "lifetime": {"distribution": "weibull", "shape": 2.0, "scale": "6 yr"},
                        "collection_rate": 0.6, "liberation_rate": 0.7, "short_loop_share": 0.8}},
        plants={"p": {"capacity": "1000 t/yr", "vessels": 4, "batch_size": "2 kg", "cycle_time": "10 min",
                      "availability": 0.9}},
        target={"year": 2020}, output={"sankey_year": 2020})


@pytest.fixture(scope="module")
def expected_kpis():
    return sim.run(sampling_config("expected")).kpis.set_index("year")


@pytest.fixture(scope="module")
def stochastic_kpis():
    return sim.run(sampling_config("stochastic", REPLICATIONS)).kpis


@pytest.mark.parametrize("kpi", COMPARED)
def test_stochastic_mean_matches_expected_mode_each_year(kpi, expected_kpis, stochastic_kpis):
    """In every year the mean over replications lies within 4 standard errors of the expected-mode value."""
    per_year = stochastic_kpis.groupby("year")[kpi]
    mean, se = per_year.mean(), per_year.std(ddof=1) / np.sqrt(per_year.count())
    assert (per_year.count() == REPLICATIONS).all()
    assert (se > 0).all(), "every year must carry sampling noise for the comparison to mean anything"
    gap = (mean - expected_kpis[kpi]).abs()
    table = pd.DataFrame({"mean": mean, "expected": expected_kpis[kpi], "se": se})
    assert (gap <= 4 * se + REMAINDER_T).all(), table


@pytest.mark.parametrize("kpi", COMPARED)
def test_stochastic_mean_matches_expected_mode_over_the_period(kpi, expected_kpis, stochastic_kpis):
    """The period total, averaged over replications, lies within 4 standard errors of the expected-mode total."""
    totals = stochastic_kpis.groupby("replication")[kpi].sum()
    se = totals.std(ddof=1) / np.sqrt(len(totals))
    assert abs(totals.mean() - expected_kpis[kpi].sum()) <= 4 * se + REMAINDER_T


def test_replications_differ(stochastic_kpis):
    """Replications of one run draw different random numbers."""
    per_replication = stochastic_kpis.pivot(index="year", columns="replication", values="liberated_t")
    assert per_replication.T.drop_duplicates().shape[0] == REPLICATIONS


def test_kpi_quantiles_summarise_the_replications():
    """kpi_quantiles holds the mean and ordered P5 <= P50 <= P95 of each KPI over the replications."""
    result = sim.run(sampling_config("stochastic", 5))
    quantiles = result.kpi_quantiles.set_index(["year", "kpi"])
    for kpi in COMPARED:
        by_year = result.kpis.groupby("year")[kpi]
        for year, values in by_year:
            row = quantiles.loc[(year, kpi)]
            assert row["mean"] == pytest.approx(values.mean())
            assert row["p50"] == pytest.approx(values.median())
            assert values.min() <= row["p5"] <= row["p50"] <= row["p95"] <= values.max()


def _tables(config: dict) -> dict[str, pd.DataFrame]:
    result = sim.run(config, workers=2)
    return {"flows": result.flows, "stocks": result.stocks, "kpis": result.kpis}


@pytest.fixture(scope="module")
def seeded_tables():
    return _tables(full_feature_config("stochastic", replications=2))


def test_same_seed_gives_identical_tables(seeded_tables):
    """Two runs with the same seed give identical flows, stocks and KPIs, bit for bit."""
    again = _tables(full_feature_config("stochastic", replications=2))
    for name, frame in seeded_tables.items():
        pd.testing.assert_frame_equal(frame, again[name], check_exact=True, obj=name)


def test_different_seeds_give_different_tables(seeded_tables):
    """Another seed gives other flows, stocks and KPIs."""
    other = _tables(merged(full_feature_config("stochastic", replications=2), {"seed": 8}))
    for name, frame in seeded_tables.items():
        assert not frame.equals(other[name]), name
    assert not np.allclose(seeded_tables["kpis"]["liberated_t"], other["kpis"]["liberated_t"])


def test_tables_do_not_depend_on_worker_processes(seeded_tables):
    """Replications run in one process or in several give identical tables."""
    result = sim.run(full_feature_config("stochastic", replications=2), workers=1)
    one_process = {"flows": result.flows, "stocks": result.stocks, "kpis": result.kpis}
    for name, frame in seeded_tables.items():
        pd.testing.assert_frame_equal(frame, one_process[name], check_exact=True, obj=name)


def test_adding_replications_keeps_the_earlier_ones(seeded_tables):
    """Replication r draws from its own streams: a run with three replications repeats the first two."""
    longer = _tables(full_feature_config("stochastic", replications=3))
    for name, frame in seeded_tables.items():
        first_two = longer[name][longer[name]["replication"] < 2].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), first_two, check_exact=True,
                                      check_categorical=False, obj=name)


def test_expected_mode_ignores_the_seed():
    """Expected mode is deterministic: the seed changes nothing."""
    first = _tables(merged(full_feature_config("expected"), {"seed": 1}))
    second = _tables(merged(full_feature_config("expected"), {"seed": 2}))
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, second[name], check_exact=True, obj=name)


def test_adding_a_plant_keeps_the_upstream_draws():
    """Random streams are named per source: a second plant leaves the end-of-life chain's draws unchanged."""
    config = sampling_config("stochastic", replications=2)
    # q takes what p leaves (less than p's 2 kg batch) in 1 kg batches, with its own random stream
    extended = merged(config, {"plants": {"q": {"route": "hpms", "capacity": "5 t/yr", "batch_size": "1 kg"}}})

    def upstream(flows):
        flows = flows.astype({"from_node": str, "to_node": str, "segment": str, "origin": str})
        chain = flows[flows["from_node"].isin(["in_use", "end_of_life", "collection", "dismantling"])]
        return chain.reset_index(drop=True)

    base, more = sim.run(config), sim.run(extended)
    # equal draws give equal unit counts; masses may differ in the last bits, because the element
    # shares of products in use (and so the rounding of their sum) follow the recycled magnets placed
    pd.testing.assert_frame_equal(upstream(base.flows), upstream(more.flows), check_exact=False, rtol=1e-12)
    plant_q = more.flows[more.flows["from_node"] == "hpms:q"]
    assert plant_q["mass_t"].sum() > 0


def dismantling_config(mode: str, replications: int = 1) -> dict:
    """Wind-turbine-like units of 650 kg, all collected, far more than a 5 t/yr dismantling line takes
    (0.64 units a month): from the first step on, the line is always the limit."""
    return small_config(
        start_year=2015, end_year=2022, history_start=2000, mode=mode, replications=replications, seed=3,
        segments={"a": {"placed_on_market": 40, "magnet_per_unit": "650 kg",
                        "lifetime": {"distribution": "weibull", "shape": 2.0, "scale": "6 yr"},
                        "collection_rate": 1.0, "liberation_rate": 0.7, "dismantling_capacity": "5 t/yr"}},
        target={"year": 2020}, output={"sankey_year": 2020})


@pytest.mark.parametrize("mode", ["expected", "stochastic"])
def test_dismantling_capacity_binds_alike_in_both_modes(mode):
    """A binding 5 t/yr dismantling line dismantles 5 t a year (stochastic: to within one unit)."""
    result = sim.run(dismantling_config(mode, replications=4))
    flows = result.flows.astype({"from_node": str})
    dismantled = flows[flows["from_node"] == "dismantling"].groupby(["replication", "year"])["mass_t"].sum()
    years = range(2015, 2023)
    replications = range(4) if mode == "stochastic" else range(1)
    dismantled = dismantled.reindex([(r, y) for r in replications for y in years], fill_value=0.0)
    unit_t = 0.65 if mode == "stochastic" else 1e-9  # whole units in stochastic mode
    assert dismantled.to_numpy() == pytest.approx(5.0, abs=unit_t)


def shock_config(mode: str, replications: int = 1) -> dict:
    """40 units of 650 kg a year (3.3 a month), no recycling, primary supply at 25 % through 2016."""
    return small_config(
        start_year=2015, end_year=2018, history_start=2010, mode=mode, replications=replications, seed=5,
        segments={"a": {"placed_on_market": 40, "magnet_per_unit": "650 kg"}},
        plants={"p": {"capacity": "0 t/yr"}},
        policy={"supply_shocks": [{"start": 2016, "end": 2017, "availability": 0.25}]},
        target={"year": 2016}, output={"sankey_year": 2016})


@pytest.mark.parametrize("mode", ["expected", "stochastic"])
def test_supply_shock_delivers_alike_in_both_modes(mode):
    """At 25 % availability a quarter of the 26 t demand is placed in 2016 (stochastic: to within one unit)."""
    kpis = sim.run(shock_config(mode, replications=4)).kpis
    shocked = kpis[kpis["year"] == 2016]
    unit_t = 0.65 if mode == "stochastic" else 1e-9  # whole units in stochastic mode
    assert shocked["delivered_t"].to_numpy() == pytest.approx(0.25 * 26.0, abs=unit_t)
    assert shocked["shortage_t"].to_numpy() == pytest.approx(0.75 * 26.0, abs=unit_t)
