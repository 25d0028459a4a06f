"""Result tables: the KPI quantile table agrees with the replications it summarises, and the
tables come sorted by their key columns."""

import pandas as pd
import pytest

import sim
from sim.analysis.results import ResultBuilder, grouped_quantiles, quantiles


@pytest.fixture(scope="module")
def kpis():
    return sim.run(sim.load_config(["end_year=2030", "output.figures=false"])).kpis


def test_single_replication_quantiles_equal_the_general_path(kpis):
    """With one replication every statistic is the value; the table made directly is the grouped one."""
    pd.testing.assert_frame_equal(quantiles(kpis), grouped_quantiles(kpis))
    twice = pd.concat([kpis, kpis.assign(replication=1)], ignore_index=True)
    pd.testing.assert_frame_equal(quantiles(kpis), quantiles(twice))
    row = quantiles(kpis).set_index(["year", "kpi"]).loc[(2030, "recycled_content")]
    assert (row == kpis.set_index("year").at[2030, "recycled_content"]).all()


def test_single_replication_quantiles_follow_the_years_in_order(kpis):
    """Rows come by year whatever order the KPI rows are in, as grouping gives them."""
    shuffled = kpis.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(quantiles(shuffled), grouped_quantiles(kpis))


def test_tables_are_sorted_by_their_key_columns():
    """Rows sorted on their integer codes are the rows DataFrame.sort_values gives (categories by code)."""
    result = sim.run(sim.load_config(["end_year=2030", "mode=stochastic", "replications=2",
                                      "output.figures=false"]), workers=1)
    for name, columns in (("flows", ResultBuilder.FLOW_COLUMNS), ("stocks", ResultBuilder.STOCK_COLUMNS),
                          ("element_flows", ResultBuilder.ELEMENT_FLOW_COLUMNS)):
        table = getattr(result, name)
        assert set(table["replication"]) == {0, 1}
        pd.testing.assert_frame_equal(table, table.sort_values(columns[:-1], ignore_index=True), obj=name)
