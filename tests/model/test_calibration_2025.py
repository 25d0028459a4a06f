"""policy=licence_2025 against China's monthly magnet exports of 2025 (tests/data, docs/sources.md
chinacustoms2025): the model's magnets from China (imported magnets, products excluded) per month.

Both series are compared relative to their own level before the controls, since the levels differ
by design: the model's imports serve the magnets placed on the EU market (about 0.9 kt a month from
China), while the customs count (about 1.6 kt a month to the EU) also feeds EU-made products sold
outside the EU. Tolerances: the EU level before the controls is November 2024's (1,611 t); a month
of 2024 ranged about 10 % around it, so a ratio near 1 carries about +-0.1, and a trough month
about +-0.03; the model averages a regime over whole months. Hence 0.15 on EU trough months and 15 %
on totals over several months.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.model.simulation import Simulation

DATA = Path(__file__).resolve().parents[1] / "data" / "china_magnet_exports_2025.csv"
EU_BEFORE = 1611.0  # t a month: November 2024, from November 2025's 2,568.8 t at +59.5 % on the year


@pytest.fixture(scope="module")
def customs() -> pd.DataFrame:
    data = pd.read_csv(DATA, comment="#")
    data["month"] = [int(m[5:]) for m in data["month"]]
    return data.set_index("month")


@pytest.fixture(scope="module")
def model() -> pd.Series:
    """Magnets from China [t] per month of 2025 under licence_2025, relative to January-March."""
    simulation = Simulation(sim.parameters(sim.load_config(["policy=licence_2025"])))
    deliver, months = simulation.market.deliver, {}

    def recording(year, t, *args):
        delivery = deliver(year, t, *args)
        if year == 2025:
            china = simulation.supply.by_origin("magnets", delivery.imported_magnets)[0]
            months[round((t - 2025) * 12) + 1] = china.sum()
        return delivery

    simulation.market.deliver = recording
    simulation.run()
    series = pd.Series(months)
    return series / series.loc[1:3].mean()


def test_eu_trough_months(model, customs):
    eu = customs["eu_t"] / EU_BEFORE
    for month in (5, 6):  # May (0.25), June (0.85)
        assert model[month] == pytest.approx(eu[month], abs=0.15), month


def test_april_to_june_against_all_destinations(model, customs):
    # January-March: January-May's 19,132 t less April and May (only January is reported alone)
    before = (19132 - customs.at[4, "all_destinations_t"] - customs.at[5, "all_destinations_t"]) / 3
    total = customs["all_destinations_t"] / before
    assert model.loc[4:6].mean() == pytest.approx(total.loc[4:6].mean(), rel=0.15)
    assert model.loc[1:11].sum() == pytest.approx(3 + total.loc[4:11].sum(), rel=0.15)


def test_after_the_collapse_deliveries_return_to_demand_and_no_further(model, customs):
    # the EU took 28-60 % more than before from July (restocking); the model cannot restock: it
    # delivers what is placed, so it returns to its level before the controls and stays at or below
    eu = customs["eu_t"] / EU_BEFORE
    for month in (7, 8, 10, 11):
        assert 0.95 <= model[month] <= eu[month], month
    assert model[4] < 0.5 and model[5] < 0.5  # April and May: the collapse
