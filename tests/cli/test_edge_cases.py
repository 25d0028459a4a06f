"""Edge cases found in review: each test pins a behaviour a user relies on."""

import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.config.series import AnchorSeries
from sim.studies import goalseek
from sim.studies.compare import scenarios

SHORT = ["end_year=2032", "target.year=2030", "output.sankey_year=2030", "output.figures=false"]


def run_module(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_bad_input_keeps_the_files_of_an_existing_run_directory(tmp_path):
    """A config error removes only what Hydra wrote, never a directory the user pointed the run at."""
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "data.txt").write_text("important")
    done = run_module(tmp_path, "sim", f"hydra.run.dir={precious}", "segments.ev_traction.collection_rate=1.5")
    assert done.returncode == 2
    assert sorted(p.name for p in precious.iterdir()) == ["data.txt"]


@pytest.mark.parametrize("override, expected", [
    ("foo=1", "config error: foo = '1': expected a key of the config; known keys under the top level: "),
    ("policy=nosuch", "config error: policy = 'nosuch': expected one of baseline, combined, elv_motor_removal"),
])
def test_unknown_keys_and_options_are_one_line_errors(tmp_path, override, expected):
    """Keys and config-group options Hydra cannot compose also give one line and exit status 2."""
    done = run_module(tmp_path, "sim", override)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(expected)
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").glob("*/*"))


def test_a_dated_change_before_the_first_anchor_keeps_the_earlier_rate():
    """A policy step in 2029 on a series anchored from 2030 on changes nothing before 2029."""
    stepped = AnchorSeries((2030.0, 2040.0), (0.15, 0.3)).with_step(2029, 0.7)
    assert stepped.at([2026, 2028, 2029, 2035]).tolist() == [0.15, 0.15, 0.7, 0.7]


def test_supply_shocks_do_not_act_on_placement_history():
    """A shock covering the history leaves the installed base at the start as observed."""
    shocked = sim.run(sim.load_config([*SHORT, "+policy.supply_shocks=[{start: 2000, end: 2100, availability: 0.5}]"]))
    plain = sim.run(sim.load_config(SHORT))

    def opening(result):
        stocks = result.stocks
        return stocks[(stocks["year"] == 2024) & (stocks["node"] == "in_use")]["mass_t"].sum()

    assert opening(shocked) == pytest.approx(opening(plain), rel=1e-12)
    assert shocked.kpis["shortage_t"].iloc[0] > 0


def test_config_errors_cross_process_pools():
    """A ConfigError raised in a worker arrives whole (key, value, expected) in the parent."""
    error = pickle.loads(pickle.dumps(sim.ConfigError("a.b", 1.5, "a share in [0, 1]")))
    assert (error.key, error.value, str(error)) == ("a.b", 1.5, "config error: a.b = 1.5: expected a share in [0, 1]")


def test_a_second_sweep_into_the_same_directory_tables_only_its_own_jobs(tmp_path):
    """Records of an earlier sweep in the directory do not leak into the new sweep's table."""
    sweep_dir = tmp_path / "sweep"
    first = run_module(tmp_path, "sim", "-m", "segments.ev_traction.collection_rate=0.4,1.5", *SHORT,
                       f"hydra.sweep.dir={sweep_dir}")
    assert first.returncode == 1
    second = run_module(tmp_path, "sim", "-m", "segments.ev_traction.collection_rate=0.5", *SHORT,
                        f"hydra.sweep.dir={sweep_dir}")
    assert second.returncode == 0, second.stderr
    table = pd.read_csv(sweep_dir / "sweep.csv")
    assert table["segments.ev_traction.collection_rate"].tolist() == [0.5]
    assert table["status"].tolist() == ["ok"]


def test_goal_seek_rejects_a_tolerance_it_could_never_reach():
    """Zero or negative tolerances are refused instead of bisecting forever."""
    cfg = sim.load_config(SHORT)
    for tolerance in (0.0, -1.0):
        with pytest.raises(ValueError, match="tolerance"):
            goalseek.seek(cfg, "segments.ev_traction.liberation_rate", 0.0, 1.0, tolerance=tolerance)


def test_frontier_values_keep_their_type():
    """Whole numbers of --over stay integers, so integer keys such as target.year validate."""
    assert goalseek._swept_values("target.year=2030,2031") == ("target.year", [2030, 2031])


def test_compare_with_one_policy_runs_that_policy_only():
    """`python -m sim compare policy=combined` compares nothing else against it."""
    chosen = scenarios(["policy=combined", "end_year=2032"])
    assert [s.overrides for s in chosen] == [("policy=combined", "end_year=2032")]
