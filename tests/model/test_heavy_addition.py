"""Dy/Tb added to re-sintered HPMS magnets (industry.magnet_making.heavy_addition), by hand.

One step of the market in a month of a Dy/Tb embargo: wind (SH, needs 4 % Dy + Tb) and hard-disk
(M, 1 %) uses, 1,000 kg of demand each; 3,000 kg of hard-disk HPMS powder (1.2 % Dy) ready in
magnet making, and optionally separated rare earths of wind magnets. Magnet making loses nothing
(no swarf, no loss), so a kg of feed is a kg of magnets.
"""

from __future__ import annotations

import numpy as np
import pytest
from chain_scenarios import small_config
from test_grade_shortage import GRADES, HIGH_DY, HPMS, LOW_DY, embargo, recycled_into, segment, shortage

import sim
from sim.analysis.results import ResultBuilder
from sim.config.values import ELEMENTS
from sim.model.balance import check, check_elements
from sim.model.industry import BondedMaking, MagnetMaking
from sim.model.market import Market
from sim.model.simulation import Simulation
from sim.model.supply import PrimarySupply

WIND, HDD = 0, 1  # origin and destination slots
T = 2025 + 5 / 12  # a step inside the embargo of 2025
S = 0.012  # Dy share of the hard-disk powder
N = 0.04  # Dy + Tb need of the wind grade (SH)


def lot(composition: dict, kg: float) -> np.ndarray:
    return np.array([composition.get(e, 0.0) for e in ELEMENTS]) * kg


def step(addition: float, cut: dict | None, separated: np.ndarray | None):
    """One market step in 2025 with 3,000 kg of hard-disk powder and the `separated` rare earths
    [kg by element] of wind magnets ready."""
    config = small_config(grades=GRADES, industry={"magnet_making": {"capacity": "1000 t/yr", "swarf_share": 0.0,
                                                                     "loss_share": 0.0, "heavy_addition": addition}},
                          **(cut or {}))
    config["segments"] = {"wind": segment({"SH": 1.0}, HIGH_DY), "hdd": segment({"M": 1.0}, LOW_DY)}
    config["plants"] = {}
    params = sim.parameters(config)
    supply = PrimarySupply(params)
    market, making, bonded = Market(params, False, supply), MagnetMaking(params), BondedMaking(params)
    making.powder.ready[HDD] = lot(LOW_DY, 3000.0)
    if separated is not None:
        making.alloy.ready[WIND] = separated
    delivery = market.deliver(2025, T, making, bonded)
    return delivery, making


def delivered(delivery) -> np.ndarray:
    return delivery.delivered_by_grade.sum(axis=1)


def test_without_addition_hard_disk_powder_does_not_reach_the_wind_grade():
    delivery, making = step(0.0, embargo("2025-01", 12), None)
    assert delivered(delivery)[WIND] == pytest.approx(0.0, abs=1e-9)
    assert delivered(delivery)[HDD] == pytest.approx(1000.0)  # its own grade, from its own powder
    assert making.powder.ready.sum() == pytest.approx(2000.0)


def test_recovered_dy_lifts_exactly_the_magnets_it_can():
    """Separated rare earths of 350 kg with 20 kg of Dy go to the wind use (any grade) and need
    350 x 4 % = 14 kg of it: 6 kg are recovered. A kg of lifted magnet holds (N - S) / (1 - S) of added
    Dy, so 6 kg lift 6 (1 - S) / (N - S) = 211.71 kg of magnets, 205.71 kg of them hard-disk material.
    Under the embargo no primary Dy arrives: the wind use gets 350 + 205.71 kg, and the 6 kg of Dy
    moved out of the separated magnets leave room no one fills."""
    separated = lot({"Nd": 280.0, "Pr": 50.0, "Dy": 20.0}, 1.0)
    delivery, making = step(0.03, embargo("2025-01", 12), separated)
    lifted = 6.0 * (1.0 - N) / (N - S)  # hard-disk material in the lifted magnets
    assert delivered(delivery)[WIND] == pytest.approx(350.0 + lifted)
    assert delivered(delivery)[HDD] == pytest.approx(1000.0)
    assert making.powder.ready.sum() == pytest.approx(2000.0 - lifted)
    # the wind use's recycled magnets hold their share of Dy: the 6 kg added, and no primary Dy
    wind = delivery.post_consumer[WIND] + delivery.pre_consumer[WIND]
    assert wind[ELEMENTS.index("Dy")] == pytest.approx(20.0 + lifted * S)
    assert delivery.primary[:, ELEMENTS.index("Dy")].sum() == pytest.approx(0.0, abs=1e-9)


def test_without_recovered_dy_the_embargo_leaves_no_dy_to_add():
    delivery, making = step(0.03, embargo("2025-01", 12), None)
    assert delivered(delivery)[WIND] == pytest.approx(0.0, abs=1e-9)
    assert making.powder.ready.sum() == pytest.approx(2000.0)


def test_without_an_embargo_primary_dy_lifts_the_powder_and_counts_as_primary():
    """The 2,000 kg of powder left after the hard-disk use fill the wind use's 1,000 kg: 1000 (1 - N) /
    (1 - S) kg of powder and 1000 (N - S) / (1 - S) kg of primary Dy, which is primary, not recycled."""
    delivery, making = step(0.03, None, None)
    added = 1000.0 * (N - S) / (1.0 - S)
    assert delivered(delivery)[WIND] == pytest.approx(1000.0)
    assert delivery.post_consumer[WIND].sum() == pytest.approx(1000.0 - added)
    assert delivery.primary[WIND].sum() == pytest.approx(added)
    assert delivery.primary[WIND, ELEMENTS.index("Dy")] == pytest.approx(added)
    wind_dy = (delivery.post_consumer[WIND] + delivery.primary[WIND])[ELEMENTS.index("Dy")]
    assert wind_dy == pytest.approx(1000.0 * N)
    assert delivery.made.primary == pytest.approx(added)


def test_an_addition_too_small_for_the_grade_lifts_nothing():
    delivery, making = step(0.02, None, None)  # 1.2 % + 2 % falls short of SH's 4 %
    assert delivery.post_consumer[WIND].sum() == pytest.approx(0.0, abs=1e-9)  # primary magnets serve it
    assert making.powder.ready.sum() == pytest.approx(2000.0)


LONG_LOOP = {"route": "long_loop", "capacity": "100 t/yr", "accepts": ["long_loop_only"], "yield": 0.9}


def run_with(addition: float, segments: dict, plants: dict, cut: dict | None):
    """Expected-mode run 2020-2030 as test_grade_shortage.run, with Dy/Tb addition; balances checked
    (mass and every element, node by node)."""
    config = small_config(grades=GRADES, industry={"magnet_making": {"capacity": "1000 t/yr", "swarf_share": 0.0,
                                                                     "loss_share": 0.0, "heavy_addition": addition},
                                                   "metal_alloy_making": {"capacity": "100 t/yr", "yield": 1.0}},
                          **(cut or {}))
    config["segments"], config["plants"] = segments, plants
    params = sim.parameters(config)
    record = Simulation(params).run()
    check(record.graph, record.flows, record.stocks, len(params.years), 0)
    check_elements(record.graph, record.element_flows, record.element_stocks, len(params.years), 0)
    builder = ResultBuilder(params)
    builder.add(record)
    return builder.build()


def hard_disks_only(**wind):
    """Wind (SH) and hard-disk (M) uses; hard disks are recycled through an HPMS plant."""
    return {"wind": segment({"SH": 1.0}, HIGH_DY, **({"collection_rate": 0.0} | wind)),
            "hdd": segment({"M": 1.0}, LOW_DY)}


@pytest.mark.parametrize("addition", [0.0, 0.03])
def test_hard_disk_magnets_relieve_the_high_grade_under_an_embargo_only_with_recovered_dy(addition):
    """Embargo through 2028 and no long loop: with or without addition, no Dy arrives to lift the
    hard-disk magnets, so the wind use is short of all 12 t."""
    result = run_with(addition, hard_disks_only(), {"p": HPMS}, embargo("2025-01", 48))
    for year in (2026, 2027, 2028):
        assert shortage(result, year)["wind"] == pytest.approx(12.0)


def test_recovered_dy_of_the_long_loop_lifts_exactly_the_hard_disk_magnets_it_can():
    """Embargo 2025-2028. Wind magnets (12 t a year from 2020, 36 t from 2024) go to the long loop
    only (coated): from 2025 its scrap of 12 t gives, at a yield of 0.9, 10.8 t of magnets' rare
    earths, 10.8 x 34 % = 3.672 t with 10.8 x 4 % = 0.432 t of Dy, which serve the wind use and need
    3.672 x 4 % of that Dy; the rest, R = 0.28512 t, is recovered. Hard disks (36 t a year placed up to
    2023, 12 t from 2024) give more HPMS powder than their use takes.
    Without addition R makes R / 4 % = 7.128 t of region-made magnets (with primary Nd, Fe, B, which
    the embargo does not cut); with addition R lifts R (1 - N) / (N - S) = 9.7756 t of hard-disk
    magnets into the wind use: its shortage falls by the difference. (The study starts in 2024, so the
    scrap of 2025-2028 is of magnets placed before it, of their uses' own composition.)"""
    segments = hard_disks_only(collection_rate=1.0, short_loop_share=0.0,
                               placed_on_market={2000: 12000, 2023: 12000, 2024: 36000})
    segments["hdd"]["placed_on_market"] = {2000: 36000, 2023: 36000, 2024: 12000}
    plants = {"p": HPMS, "hydro": LONG_LOOP}
    separated, dy = 10.8 * 0.34, 10.8 * 0.04
    recovered = dy - separated * N
    cut = embargo("2025-01", 48) | {"start_year": 2024}
    without = run_with(0.0, segments, plants, cut)
    lifted = run_with(0.06, segments, plants, cut)
    for year in (2026, 2027, 2028):
        assert shortage(without, year)["wind"] == pytest.approx(36.0 - separated - recovered / N)
        assert shortage(lifted, year)["wind"] == pytest.approx(36.0 - separated - recovered * (1 - N) / (N - S))
        assert shortage(lifted, year).get("hdd", 0.0) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("mode", ["expected", "stochastic"])
def test_balances_hold_with_dy_added(mode):
    """Hard disks and coated wind magnets recycled, a Dy/Tb embargo in 2026 only: Dy is added from
    the long loop's recovered Dy and from primary; mass and element balances hold node by node in
    both modes (whole units, held magnets; checked in run_with)."""
    segments = hard_disks_only(collection_rate=1.0, short_loop_share=0.0)
    segments["hdd"]["placed_on_market"] = {2000: 36000, 2023: 36000, 2024: 12000}
    result = run_with(0.03, segments, {"p": HPMS, "hydro": LONG_LOOP},
                      embargo("2026-01", 12) | {"mode": mode, "seed": 3})
    for year in (2025, 2026, 2027):  # beyond the separated rare earths' 3.672 t: lifted hard-disk magnets
        assert recycled_into(result, year)["wind"] > 10.8 * 0.34 + 1.0
