"""Result tables: the KPI quantile table agrees with the replications it summarises."""

import pandas as pd

import sim
from sim.analysis.results import quantiles


def test_single_replication_quantiles_equal_the_general_path():
    """With one replication every statistic is the value; the shortcut gives what grouping gives."""
    kpis = sim.run(sim.load_config(["end_year=2030", "output.figures=false"])).kpis
    twice = pd.concat([kpis, kpis.assign(replication=1)], ignore_index=True)
    pd.testing.assert_frame_equal(quantiles(kpis), quantiles(twice), check_names=False)
    row = quantiles(kpis).set_index(["year", "kpi"]).loc[(2030, "recycled_content")]
    assert (row == kpis.set_index("year").at[2030, "recycled_content"]).all()
