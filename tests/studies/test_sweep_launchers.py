"""Sweeps beyond one process pool on existing engines: a local Ray instance (hydra-ray-launcher) and
submitit's local executor (hydra-submitit-launcher) give the same sweep table as the default path.
Each needs its optional extra (`pip install -e .[ray]`, `.[submitit]`) and is skipped without it."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest
from test_sweep import run_sweep

from sim.studies import sweep

#: one failing point among good ones: the engines must record it, not stop the sweep
POINTS = "segments.ev_traction.collection_rate=0.4,1.5,0.8"


def has_plugin(name: str) -> bool:
    return importlib.util.find_spec(f"hydra_plugins.{name}") is not None


requires_ray = pytest.mark.skipif(not has_plugin("hydra_ray_launcher"), reason="needs the ray extra")
requires_submitit = pytest.mark.skipif(not has_plugin("hydra_submitit_launcher"), reason="needs the submitit extra")


@pytest.fixture(scope="module")
def default_table(tmp_path_factory) -> pd.DataFrame:
    sweep_dir = tmp_path_factory.mktemp("launchers") / "default"
    finished = run_sweep(sweep_dir, POINTS)
    assert finished.returncode == 1 and "1 of 3 jobs failed" in finished.stderr
    return sweep.table(sweep_dir)


@requires_ray
def test_a_sweep_on_a_local_ray_instance_gives_the_default_table(default_table, tmp_path):
    finished = run_sweep(tmp_path / "ray", POINTS, "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
                         "+hydra.launcher.ray.init.include_dashboard=false")

    assert finished.returncode == 1, finished.stderr
    assert "1 of 3 jobs failed" in finished.stderr
    table = sweep.table(tmp_path / "ray")
    assert list(table["status"]) == ["ok", "failed", "ok"]
    pd.testing.assert_frame_equal(table, default_table)


@requires_submitit
def test_a_sweep_on_submitits_local_executor_gives_the_default_table(default_table, tmp_path):
    finished = run_sweep(tmp_path / "submitit", POINTS, "hydra/launcher=submitit_local")

    assert finished.returncode == 1, finished.stderr
    assert (tmp_path / "submitit" / ".submitit").is_dir()  # the jobs went through submitit
    table = sweep.table(tmp_path / "submitit")
    assert list(table["status"]) == ["ok", "failed", "ok"]
    pd.testing.assert_frame_equal(table, default_table)
