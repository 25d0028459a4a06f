"""Policy levers move the KPIs the right way, by the amounts a hand calculation gives."""

from __future__ import annotations

import pytest
from chain_scenarios import merged, small_config

import sim

BATCH_T = 0.4


def lever_config(**changes) -> dict:
    """20,000 units of 1 kg a year, 5-year lifetime, half collected and half liberated: 5 t/yr of
    scrap; half of what enters the store is exported; an HPMS plant far larger than its feed; magnet
    making without swarf, so post-consumer scrap is all the store receives."""
    base = small_config(segments={"a": {"placed_on_market": 20000}}, scrap_store={"export_share": 0.5},
                        industry={"magnet_making": {"swarf_share": 0.0}})
    return merged(base, changes)


def kpis(config: dict):
    return sim.run(config).kpis.set_index("year")


@pytest.fixture(scope="module")
def baseline():
    return kpis(lever_config())


def test_export_ban_keeps_scrap_for_the_plants(baseline):
    """From the ban year no scrap is exported, and the plants get at least what used to leave, less one batch."""
    banned = kpis(lever_config(policy={"export_ban_year": 2024}))
    before, after = slice(2020, 2023), slice(2024, 2030)
    assert banned.loc[before].equals(baseline.loc[before])
    assert (baseline.loc[after, "scrap_export_t"] > 0).all()
    assert (banned.loc[after, "scrap_export_t"] == 0).all()
    extra_feed = banned.loc[after, "hpms_feed_t"].sum() - baseline.loc[after, "hpms_feed_t"].sum()
    # the scrap no longer exported stays in the store; the plant leaves less than one whole batch
    assert extra_feed >= baseline.loc[after, "scrap_export_t"].sum() - BATCH_T
    assert (banned.loc[2025:, "hpms_feed_t"] > baseline.loc[2025:, "hpms_feed_t"]).all()
    assert (banned.loc[2025:, "recycled_supply_t"] > baseline.loc[2025:, "recycled_supply_t"]).all()


def test_supply_shock_creates_a_shortage_and_raises_recycled_content(baseline):
    """Primary supply at 25 % through 2026: a quarter of the gap is delivered, and recycled content rises."""
    shocked = kpis(lever_config(policy={"supply_shocks": [{"start": 2026, "end": 2027, "availability": 0.25}]}))
    outside = [y for y in range(2020, 2031) if y != 2026]
    assert (shocked.loc[outside, "shortage_t"] == 0).all()
    assert shocked.loc[2020:2025].equals(baseline.loc[2020:2025])
    demand, recycled = shocked.loc[2026, "demand_t"], shocked.loc[2026, "recycled_supply_t"]
    assert recycled == pytest.approx(baseline.loc[2026, "recycled_supply_t"])  # recycled magnets come first
    assert recycled > 0
    # recycled magnets are used first; primary supply then covers a quarter of the remaining demand
    assert shocked.loc[2026, "shortage_t"] == pytest.approx(0.75 * (demand - recycled))
    delivered = recycled + 0.25 * (demand - recycled)
    assert shocked.loc[2026, "recycled_content"] == pytest.approx(recycled / delivered)
    assert shocked.loc[2026, "recycled_content"] > baseline.loc[2026, "recycled_content"]


def test_partial_year_shock_hits_only_its_months():
    """A shock from mid-2026 to the end of March 2027 cuts primary supply in those months only."""
    shock = {"start": 2026.5, "end": 2027.25, "availability": 0.25}
    shocked = kpis(lever_config(plants={"p": {"capacity": "0 t/yr"}}, policy={"supply_shocks": [shock]}))
    assert (shocked["recycled_supply_t"] == 0).all()  # no plant: all demand asks for primary supply
    # steps at t = year + k/12 in [start, end): the last six months of 2026, the first three of 2027
    assert shocked.loc[2026, "shortage_t"] == pytest.approx(0.75 * 20 * 6 / 12)
    assert shocked.loc[2027, "shortage_t"] == pytest.approx(0.75 * 20 * 3 / 12)
    assert (shocked.drop([2026, 2027])["shortage_t"] == 0).all()


def allocation_config(allocation: str, **policy) -> dict:
    """Two segments with 10 t/yr of demand each, one in the target scope; 2 t/yr of scrap, so that
    recycled supply (one batch of 0.3 t of magnets in most months) stays below the 0.83 t of
    target-scope demand in every month."""
    segment = {"placed_on_market": 10000, "magnet_per_unit": "1 kg",
               "lifetime": {"distribution": "fixed", "mean": "5 yr"},
               "collection_rate": 0.2, "liberation_rate": 0.5}
    return small_config(segments={"a": dict(segment, in_target_scope=True),
                                  "aux": dict(segment, in_target_scope=False)},
                        policy={"allocation": allocation, **policy})


def test_preferential_allocation_raises_target_scope_content():
    """Preferential allocation gives the target scope all recycled magnets; proportional gives it its share."""
    proportional = kpis(allocation_config("proportional"))
    preferential = kpis(allocation_config("preferential"))
    recycled = proportional["recycled_supply_t"]
    assert (recycled > 0).all() and (recycled < 10).all()
    assert preferential["recycled_supply_t"].to_numpy() == pytest.approx(recycled.to_numpy())
    overall = proportional["recycled_content"].to_numpy()
    assert preferential["recycled_content"].to_numpy() == pytest.approx(overall)
    # proportional: the scope's content is the overall content, recycled / 20 t
    assert proportional["recycled_content_target_scope"].to_numpy() == pytest.approx((recycled / 20).to_numpy())
    # preferential: all recycled magnets go to the 10 t/yr of the target scope
    assert preferential["recycled_content_target_scope"].to_numpy() == pytest.approx((recycled / 10).to_numpy())
    assert (preferential["recycled_content_target_scope"] > proportional["recycled_content_target_scope"]).all()


def test_mandate_switches_to_preferential_allocation_from_its_year():
    """A recycled-content mandate implies preferential allocation from mandate_from, proportional before."""
    proportional = kpis(allocation_config("proportional"))
    mandated = kpis(allocation_config("proportional", mandate_share=0.25, mandate_from=2026))
    before, after = slice(2020, 2025), slice(2026, 2030)
    scope = "recycled_content_target_scope"
    assert mandated.loc[before, scope].to_numpy() == pytest.approx(proportional.loc[before, scope].to_numpy())
    assert mandated.loc[after, scope].to_numpy() == pytest.approx(2 * proportional.loc[after, scope].to_numpy())


def test_higher_collection_rate_raises_collection_from_its_year(baseline):
    """A rate change to full collection in 2025 doubles collection from 2025 on and leaves earlier years alone."""
    raised = kpis(lever_config(policy={"rate_changes": [{"year": 2025, "segment": "a", "key": "collection_rate",
                                                         "value": 1.0}]}))
    assert raised.loc[2020:2024].equals(baseline.loc[2020:2024])
    doubled = 2 * baseline.loc[2025:, "collected_t"].to_numpy()
    assert raised.loc[2025:, "collected_t"].to_numpy() == pytest.approx(doubled)
    assert (raised.loc[2025:, "liberated_t"] > baseline.loc[2025:, "liberated_t"]).all()
