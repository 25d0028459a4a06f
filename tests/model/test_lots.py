"""Lots and the allocation rule: slot layout, element shares per slot, recycled magnets per destination."""

import numpy as np
import pytest

import sim
from sim.model import lots
from sim.model.grades import allocate
from sim.report.summary import render

SHORT = ["end_year=2032", "target.year=2030", "output.sankey_year=2030"]


def test_slot_layout():
    params = sim.parameters(sim.load_config(SHORT))
    names = lots.slot_names(params)
    assert names[:-1] == list(params.segment_names) and names[lots.ALL] == "all"
    per_segment = np.arange(1.0, len(params.segments) + 1)
    lot = lots.from_segments(lots.of_mass(per_segment, lots.composition(params)[:-1]))
    assert lot.shape == (len(params.segments) + 1, lots.N_ELEMENTS)
    assert lots.mass(lot)[lots.ALL] == 0.0 and lots.mass(lot)[:-1] == pytest.approx(per_segment)
    assert list(lots.is_post_consumer(np.array([0, len(params.segments)]), len(params.segments))) == [True, False]


def test_swarf_slot_is_generic_sintered_ndfeb():
    """The `all` slot's Dy + Tb share is the generic composition's 2 % Dy + 0.3 % Tb."""
    params = sim.parameters(sim.load_config(SHORT))
    heavy = lots.heavy_rare_earth_share(params)
    assert heavy[lots.ALL] == pytest.approx(0.023)
    composition = lots.composition(params)
    assert composition.sum(axis=1) == pytest.approx(np.ones(len(params.segments) + 1))


def test_allocation_by_hand():
    """20 kg recycled for deliveries of 10 (target scope), 30 and 60 kg."""
    delivered, scope = np.array([10.0, 30.0, 60.0]), np.array([True, False, False])
    assert allocate(delivered, 20.0, scope, "proportional") == pytest.approx([2.0, 6.0, 12.0])
    assert allocate(delivered, 20.0, scope, "preferential") == pytest.approx([10.0, 10 / 3, 20 / 3])
    assert allocate(delivered, 5.0, scope, "preferential") == pytest.approx([5.0, 0.0, 0.0])


def test_mandate_switches_allocation_in_its_first_year():
    """A mandate from 2030 makes allocation preferential from 2030, not before; the summary says so."""
    cfg = sim.load_config([*SHORT, "policy=magnet_mandate"])
    policy = sim.parameters(cfg).policy
    assert [policy.allocation_in(y) for y in (2029, 2030, 2031)] == ["proportional", "preferential", "preferential"]
    result = sim.run(cfg)
    text = render(result)
    assert "proportional in 2025-2029" in text and "preferential in 2030-2032" in text
    scope = result.kpis.set_index("year")["recycled_content_target_scope"]
    baseline = sim.run(sim.load_config(SHORT)).kpis.set_index("year")["recycled_content_target_scope"]
    assert scope[2029] == pytest.approx(baseline[2029], rel=1e-9)  # proportional, as without a mandate
    assert scope[2030] > baseline[2030] * 1.3  # preferential: sintered recycled magnets to the target scope first
