"""Event traces of a tiny HPMS plant: batch start and end times derived by hand from the feed schedule.

Scenario: units placed only in 2010 (uniformly over the year), 1 kg of magnet each, a fixed
lifetime of 5 yr, collection and liberation 1, no export and no magnet making (so no swarf). The units of each
month of 2010 reach end of use in the same month of 2015, so the scrap store receives
units / 12 kg at each step t = 2015 + m / 12 (m = 0..11) and nothing else, ever. Plants refill
their capacity allowance and look for feed at each step; a vessel looks again when its campaign
ends. Vessels waiting for feed start in the order in which they began to wait.
"""

from __future__ import annotations

import pytest
from chain_scenarios import HOURS_PER_YEAR

import sim
from sim.model.simulation import Simulation

BATCH_KG = 400.0
CYCLE = 8 / HOURS_PER_YEAR  # "8 h" in years
MONTHS = [2015 + m / 12 for m in range(12)]
TIME_TOL = 1e-9  # yr, about 30 ms


def trace_config(batches_per_month: int, campaign_length: str = "8 h", capacity: str = "100 t/yr",
                 vessels: int = 2, cycle_time: str = "8 h") -> dict:
    """The scenario of the module docstring with `batches_per_month` batches of feed each month of 2015."""
    units = batches_per_month * BATCH_KG * 12  # 1 kg per unit
    return {
        "start_year": 2015, "end_year": 2016, "history_start": 2010, "mode": "expected",
        "segments": {"a": {"placed_on_market": {2009: 0, 2010: units, 2011: 0}, "magnet_per_unit": "1 kg",
                           "lifetime": {"distribution": "fixed", "mean": "5 yr"},
                           "collection_rate": 1.0, "liberation_rate": 1.0}},
        "plants": {"p": {"route": "hpms", "capacity": capacity, "vessels": vessels, "batch_size": "400 kg",
                         "cycle_time": cycle_time, "availability": 1.0, "campaign_length": campaign_length,
                         "yield": 0.9}},
        "target": {"year": 2015},
        "output": {"sankey_year": 2015, "figures": False},
    }


def campaigns(config: dict):
    return Simulation(sim.parameters(config), trace=True).run().trace


def batches(trace, cycle: float = CYCLE) -> list[tuple[float, float]]:
    """(start, end) of every batch [yr], sorted: batch i of a campaign runs from start + i*cycle."""
    out = []
    for campaign in trace:
        out += [(campaign.start + i * cycle, campaign.start + (i + 1) * cycle) for i in range(campaign.batches)]
    return sorted(out)


def monthly(offsets: list[list[tuple[int, int]]]) -> list[tuple[float, float]]:
    """Batches from (start, end) offsets in cycles after each month's step, one list per month."""
    out = []
    for t, month in zip(MONTHS, offsets):
        out += [(t + a * CYCLE, t + b * CYCLE) for a, b in month]
    return sorted(out)


def assert_times(actual: list[tuple[float, float]], expected: list[tuple[float, float]]) -> None:
    assert len(actual) == len(expected)
    for (start, end), (want_start, want_end) in zip(actual, expected):
        assert start == pytest.approx(want_start, abs=TIME_TOL)
        assert end == pytest.approx(want_end, abs=TIME_TOL)


def assert_vessels_work_one_campaign_at_a_time(trace, vessels: int) -> None:
    assert {c.vessel for c in trace} <= set(range(vessels))
    for vessel in range(vessels):
        own = sorted((c.start, c.end) for c in trace if c.vessel == vessel)
        for (_, end), (start, _) in zip(own, own[1:]):
            assert start >= end - TIME_TOL


def test_one_batch_campaigns_follow_the_monthly_feed():
    """Three batches a month on two vessels: two start at the step, the third when a vessel frees up."""
    trace = campaigns(trace_config(batches_per_month=3))
    assert all(c.batches == 1 for c in trace)
    for c in trace:
        assert c.end - c.start == pytest.approx(CYCLE, abs=TIME_TOL)
    assert_times(batches(trace), monthly([[(0, 1), (0, 1), (1, 2)]] * 12))
    assert_vessels_work_one_campaign_at_a_time(trace, 2)


def test_waiting_vessels_start_in_the_order_they_began_waiting():
    """The vessel that waited longest starts first at the next step, so the third batch alternates."""
    trace = campaigns(trace_config(batches_per_month=3))
    # month 0: vessel 0 resumes first at the step and after its batch, so it takes the third batch
    # and vessel 1 starts waiting one cycle earlier: next month vessel 1 starts first, resumes
    # first after its batch and takes the third batch, and so on
    third = [c.vessel for t in MONTHS for c in trace if abs(c.start - (t + CYCLE)) < TIME_TOL]
    assert third == [0, 1] * 6


def test_capacity_schedule_limits_the_batches_of_each_step():
    """12 t/yr allows 1000 kg a month, banked only up to one batch: 2 and 3 batches alternate."""
    config = trace_config(batches_per_month=3, capacity="12 t/yr")
    trace = campaigns(config)
    # allowance after refill: 1000 kg (2 batches, 200 kg left), then 200 + 1000 (3 batches), ...
    two, three = [(0, 1), (0, 1)], [(0, 1), (0, 1), (1, 2)]
    expected_2015 = monthly([two, three] * 6)
    actual = batches(trace)
    assert_times([b for b in actual if b[0] < 2016], expected_2015)
    # 2016 has no new feed: the 2.4 t left are 6 batches, taken 2, 3 and 1 in its first three steps
    starts_2016 = sorted(round((b[0] - 2016) * 12) for b in actual if b[0] >= 2016)
    assert starts_2016 == [0, 0, 1, 1, 1, 2]
    kpis = sim.run(config).kpis.set_index("year")
    assert kpis.loc[2015, "hpms_feed_t"] == pytest.approx(12.0)
    assert kpis.loc[2016, "hpms_feed_t"] == pytest.approx(2.4)
    assert kpis.loc[2015, "utilisation:p"] == pytest.approx(1.0)
    assert kpis.loc[2015, "scrap_inventory_t"] == pytest.approx(2.4)


def test_campaign_across_new_year_keeps_its_feed_in_the_plant_stock():
    """One vessel with 20-day batches: its capacity is 400 kg x 365.25 / 20 = 7.305 t/yr, 18.26
    batches, so it may take 18 whole batches a year (allowance does not cross a year end), and the
    feed of a year never exceeds the capacity reported. The batch running at the end of 2015 is
    feed of 2015 and output of 2016, and sits in the plant's stock at the year end."""
    config = trace_config(batches_per_month=3, campaign_length="20 d", vessels=1, cycle_time="20 d")
    cycle = 20 / 365.25
    trace = campaigns(config)
    # feed (3 batches a month) outruns the vessel; no two batches overlap
    starts = [start for start, _ in batches(trace, cycle)]
    assert all(b - a >= cycle - TIME_TOL for a, b in zip(starts, starts[1:]))
    assert sum(2015 <= t < 2016 for t in starts) == 18
    result = sim.run(config)
    flows = result.flows.astype({"from_node": str, "to_node": str})
    by_route = flows.groupby(["from_node", "to_node", "year"])["mass_t"].sum()
    feed, powder = by_route.loc[("scrap_store", "hpms:p")], by_route.loc[("hpms:p", "magnet_making")]
    assert feed[2015] == pytest.approx(18 * 0.4) and feed[2016] == pytest.approx(18 * 0.4)
    kpis = result.kpis.set_index("year")
    assert kpis.loc[2015, "capacity_t:p"] == pytest.approx(0.4 * 365.25 / 20)
    assert (kpis["utilisation:p"] <= 1).all()
    assert powder[2015] == pytest.approx(17 * 0.4 * 0.9)
    assert powder[2016] == pytest.approx(18 * 0.4 * 0.9)
    stocks = result.stocks.astype({"node": str})
    held = stocks[stocks["node"] == "hpms:p"].groupby("year")["mass_t"].sum()
    assert held[2015] == pytest.approx(0.4)


def test_longer_campaigns_run_back_to_back_batches():
    """Six batches a month, campaigns of up to three cycles: each vessel runs one three-batch campaign."""
    trace = campaigns(trace_config(batches_per_month=6, campaign_length="24 h"))
    assert sorted((c.start, c.batches) for c in trace) == [(pytest.approx(t, abs=TIME_TOL), 3)
                                                          for t in MONTHS for _ in range(2)]
    for c in trace:
        assert c.end - c.start == pytest.approx(3 * CYCLE, abs=TIME_TOL)
    assert_vessels_work_one_campaign_at_a_time(trace, 2)
    one_batch = monthly([[(0, 1), (0, 1), (1, 2), (1, 2), (2, 3), (2, 3)]] * 12)
    assert_times(batches(trace), one_batch)
    assert_times(batches(campaigns(trace_config(batches_per_month=6))), one_batch)


@pytest.mark.parametrize("capacity", ["100 t/yr", "12 t/yr"])
@pytest.mark.parametrize("batches_per_month", [3, 6])
def test_campaigns_process_the_same_mass_as_single_batches(capacity, batches_per_month):
    """Grouping batches into campaigns leaves processed mass, output and utilisation per year unchanged."""
    def table(campaign_length):
        result = sim.run(trace_config(batches_per_month, campaign_length, capacity))
        columns = ["hpms_feed_t", "utilisation:p", "hpms_utilisation", "recycled_output_t"]
        return result.kpis.set_index("year")[columns]

    single = table("8 h")
    assert single.loc[2015, "hpms_feed_t"] > 0
    for campaign_length in ("24 h", "1 month"):
        grouped = table(campaign_length)
        for column in single:
            assert grouped[column].to_numpy() == pytest.approx(single[column].to_numpy(), rel=1e-12)


def test_campaigns_split_uneven_feed_like_single_batches():
    """Three batches on two idle vessels finish at the same times whether run as one-batch campaigns or grouped."""
    # campaign_length groups batches for speed only (parameter table: "the batch times are the
    # same"), so one vessel must not queue a batch that an idle vessel could run
    one_batch = monthly([[(0, 1), (0, 1), (1, 2)]] * 12)
    assert_times(batches(campaigns(trace_config(batches_per_month=3))), one_batch)
    ends = sorted(end for _, end in batches(campaigns(trace_config(3, campaign_length="24 h"))))
    assert ends == pytest.approx(sorted(end for _, end in one_batch), abs=TIME_TOL)


def at_capacity_config(campaign_length: str) -> dict:
    """Three vessels (400 kg, 8 h, availability 0.9: 1183 t/yr) fed 1200 t/yr under a 2000 t/yr schedule:
    the vessels, not feed or schedule, limit what the plant takes."""
    return {
        "start_year": 2020, "end_year": 2026, "history_start": 2014, "mode": "expected",
        "segments": {"a": {"placed_on_market": 1_200_000, "magnet_per_unit": "1 kg",
                           "lifetime": {"distribution": "fixed", "mean": "5 yr"},
                           "collection_rate": 1.0, "liberation_rate": 1.0}},
        "plants": {"p": {"route": "hpms", "capacity": "2000 t/yr", "vessels": 3, "batch_size": "400 kg",
                         "cycle_time": "8 h", "availability": 0.9, "campaign_length": campaign_length}},
        "target": {"year": 2020},
        "output": {"sankey_year": 2020, "figures": False},
    }


def test_campaigns_keep_annual_feed_and_utilisation_of_a_plant_at_capacity():
    """At its vessel limit a plant takes the same feed per year in month-long campaigns as in one-batch ones."""
    # one-batch campaigns put each batch's feed in the year the batch starts, so a year's feed is
    # the vessels' capacity up to one batch per vessel at the year's ends; grouping batches for
    # speed must not move feed between years, nor lift utilisation above 1 by more than that
    vessels, physical_t = 3, 3 * BATCH_KG / 1e3 / CYCLE * 0.9
    one_batch_tolerance = vessels * BATCH_KG / 1e3
    single = sim.run(at_capacity_config("8 h")).kpis.set_index("year")
    grouped = sim.run(at_capacity_config("1 month")).kpis.set_index("year")
    assert single["hpms_feed_t"].to_numpy() == pytest.approx(physical_t, abs=one_batch_tolerance)
    assert grouped["hpms_feed_t"].to_numpy() == pytest.approx(single["hpms_feed_t"].to_numpy(),
                                                             abs=one_batch_tolerance)
    assert (grouped["utilisation:p"] <= 1 + one_batch_tolerance / physical_t).all()
