"""Anchor series and capacity schedules with `scale` and `shift`: the validated series equals the
hand-computed one, the plant schedules' own knobs compose with `plant_schedules`, and bad knobs are
one-line errors naming their key."""

from __future__ import annotations

import numpy as np
import pytest
from chain_scenarios import small_config

import sim
from sim import ConfigError


def capacity(params, year: float) -> float:
    return float(params.plants[0].capacity.at(year))


def test_a_scaled_and_shifted_schedule_is_the_old_one_times_scale_later_by_shift():
    """{2020: 0, 2024: 400 t/yr} x 1.5 moved 2 years: 0 until 2022, 600 t/yr (600e3 kg) from 2026,
    linear between (at 2024: half way, 300e3 kg)."""
    config = small_config(plants={"p": {"capacity": {"anchors": {2020: "0 t/yr", 2024: "400 t/yr"},
                                                     "scale": 1.5, "shift": 2}}})

    params = sim.parameters(config)

    years = [2021, 2022, 2023, 2024, 2026, 2030]
    expected = [0.0, 0.0, 150e3, 300e3, 600e3, 600e3]
    assert [capacity(params, y) for y in years] == pytest.approx(expected)


def test_plant_schedules_scale_every_plant_on_top_of_its_own_knobs():
    config = small_config(plants={"p": {"capacity": {"anchors": "100 t/yr", "scale": 2.0}},
                                  "q": {"route": "long_loop", "capacity": {2020: "0 t/yr", 2025: "50 t/yr"},
                                        "accepts": ["short_loop", "long_loop_only"]}},
                          plant_schedules={"scale": 0.5, "shift": -1})

    params = sim.parameters(config)

    p, q = params.plants
    assert p.capacity.at(2030) == pytest.approx(100e3)  # 100 x 2 x 0.5
    # q: {2019: 0, 2024: 25 t/yr}
    assert q.capacity.at(np.array([2019.0, 2021.5, 2024.0])) == pytest.approx([0.0, 12.5e3, 25e3])


def test_a_shifted_share_series_and_a_scaled_unit_series_in_segments():
    config = small_config(segments={"a": {"collection_rate": {"anchors": {2020: 0.2, 2030: 0.6}, "shift": 5},
                                          "placed_on_market": {"anchors": 1000, "scale": 1.2}}})

    segment = sim.parameters(config).segments[0]

    assert segment.collection_rate.at(np.array([2024.0, 2030.0, 2035.0])) == pytest.approx([0.2, 0.4, 0.6])
    assert segment.placed_on_market.at(2040) == pytest.approx(1200)


def test_scale_and_shift_are_the_identity_at_one_and_zero():
    plain = sim.parameters(small_config(plants={"p": {"capacity": {2020: "0 t/yr", 2024: "400 t/yr"}}}))
    knobs = sim.parameters(small_config(plants={"p": {"capacity": {"anchors": {2020: "0 t/yr", 2024: "400 t/yr"},
                                                                   "scale": 1, "shift": 0}}},
                                        plant_schedules={"scale": 1.0, "shift": 0}))

    assert plain.plants == knobs.plants


@pytest.mark.parametrize("series, key, expected", [
    ({"anchors": 0.5, "scale": -1}, "segments.a.collection_rate.scale", "a factor >= 0"),
    ({"anchors": 0.5, "scale": 3}, "segments.a.collection_rate.scale", "every value <= 1"),
    ({"anchors": 0.5, "shift": "two"}, "segments.a.collection_rate.shift", "a number of years"),
    ({"anchors": 0.5, "stretch": 2}, "segments.a.collection_rate.stretch", "only anchors, scale and shift"),
    ({2020: 0.5, "scale": 2}, "segments.a.collection_rate.scale", "goes under 'anchors:'"),
])
def test_bad_knobs_are_one_line_errors_naming_the_key(series, key, expected):
    with pytest.raises(ConfigError) as error:
        sim.parameters(small_config(segments={"a": {"collection_rate": series}}))

    assert error.value.key == key and expected in str(error.value) and "\n" not in str(error.value)


def test_plant_schedules_scale_is_an_ordinary_key_of_a_composed_run():
    params = sim.parameters(sim.load_config(["plant_schedules.scale=2", "plant_schedules.shift=3"]))
    default = sim.parameters(sim.load_config())

    for scaled, plant in zip(params.plants, default.plants):
        assert scaled.capacity.at(2040) == pytest.approx(2 * plant.capacity.at(2037))


def test_setting_values_leaves_the_config_it_starts_from_as_it_was():
    """with_values shares what it does not set with the base config (explorations set values on
    one base thousands of times): the base must come out unchanged, and each result hold its own."""
    import copy

    from sim.config.compose import with_values
    base = small_config(plants={"p": {"capacity": {2020: "0 t/yr", 2024: "400 t/yr"}}})
    before = copy.deepcopy(base)
    first = with_values(base, {"plants.p.capacity.scale": 2.0, "segments.a.collection_rate": 0.7,
                               "plant_schedules.shift": 1})
    second = with_values(base, {"plants.p.capacity.shift": -1, "segments.a.collection_rate": 0.2})
    assert base == before
    assert first["plants"]["p"]["capacity"] == {"anchors": {2020: "0 t/yr", 2024: "400 t/yr"}, "scale": 2.0}
    assert second["plants"]["p"]["capacity"] == {"anchors": {2020: "0 t/yr", 2024: "400 t/yr"}, "shift": -1}
    rates = first["segments"]["a"]["collection_rate"], second["segments"]["a"]["collection_rate"]
    assert rates == (0.7, 0.2)
    assert first["plant_schedules"] == {"shift": 1} and "plant_schedules" not in second
    assert capacity(sim.parameters(first), 2031) == pytest.approx(2 * capacity(sim.parameters(base), 2030))
