"""The installed base (nodes in_use and end_of_life): stationary stocks, mass balance, exact delays,
history, placed mass, and stochastic mode against expected mode."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import sim

INSTALLED_BASE_NODES = ("in_use", "end_of_life", "collection", "dismantling")


def scenario(segments: dict, start_year: int, end_year: int, history_start: int | None = None, **top) -> dict:
    """A config of the given segments; every other key takes its default."""
    return {"start_year": start_year, "end_year": end_year,
            "history_start": start_year if history_start is None else history_start,
            "segments": segments, "target": {"year": end_year}, "output": {"sankey_year": end_year}, **top}


def segment(placed_on_market, lifetime: dict, magnet_per_unit: str = "1 kg", **settings) -> dict:
    return {"placed_on_market": placed_on_market, "magnet_per_unit": magnet_per_unit, "lifetime": lifetime,
            "collection_rate": 0.5, "liberation_rate": 0.5, **settings}


def fixed(years: float) -> dict:
    return {"distribution": "fixed", "mean": f"{years} yr"}


def flow_table(result, from_node: str, to_node: str) -> pd.DataFrame:
    """Annual flow between two nodes [t] as a (year x segment) table, summed over origins."""
    flows = result.flows
    chosen = flows[(flows.from_node == from_node) & (flows.to_node == to_node)]
    table = chosen.pivot_table(index="year", columns="segment", values="mass_t", aggfunc="sum", observed=True)
    years = range(result.params.start_year, result.params.end_year + 1)
    return table.reindex(index=years, columns=list(result.params.segment_names), fill_value=0.0).fillna(0.0)


def flow_by_year(result, from_node: str, to_node: str, segment_name: str) -> np.ndarray:
    return flow_table(result, from_node, to_node)[segment_name].to_numpy()


def stock_table(result, node: str) -> pd.DataFrame:
    """End-of-year stock of a node [t] as a (year x segment) table; the first row is the opening stock."""
    stocks = result.stocks
    table = stocks[stocks.node == node].pivot_table(index="year", columns="segment", values="mass_t",
                                                    aggfunc="sum", observed=True)
    years = range(result.params.start_year - 1, result.params.end_year + 1)
    return table.reindex(index=years, columns=list(result.params.segment_names), fill_value=0.0).fillna(0.0)


def step_series(levels: dict[int, float], years) -> np.ndarray:
    """Units placed per year for a series that jumps to levels[y] in year y and holds it."""
    starts = sorted(levels)
    return np.array([levels[max(s for s in starts if s <= y)] if y >= starts[0] else 0.0 for y in years])


def step_anchors(levels: dict[int, float]) -> dict[int, float]:
    """Anchors of the same steps: the old level held to the year before each jump."""
    anchors, previous = {}, None
    for year in sorted(levels):
        if previous is not None:
            anchors[year - 1] = previous
        anchors[year] = previous = levels[year]
    return anchors


# --- invariants of the expected mode ----------------------------------------------------------


def test_constant_inflow_gives_a_stationary_stock_of_inflow_times_mean_lifetime():
    """After a long spin-up, constant placements hold inflow x mean lifetime in use, and EoL = inflow."""
    units_per_year, history_start, start_year = 1200.0, 1850, 1990
    distributions = {
        "weibull": ({"distribution": "weibull", "shape": 2.5, "scale": "12 yr"}, stats.weibull_min(2.5, scale=12.0)),
        "normal": ({"distribution": "normal", "mean": "10 yr", "std": "2 yr"}, stats.norm(10.0, 2.0)),
        "lognormal": ({"distribution": "lognormal", "mean": "9 yr", "std": "5 yr"},
                      stats.lognorm(s=math.sqrt(math.log1p((5 / 9) ** 2)), scale=9 / math.sqrt(1 + (5 / 9) ** 2))),
    }
    segments = {name: segment(units_per_year, lifetime) for name, (lifetime, _) in distributions.items()}
    segments["fixed"] = segment(units_per_year, fixed(7.3))
    means = {name: d.mean() for name, (_, d) in distributions.items()} | {"fixed": 7.3}
    result = sim.run(scenario(segments, start_year, 2000, history_start))

    # With constant, continuous placement the stock is inflow x (integral of the survival curve over
    # the ages present). It falls short of inflow x mean by inflow x the survival integral beyond
    # the spin-up (139 yr at the first compared year), and the normal lifetime adds its mass below
    # zero (3e-7). Both are below 1e-6 of the mean, hence the relative tolerance of 1e-6.
    spin_up = start_year - 1 - history_start
    for name, (_, distribution) in distributions.items():
        tail = integrate.quad(distribution.sf, spin_up, np.inf)[0]
        assert tail < 1e-7 * means[name], name
    assert stats.norm(10.0, 2.0).cdf(0.0) < 1e-6

    in_use = stock_table(result, "in_use")
    eol = flow_table(result, "in_use", "end_of_life")
    for name, mean in means.items():
        np.testing.assert_allclose(in_use[name], units_per_year * mean / 1e3, rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(eol[name], units_per_year / 1e3, rtol=1e-6, err_msg=name)


def balance_scenario() -> dict:
    """Two segments with a stepped placement series, hoarding, and dismantling capacity that binds."""
    return scenario({
        "motor": segment({2000: 5000, 2010: 20000, 2011: 8000},
                         {"distribution": "weibull", "shape": 3.0, "scale": "9 yr"}, "1.5 kg", magnet_share=0.9,
                         collection_rate={2010: 0.4, 2020: 0.8}, dismantling_capacity="5 t/yr"),
        "phone": segment({2000: 1e6, 2020: 2e6}, {"distribution": "lognormal", "mean": "4 yr", "std": "3 yr"}, "3 g",
                         hoarding={"distribution": "lognormal", "mean": "2 yr", "std": "1.5 yr"}),
    }, 2010, 2035, 2000)


@pytest.mark.parametrize("make_config, holding", [
    (balance_scenario, ("in_use", "end_of_life", "dismantling")),
    (sim.load_config, ("in_use", "end_of_life")),
], ids=["small", "default_eu"])
def test_installed_base_nodes_balance_per_segment_and_year(make_config, holding):
    """For in_use, end_of_life, collection and dismantling: inflow = outflow + change of stock (tables)."""
    result = sim.run(make_config())

    flows = result.flows
    for node in INSTALLED_BASE_NODES:
        stock = stock_table(result, node)
        change = stock.diff().iloc[1:]
        inflow = sum(flow_table(result, src, node) for src in flows.loc[flows.to_node == node, "from_node"].unique())
        outflow = sum(flow_table(result, node, dst) for dst in flows.loc[flows.from_node == node, "to_node"].unique())
        assert isinstance(inflow, pd.DataFrame) and isinstance(outflow, pd.DataFrame), node
        error = (inflow - outflow - change).to_numpy()
        level = stock.abs().to_numpy()
        scale = (inflow + outflow).to_numpy() + level[1:] + level[:-1]
        # rounding only: 1e-9 of what passes through and is held, plus 1e-9 t
        excess = np.abs(error) - 1e-9 * scale
        year, column = np.unravel_index(excess.argmax(), excess.shape)
        assert excess.max() <= 1e-9, (f"{node}, {stock.columns[column]}, {change.index[year]}: "
                                      f"inflow - outflow - change of stock = {error[year, column]} t")
        if node in holding:  # the scenario makes this node hold material, so its stock is tested
            assert stock.to_numpy().max() > 0, node


def test_fixed_lifetime_moves_each_years_inflow_exactly_L_years_later():
    """With a fixed lifetime of 6 yr, the EoL arising of year y is what was placed in year y - 6."""
    levels = {2000: 1000, 2005: 4000, 2012: 2000}
    years = np.arange(2000, 2031)
    result = sim.run(scenario({"a": segment(step_anchors(levels), fixed(6))}, 2000, 2030))

    placed = step_series(levels, years)
    expected = np.concatenate([np.zeros(6), placed[:-6]]) / 1e3
    np.testing.assert_allclose(flow_by_year(result, "in_use", "end_of_life", "a"), expected, rtol=1e-12, atol=1e-12)


def test_placement_history_gives_the_installed_base_at_the_start():
    """Cohorts placed before start_year are the opening stock and reach end of life in the study period."""
    levels = {1990: 100, 1995: 300}
    result = sim.run(scenario({"a": segment(step_anchors(levels), fixed(10))}, 2000, 2010, history_start=1990))

    # with a 10 yr lifetime nothing placed in 1990-1999 has left by the end of 1999
    opening = stock_table(result, "in_use").loc[1999, "a"]
    assert opening == pytest.approx((5 * 100 + 5 * 300) / 1e3, rel=1e-12)
    eol = flow_by_year(result, "in_use", "end_of_life", "a")
    np.testing.assert_allclose(eol, [0.1] * 5 + [0.3] * 6, rtol=1e-12)
    assert result.flows.year.min() == 2000


def test_fixed_hoarding_delays_discard_by_its_length():
    """A 5 yr lifetime then 2 yr in drawers: discards of year y are the placements of year y - 7."""
    levels = {2000: 1000, 2003: 5000, 2006: 2000}
    years = np.arange(2000, 2021)
    result = sim.run(scenario({"a": segment(step_anchors(levels), fixed(5), hoarding=fixed(2))}, 2000, 2020))

    placed = step_series(levels, years) / 1e3
    discarded = flow_by_year(result, "end_of_life", "collection", "a")
    np.testing.assert_allclose(discarded, np.concatenate([np.zeros(7), placed[:-7]]), rtol=1e-12, atol=1e-12)
    # at the end of year y the drawers hold what reached end of use in years y - 1 and y
    held = stock_table(result, "end_of_life")["a"].loc[2000:].to_numpy()
    reached = np.concatenate([np.zeros(5), placed[:-5]])
    np.testing.assert_allclose(held, reached + np.concatenate([[0.0], reached[:-1]]), rtol=1e-12, atol=1e-12)


def test_placed_mass_is_units_times_magnet_share_times_magnet_per_unit():
    """market -> in_use carries units x magnet_share x magnet_per_unit, per unit or per MW."""
    result = sim.run(scenario({
        "car": segment(1000, fixed(15), "1.5 kg", magnet_share=0.92),
        "wind": segment(2000, fixed(25), "650 kg/MW", magnet_share=0.15),
        "phone": segment(1e6, fixed(4), "3 g"),
    }, 2020, 2025))

    placed = flow_table(result, "market", "in_use")
    np.testing.assert_allclose(placed["car"], 1000 * 0.92 * 1.5 / 1e3, rtol=1e-12)
    np.testing.assert_allclose(placed["wind"], 2000 * 0.15 * 650 / 1e3, rtol=1e-12)
    np.testing.assert_allclose(placed["phone"], 1e6 * 0.003 / 1e3, rtol=1e-12)


# --- stochastic mode --------------------------------------------------------------------------


def stochastic_scenario(replications: int, seed: int, mode: str = "stochastic") -> dict:
    """1200 and then 2400 units a year (whole units every month), a Weibull lifetime with shape 1.5."""
    return scenario({"a": segment({2000: 1200, 2009: 1200, 2010: 2400},
                                  {"distribution": "weibull", "shape": 1.5, "scale": "8 yr"})},
                    2000, 2020, mode=mode, replications=replications, seed=seed)


def test_stochastic_eol_arising_averages_to_the_expected_mode():
    """The mean EoL arising over 60 replications is within 4 standard errors of expected mode, every year."""
    replications = 60
    sampled = sim.run(stochastic_scenario(replications, seed=11))
    expected = flow_by_year(sim.run(stochastic_scenario(1, seed=11, mode="expected")), "in_use", "end_of_life", "a")

    flows = sampled.flows
    eol = flows[(flows.from_node == "in_use") & (flows.to_node == "end_of_life")]
    per_replication = eol.pivot_table(index="replication", columns="year", values="mass_t", aggfunc="sum",
                                      observed=True)
    per_replication = per_replication.reindex(index=range(replications), columns=range(2000, 2021)).fillna(0.0)
    mean = per_replication.mean().to_numpy()
    standard_error = per_replication.std(ddof=1).to_numpy() / math.sqrt(replications)

    assert (standard_error > 0).all()  # failures are sampled in every year
    z = (mean - expected) / standard_error
    assert np.abs(z).max() <= 4.0, f"year {2000 + np.abs(z).argmax()}: {z[np.abs(z).argmax()]:.1f} standard errors"


def test_same_seed_gives_identical_tables():
    """Two stochastic runs with the same seed give identical flows, stocks and KPIs."""
    first, second = sim.run(stochastic_scenario(3, seed=5)), sim.run(stochastic_scenario(3, seed=5))

    pd.testing.assert_frame_equal(first.flows, second.flows)
    pd.testing.assert_frame_equal(first.stocks, second.stocks)
    pd.testing.assert_frame_equal(first.kpis, second.kpis)


def test_different_seeds_give_different_tables():
    """Two stochastic runs with different seeds differ in their EoL arising and stocks."""
    first, second = sim.run(stochastic_scenario(3, seed=5)), sim.run(stochastic_scenario(3, seed=6))

    eol_first = flow_by_year(first, "in_use", "end_of_life", "a")
    eol_second = flow_by_year(second, "in_use", "end_of_life", "a")
    assert not np.array_equal(eol_first, eol_second)
    assert not first.stocks.equals(second.stocks)


@pytest.mark.parametrize("window, n, truncated", [(12, 360, False), (1, 360, True), (4, 61, False), (1, 37, True)])
def test_history_at_once_leaves_the_stock_the_steps_leave(window, n, truncated):
    """CohortStock.settle against place and depart_with_content step by step, on random inflows of
    five lifetime distributions, the same in every step of a cohort's window (annual, quarterly
    and monthly cohorts, a last cohort cut short, with and without the truncated tail): departures,
    units and content per cohort agree to rounding."""
    from sim.config.lifetimes import Lifetime
    from sim.model.cohorts import CohortStock, truncation_age

    rng = np.random.default_rng(window * 1000 + n)
    lifetimes = [Lifetime("weibull", shape=3.6, scale=14.0), Lifetime("lognormal", mean=4.0, std=2.0),
                 Lifetime("fixed", mean=1.0), Lifetime("normal", mean=8.0, std=3.0),
                 Lifetime("weibull", shape=1.2, scale=0.4)]
    n_steps, step = 672, 1 / 12
    max_age = max(truncation_age(d, step, n_steps) for d in lifetimes) if truncated else None
    stepwise, at_once = (CohortStock(lifetimes, window, step, n_steps, None, max_age_steps=max_age, n_elements=3)
                         for _ in range(2))
    n_cohorts = -(-n // window)
    units = rng.uniform(0.0, 100.0, (len(lifetimes), n_cohorts))  # per step of each cohort's window
    content = units[:, None, :] * rng.uniform(0.0, 2.0, (len(lifetimes), 3, n_cohorts))
    departed, departed_content = np.zeros((len(lifetimes), n)), np.zeros((len(lifetimes), 3, n))
    for k in range(n):
        stepwise.place(k, units[:, k // window], content[:, :, k // window])
        departed[:, k], departed_content[:, :, k] = stepwise.depart_with_content(k)
    settled, settled_content = at_once.settle(units, content, n)
    np.testing.assert_allclose(settled, departed, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(settled_content, departed_content, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(at_once.units, stepwise.units, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(at_once.content, stepwise.content, rtol=1e-12, atol=1e-12)
    assert at_once.total() == pytest.approx(stepwise.total(), rel=1e-12)
    if truncated and n > max_age:  # cohorts past the last age are empty, and no longer visited
        np.testing.assert_array_equal(at_once.units[:, : n - max_age], 0.0)
        assert at_once._first == stepwise._first > 0


def test_default_run_is_the_same_with_its_history_step_by_step(monkeypatch):
    """The default scenario's tables with the history computed at once equal those of the same
    history run step by step (as stochastic mode and long daily histories run it)."""
    from sim.model import simulation

    params = sim.parameters(sim.load_config(["end_year=2030"]))
    at_once = sim.run(params, workers=1)
    monkeypatch.setattr(simulation, "HISTORY_AT_ONCE_STEPS", 0)
    stepwise = sim.run(params, workers=1)
    for name in ("kpis", "stocks", "flows"):
        a, b = getattr(at_once, name), getattr(stepwise, name)
        numbers = a.select_dtypes("float").columns
        assert a.drop(columns=numbers).equals(b.drop(columns=numbers)), name
        np.testing.assert_allclose(a[numbers].to_numpy(), b[numbers].to_numpy(), rtol=1e-9, atol=1e-9, err_msg=name)
