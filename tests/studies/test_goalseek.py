"""Goal-seeking by a scan and bisection of every crossing: on scenarios built so that the answer is
known analytically, the least collection rate and capacity scale that meet the target, the largest
export share (more is worse), the window of plant delays that meets it (not monotone), a mean over
years; `unreachable` when no value in the range can; the frontier over a second parameter; and the
two non-monotone cases of the default EU scenario, checked against runs of their own."""

from __future__ import annotations

import pytest
from test_compare import command

import sim
from sim import ConfigError
from sim.studies import goalseek

SHARE = 0.25


def steady_scenario(collection=0.5, liberation=0.6, capacity="1000 t/yr", process_yield=0.8) -> dict:
    """One target-scope segment placed at 1,000 t/yr for ever with a fixed 10-year life, so end of
    life equals demand every year; no exports, no swarf, one long-loop plant taking every grade.
    The magnets are all rare earth and metal and magnet making lose nothing and take everything,
    so what the long loop separates is what enters new magnets: recycled content is then
    collection x liberation x yield, or capacity x yield / demand when the plant is full."""
    return {
        "start_year": 2025, "end_year": 2032, "history_start": 1990, "mode": "expected", "replications": 1,
        "seed": 1, "steps_per_year": 12,
        "segments": {"motors": {"placed_on_market": 1_000_000, "magnet_per_unit": "1 kg",
                                "lifetime": {"distribution": "fixed", "mean": "10 yr"},
                                "collection_rate": collection, "liberation_rate": liberation,
                                "in_target_scope": True,
                                "composition": {"Nd": 1.0, "Pr": 0.0, "Dy": 0.0, "Tb": 0.0, "B": 0.0, "FeCo": 0.0}}},
        "plants": {"long_loop": {"route": "long_loop", "capacity": capacity,
                                 "accepts": ["short_loop", "long_loop_only"], "yield": process_yield}},
        "scrap_store": {"export_share": 0.0},
        "industry": {"magnet_making": {"capacity": "10000 t/yr", "swarf_share": 0.0, "loss_share": 0.0},
                     "metal_alloy_making": {"capacity": "10000 t/yr", "yield": 1.0}},
        "policy": {"name": "steady"},
        "target": {"share": SHARE, "year": 2030, "metric": "recycled_content_target_scope"},
        "output": {"figures": False},
    }


def test_the_least_collection_rate_is_share_over_liberation_times_yield():
    answer = goalseek.seek(steady_scenario(), "segments.motors.collection_rate", 0.0, 1.0, tolerance=1e-5)

    assert answer.reachable
    assert answer.value == pytest.approx(SHARE / (0.6 * 0.8), abs=1e-5)  # 0.5208333...
    assert answer.kpi_at_value >= SHARE
    assert answer.evaluations <= goalseek.SCAN_POINTS + 12  # the scan, then halvings of 1/40 down to 1e-5
    assert answer.monotone and answer.intervals == ((answer.value, 1.0),) and answer.largest == 1.0


def test_the_least_capacity_scale_is_where_the_plant_output_reaches_the_share_of_demand():
    """Collection and liberation complete: 1,000 t/yr arise; the plant must take 0.25 x 1,000 / 0.8."""
    scenario = steady_scenario(collection=1.0, liberation=1.0, capacity={2000: "400 t/yr"})

    answer = goalseek.seek(scenario, "plant_schedules.scale", 0.0, 5.0, tolerance=1e-4, workers=1)

    assert answer.value == pytest.approx(SHARE * 1000 / 0.8 / 400, abs=1e-4)  # 0.78125
    one_plant = goalseek.seek(scenario, "plants.long_loop.capacity.scale", 0.0, 5.0, tolerance=1e-4, workers=1)
    assert one_plant.value == answer.value


def test_where_more_is_worse_the_largest_export_share_that_meets_is_found():
    """content = 1 x 0.6 x (1 - export) x 0.8 >= 0.25 for export <= 1 - 0.25 / 0.48."""
    scenario = steady_scenario(collection=1.0)

    answer = goalseek.seek(scenario, "scrap_store.export_share", 0.0, 1.0, tolerance=1e-5, workers=1)

    assert answer.reachable and answer.value == 0.0
    assert answer.largest == pytest.approx(1 - SHARE / (0.6 * 0.8), abs=1e-5)  # 0.4791666...
    assert answer.crossings == ((answer.largest, "met below"),)
    assert "the largest value that meets it is 0.479" in answer.describe()


def test_a_window_of_plant_delays_meets_the_target_and_is_reported_as_not_monotone():
    """A plant open from 2021 to 2023 (ramps of one year each side), moved `shift` years later;
    scrap waits in the store while it is shut, so in 2030 it runs at its capacity C(y) = schedule at
    y - shift. Its output reaches the market one step (a month) later, so 2030's recycled supply is
    0.8 x (11 C(2030) + C(2029)) / 12 >= 0.25 x 1,000 t: with x = 2030 - shift, on the rising ramp
    11 x 1000 (x - 2020) >= 3750 (shift <= 9.65909), on the falling one 11 x 1000 (2024 - x) + 1000
    >= 3750 (shift >= 6.25)."""
    scenario = steady_scenario(collection=1.0, liberation=1.0,
                               capacity={2020: "0 t/yr", 2021: "1000 t/yr", 2023: "1000 t/yr", 2024: "0 t/yr"})

    answer = goalseek.seek(scenario, "plant_schedules.shift", 0.0, 15.0, tolerance=1e-3, workers=1, points=16)

    assert answer.reachable and not answer.monotone
    (start, end), = answer.intervals
    assert start == pytest.approx(6.25, abs=1e-3) and end == pytest.approx(10 - 3750 / 11000, abs=1e-3)
    assert [d for _, d in answer.crossings] == ["met above", "met below"]
    assert "not monotone" in answer.describe()


def test_a_metric_may_be_a_mean_over_years():
    """Every year's content is proportional to 1 - export (all scrap passes the store), so the mean
    over 2027-2030 meets 0.25 for export <= 1 - 0.25 / M, M the mean of a run without exports;
    collection steps up in 2029, so M is well below the 2030 value and so is the answer."""
    scenario = steady_scenario(collection={2028: 0.2, 2029: 1.0})
    scenario["scrap_store"]["export_share"] = 0.0

    answer = goalseek.seek(scenario, "scrap_store.export_share", 0.0, 1.0, tolerance=1e-5, workers=1,
                           years=(2027, 2030))

    kpis = sim.run(scenario, workers=1).kpis.set_index("year")["recycled_content_target_scope"]
    assert answer.largest == pytest.approx(1 - SHARE / kpis.loc[2027:2030].mean(), abs=1e-4)
    assert answer.largest < 1 - SHARE / kpis.loc[2030] - 0.1


def test_no_collection_rate_is_enough_when_liberation_caps_the_content():
    """At liberation 0.2 the content can reach 1 x 0.2 x 0.8 = 0.16 only."""
    answer = goalseek.seek(steady_scenario(liberation=0.2), "segments.motors.collection_rate", 0.0, 1.0)

    assert not answer.reachable and answer.value is None
    assert answer.kpi_at_high == pytest.approx(0.16, rel=1e-9)
    assert answer.binding_at_high == "liberation"
    assert answer.evaluations == goalseek.SCAN_POINTS
    assert answer.describe().startswith("unreachable: no segments.motors.collection_rate in [0, 1] meets 0.25")


def test_the_frontier_gives_the_least_collection_rate_for_each_liberation_rate():
    liberation = [0.2, 0.5, 0.8]

    frontier = goalseek.frontier(steady_scenario(), "segments.motors.collection_rate", 0.0, 1.0,
                                 over="segments.motors.liberation_rate", values=liberation, tolerance=1e-5)

    assert list(frontier["segments.motors.liberation_rate"]) == liberation
    assert list(frontier["reachable"]) == [False, True, True]
    expected = [SHARE / (rate * 0.8) for rate in liberation[1:]]
    assert frontier["value"].iloc[1:].tolist() == pytest.approx(expected, abs=1e-5)
    from sim.report.sweep_figures import frontier_markdown
    table = frontier_markdown(frontier)
    assert "| 0.2 | unreachable | 0.1600 at 1 | liberation |" in table
    assert "| 0.5 | 0.625 |" in table


def test_an_unknown_parameter_is_a_config_error():
    with pytest.raises(ConfigError, match="segments.motors.colection_rate"):
        goalseek.seek(steady_scenario(), "segments.motors.colection_rate", 0.0, 1.0)


def test_no_capacity_is_enough_in_the_feed_limited_default_scenario(capsys):
    """The default EU scenario cannot reach 25 % in 2030 by plant capacity alone."""
    assert goalseek.main(["plant_schedules.scale", "0", "10", "--points", "6"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("unreachable: no plant_schedules.scale in [0, 10] meets 0.25 "
                          "recycled_content_post_consumer in 2030")


def _meets(cfg, parameter: str, value: float) -> bool:
    from sim import run
    from sim.analysis.kpis import meets

    params = sim.parameters(goalseek.with_value(goalseek.plain_config(cfg), parameter, value))
    kpis = run(params, workers=1).kpis
    return bool(meets(kpis.loc[kpis["year"] == params.target.year, params.target.metric].mean(),
                      params.target.share))


def test_capacity_that_draws_the_scrap_inventory_down_before_2030_is_found_inside_its_window():
    """Under `combined`, more capacity than about the schedules empties the scrap store before 2030,
    so 4.05 % post-consumer content is met only in a window; the scan finds it, and runs just
    outside its edges fail."""
    cfg = sim.load_config(["policy=combined", "target.share=0.0405"])

    answer = goalseek.seek(cfg, "plant_schedules.scale", 0.0, 10.0, tolerance=0.01)

    assert answer.reachable and not answer.monotone
    for start, end in answer.intervals:
        assert _meets(cfg, "plant_schedules.scale", start) and _meets(cfg, "plant_schedules.scale", end)
        assert not _meets(cfg, "plant_schedules.scale", start - 0.02)
        assert end == 10.0 or not _meets(cfg, "plant_schedules.scale", end + 0.02)


def test_an_export_share_of_zero_meets_when_the_high_end_does_not():
    cfg = sim.load_config(["target.share=0.02", "target.metric=recycled_content"])

    answer = goalseek.seek(cfg, "scrap_store.export_share", 0.0, 1.0, tolerance=0.001, points=11)

    assert answer.reachable and answer.value == 0.0
    assert _meets(cfg, "scrap_store.export_share", answer.largest)
    assert not _meets(cfg, "scrap_store.export_share", answer.largest + 0.002)


@pytest.mark.parametrize("args, expected", [
    (["plant_schedules.scale", "0", "10", "policy=no_such_policy"],
     "config error: policy = 'no_such_policy': expected one of"),
    (["no_such.key", "0", "1"], "config error: no_such.key = 0.0: expected a key of the config"),
    (["plant_schedules.scale", "1", "0"], "error: goal-seek range [1.0, 0.0]: expected low < high"),
    (["plant_schedules.scale", "0", "1", "--over", "target.year=a,b"],
     "error: --over target.year=a,b: expected numbers"),
    (["plant_schedules.scale", "0", "1", "--mean", "2040", "2020"], "error: goal-seek years 2040-2020"),
], ids=["unknown option", "unknown key", "empty range", "text values", "years reversed"])
def test_the_command_line_reports_a_mistake_in_one_line_with_exit_status_2(monkeypatch, capsys, args, expected):
    """Scenario mistakes are one line (the command line's one error report); a bad range, --over
    or --mean is an argument error (usage, then the reason)."""
    assert command(monkeypatch, "goalseek", *args) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(expected) or err[-1].endswith(expected) or expected in err[-1], err
    assert len(err) == 1 or err[0].startswith("usage:")


def vessel_scenario(vessels: int | None = None, share: float = SHARE) -> dict:
    """The steady scenario with a short-loop HPMS plant whose vessels (400 kg per 8 h) are the limit."""
    config = steady_scenario(collection=1.0, liberation=1.0)
    config["segments"]["motors"]["short_loop_share"] = 1.0
    config["plants"] = {"hpms": {"route": "hpms", "capacity": "5000 t/yr", "vessels": vessels or 1}}
    config["target"]["share"] = share
    return config


def test_an_integer_key_is_sought_over_whole_numbers():
    """vessels 1 8: the least whole number of vessels meeting a target set between the content
    with 2 and with 3 vessels (each from its own run) is 3, not a fraction between them."""
    import sim

    def content(vessels: int) -> float:
        kpis = sim.run(vessel_scenario(vessels), workers=1).kpis.set_index("year")
        return float(kpis.loc[2030, "recycled_content_target_scope"])

    two, three = content(2), content(3)
    assert two < three
    answer = goalseek.seek(vessel_scenario(share=(two + three) / 2), "plants.hpms.vessels", 1, 8)

    assert answer.reachable and answer.value == 3 and answer.kpi_at_value == pytest.approx(three)


def test_a_documented_key_absent_from_the_config_can_be_sought():
    """short_loop_share is not in the scenario (its default comes from the parameter table)."""
    config = vessel_scenario(3)
    del config["segments"]["motors"]["short_loop_share"]
    answer = goalseek.seek(config, "segments.motors.short_loop_share", 0.0, 1.0, tolerance=0.01)
    assert answer.evaluations >= 2


def test_an_infinite_range_is_refused():
    with pytest.raises(ValueError, match="expected finite numbers"):
        goalseek.seek(steady_scenario(), "capacity_scale", 0.0, float("inf"))
