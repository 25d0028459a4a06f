"""The KPI table documents exactly the columns of `kpis`, with units that fit their values."""

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import kpi_table

#: a scenario with every kind of column: HPMS and long-loop plants, and a mandate (its columns)
EVERY_COLUMN = ["policy=magnet_mandate", "end_year=2032", "target.year=2030", "output.sankey_year=2030"]


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    return sim.run(sim.load_config(EVERY_COLUMN)).kpis


def test_every_kpi_column_is_in_the_table(kpis):
    missing = [c for c in kpis.columns if kpi_table.row_of(c) is None]
    assert not missing, f"add these columns to sim/analysis/kpi_table.csv: {missing}"


def test_every_table_row_is_a_kpi_column(kpis):
    stale = [row.column for row in kpi_table.columns() if not any(row.matches(c) for c in kpis.columns)]
    assert not stale, f"sim/analysis/kpi_table.csv documents columns kpis does not have: {stale}"


def test_per_plant_rows_stand_for_each_plant(kpis):
    """`utilisation:<plant>` matches one column per configured plant and nothing else."""
    plants = sim.parameters(sim.load_config(EVERY_COLUMN)).plants
    row = kpi_table.row_of("utilisation:x")
    assert sorted(c for c in kpis.columns if row.matches(c)) == sorted(f"utilisation:{p.name}" for p in plants)
    assert not row.matches("hpms_utilisation") and not row.matches("utilisation:")


def test_units_fit_the_values(kpis):
    """Masses end in _t and are in tonnes; dimensionless numeric columns are shares in [0, 1]."""
    for row in kpi_table.columns():
        for column in (c for c in kpis.columns if row.matches(c)):
            values = kpis[column]
            if row.unit in ("t", "t/yr"):
                assert column.split(":")[0].endswith("_t") and (values >= 0).all(), column
            elif row.unit == "-" and pd.api.types.is_float_dtype(values):
                assert np.all((values >= 0) & (values <= 1 + 1e-9)), column
