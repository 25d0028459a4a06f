"""Editing a config from the command line means what it says: one anchor of a series, a documented
key the YAML leaves at its default, and policy rate changes in any order or added to a policy's list."""

from __future__ import annotations

import pytest

import sim

EV = "segments.ev_traction"


def ev(params):
    return next(s for s in params.segments if s.name == "ev_traction")


def test_one_anchor_edit_changes_that_anchor_only():
    """placed_on_market.2030=3000000 moves the 2030 anchor; 2025 and 2035 stay, and 2027 lies on the
    line between the 2025 anchor and the new 2030 value (it was refused, and '+' added a second
    2030 anchor that changed only 2026-2029)."""
    before = ev(sim.parameters(sim.load_config())).placed_on_market
    after = ev(sim.parameters(sim.load_config([f"{EV}.placed_on_market.2030=3000000"]))).placed_on_market

    assert after.years == before.years
    assert after.at(2030) == 3_000_000
    for year in (2024, 2025, 2035, 2050):
        assert after.at(year) == before.at(year)
    v2025 = before.at(2025)
    assert after.at(2027) == pytest.approx(v2025 + (3_000_000 - v2025) * 2 / 5)


def test_an_anchor_added_with_plus_is_one_more_anchor():
    after = ev(sim.parameters(sim.load_config([f"+{EV}.placed_on_market.2032=5000000"]))).placed_on_market
    before = ev(sim.parameters(sim.load_config())).placed_on_market
    assert after.years == tuple(sorted((*before.years, 2032.0)))
    assert after.at(2032) == 5_000_000


def test_a_documented_key_left_at_its_default_is_set_without_plus():
    params = sim.parameters(sim.load_config(["industry.magnet_making.yield_sd=0.05", f"{EV}.short_loop_share=0.4"]))
    assert params.industry.magnet_making.yield_sd == 0.05
    assert ev(params).short_loop_share == 0.4


LATE, EARLY = ("{year: 2029, segment: ev_traction, key: collection_rate, value: 0.9}",
               "{year: 2027, segment: ev_traction, key: collection_rate, value: 0.65}")


@pytest.mark.parametrize("changes", [f"[{LATE}, {EARLY}]", f"[{EARLY}, {LATE}]"], ids=["late first", "early first"])
def test_rate_changes_apply_in_date_order_whatever_the_list_order(changes):
    """0.65 from 2027, 0.9 from 2029, in either order (listing 2029 first dropped the 0.9)."""
    rate = ev(sim.parameters(sim.load_config([f"policy.rate_changes={changes}"]))).collection_rate
    before = ev(sim.parameters(sim.load_config())).collection_rate
    assert rate.at(2026) == before.at(2026)
    assert rate.at(2027) == rate.at(2028.5) == 0.65
    assert rate.at(2029) == rate.at(2040) == 0.9


def test_added_rate_changes_keep_the_policy_list():
    """policy=combined with an added change keeps combined's own changes (ELV motor removal lifts
    ev_traction liberation to 0.7 from 2029) and adds collection 0.8 for every segment from 2032."""
    added = "[{year: 2032, segment: all, key: collection_rate, value: 0.8}]"
    params = sim.parameters(sim.load_config(["policy=combined", f"policy.added_rate_changes={added}"]))
    combined = sim.parameters(sim.load_config(["policy=combined"]))

    assert ev(params).liberation_rate.at(2030) == ev(combined).liberation_rate.at(2030) == 0.7
    assert all(s.collection_rate.at(2032) == 0.8 for s in params.segments)
    assert all(a.collection_rate.at(2031) == b.collection_rate.at(2031)
               for a, b in zip(params.segments, combined.segments))
    assert len(params.policy.rate_changes) == len(combined.policy.rate_changes) + 1
