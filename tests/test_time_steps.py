"""The answer does not depend on the step length: monthly and daily steps give the same 2030
recycled content to within 0.1 percentage point (README, "Time steps")."""

from __future__ import annotations

import pytest

import sim
from sim.model.market import LEAD_TIME

TOLERANCE = 0.001  # 0.1 percentage point


@pytest.fixture(scope="module")
def contents():
    def at(steps):
        kpis = sim.run(sim.load_config(overrides=[f"steps_per_year={steps}"])).kpis.set_index("year")
        return kpis.loc[2030]
    return {steps: at(steps) for steps in (12, 365)}


@pytest.mark.parametrize("kpi", ["recycled_content", "recycled_content_post_consumer",
                                 "recycled_content_target_scope"])
def test_monthly_and_daily_steps_agree_on_2030_content(contents, kpi):
    assert abs(contents[12][kpi] - contents[365][kpi]) < TOLERANCE


def test_plants_take_the_same_feed_whatever_the_step(contents):
    """The HPMS plants keep the scrap they can batch; the long loop takes the rest, at any step."""
    for route in ("hpms_feed_t", "long_loop_feed_t"):
        assert contents[12][route] == pytest.approx(contents[365][route], rel=0.01)


def test_recycled_magnets_reach_the_market_a_month_after_they_are_made():
    """A long-loop plant that opens at the start of 2026 delivers its first magnets a month later:
    with monthly steps, 11 of 12 months of 2026 output reach the market in 2026. The plant is
    small, so a year of stored scrap keeps it at capacity and its monthly output even."""
    assert LEAD_TIME == pytest.approx(1 / 12)
    overrides = ["plants=none", "+plants.loop.route=long_loop", "+plants.loop.capacity={2025: 0 t/yr, 2026: 120 t/yr}",
                 "+plants.loop.accepts=[long_loop_only,short_loop]", "scrap_store.export_share=0.0",
                 "end_year=2030"]
    kpis = sim.run(sim.load_config(overrides=overrides)).kpis.set_index("year")
    made, supplied = kpis.at[2026, "recycled_output_t"], kpis.at[2026, "recycled_supply_t"]
    assert made > 0
    assert supplied == pytest.approx(made * 11 / 12, rel=1e-6)
