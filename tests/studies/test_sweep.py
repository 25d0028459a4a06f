"""Sweeps through `python -m sim -m`: one row per job with the swept values, failed points recorded
while the others complete, resuming skips completed jobs, re-aggregation rebuilds the same table,
and Hydra's basic sweeper and launcher give the same table as the project's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

import sim
from hydra_plugins.ndfeb_sweep.composition import set_plain_values
from sim.config import overrides as grammar
from sim.studies import sweep

THREE_POINTS = "segments.ev_traction.collection_rate=0.4,0.6,0.8"


def run_sweep(sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    """`python -m sim -m <overrides>` into `sweep_dir`, from its parent as the working directory."""
    sweep_dir.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "sim", "-m", *overrides, f"hydra.sweep.dir={sweep_dir}"],
                          cwd=sweep_dir.parent, capture_output=True, text=True, timeout=300)


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def three_point_sweep(tmp_path_factory) -> Path:
    sweep_dir = tmp_path_factory.mktemp("sweeps") / "three"
    finished = run_sweep(sweep_dir, THREE_POINTS)
    assert finished.returncode == 0, finished.stderr
    assert "sweep: 3 jobs, 3 ok, 0 failed" in finished.stdout
    return sweep_dir


def test_a_three_point_sweep_writes_a_row_per_job_with_the_swept_values(three_point_sweep):
    table = pd.read_csv(three_point_sweep / "sweep.csv")

    assert len(table) == 3
    assert list(table["job"]) == [0, 1, 2]
    assert list(table["segments.ev_traction.collection_rate"]) == [0.4, 0.6, 0.8]
    assert (table["status"] == "ok").all() and table["error"].isna().all()
    for column in ("recycled_content", "recycled_content_post_consumer", "recycled_content_target_scope",
                   "target_met", "first_year_target_met", "binding_constraint", "shortage_t"):
        assert column in table.columns
    assert (table["target_year"] == 2030).all()
    # the swept point's KPIs are those of a single run of the same overrides
    expected = sim.run(sim.load_config(["segments.ev_traction.collection_rate=0.6"])).kpis.set_index("year")
    assert table.loc[1, "recycled_content_target_scope"] == pytest.approx(
        expected.loc[2030, "recycled_content_target_scope"], rel=1e-8)
    assert table.loc[1, "binding_constraint"] == expected.loc[2030, "binding_constraint"]
    # the Parquet copy holds the same table
    pd.testing.assert_frame_equal(pd.read_parquet(three_point_sweep / "sweep.parquet"), sweep.table(three_point_sweep))
    # per job one small record, no figures or full tables
    assert sorted(p.name for p in (three_point_sweep / "0").iterdir()) == ["job.json"]
    record = json.loads((three_point_sweep / "0" / "job.json").read_text())
    assert record["overrides"] == ["segments.ev_traction.collection_rate=0.4"]
    assert len(record["kpis"]["data"]) == 2050 - 2025 + 1


def test_a_bad_point_is_recorded_as_failed_and_the_others_complete(tmp_path):
    """A value validation rejects and a config-group option that does not exist each fail their
    points only; the command says how many failed and exits non-zero."""
    finished = run_sweep(tmp_path / "bad", "policy=baseline,no_such_policy",
                         "segments.ev_traction.collection_rate=0.5,1.5")

    assert finished.returncode == 1
    assert "3 of 4 jobs failed" in finished.stderr
    table = pd.read_csv(tmp_path / "bad" / "sweep.csv")
    assert list(table["policy"]) == ["baseline", "baseline", "no_such_policy", "no_such_policy"]
    assert list(table["status"]) == ["ok", "failed", "failed", "failed"]
    assert table.loc[1, "error"] == ("config error: segments.ev_traction.collection_rate = 1.5: "
                                     "expected a share in [0, 1]")
    assert "no_such_policy" in table.loc[2, "error"]
    assert table.loc[0, "recycled_content_target_scope"] > 0
    assert table.loc[1:, "recycled_content_target_scope"].isna().all()


def test_resuming_skips_completed_jobs(three_point_sweep, tmp_path):
    """After an interruption that lost job 1, resuming reruns job 1 only."""
    sweep_dir = tmp_path / "three"
    shutil.copytree(three_point_sweep, sweep_dir)
    shutil.rmtree(sweep_dir / "1")
    before = {n: (sweep_dir / n / "job.json").stat().st_mtime_ns for n in ("0", "2")}

    finished = run_module("sim", "sweep", "resume", str(sweep_dir), cwd=tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert "2 of 3 jobs already completed" in finished.stderr + finished.stdout
    assert "Launching 1 jobs" in finished.stderr + finished.stdout
    assert {n: (sweep_dir / n / "job.json").stat().st_mtime_ns for n in ("0", "2")} == before
    pd.testing.assert_frame_equal(pd.read_csv(sweep_dir / "sweep.csv"), pd.read_csv(three_point_sweep / "sweep.csv"))


def test_reaggregation_rebuilds_the_same_table(three_point_sweep, tmp_path):
    sweep_dir = tmp_path / "three"
    shutil.copytree(three_point_sweep, sweep_dir)
    for name in ("sweep.csv", "sweep.parquet"):
        (sweep_dir / name).unlink()

    finished = run_module("sim", "sweep", "aggregate", str(sweep_dir), cwd=tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert (sweep_dir / "sweep.csv").read_text() == (three_point_sweep / "sweep.csv").read_text()
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_dir / "sweep.parquet"),
                                  pd.read_parquet(three_point_sweep / "sweep.parquet"))


def test_hydras_basic_sweeper_and_launcher_give_the_same_table(three_point_sweep, tmp_path):
    finished = run_sweep(tmp_path / "basic", THREE_POINTS, "hydra/sweeper=basic", "hydra/launcher=basic")

    assert finished.returncode == 0, finished.stderr
    pd.testing.assert_frame_equal(sweep.table(tmp_path / "basic"), sweep.table(three_point_sweep))


def test_a_stored_sweep_runs_with_plus_sweep_and_draws_its_heatmap(tmp_path):
    """conf/sweep/capacity_vs_collection.yaml: 5 capacities x 7 collection rates, no -m needed."""
    pytest.importorskip("matplotlib")
    sweep_dir = tmp_path / "grid"
    finished = subprocess.run([sys.executable, "-m", "sim", "+sweep=capacity_vs_collection",
                               f"hydra.sweep.dir={sweep_dir}"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)

    assert finished.returncode == 0, finished.stderr
    table = sweep.table(sweep_dir)
    assert len(table) == 35 and (table["sweep"] == "capacity_vs_collection").all()
    assert table["plants.caremag_lacq.capacity"].nunique() == 5
    assert sorted(table["segments.ev_traction.collection_rate"].unique()) == [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    # no long-loop capacity recycles less than any: content never falls as capacity grows
    by_capacity = table[table["segments.ev_traction.collection_rate"] == 0.6].set_index("plants.caremag_lacq.capacity")
    assert by_capacity.loc["0 t/yr", "recycled_content"] <= by_capacity.loc["8000 t/yr", "recycled_content"]

    finished = run_module("sim", "sweep", "heatmap", str(sweep_dir), cwd=tmp_path)

    assert finished.returncode == 0, finished.stderr
    image = sweep_dir / "heatmap_recycled_content_post_consumer.png"  # the target metric
    assert image.stat().st_size > 10_000


def test_plain_value_overrides_give_what_hydras_rules_give():
    """The launcher's shortcut for `key=value` points sets what Hydra's override rules set, and
    declines (leaving the config as it was) whatever needs those rules."""
    parser = OverridesParser.create()
    cfg = sim.load_config()
    lines = ["segments.ev_traction.collection_rate=0.3", "plants.caremag_lacq.capacity=4000 t/yr",
             "target.share=0.3", "policy.export_ban_year=null"]
    plain = OmegaConf.to_container(cfg)

    assert set_plain_values(plain, parser.parse_overrides(lines))
    grammar.apply(cfg, lines)
    assert plain == OmegaConf.to_container(cfg)

    for line in ("+extra=1", "~policy.name", "plants.caremag_lacq.capacity={2030: 1 t/yr}",
                 "segments.no_such_segment.collection_rate=1", "target.share=${start_year}"):
        untouched = OmegaConf.to_container(cfg)
        assert not set_plain_values(untouched, parser.parse_overrides(["target.year=2035", line])), line
        assert untouched == OmegaConf.to_container(cfg), line
