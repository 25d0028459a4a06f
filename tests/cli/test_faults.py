"""Fault injection: a run that fails while writing, two runs started together, a run meeting another
in its directory; a sweep interrupted with Ctrl-C, a worker killed, the parent killed, a second
sweep into the same directory, a resume after the config changed, a full disk. Each leaves either a
complete result or the table of what finished, never a table that only looks like a result, and no
worker outlives its sweep."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from hydra_plugins.ndfeb_sweep import launcher
from hydra_plugins.ndfeb_sweep.composition import plain_config
from sim.report import run_writer, summary
from sim.studies import sweep

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")]

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


#: 24 points of about a tenth of a second each on two workers: time to act while it runs
GRID = ["-m", "segments.ev_traction.collection_rate=range(0.3,0.9,0.025)", "end_year=2040",
        "hydra.launcher.n_jobs=2"]


def start(tmp_path: Path, *args: str, name: str = "sw") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", *GRID, f"hydra.sweep.dir={name}", *args], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def records(directory: Path) -> list[Path]:
    return list(directory.rglob(sweep.RECORD))


def workers_of(process: subprocess.Popen) -> list[int]:
    wait_for(lambda: len(children(process.pid)) >= 2)
    return children(process.pid)


def test_ctrl_c_writes_the_table_of_finished_points_and_says_how_to_resume(tmp_path):
    process = start(tmp_path)
    wait_for(lambda: len(records(tmp_path / "sw")) >= 3)
    process.send_signal(signal.SIGINT)
    code, _, err = finish(process)

    assert code == 130, err
    assert "Traceback" not in err
    assert f"resume with: python -m sim sweep resume {Path('sw')}" in err
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert len(table) == len(records(tmp_path / "sw")) >= 3 and (table.status == "ok").all()
    # aggregate counts the points missing against the grid, and says so with exit status 1
    done = subprocess.run([sys.executable, "-m", "sim", "sweep", "aggregate", "sw"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"sweep: 24 jobs, {len(table)} ok, 0 failed, {24 - len(table)} missing" in done.stderr


def test_a_killed_worker_costs_no_point_and_the_table_is_written(tmp_path):
    process = start(tmp_path)
    victim = workers_of(process)[0]
    wait_for(lambda: len(records(tmp_path / "sw")) >= 2)
    os.kill(victim, signal.SIGKILL)
    code, out, err = finish(process)

    assert code == 0, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert sorted(table.job) == list(range(24)) and (table.status == "ok").all()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_the_parent_leaves_no_worker_running(tmp_path, sig):
    process = start(tmp_path)
    workers = workers_of(process)
    wait_for(lambda: len(records(tmp_path / "sw")) >= 1)
    process.send_signal(sig)
    finish(process)
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10)
    written = len(records(tmp_path / "sw"))
    time.sleep(1.0)
    assert len(records(tmp_path / "sw")) == written  # nobody goes on writing records


def test_a_second_sweep_into_a_running_sweeps_directory_is_refused(tmp_path):
    first = start(tmp_path)
    wait_for(lambda: (tmp_path / "sw" / sweep.GRID).exists())
    second = subprocess.run([sys.executable, "-m", "sim", "-m", "segments.ev_traction.liberation_rate=0.2,0.4",
                             "hydra.sweep.dir=sw"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    code, _, err = finish(first)

    assert second.returncode == 2
    assert second.stderr.strip().splitlines()[-1].startswith("sweep: sw is in use by another sweep")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert len(table) == 24 and "segments.ev_traction.liberation_rate" not in table.columns


MINE = """# @package policy
name: mine
allocation: proportional
export_ban_year: null
rate_changes: [{year: 2026, segment: ev_traction, key: liberation_rate, value: LIBERATION}]
supply_shocks: []
mandate_share: null
mandate_from: 2030
"""


def test_a_resume_after_the_config_changed_runs_the_changed_jobs_again(tmp_path):
    """A sweep of a policy in the user's own config directory (--config-dir); the policy file
    changes and the sweep is resumed: every job's resolved config changed, so every job runs again
    (they were kept by their overrides alone, with stale numbers), and the table holds the new ones."""
    conf = tmp_path / "conf" / "policy"
    conf.mkdir(parents=True)
    (conf / "mine.yaml").write_text(MINE.replace("LIBERATION", "0.3"))
    run = [sys.executable, "-m", "sim", "--config-dir", str(tmp_path / "conf"), "-m", "policy=mine",
           "segments.ev_traction.collection_rate=0.4,0.8", "end_year=2031", "hydra.sweep.dir=sw"]
    first = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = pd.read_csv(tmp_path / "sw" / "sweep.csv")

    again = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "run again" not in again.stderr  # nothing changed, nothing rerun

    (conf / "mine.yaml").write_text(MINE.replace("LIBERATION", "0.9"))
    resumed = subprocess.run([sys.executable, "-m", "sim", "sweep", "resume", "sw"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "sweep: 2 completed jobs run again: their resolved config changed" in resumed.stderr
    after = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert (after.recycled_content > before.recycled_content).all()


def test_a_full_disk_fails_the_points_it_hits_and_the_sweep_goes_on(tmp_path, monkeypatch):
    """ENOSPC while workers write the records of jobs 1 and 4 (through the launcher's pool): those
    points are failed with the reason, the other four complete."""
    real = sweep.write_record

    def full_disk_for_jobs_1_and_4(directory, job, *args, **kwargs):
        if job in (1, 4) and args[1] == "ok":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(directory, job, *args, **kwargs)

    monkeypatch.setattr(sweep, "write_record", full_disk_for_jobs_1_and_4)  # the forked workers inherit it
    cfg = sim.load_config(["end_year=2030"])
    configs = [(pickle.dumps(cfg), pickle.dumps(plain_config(cfg)))]
    tasks = []
    for num in range(6):
        overrides = [f"segments.ev_traction.collection_rate={0.3 + num / 20}"]
        tasks.append((num, str(tmp_path / str(num)), 0, overrides, overrides, "summary", False))

    outcomes = launcher._run_all(tasks, 2, configs)

    assert {num for num, (outcome, _) in outcomes.items() if outcome == sweep.FAILED} == {1, 4}
    assert all("No space left on device" in outcomes[num][1] for num in (1, 4))
    assert json.loads((tmp_path / "1" / sweep.RECORD).read_text())["status"] == "failed"
    assert all(json.loads((tmp_path / str(n) / sweep.RECORD).read_text())["status"] == "ok" for n in (0, 2, 3, 5))


def aggregate(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", "sweep", "aggregate", str(directory)],
                          capture_output=True, text=True, timeout=120)


def test_aggregate_of_a_single_run_directory_is_refused_and_writes_nothing(tmp_path):
    (tmp_path / "kpis.csv").write_text("year\n2030\n")
    done = aggregate(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"sweep: {tmp_path} is not a sweep directory (it has no multirun.yaml; "
                                   "a sweep writes one when it starts)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.csv"]


def test_a_corrupt_job_record_is_named(tmp_path):
    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / sweep.RECORD).write_text('{"job": 0, "par')
    done = aggregate(tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"sweep: {tmp_path / '0' / sweep.RECORD}: not a readable job record")


def test_resume_without_a_readable_multirun_yaml_is_named(tmp_path):
    (tmp_path / "multirun.yaml").write_text("hydra: [unclosed\n")
    done = subprocess.run([sys.executable, "-m", "sim", "sweep", "resume", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"sweep: {tmp_path / 'multirun.yaml'}: not a readable multirun.yaml")
