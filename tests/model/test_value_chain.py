"""The value chain after recycling, against hand-computed cases: magnet making's swarf and feed,
where magnets come from, what recycled material can enter, and the measures of recycled content."""

from __future__ import annotations

import numpy as np
import pytest
from chain_scenarios import assert_balanced, small_config
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.model.industry import Buffer
from sim.report.summary import render

#: generic sintered NdFeB (the default composition): Nd 0.22, Pr 0.06, Dy 0.02, Tb 0.003
RARE_EARTHS = 0.22 + 0.06 + 0.02 + 0.003


def run(plants=None, **changes):
    """small_config with `changes`; `plants` replaces its plants (None keeps its HPMS plant p)."""
    config = small_config(**changes)
    if plants is not None:
        config["plants"] = plants
    result = sim.run(config)
    assert_balanced(result)
    return result, result.kpis.set_index("year")


def test_magnet_making_swarf_and_feed_by_hand():
    """12 t/yr of magnets, swarf 25 % and loss 5 % of feed, 40 % of the swarf reclaimed in-house:
    feed F = 12 / 0.7; traded swarf 0.25 x 0.6 x F; in-house 0.25 x 0.4 x F; loss 0.05 x F; bought
    feed F x (1 - 0.1). Demand is 20 t/yr; no plants, so nothing recycled comes back."""
    making = {"capacity": "12 t/yr", "swarf_share": 0.25, "loss_share": 0.05, "in_house_share": 0.4}
    _, kpis = run(plants={}, segments={"a": {"placed_on_market": 20000}}, industry={"magnet_making": making})
    feed = 12 / 0.7
    row = kpis.loc[2025]
    assert row["region_made_t"] == pytest.approx(12.0)
    assert row["swarf_traded_t"] == pytest.approx(0.25 * 0.6 * feed)
    assert row["swarf_in_house_t"] == pytest.approx(0.25 * 0.4 * feed)
    assert row["process_loss_t"] == pytest.approx(0.05 * feed)
    assert row["imported_magnets_t"] == pytest.approx(row["demand_t"] - 12.0)
    assert row["recycled_content"] == 0.0


def test_magnet_making_never_exceeds_what_is_bought_as_magnets():
    """Demand is 1,000 kg a year; with half of it in imported products, region-made magnets fill at
    most the other half even with capacity to spare."""
    _, kpis = run(plants={}, segments={"a": {"imported_product_share": 0.5}},
                  industry={"magnet_making": {"capacity": "100 t/yr"}})
    row = kpis.loc[2025]
    assert row["imported_products_t"] == pytest.approx(0.5)
    assert row["region_made_t"] == pytest.approx(0.5)
    assert row["imported_magnets_t"] == pytest.approx(0.0, abs=1e-12)


def test_recycled_material_enters_only_region_made_magnets():
    """Every magnet arrives in imported products: the HPMS powder has nowhere to go, so recycled
    content is zero and the powder stays as stock; with `unabsorbed: export` it leaves instead."""
    imported = {"a": {"imported_product_share": 1.0}}
    industry = {"magnet_making": {"capacity": "100 t/yr"}}
    _, kept = run(segments=imported, industry=industry)
    assert (kept["recycled_content"] == 0).all() and (kept["region_made_t"] == 0).all()
    assert kept.loc[2030, "unabsorbed_t"] > 0 and (kept["recycled_export_t"] == 0).all()
    result, exported = run(segments=imported, industry={**industry, "unabsorbed": "export"})
    flows = result.flows.astype({"from_node": str, "to_node": str})
    powder = flows[(flows["from_node"] == "hpms:p") & (flows["to_node"] == "magnet_making")]
    assert exported["recycled_export_t"].sum() == pytest.approx(powder["mass_t"].sum(), rel=1e-6)
    assert exported.loc[2030, "unabsorbed_t"] < kept.loc[2030, "unabsorbed_t"]
    assert "are exported" in render(result)


def test_bonded_magnets_never_go_to_traction_or_wind_grades():
    """Powder of a bonded-route plant becomes bonded magnets for the non-scope segment only."""
    segment = {"placed_on_market": 1000, "magnet_per_unit": "1 kg",
               "lifetime": {"distribution": "fixed", "mean": "5 yr"},
               "collection_rate": 1.0, "liberation_rate": 1.0}
    _, kpis = run(segments={"a": {**segment, "in_target_scope": True}, "b": {**segment, "in_target_scope": False}},
                  plants={"p": {"route": "hpms", "capacity": "100 t/yr", "product": "bonded"}},
                  industry={"magnet_making": {"capacity": "0 t/yr"},
                            "bonded_making": {"capacity": "100 t/yr", "yield": 0.9}})
    row = kpis.loc[2028]
    assert row["bonded_made_t"] > 0
    assert row["recycled_content_target_scope"] == 0.0
    # all bonded magnets are recycled and go to b, half of demand: content = bonded / all magnets
    assert row["recycled_content"] == pytest.approx(row["bonded_made_t"] / row["delivered_t"])
    assert row["recycled_content_region_made"] == pytest.approx(1.0)


def test_long_loop_separates_only_the_rare_earths():
    """A long loop with yield 0.9 sends 0.9 x the rare-earth share of its feed to metal and alloy
    making; iron, boron and the rest are process loss. Per element, recycled content is the mass
    content divided by the rare-earth share (the alloy carries rare earths only)."""
    _, kpis = run(plants={"hydro": {"route": "long_loop", "capacity": "100 t/yr", "yield": 0.9,
                                    "accepts": ["short_loop", "long_loop_only"]}},
                  industry={"magnet_making": {"capacity": "100 t/yr"},
                            "metal_alloy_making": {"capacity": "100 t/yr", "yield": 1.0}})
    row = kpis.loc[2028]
    assert row["separated_t"] == pytest.approx(0.9 * RARE_EARTHS * row["long_loop_feed_t"])
    assert row["alloy_t"] == pytest.approx(row["separated_t"])
    content = row["recycled_content_post_consumer"]
    assert content > 0
    for element in ("Nd", "Pr", "Dy", "Tb"):
        assert row[f"recycled_content_post_consumer_{element}"] == pytest.approx(content / RARE_EARTHS)


def test_hpms_powder_carries_whole_magnets_element_by_element():
    """Re-sintered HPMS powder is whole magnet material: each element's content equals the mass content."""
    _, kpis = run(industry={"magnet_making": {"capacity": "100 t/yr"}})
    row = kpis.loc[2028]
    assert row["recycled_content_post_consumer"] > 0
    for element in ("Nd", "Pr", "Dy", "Tb"):
        assert row[f"recycled_content_post_consumer_{element}"] == pytest.approx(
            row["recycled_content_post_consumer"])


def test_alloy_making_capacity_holds_back_separated_rare_earths():
    """Without metal and alloy making, separated rare earths wait in its stock and none enters magnets."""
    result, kpis = run(plants={"hydro": {"route": "long_loop", "capacity": "100 t/yr",
                                         "accepts": ["short_loop", "long_loop_only"]}},
                       industry={"magnet_making": {"capacity": "100 t/yr"}})
    assert (kpis["alloy_t"] == 0).all() and kpis.loc[2028, "separated_t"] > 0
    assert (kpis["recycled_content"] == 0).all()
    stocks = result.stocks.astype({"node": str})
    held = stocks[(stocks["node"] == "metal_alloy_making") & (stocks["year"] == 2030)]["mass_t"].sum()
    assert held == pytest.approx(kpis["separated_t"].sum())


def buffer_holding(masses):
    """A Buffer whose ready lots are `masses` [kg by origin], each origin with its own element mix."""
    buffer = Buffer(sim.parameters(small_config()))
    n_elements = buffer.ready.shape[1]
    mix = np.arange(1, len(masses) * n_elements + 1, dtype=float).reshape(len(masses), n_elements)
    mix /= mix.sum(axis=1, keepdims=True)
    buffer.ready = np.array(masses, dtype=float)[:, None] * mix
    return buffer, mix


@pytest.mark.parametrize(("kg", "cap", "taken"), [
    # pro rata would take 15 of the first origin; its cap of 10 leaves 5 to the others, taken in
    # their 30 : 10 ratio
    (25.0, [10.0, 100.0, 100.0], [10.0, 11.25, 3.75]),
    # the first origin held to 10 leaves 40 for the others, who have 40: all of it
    (50.0, [10.0, 100.0, 100.0], [10.0, 30.0, 10.0]),
    # held to 10 and then 20, the third gives all it has: less than asked, as the caps allow
    (50.0, [10.0, 20.0, 100.0], [10.0, 20.0, 10.0]),
    # no cap binds: plain pro rata
    (20.0, [100.0, 100.0, 100.0], [12.0, 6.0, 2.0]),
    # an origin without room gives nothing, and the rest is taken pro rata from the others
    (20.0, [0.0, 100.0, 100.0], [0.0, 15.0, 5.0]),
])
def test_a_capped_take_gives_what_an_origin_cannot_to_the_others_by_hand(kg, cap, taken):
    """60, 30 and 10 kg ready by origin: the take is pro rata among the origins under their cap, and
    each origin keeps its own element mix."""
    buffer, mix = buffer_holding([60.0, 30.0, 10.0])
    part = buffer.take(kg, np.array(cap))
    assert part.sum(axis=1) == pytest.approx(taken)
    assert part == pytest.approx(np.array(taken)[:, None] * mix)
    assert buffer.ready.sum(axis=1) == pytest.approx(np.array([60.0, 30.0, 10.0]) - taken)


def _take_by_bisection(masses, kg, cap):
    """What each origin gives when the one share s of every origin, cut to its cap, is raised by
    bisection until the take is `kg` (or s = 1): min(s m, c) by origin."""
    def taken(s):
        return sum(min(s * m, c) for m, c in zip(masses, cap))
    low, high = 0.0, 1.0
    if taken(1.0) > kg:
        for _ in range(200):
            mid = (low + high) / 2
            low, high = (mid, high) if taken(mid) < kg else (low, mid)
    return [min(high * m, c) for m, c in zip(masses, cap)]


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 120)), min_size=1, max_size=19),
       st.integers(1, 1500))
@settings(max_examples=200, deadline=None)
def test_a_capped_take_agrees_with_bisection_on_the_share(origins, kg):
    """Up to 19 origins of 0-100 kg with caps of 0-120 kg, asked for 1-1500 kg."""
    masses, cap = [float(m) for m, _ in origins], [float(c) for _, c in origins]
    buffer, _ = buffer_holding(masses)
    part = buffer.take(float(kg), np.array(cap))
    assert part.sum(axis=1) == pytest.approx(_take_by_bisection(masses, kg, cap), abs=1e-9)
