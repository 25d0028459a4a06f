"""The answer does not depend on the step length: monthly and daily steps give the same 2030
recycled content to within 0.1 percentage point, and so do monthly and weekly steps where the grades
cap what recycled powder may enter (README, "Time steps")."""

from __future__ import annotations

import pytest

import sim
from sim.model.industry import LEAD_TIME

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


@pytest.fixture(scope="module")
def capped_contents():
    """Under `combined` the magnet mandate places recycled magnets in grades, so the grades' room caps
    what each origin's HPMS powder may enter, and bonded making has powder without room."""
    def at(steps):
        cfg = sim.load_config(overrides=["policy=combined", f"steps_per_year={steps}", "end_year=2031"])
        return sim.run(cfg).kpis.set_index("year").loc[2030]
    return {steps: at(steps) for steps in (12, 48)}


@pytest.mark.parametrize("kpi", ["recycled_content", "recycled_content_post_consumer",
                                 "recycled_content_target_scope"])
def test_monthly_and_weekly_steps_agree_where_grades_cap_the_powder(capped_contents, kpi):
    assert abs(capped_contents[12][kpi] - capped_contents[48][kpi]) < TOLERANCE


def test_bonded_making_makes_the_same_whatever_the_step(capped_contents):
    """Powder without room in a step does not hold back powder with room (Buffer.take)."""
    assert capped_contents[12]["bonded_made_t"] == pytest.approx(capped_contents[48]["bonded_made_t"], rel=0.01)


def test_plants_take_the_same_feed_whatever_the_step(contents):
    """The HPMS plants keep the scrap they can batch; the long loop takes the rest, at any step."""
    for route in ("hpms_feed_t", "long_loop_feed_t"):
        assert contents[12][route] == pytest.approx(contents[365][route], rel=0.01)


def test_recycled_alloy_enters_magnets_a_month_after_it_is_made():
    """A long-loop plant that opens at the start of 2027 (as alloy making does): its rare earths, made into alloy in the
    same step, enter magnets a month later, so with monthly steps 11 of the 12 months of 2027 alloy
    are in 2027 magnets. The plant is small, so a year of stored scrap keeps it at capacity and its
    monthly output even; magnet making turns 1 - swarf - loss of its feed into magnets."""
    assert LEAD_TIME == pytest.approx(1 / 12)
    overrides = ["plants=none", "+plants.loop.route=long_loop", "+plants.loop.capacity={2026: 0 t/yr, 2027: 120 t/yr}",
                 "+plants.loop.accepts=[long_loop_only,short_loop]", "scrap_store.export_share=0.0",
                 "end_year=2030"]
    cfg = sim.load_config(overrides=overrides)
    kpis = sim.run(cfg).kpis.set_index("year")
    making = sim.parameters(cfg).industry.magnet_making
    alloy, supplied = kpis.at[2027, "alloy_t"], kpis.at[2027, "recycled_supply_t"]
    assert alloy > 0
    assert supplied == pytest.approx(alloy * 11 / 12 * (1 - making.swarf_share - making.loss_share), rel=1e-5)
