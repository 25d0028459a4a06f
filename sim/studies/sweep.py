"""Sweeps: the record each job of a multirun leaves, the sweep table built from those records, and
the commands to rebuild the table, resume a sweep and draw its heatmap (`python -m sim sweep`)."""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from ..analysis.results import Result
from ..analysis.runner import run
from ..analysis.world import WorldResult
from ..config import overrides as grammar
from ..config.errors import ConfigError
from .headline import HEADLINE, headline, headlines

#: the file each job leaves in its directory: parameters, status, headline and per-year KPIs
RECORD = "job.json"
#: the sweep table at the sweep directory root, as sweep.csv and sweep.parquet
TABLE = "sweep"
#: job output in a sweep: the record only, or also every table and figure of a single run
JOB_OUTPUTS = ("summary", "full")
#: every job of the sweep (number and overrides), written when it starts: what `aggregate` expects
GRID = "jobs.json"
#: what became of a job in a sweep: run, run again (its config changed), kept (resumed), failed
RAN, RERUN, KEPT, FAILED = "ran", "rerun", "kept", "failed"


class SweepError(Exception):
    """A sweep directory that cannot be used (another sweep runs in it, a record is corrupt, it is
    not a sweep directory): one line for the user, exit status 2."""


def fingerprint(cfg: DictConfig | dict) -> str:
    """A digest of a job's resolved config: a resumed job whose config changed (in the user's own
    config file, say) is run again, even though its overrides are the same."""
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    container = {k: v for k, v in container.items() if k != "hydra"}
    text = json.dumps(container, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@contextmanager
def exclusive(sweep_dir: Path):
    """Hold the sweep directory for one sweep: a second sweep into it while this one runs is
    refused (its records would mix with this sweep's and its resume delete them)."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    handle = os.open(sweep_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepError(f"sweep: {sweep_dir} is in use by another sweep that is still running; wait for it, "
                             "or give this one its own hydra.sweep.dir") from None
        yield
    finally:
        os.close(handle)  # closing releases the lock


def write_grid(sweep_dir: Path, jobs: Iterable[tuple[int, list[str]]]) -> None:
    _atomic_write(Path(sweep_dir) / GRID, json.dumps({"jobs": [[num, list(o)] for num, o in jobs]}))


def read_grid(sweep_dir: Path) -> dict[int, list[str]] | None:
    path = Path(sweep_dir) / GRID
    if not path.is_file():
        return None
    try:
        return {int(num): overrides for num, overrides in json.loads(path.read_text())["jobs"]}
    except (ValueError, KeyError, TypeError) as error:
        raise SweepError(f"sweep: {path}: not a readable list of the sweep's jobs ({error})") from None


def _atomic_write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def swept_values(overrides: Iterable[str]) -> dict[str, Any]:
    """The value of each override of a job by its key: `policy=baseline` gives {"policy": "baseline"},
    `+sweep=x` gives {"sweep": "x"}; lists and mappings keep their override text."""
    values = {}
    for override in grammar.parse(overrides):
        key = override.key_or_group if override.package is None else f"{override.key_or_group}@{override.package}"
        value = None if override.is_delete() else override.value()
        if not (value is None or isinstance(value, (bool, int, float, str))):
            value = override.get_value_element_as_str()
        values[key] = value
    return values


def describe(error: BaseException) -> str:
    """One line for the table's `error` column: the ConfigError text, or the type and message."""
    if isinstance(error, ConfigError):
        text = str(error)
    else:
        # Hydra appends the whole config search path to a missing-option message
        text = f"{type(error).__name__}: {str(error).split('Config search path')[0]}"
        if error.__cause__ is not None:
            text += f" ({str(error.__cause__).splitlines()[0]})"
    return " ".join(text.split())


def write_record(directory: Path, job: int, overrides: Iterable[str], status: str, error: str | None = None,
                 result: Result | WorldResult | None = None, config_fingerprint: str | None = None,
                 coupled: bool = False) -> Path:
    """Write the job's record; the write is atomic, so a job interrupted half-way leaves none. A
    coupled run (a WorldResult, or `coupled` for a failed one) records its headline per region and
    for the bloc (`regions`), and its KPI table with a region column."""
    overrides = list(overrides)
    coupled = coupled or isinstance(result, WorldResult)
    record = {
        "job": job,
        "overrides": overrides,
        "parameters": swept_values(overrides),
        "status": status,
        "error": error,
        "fingerprint": config_fingerprint,
        "headline": headline(result) if result is not None and not coupled else {},
        "kpis": result.kpis.to_dict(orient="split", index=False) if result is not None else None,
    }
    if coupled:
        record["regions"] = headlines(result) if result is not None else {}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / RECORD
    partial = directory / f"{RECORD}.partial"
    partial.write_text(json.dumps(record, default=_plain))
    partial.replace(path)
    return path


def _plain(value):
    """numpy scalars in the KPI table as JSON numbers; non-finite numbers as null."""
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and not math.isfinite(value) else value
    raise TypeError(f"not JSON serialisable: {value!r}")


def read_record(directory: Path) -> dict | None:
    path = directory / RECORD
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def completed(directory: Path, overrides: Iterable[str], config_fingerprint: str | None = None) -> bool:
    """Whether the job directory holds a successful record of exactly these overrides (and, when
    given, of a config with this fingerprint)."""
    record = read_record(directory)
    return (record is not None and record["status"] == "ok" and record["overrides"] == list(overrides)
            and (config_fingerprint is None or record.get("fingerprint") == config_fingerprint))


def drop_stale_records(sweep_dir: Path, jobs: dict[Path, list[str]]) -> int:
    """Delete job records under `sweep_dir` that belong to no job of this sweep (another sweep
    wrote into the same directory, or the job's overrides changed), so the table holds this
    sweep only. jobs: each job's directory and overrides. Returns how many were deleted."""
    current = {directory.resolve(): list(overrides) for directory, overrides in jobs.items()}
    stale = 0
    for path in Path(sweep_dir).rglob(RECORD):
        record = read_record(path.parent)
        if current.get(path.parent.resolve()) != (record or {}).get("overrides"):
            path.unlink()
            stale += 1
    return stale


def run_point(cfg: DictConfig | dict, directory: Path, job: int, overrides: Iterable[str],
              job_output: str = "summary", config_fingerprint: str | None = None) -> str | None:
    """Run one point of a sweep and record it; a failure (bad input, or any error of the run) is
    recorded as `failed` with its message instead of stopping the sweep. Returns that message, or
    None when the point ran. A point that is a chunk of a prepared exploration (`exploration.dir`,
    `exploration.chunk`: python -m sim explore --chunks) runs that chunk instead."""
    if "exploration" in cfg:
        from .exploration.command import run_chunk
        run_chunk(Path(str(cfg["exploration"]["dir"])), int(cfg["exploration"]["chunk"]))
        return None
    try:
        result = run(cfg, workers=1)  # the sweep already runs one job per core
        if job_output == "full":
            from ..report.run_writer import write_run
            # the jobs' reports load plotly.js from one file at the sweep root
            write_run(cfg, result, directory, shared_script=Path(directory).parent / "plotly.min.js")
    except Exception as error:
        message = describe(error)
        write_record(directory, job, overrides, "failed", message, config_fingerprint=config_fingerprint)
        return message
    write_record(directory, job, overrides, "ok", result=result, config_fingerprint=config_fingerprint)
    return None


def job_output(hydra_cfg: DictConfig) -> str:
    """hydra.sweeper.job_output of the ndfeb sweeper; other sweepers get the summary record only."""
    chosen = OmegaConf.select(hydra_cfg, "sweeper.job_output", default="summary")
    if chosen not in JOB_OUTPUTS:
        raise ConfigError("hydra.sweeper.job_output", chosen, f"one of {', '.join(JOB_OUTPUTS)}")
    return chosen


def run_hydra_job(cfg: DictConfig, directory: Path, hydra_cfg: DictConfig) -> str | None:
    """A sweep job started by any Hydra launcher (basic, Ray, submitit): run and record the point."""
    return run_point(cfg, directory, int(hydra_cfg.job.num), list(hydra_cfg.overrides.task), job_output(hydra_cfg),
                     fingerprint(cfg))


# --- the sweep table -----------------------------------------------------------------------------


def table(sweep_dir: Path) -> pd.DataFrame:
    """The sweep table from the job records under `sweep_dir`: one row per job, in job order; for
    a sweep of coupled runs one row per job and region (the `region` column: each region, then
    `bloc`; a failed job has one row with no region)."""
    records = []
    for path in sorted(Path(sweep_dir).rglob(RECORD)):
        try:
            record = json.loads(path.read_text())
            record["job"], record["parameters"], record["status"]  # noqa: B018
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SweepError(f"sweep: {path}: not a readable job record ({type(error).__name__}: {error}); "
                             "delete it and resume the sweep to run that job again") from None
        records.append(record)
    records.sort(key=lambda r: r["job"])
    swept = list(dict.fromkeys(key for r in records for key in r["parameters"]))
    coupled = any("regions" in r for r in records)
    clash = set(swept) & {"job", "status", "error", *HEADLINE, *(["region"] if coupled else [])}
    if clash:
        raise ValueError(f"swept keys {sorted(clash)} clash with sweep table columns")
    rows = []
    for r in records:
        common = {"job": r["job"], **r["parameters"]}
        by_region = r.get("regions") or {None: r["headline"]}
        rows += [{**common, **({"region": code} if coupled else {}), "status": r["status"], "error": r["error"],
                  **values} for code, values in by_region.items()]
    frame = pd.DataFrame(rows, columns=["job", *swept, *(["region"] if coupled else []), "status", "error",
                                        *HEADLINE])
    for key in swept:
        kinds = {type(v) for v in frame[key] if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if kinds and not kinds <= {int, float, bool}:
            # text, or numbers mixed with text (e.g. `x=1,abc`): a text column, as Parquet stores it
            frame[key] = frame[key].map(lambda v: v if v is None or isinstance(v, str) else str(v)).astype("string")
    frame["job"] = frame["job"].astype("int64")
    frame["first_year_target_met"] = frame["first_year_target_met"].astype("Int64")
    frame["target_year"] = frame["target_year"].astype("Int64")
    frame["target_met"] = frame["target_met"].astype("boolean")
    for name in ("target_share", "recycled_content", "recycled_content_post_consumer",
                 "recycled_content_target_scope", "shortage_t"):
        frame[name] = frame[name].astype("float64")
    for name in ("status", "error", "target_metric", "binding_constraint", *(["region"] if coupled else [])):
        frame[name] = frame[name].astype("string")
    return frame


def write_table(sweep_dir: Path) -> pd.DataFrame:
    """Rebuild sweep.csv, sweep.parquet and sweep.xlsx at the sweep directory root from the job
    records, and report.html when plotly is installed. The tables are written beside their place
    and moved there, so a failed write leaves no truncated table."""
    sweep_dir = Path(sweep_dir)
    frame = table(sweep_dir)
    for suffix, write in ((".csv", lambda path: frame.to_csv(path, index=False, float_format="%.9g")),
                          (".parquet", lambda path: frame.to_parquet(path, index=False))):
        path = sweep_dir / f"{TABLE}{suffix}"
        partial = path.with_name(f".{path.name}.partial")
        try:
            write(partial)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    from ..report.run_writer import git_commit, package_version
    from ..report.study_reports import write_sweep_page, write_sweep_workbook

    record = {"package_version": package_version(), "git_commit": git_commit(), "sweep": str(sweep_dir.resolve())}
    saved = sweep_dir / "multirun.yaml"
    if saved.is_file():
        record["overrides"] = " ".join(OmegaConf.load(saved).hydra.overrides.task)
    write_sweep_workbook(frame, sweep_dir, record)
    write_sweep_page(frame, sweep_dir, record)
    return frame


def missing(frame: pd.DataFrame, sweep_dir: Path) -> list[int]:
    """Jobs of the sweep's grid (jobs.json) without a record: not run yet, or interrupted."""
    grid = read_grid(sweep_dir)
    return sorted(set(grid) - set(frame["job"])) if grid is not None else []


def summary(frame: pd.DataFrame, sweep_dir: Path) -> str:
    """What a user reads at the end of a sweep: job counts, the failed and missing jobs, where the
    table is."""
    jobs = frame.drop_duplicates("job")  # a coupled sweep has a row per job and region
    failed = jobs[jobs["status"] != "ok"]
    absent = missing(frame, sweep_dir)
    counts = f"{len(jobs) + len(absent)} jobs, {len(jobs) - len(failed)} ok, {len(failed)} failed"
    counts += f", {len(absent)} missing" if absent else ""
    lines = [f"sweep: {counts}; table: {Path(sweep_dir) / (TABLE + '.csv')}"]
    for _, row in failed.head(5).iterrows():
        lines.append(f"  job {row['job']} failed: {row['error']}")
    if len(failed) > 5:
        lines.append(f"  ... and {len(failed) - 5} more (see the error column)")
    if len(failed):
        lines.append(f"{len(failed)} of {len(jobs)} jobs failed")
    if absent:
        shown = ", ".join(map(str, absent[:10])) + (", ..." if len(absent) > 10 else "")
        lines.append(f"{len(absent)} jobs have no record (jobs {shown}); run them with: "
                     f"python -m sim sweep resume {sweep_dir}")
    return "\n".join(lines)


def report(sweep_dir: Path) -> int:
    """Write the table, print the summary; the exit code is 1 when any job failed or is missing,
    or when the table cannot be written (a full disk: the records stay, to aggregate later)."""
    try:
        frame = write_table(sweep_dir)
    except OSError as error:
        print(f"sweep: could not write {Path(sweep_dir) / (TABLE + '.csv')}: {error.strerror or error}; the job "
              f"records stay in {sweep_dir}: rebuild the table with python -m sim sweep aggregate {sweep_dir}",
              file=sys.stderr)
        return 1
    text = summary(frame, sweep_dir)
    bad = bool((frame["status"] != "ok").any() or missing(frame, sweep_dir))
    print(text, file=sys.stderr if bad else sys.stdout)
    return int(bad)


def interrupted(sweep_dir: Path) -> int:
    """After Ctrl-C: the table of the jobs that finished, and how to resume; exit status 130."""
    report(sweep_dir)
    print(f"sweep interrupted: the table holds the jobs that finished; resume with: python -m sim sweep resume "
          f"{sweep_dir}", file=sys.stderr)
    return 130


# --- commands ------------------------------------------------------------------------------------


def resume_command(sweep_dir: Path) -> list[str]:
    """The `python -m sim -m ...` command that reruns a sweep into its own directory (from the
    multirun.yaml the sweeper saved there); completed jobs are then skipped."""
    path = Path(sweep_dir) / "multirun.yaml"
    try:
        saved = OmegaConf.load(path)
        task = list(saved.hydra.overrides.task)
        hydra = [o for o in saved.hydra.overrides.hydra
                 if o.split("=", 1)[0] not in ("hydra.mode", "hydra.sweep.dir")]
        # a sweep of the user's own config directory resumes from it (--config-dir)
        sources = OmegaConf.select(saved, "hydra.runtime.config_sources", default=None) or []
        config_dirs = [str(s.path) for s in sources
                       if s.get("provider") == "command-line" and s.get("schema") == "file"]
        config_name = OmegaConf.select(saved, "hydra.job.config_name", default=None)
    except Exception as error:  # a missing or corrupt multirun.yaml
        reason = str(error).splitlines()[0] if str(error) else ""
        raise SweepError(f"sweep: {path}: not a readable multirun.yaml ({type(error).__name__}: {reason}); "
                         f"is {sweep_dir} a sweep directory?") from None
    if saved.get("coupled"):  # a sweep of coupled runs (python -m sim world -m)
        return [sys.executable, "-m", "sim", "world", "-m", *task, "--out", str(Path(sweep_dir).resolve())]
    flags = ["--config-dir", config_dirs[0]] if config_dirs else []
    flags += ["--config-name", config_name] if config_name and config_name != "config" else []
    return [sys.executable, "-m", "sim", *flags, "-m", *task, *hydra, f"hydra.sweep.dir={Path(sweep_dir).resolve()}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim sweep", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    aggregate = commands.add_parser("aggregate", help="rebuild sweep.csv/.parquet from the job directories")
    aggregate.add_argument("sweep_dir", type=Path)
    resume = commands.add_parser("resume", help="rerun a sweep into its directory, skipping completed jobs")
    resume.add_argument("sweep_dir", type=Path)
    heatmap = commands.add_parser("heatmap", help="heatmap of a KPI over two swept parameters")
    heatmap.add_argument("sweep_dir", type=Path)
    heatmap.add_argument("--x", help="swept parameter on the x axis (default: the first that varies)")
    heatmap.add_argument("--y", help="swept parameter on the y axis (default: the second that varies)")
    heatmap.add_argument("--kpi", help="table column to colour by (default: the target metric)")
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        parser.error(f"no sweep directory {args.sweep_dir}")
    try:
        if not (args.sweep_dir / "multirun.yaml").is_file():
            raise SweepError(f"sweep: {args.sweep_dir} is not a sweep directory (it has no multirun.yaml; a sweep "
                             "writes one when it starts)")
        if args.command == "aggregate":
            return report(args.sweep_dir)
        if args.command == "resume":
            return subprocess.run(resume_command(args.sweep_dir)).returncode
    except SweepError as error:
        print(error, file=sys.stderr)
        return 2
    from ..report.sweep_figures import heatmap as draw
    try:
        path = draw(table(args.sweep_dir), args.sweep_dir, x=args.x, y=args.y, kpi=args.kpi)
    except (ValueError, ImportError, SweepError) as error:  # no such column, nothing to draw, no matplotlib
        print(f"heatmap: {error}", file=sys.stderr)
        return 2
    print(f"heatmap in {path}")
    return 0


