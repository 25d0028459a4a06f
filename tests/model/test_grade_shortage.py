"""A heavy-rare-earth embargo through the grades, by hand: the grades that need Dy/Tb go short, those
without do not, and recycled magnets relieve exactly the grades their own Dy+Tb supports."""

from __future__ import annotations

import numpy as np
import pytest
from chain_scenarios import small_config

import sim
from sim.analysis.results import ResultBuilder
from sim.model.balance import check, check_elements
from sim.model.simulation import Simulation

GRADES = {"N": {"dy_tb": 0.0}, "M": {"dy_tb": 0.01}, "SH": {"dy_tb": 0.04}}
LOW_DY = {"Nd": 0.28, "Pr": 0.05, "Dy": 0.012, "B": 0.01, "FeCo": 0.648}  # hard disks: 1.2 %
HIGH_DY = {"Nd": 0.25, "Pr": 0.05, "Dy": 0.04, "B": 0.01, "FeCo": 0.65}  # wind: 4 %
NO_DY = {"Nd": 0.29, "Pr": 0.05, "B": 0.01, "FeCo": 0.65}


def embargo(start: str, months: int) -> dict:
    """Dy and Tb (and everything that contains them) from China stop for `months` from `start`;
    every form comes from China alone, so the rest arrives in full."""
    return {"policy": {"licences": [{"origin": "china", "elements": ["Dy", "Tb"], "from": start, "months": months,
                                     "forms": ["oxide_metal", "magnets", "magnets_in_products"],
                                     "approval_share": 0.0}]},
            "supply": {"china_share": {"oxide_metal": 1.0, "magnets": 1.0, "magnets_in_products": 1.0}}}


def segment(mix: dict, composition: dict, **changes) -> dict:
    """12,000 units of 1 kg a year (1 t a month), 5-year life, all collected and liberated."""
    return {"placed_on_market": 12000, "magnet_per_unit": "1 kg", "lifetime": {"distribution": "fixed", "mean": "5 yr"},
            "collection_rate": 1.0, "liberation_rate": 1.0, "grade_mix": mix, "composition": composition, **changes}


def run(segments: dict, plants: dict, cut: dict | None):
    """Expected-mode run 2020-2030 with the given uses and HPMS plants; balances checked."""
    config = small_config(grades=GRADES, industry={"magnet_making": {"capacity": "1000 t/yr", "swarf_share": 0.0,
                                                                     "loss_share": 0.0}}, **(cut or {}))
    config["segments"], config["plants"] = segments, plants
    params = sim.parameters(config)
    record = Simulation(params).run()
    n_years = len(params.years)
    check(record.graph, record.flows, record.stocks, n_years, 0)
    check_elements(record.graph, record.element_flows, record.element_stocks, n_years, 0)
    builder = ResultBuilder(params)
    builder.add(record)
    return builder.build()


def shortage(result, year: int) -> dict[str, float]:
    rows = result.shortage_by_grade[result.shortage_by_grade.year == year]
    return rows.groupby("segment", observed=True)["shortage_t"].sum().to_dict()


def recycled_into(result, year: int) -> dict[str, float]:
    """Recycled magnets placed in each use [t], from the flow table."""
    flows = result.flows
    rows = flows[(flows.year == year) & (flows.from_node == "market") & (flows.to_node == "in_use")
                 & flows.origin.isin(["post_consumer", "pre_consumer"])]
    return rows.groupby("segment", observed=True)["mass_t"].sum().to_dict()


def test_embargo_makes_only_the_grades_that_need_dy_tb_short():
    """No recycling; Dy/Tb embargo through 2025: the SH (wind) and M (hard disk) uses get nothing
    (12 t short each), the N use none short; before and after, nothing is short. The binding element
    is Dy: primary supply of everything else arrived in full."""
    result = run({"wind": segment({"SH": 1.0}, HIGH_DY, in_target_scope=True), "hdd": segment({"M": 1.0}, LOW_DY),
                  "toys": segment({"N": 1.0}, NO_DY)}, {}, embargo("2025-01", 12))
    short = shortage(result, 2025)
    assert short["wind"] == pytest.approx(12.0)
    assert short["hdd"] == pytest.approx(12.0)
    assert short.get("toys", 0.0) == pytest.approx(0.0, abs=1e-9)
    kpis = result.kpis.set_index("year")
    assert kpis.loc[2025, "shortage_t"] == pytest.approx(24.0)
    assert kpis.loc[2025, "shortage_dy_tb_grades_t"] == pytest.approx(24.0)
    assert kpis.loc[2025, "shortage_target_scope_t"] == pytest.approx(12.0)
    assert kpis.loc[2025, "binding_element"] == "Dy"
    assert (kpis.drop(2025)["shortage_t"] == 0).all() and (kpis.drop(2025)["binding_element"] == "none").all()


def test_dy_free_magnets_are_not_short_under_the_embargo():
    """A quarter of the wind use's magnets made Dy-free: its shortage is the other 9 t."""
    result = run({"wind": segment({"SH": 1.0}, HIGH_DY, dy_free_share=0.25)}, {}, embargo("2025-01", 12))
    assert shortage(result, 2025)["wind"] == pytest.approx(9.0)


HPMS = {"route": "hpms", "capacity": "100 t/yr", "vessels": 2, "batch_size": "100 kg", "cycle_time": "8 h",
        "availability": 1.0}


def test_recycled_wind_magnets_cut_the_wind_shortage_by_what_they_deliver():
    """Wind (SH, 4 % Dy) and hard-disk (M, 1.2 %) uses, both recycled through one HPMS plant, embargo
    through 2028: wind's shortage is its demand less the recycled magnets it got, and hard-disk
    magnets never reach it (their 1.2 % does not make SH); the hard-disk use's shortage falls by
    the recycled magnets it got, of either origin."""
    result = run({"wind": segment({"SH": 1.0}, HIGH_DY), "hdd": segment({"M": 1.0}, LOW_DY)}, {"p": HPMS},
                 embargo("2025-01", 48))
    for year in (2026, 2027, 2028):
        short, recycled = shortage(result, year), recycled_into(result, year)
        assert recycled["wind"] > 1.0 and recycled["hdd"] > 1.0
        assert short["wind"] == pytest.approx(12.0 - recycled["wind"])
        assert short["hdd"] == pytest.approx(12.0 - recycled["hdd"])


def test_hard_disk_magnets_do_not_relieve_the_high_grades():
    """Only the hard-disk use's scrap is recycled (wind turbines are not collected): under the embargo
    the wind use gets no recycled magnet and is short of all 12 t; the hard-disk use is relieved."""
    result = run({"wind": segment({"SH": 1.0}, HIGH_DY, collection_rate=0.0), "hdd": segment({"M": 1.0}, LOW_DY)},
                 {"p": HPMS}, embargo("2025-01", 48))
    for year in (2026, 2027, 2028):
        assert recycled_into(result, year).get("wind", 0.0) == pytest.approx(0.0, abs=1e-12)
        assert shortage(result, year)["wind"] == pytest.approx(12.0)
        assert shortage(result, year)["hdd"] < 12.0 - 1.0


def test_without_a_shortage_recycled_magnets_still_keep_to_their_grades():
    """No embargo: hard-disk magnets (1.2 %) serve only the hard-disk use (M), though the policy
    spreads recycled magnets pro rata; nothing is short."""
    result = run({"wind": segment({"SH": 1.0}, HIGH_DY, collection_rate=0.0), "hdd": segment({"M": 1.0}, LOW_DY)},
                 {"p": HPMS}, None)
    assert result.kpis.shortage_t.max() == 0.0
    for year in range(2021, 2031):
        assert recycled_into(result, year).get("wind", 0.0) == pytest.approx(0.0, abs=1e-12)
    assert np.isclose(result.shortage_by_grade.shortage_t, 0.0).all()
