"""Goal-seeking by bisection: on a scenario built so that the answer is known analytically, the least
collection rate, and the least capacity scale, that meet the target; `unreachable` when no value in
the range can; the frontier over a second parameter."""

from __future__ import annotations

import pytest
from test_compare import command

from sim import ConfigError
from sim.studies import goalseek

SHARE = 0.25


def steady_scenario(collection=0.5, liberation=0.6, capacity="1000 t/yr", process_yield=0.8) -> dict:
    """One target-scope segment placed at 1,000 t/yr for ever with a fixed 10-year life, so end of
    life equals demand every year; no exports, no swarf, one long-loop plant taking every grade.
    Recycled content is then collection x liberation x yield, or capacity x yield / demand when
    the plant is full."""
    return {
        "start_year": 2025, "end_year": 2032, "history_start": 1990, "mode": "expected", "replications": 1,
        "seed": 1, "steps_per_year": 12,
        "segments": {"motors": {"placed_on_market": 1_000_000, "magnet_per_unit": "1 kg",
                                "lifetime": {"distribution": "fixed", "mean": "10 yr"},
                                "collection_rate": collection, "liberation_rate": liberation,
                                "in_target_scope": True}},
        "plants": {"long_loop": {"route": "long_loop", "capacity": capacity,
                                 "accepts": ["short_loop", "long_loop_only"], "yield": process_yield}},
        "scrap_store": {"export_share": 0.0},
        "policy": {"name": "steady"},
        "target": {"share": SHARE, "year": 2030, "metric": "recycled_content_target_scope"},
        "output": {"figures": False},
    }


def test_the_least_collection_rate_is_share_over_liberation_times_yield():
    answer = goalseek.seek(steady_scenario(), "segments.motors.collection_rate", 0.0, 1.0, tolerance=1e-5)

    assert answer.reachable
    assert answer.value == pytest.approx(SHARE / (0.6 * 0.8), abs=1e-5)  # 0.5208333...
    assert answer.kpi_at_value >= SHARE
    assert answer.evaluations <= 2 + 17  # both ends, then one halving per step down to 1e-5


def test_the_least_capacity_scale_is_where_the_plant_output_reaches_the_share_of_demand():
    """Collection and liberation complete: 1,000 t/yr arise; the plant must take 0.25 x 1,000 / 0.8."""
    scenario = steady_scenario(collection=1.0, liberation=1.0, capacity={2000: "400 t/yr"})

    answer = goalseek.seek(scenario, goalseek.CAPACITY_SCALE, 0.0, 5.0, tolerance=1e-4)

    assert answer.value == pytest.approx(SHARE * 1000 / 0.8 / 400, abs=1e-4)  # 0.78125
    one_plant = goalseek.seek(scenario, "plants.long_loop.capacity_scale", 0.0, 5.0, tolerance=1e-4)
    assert one_plant.value == answer.value


def test_no_collection_rate_is_enough_when_liberation_caps_the_content():
    """At liberation 0.2 the content can reach 1 x 0.2 x 0.8 = 0.16 only."""
    answer = goalseek.seek(steady_scenario(liberation=0.2), "segments.motors.collection_rate", 0.0, 1.0)

    assert not answer.reachable and answer.value is None
    assert answer.kpi_at_high == pytest.approx(0.16, rel=1e-9)
    assert answer.binding_at_high == "liberation"
    assert answer.evaluations == 1
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
    assert goalseek.main(["capacity_scale", "0", "10"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("unreachable: no capacity_scale in [0, 10] meets 0.25 recycled_content_target_scope in 2030")


@pytest.mark.parametrize("args, expected", [
    (["capacity_scale", "0", "10", "policy=no_such_policy"],
     "config error: policy = 'no_such_policy': expected one of"),
    (["no_such.key", "0", "1"], "config error: no_such.key = 1.0: expected a key of the config"),
    (["capacity_scale", "1", "0"], "error: goal-seek range [1.0, 0.0]: expected low < high"),
    (["capacity_scale", "0", "1", "--over", "target.year=a,b"], "error: --over target.year=a,b: expected numbers"),
], ids=["unknown option", "unknown key", "empty range", "text values"])
def test_the_command_line_reports_a_mistake_in_one_line_with_exit_status_2(monkeypatch, capsys, args, expected):
    """Scenario mistakes are one line (the command line's one error report); a bad range or --over
    is an argument error (usage, then the reason)."""
    assert command(monkeypatch, "goalseek", *args) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(expected) or err[-1].endswith(expected), err
    assert len(err) == 1 or err[0].startswith("usage:")
