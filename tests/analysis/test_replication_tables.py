"""output.replication_tables = first: flows and stocks of replication 0 only, memory flat in the
number of replications, KPIs and quantiles of every replication as in the full tables."""

from __future__ import annotations

import pandas as pd
import pytest
from chain_scenarios import full_feature_config, merged, small_config

import sim
from sim.analysis.results import ResultBuilder
from sim.analysis.runner import _checked_replication
from sim.config.parameters import Params
from sim.report.run_writer import provenance
from sim.report.summary import render


def _stochastic(replications: int, tables: str) -> Params:
    return sim.parameters(merged(small_config(), {"mode": "stochastic", "replications": replications, "seed": 5,
                                                  "output": {"replication_tables": tables}}))


def _held(replications: int, tables: str) -> tuple[int, int]:
    """Number and total bytes of the flow and stock arrays a builder holds after `replications`."""
    params = _stochastic(replications, tables)
    builder = ResultBuilder(params)
    for replication in range(replications):
        builder.add(_checked_replication(params, replication))
    arrays = builder.held_arrays()
    return len(arrays), sum(a.nbytes for a in arrays)


def test_first_holds_the_same_arrays_for_5_and_50_replications():
    assert _held(5, "first") == _held(50, "first") == _held(1, "all")


def test_all_holds_arrays_in_proportion_to_replications():
    """The control: in full mode the held arrays grow, so the flat count above is not vacuous."""
    count_5, bytes_5 = _held(5, "all")
    count_50, bytes_50 = _held(50, "all")
    assert count_50 > 5 * count_5  # nearly 10x: a replication may lack a flow another has
    assert bytes_50 > 5 * bytes_5


@pytest.fixture(scope="module")
def both_modes():
    config = full_feature_config("stochastic", replications=4)
    full = sim.run(config, workers=1)
    first = sim.run(merged(config, {"output": {"replication_tables": "first"}}), workers=1)
    return full, first


def test_kpis_and_quantiles_equal_the_full_tables(both_modes):
    full, first = both_modes
    assert sorted(first.kpis["replication"].unique()) == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(first.kpis, full.kpis)
    pd.testing.assert_frame_equal(first.kpi_quantiles, full.kpi_quantiles)


def test_flows_and_stocks_are_replication_0_of_the_full_tables(both_modes):
    full, first = both_modes
    assert (full.table_replications, first.table_replications) == (4, 1)
    for name in ("flows", "stocks"):
        whole, kept = getattr(full, name), getattr(first, name)
        assert set(kept["replication"]) == {0}
        expected = whole[whole["replication"] == 0].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, expected)


def test_summary_and_provenance_say_which_replications_the_tables_hold(both_modes):
    full, first = both_modes
    assert "flows and stocks of replication 0 only" in render(first)
    assert "replication 0 only" not in render(full)
    record = provenance({}, first)
    assert (record["replications"], record["replication_tables"], record["table_replications"]) == (4, "first", 1)


def test_flow_means_divide_by_the_replications_the_tables_hold(both_modes):
    """A mean flow from the kept table is replication 0's flow, not a quarter of it."""
    from sim.report.summary import flow_t

    full, first = both_modes
    flows = full.flows[full.flows["replication"] == 0]
    year = int(flows["year"].max())
    row = flows[flows["year"] == year].iloc[0]
    expected = flows[(flows["year"] == year) & (flows["from_node"] == row["from_node"])
                     & (flows["to_node"] == row["to_node"])]["mass_t"].sum()
    assert flow_t(first, year, [row["from_node"]], [row["to_node"]]) == pytest.approx(expected, rel=1e-12)


def test_an_unknown_choice_is_refused_naming_the_key():
    with pytest.raises(sim.ConfigError, match="output.replication_tables"):
        sim.parameters(merged(small_config(), {"output": {"replication_tables": "some"}}))
