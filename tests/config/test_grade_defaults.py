"""The EU's grade mixes against the sourced compositions, and the two substitution policies, by hand."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config.values import ELEMENTS
from sim.model.grades import GradeDemand


@pytest.fixture(scope="module")
def defaults():
    return sim.parameters(sim.load_config())


def test_every_grade_mix_needs_about_the_dy_tb_of_its_sourced_composition(defaults):
    """Each EU use's Dy + Tb need in start_year (grade contents, GBD and Dy-free shares) is within
    20 % of the Dy + Tb of its composition, which comes from other sources than the grade table."""
    demand = GradeDemand(defaults)
    need = demand.heavy_share(defaults.start_year)
    for i, segment in enumerate(defaults.segments):
        heavy = segment.composition[ELEMENTS.index("Dy")] + segment.composition[ELEMENTS.index("Tb")]
        assert need[i] == pytest.approx(heavy, rel=0.2), segment.name


def test_gbd_thrifting_cuts_the_dy_of_new_ev_magnets_by_hand():
    """EV traction (SH 0.3, UH 0.5, EH 0.2) all diffused from 2027: need 0.3 x 4 % x 0.4 + 0.5 x 6 % x
    0.3 + 0.2 x 8 % x 0.3 = 1.86 % against 2.057 % at a GBD share of 0.95, so the 2 % Dy of the
    composition becomes 2 % x 1.86 / 2.057 in new magnets from 2027; Nd takes up the rest."""
    params = sim.parameters(sim.load_config(["policy=gbd_thrifting"]))
    demand = GradeDemand(params)
    ev = params.segment_names.index("ev_traction")
    before = 0.3 * 0.04 * (1 - 0.95 * 0.6) + 0.5 * 0.06 * (1 - 0.95 * 0.7) + 0.2 * 0.08 * (1 - 0.95 * 0.7)
    after = 0.3 * 0.04 * 0.4 + 0.5 * 0.06 * 0.3 + 0.2 * 0.08 * 0.3
    row = 2027 - params.history_start
    dy, nd = ELEMENTS.index("Dy"), ELEMENTS.index("Nd")
    assert demand.compositions[row, ev, dy] == pytest.approx(0.02 * after / before)
    assert demand.compositions[row, ev, nd] == pytest.approx(0.23 + 0.02 * (1 - after / before))
    assert demand.compositions[row - 1, ev] == pytest.approx(np.array(params.segments[ev].composition))
    assert demand.compositions[row, ev].sum() == pytest.approx(1.0)


def test_magnet_free_ev_lowers_the_magnet_demand_of_new_evs():
    """20 % of new BEVs without rare-earth magnets in 2030: 4.3 M cars x 0.92 with magnets x 0.8 x
    2 kg = 6,329.6 t of EV traction magnets instead of 7,912 t."""
    result = sim.run(sim.load_config(["policy=magnet_free_ev", "output.figures=false"]), workers=1)
    grades = result.shortage_by_grade
    ev = grades[(grades.segment == "ev_traction") & (grades.year == 2030)]
    assert ev.demand_t.sum() == pytest.approx(4.3e6 * 0.92 * 0.8 * 2.0 / 1e3)
    assert ev.shortage_t.sum() == pytest.approx(0.0, abs=1e-9)
