"""Writing a run's tables, provenance, summary.md and figures into its output directory."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from ..analysis.results import Result
from . import figures
from . import summary as report
from .run_report import write_run_report
from .run_workbook import write_results_workbook

log = logging.getLogger(__name__)


def package_version() -> str:
    try:
        return metadata.version("ndfeb-sim")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """The commit of the project checkout the code runs from; None for an installed wheel (whose
    site-packages may well lie inside some other repository)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != root:
        return None
    return lines[1]


def write_tables(result: Result, directory: Path) -> list[Path]:
    """flows, flows_by_element, stocks, kpis, shortage_by_grade (CSV, and Parquet when asked) and
    kpi_quantiles.csv."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"flows": result.flows, "flows_by_element": result.element_flows, "stocks": result.stocks,
              "kpis": result.kpis, "shortage_by_grade": result.shortage_by_grade,
              "kpi_quantiles": result.kpi_quantiles}
    for name, frame in tables.items():
        path = directory / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.9g")
        written.append(path)
        if result.params.output.parquet and name != "kpi_quantiles":
            path = directory / f"{name}.parquet"
            frame.to_parquet(path, index=False)
            written.append(path)
    return written


def provenance(cfg: DictConfig | dict, result: Result, scenario: str | None = None) -> dict:
    """What produced a run: package version, git commit, seed, mode, replications, Python, the
    scenario's config-group choices and the resolved config."""
    record = {
        "package_version": package_version(),
        "git_commit": git_commit(),
        "seed": result.params.seed,
        "mode": result.params.mode,
        "replications": int(result.kpis["replication"].nunique()),
        "replication_tables": result.params.output.replication_tables,  # all, or first: replication 0
        "table_replications": result.table_replications,  # replications that flows and stocks hold
        "python": platform.python_version(),
    }
    if scenario:
        record["scenario"] = scenario
    record["config"] = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    return record


def write_provenance(record: dict, directory: Path) -> Path:
    """provenance.json."""
    path = directory / "provenance.json"
    path.write_text(json.dumps(record, indent=2, default=str))
    return path


def scenario_name() -> str | None:
    """The config group choices of a Hydra app run (e.g. 'region=eu, plants=eu_announced, ...')."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    choices = HydraConfig.get().runtime.choices
    groups = [g for g in ("region", "plants", "policy", "target") if choices.get(g)]
    return ", ".join(f"{g}={choices[g]}" for g in groups) or None


#: what a run writes into its directory: a rerun into the same directory replaces all of it
RESULT_FILES = ("flows.*", "stocks.*", "kpis.*", "kpi_quantiles.csv", "summary.md", "provenance.json",
                "results.xlsx", "report.html", "recycled_content.png", "eol_arising_by_segment.png",
                "sankey_*.html", "sankey_*.png")


def write_run(cfg: DictConfig, result: Result, directory: Path, scenario: str | None = None,
              shared_script: Path | None = None) -> list[Path]:
    """Everything a run leaves in its directory: the tables, the provenance, summary.md,
    results.xlsx and, when output.figures is true, the figures and report.html (skipped with one
    logged line if plotting libraries are missing). shared_script: plotly.js in one file for the
    reports of many runs (a sweep's), instead of inlined in each.

    Written atomically: into a hidden folder beside the directory first (at the same depth, so that
    relative links such as the shared script's hold), then moved into place with
    provenance.json last, after the previous run's results are gone. A failed write (a full disk)
    leaves the directory as it was and raises OSError; a run that is still writing into the
    directory makes another refuse it (BlockingIOError).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _exclusive(directory):
        home = directory.resolve()
        staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.writing-", dir=home.parent))
        try:
            written = _write_all(cfg, result, staging, scenario, shared_script)
            for pattern in RESULT_FILES:
                for old in directory.glob(pattern):
                    old.unlink()
            names = sorted((p.name for p in written), key=lambda name: name == "provenance.json")
            for name in names:
                os.replace(staging / name, directory / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return [directory / p.name for p in written]


def _write_all(cfg: DictConfig, result: Result, directory: Path, scenario: str | None,
               shared_script: Path | None) -> list[Path]:
    scenario = scenario or scenario_name()
    record = provenance(cfg, result, scenario)
    written = write_tables(result, directory)
    written.append(write_provenance(record, directory))
    written.append(report.write_summary(result, directory, scenario))
    written.append(write_results_workbook(result, directory, record))
    if result.params.output.figures:
        drawn, missing = figures.write_figures(result, directory)
        written += drawn
        page = write_run_report(result, directory, (directory / "summary.md").read_text(), record, shared_script)
        if page is None:
            missing.append("plotly")
        else:
            written.append(page)
        if missing:
            log.warning("figures skipped (%s not installed); install them with: %s",
                        " and ".join(missing), figures.INSTALL_HINT)
    return written


@contextmanager
def _exclusive(directory: Path):
    """Hold an exclusive lock on the directory while writing; refuse if another run holds it."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if another run writes here
        yield
    finally:
        os.close(handle)  # closing releases the lock
