"""Mass balance of every node and year, read from the output tables (flows and stocks) alone."""

from __future__ import annotations

import pytest
from chain_scenarios import (
    assert_balanced,
    assert_sources_match_holdings,
    balance_residuals,
    full_feature_config,
    small_config,
)

import sim
from sim.model.balance import check
from sim.model.scrap_store import ScrapStore
from sim.model.simulation import Simulation


@pytest.fixture(scope="module")
def default_stochastic():
    return sim.run(sim.load_config(["mode=stochastic", "replications=3", "end_year=2032"]))


@pytest.fixture(scope="module", params=["expected", "stochastic"])
def full_feature(request):
    return sim.run(full_feature_config(request.param, replications=3))


def test_default_scenario_balances_in_expected_mode(default_result):
    """Every node of the default scenario balances in every year: inflow - outflow = change of stock."""
    residuals = assert_balanced(default_result)
    assert {"in_use", "scrap_store", "magnet_making", "bonded_making", "metal_alloy_making", "market",
            "scrap_export"} <= set(residuals["node"])


def test_default_scenario_balances_in_stochastic_mode(default_stochastic):
    """Every replication of a shortened stochastic default run balances node by node and year by year."""
    residuals = assert_balanced(default_stochastic)
    assert sorted(residuals["replication"].unique()) == [0, 1, 2]


@pytest.mark.parametrize("name", ["default_result", "default_stochastic"])
def test_default_scenario_sources_end_up_in_nodes_and_sinks(name, request):
    """Whatever primary supply and imports bring in is held at the end by some node or sink."""
    assert_sources_match_holdings(request.getfixturevalue(name))


def test_full_feature_scenario_balances(full_feature):
    """With every feature on, every node balances in every replication and year, and all mass is kept."""
    assert_balanced(full_feature)
    assert_sources_match_holdings(full_feature)


def test_full_feature_scenario_uses_every_feature(full_feature):
    """The full-feature scenario really moves material along every branch it is meant to test."""
    flows = full_feature.flows.astype({"from_node": str, "to_node": str})
    routes = set(zip(flows["from_node"], flows["to_node"]))
    expected_routes = {("end_of_life", "collection"), ("collection", "uncollected"),
                       ("dismantling", "shredder_loss"), ("scrap_store", "scrap_export"),
                       ("scrap_import", "scrap_store"), ("primary_supply", "magnet_making"),
                       ("scrap_store", "hpms:short"), ("hpms:short", "magnet_making"),
                       ("scrap_store", "hpms:bond"), ("hpms:bond", "bonded_making"),
                       ("bonded_making", "market"), ("magnet_imports", "market"), ("product_imports", "market"),
                       ("scrap_store", "long_loop:hydro"), ("long_loop:hydro", "metal_alloy_making"),
                       ("metal_alloy_making", "magnet_making"), ("magnet_making", "scrap_store"),
                       ("magnet_making", "market"), ("market", "other_uses")}
    assert expected_routes <= routes
    stocks = full_feature.stocks.astype({"node": str})
    held = stocks[stocks["mass_t"] > 0].groupby("node")["mass_t"].max()
    assert held["end_of_life"] > 0  # hoarding
    assert held["dismantling"] > 0  # dismantling capacity backlog
    kpis = full_feature.kpis
    assert (kpis.loc[kpis["year"] >= 2023, "scrap_export_t"] == 0).all()
    assert (kpis.loc[kpis["year"] < 2023, "scrap_export_t"] > 0).all()
    assert (kpis.loc[kpis["year"] == 2025, "shortage_t"] > 0).all()


def test_table_check_detects_a_tampered_stock():
    """The table-based balance check is not vacuous: one tonne added to one stock row breaks it."""
    result = sim.run(small_config())
    assert_balanced(result)
    stocks = result.stocks.copy()
    row = stocks.index[(stocks["node"] == "in_use") & (stocks["year"] == 2024)][0]
    stocks.loc[row, "mass_t"] += 1.0
    residuals = balance_residuals(result.flows, stocks, 2020, 2030)
    broken = residuals[residuals["residual"].abs() > 1e-6]
    assert list(zip(broken["node"], broken["year"])) == [("in_use", 2024), ("in_use", 2025)]


def _record():
    params = sim.parameters(full_feature_config())
    return Simulation(params).run(), len(params.years)


def test_check_accepts_an_untouched_record():
    """The runtime balance check passes on a record as the simulation left it."""
    record, n_years = _record()
    check(record.graph, record.flows, record.stocks, n_years)


def test_check_fails_loudly_on_a_tampered_stock():
    """A record whose scrap-store stock was raised by 1 kg at the end of year index 3 (row 4; row 0 is
    the opening stock) raises MassBalanceError naming the mass balance, the node and that year."""
    record, n_years = _record()
    record.stocks["scrap_store"][4, 0] += 1.0
    with pytest.raises(sim.MassBalanceError, match="^mass balance broken at node 'scrap_store', replication 0, "
                                                   "year index 3: inflow "):
        check(record.graph, record.flows, record.stocks, n_years)


def test_check_fails_loudly_on_a_tampered_flow():
    """A record with 1 kg more on one recorded flow raises MassBalanceError."""
    record, n_years = _record()
    flows = record.flows[("collection", "dismantling", "recycled")]
    flows[3, 0] += 1.0
    with pytest.raises(sim.MassBalanceError):
        check(record.graph, record.flows, record.stocks, n_years)


def test_run_fails_loudly_when_a_node_loses_material(monkeypatch):
    """sim.run checks the balance itself: a scrap store that silently drops 1 % of each deposit fails the run."""
    deposit = ScrapStore.deposit

    def leaky_deposit(self, year, lot, exportable=True):
        exported = deposit(self, year, lot, exportable)
        self.pools["short_loop"] *= 0.99
        return exported

    monkeypatch.setattr(ScrapStore, "deposit", leaky_deposit)
    with pytest.raises(sim.MassBalanceError, match="scrap_store"):
        sim.run(small_config())


def test_tables_carry_the_record_in_tonnes():
    """The flows table is the record's flows in tonnes: the totals of both agree for every route."""
    params = sim.parameters(full_feature_config())
    record = Simulation(params).run()
    result = sim.run(params)
    table = result.flows.groupby(["from_node", "to_node"], observed=True)["mass_t"].sum()
    totals: dict[tuple[str, str], float] = {}
    for (src, dst, _), sums in record.flows.items():
        totals[(src, dst)] = totals.get((src, dst), 0.0) + sums.sum() / 1e3
    for route, total in totals.items():
        assert table.get(route, 0.0) == pytest.approx(total, rel=1e-12, abs=1e-12)
    assert len(table) == sum(1 for total in totals.values() if total != 0)
