"""The command-line app `python -m sim`: a run writes its tables and provenance, and they are what the
Python API computes; bad input is one line on stderr, exit code 2, and no run directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim

FLOW_KEYS = ["replication", "year", "segment", "origin", "from_node", "to_node"]


def run_app(directory: Path, *overrides: str) -> subprocess.CompletedProcess:
    """`python -m sim <overrides>` with `directory` as the working directory."""
    return subprocess.run([sys.executable, "-m", "sim", *overrides], cwd=directory, capture_output=True,
                          text=True, timeout=120)


def run_directories(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("outputs/*/*") if p.is_dir())


def test_app_writes_the_tables_the_api_computes(tmp_path):
    """A run writes flows, stocks, kpis (CSV and Parquet) and provenance.json; flows.csv equals sim.run's flows."""
    overrides = ["end_year=2040", "policy.export_ban_year=2030"]

    finished = run_app(tmp_path, *overrides)

    assert finished.returncode == 0, finished.stderr
    [directory] = run_directories(tmp_path)
    for name in ("flows.csv", "flows.parquet", "stocks.csv", "stocks.parquet", "kpis.csv", "kpis.parquet",
                 "provenance.json"):
        assert (directory / name).is_file(), name

    cfg = sim.load_config(overrides)
    expected = sim.run(cfg).flows
    written = pd.read_csv(directory / "flows.csv")
    assert list(written.columns) == [*FLOW_KEYS, "mass_t"]
    assert len(written) == len(expected)
    # rows in the same order on the same keys, masses equal to the 9 significant digits written
    written = written.sort_values(FLOW_KEYS, ignore_index=True)
    expected = expected.astype({k: str for k in ("segment", "origin", "from_node", "to_node")})
    expected = expected.sort_values(FLOW_KEYS, ignore_index=True)
    pd.testing.assert_frame_equal(written[FLOW_KEYS], expected[FLOW_KEYS], check_dtype=False)
    np.testing.assert_allclose(written.mass_t, expected.mass_t, rtol=1e-8, atol=1e-12)
    assert written.year.max() == 2040

    provenance = json.loads((directory / "provenance.json").read_text())
    assert provenance["seed"] == cfg.seed
    assert provenance["config"]["end_year"] == 2040
    assert provenance["config"]["policy"]["export_ban_year"] == 2030
    assert provenance["package_version"]


#: (override, the config key the message must name)
BAD_OVERRIDES = {
    "wrong dimension": ("segments.ev_traction.magnet_per_unit=1.5 m", "segments.ev_traction.magnet_per_unit"),
    "end_year before start_year": ("end_year=2020", "end_year"),
    "plant with zero vessels": ("plants.heraeus_bitterfeld.vessels=0", "plants.heraeus_bitterfeld.vessels"),
    "unknown top-level key": ("+colour=red", "colour"),
    "unknown segment in a rate change": (
        "policy.rate_changes=[{year: 2030, segment: scooters, key: collection_rate, value: 0.9}]",
        "policy.rate_changes.0.segment"),
}


@pytest.mark.parametrize("override, key", BAD_OVERRIDES.values(), ids=list(BAD_OVERRIDES))
def test_bad_input_is_one_line_exit_2_and_no_run_directory(tmp_path, override, key):
    """Bad input: exit code 2, exactly one line on stderr naming the key, no traceback, no run directory."""
    finished = run_app(tmp_path, override)

    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert "Traceback" not in finished.stderr
    assert lines[0].startswith(f"config error: {key} = ")
    assert run_directories(tmp_path) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
