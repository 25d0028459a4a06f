"""Fault injection: runs that fail while writing, start in the same second, or meet another run in
their directory leave either a complete result or none, never a table that only looks like one."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.report import run_writer, summary

SMALL = ["end_year=2027", "target.year=2027", "output.sankey_year=2027", "output.figures=false", "output.parquet=false"]


@pytest.fixture(scope="module")
def small_result():
    cfg = sim.load_config(SMALL)
    return cfg, sim.run(cfg, workers=1)


def contents(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def failing_summary(result, directory, scenario=None):
    """summary.md written half, then the disk is full."""
    (Path(directory) / "summary.md").write_text("# Summary\n| year |")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_write_error_mid_output_leaves_no_table(small_result, tmp_path, monkeypatch):
    """The tables are written before the summary; a full disk at the summary leaves none of them."""
    cfg, result = small_result
    monkeypatch.setattr(summary, "write_summary", failing_summary)

    with pytest.raises(OSError) as raised:
        run_writer.write_run(cfg, result, tmp_path)

    assert raised.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_in_a_reused_directory_keeps_the_previous_result(small_result, tmp_path, monkeypatch):
    """A rerun into a directory that holds a result and fails mid-output leaves that result as it
    was: no new truncated table beside the old kpis.csv, summary.md and provenance.json."""
    cfg, result = small_result
    run_writer.write_run(cfg, result, tmp_path)
    before = contents(tmp_path)
    assert {"flows.csv", "kpis.csv", "summary.md", "provenance.json"} <= set(before)

    monkeypatch.setattr(summary, "write_summary", failing_summary)
    with pytest.raises(OSError):
        run_writer.write_run(sim.load_config([*SMALL, "seed=7"]), result, tmp_path)

    assert contents(tmp_path) == before


def test_a_rerun_replaces_every_file_of_the_previous_result(small_result, tmp_path):
    """Parquet tables of an earlier run do not stay beside the CSV of a run that writes none."""
    cfg, result = small_result
    (tmp_path / "flows.parquet").write_bytes(b"from an earlier run")
    (tmp_path / "notes.txt").write_text("the user's own")

    run_writer.write_run(cfg, result, tmp_path)

    names = set(contents(tmp_path))
    assert "flows.parquet" not in names and "notes.txt" in names and "flows.csv" in names


def test_a_second_writer_into_a_directory_is_refused(small_result, tmp_path):
    """While a run holds its directory, another write into it is refused and changes nothing."""
    cfg, result = small_result
    handle = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(BlockingIOError):
            run_writer.write_run(cfg, result, tmp_path)
        assert list(tmp_path.iterdir()) == []

        done = subprocess.run([sys.executable, "-m", "sim", *SMALL, f"hydra.run.dir={tmp_path}"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
    finally:
        os.close(handle)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("config error: hydra.run.dir = ")
    assert not (tmp_path / "kpis.csv").exists()


def test_two_runs_started_in_the_same_second_get_their_own_directories(tmp_path):
    """Two runs started together each write a complete result into a directory of their own."""
    seeds = (1, 2)
    runs = [subprocess.Popen([sys.executable, "-m", "sim", *SMALL, f"seed={seed}"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in seeds]
    for process in runs:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr

    directories = sorted(p.parent for p in tmp_path.glob("outputs/*/*/provenance.json"))
    assert len(directories) == 2
    assert sorted(json.loads((d / "provenance.json").read_text())["seed"] for d in directories) == list(seeds)
    for directory in directories:
        assert {"flows.csv", "stocks.csv", "kpis.csv", "summary.md"} <= set(contents(directory))
