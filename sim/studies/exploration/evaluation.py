"""Running an exploration: every future under every lever. Each lever and config-group choice is
composed once; a run then sets its sampled values on a copy of the plain config, validates and
simulates it, and reduces the KPIs to the outcomes. Runs go through a process pool in order, and
the outcomes are streamed to Parquet so memory does not grow with the number of futures."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ...analysis import workers as processes
from ...analysis.kpis import meets
from ...analysis.runner import run_kpis
from ...config.compose import load_config, parameters, with_values
from ...config.parameters import Params
from ..goalseek import plain_config
from ..sweep import describe
from .spec import Exploration, Outcome

#: columns every outcomes table has beside the spec's outcomes
STATUS_COLUMNS = ("target_met", "binding_constraint", "status", "error")
#: runs handed to a worker at a time: large enough that scheduling costs nothing, small enough to
#: keep both cores busy to the end and the memory of one chunk small
CHUNK = 32


def base_configs(exploration: Exploration, experiments: pd.DataFrame, overrides: Sequence[str] = (),
                 base: dict | None = None, config_dir: Path | None = None) -> dict:
    """The plain config of each (lever, group choices) the experiments use, each composed once from
    conf/ (and one's own `config_dir`) with the exploration's, the lever's and the command line's
    overrides. Given `base` (a plain config, e.g. a test scenario), levers are `key=value` settings
    on it instead."""
    groups = [u.key for u in exploration.uncertainties if u.is_group]
    levers = dict(exploration.levers)
    bases = {}
    for key in experiments[["lever", *groups]].drop_duplicates().itertuples(index=False, name=None):
        lever, choices = key[0], key[1:]
        if base is not None:
            if groups:
                raise ValueError(f"uncertainties.{groups[0]}: a config-group choice needs a config composed from conf/")
            settings = [*exploration.overrides, *levers[lever], *overrides]
            bases[key] = with_values(base, {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in settings)})
            continue
        composed = load_config([*exploration.overrides, *levers[lever], *(f"{g}={c}" for g, c in zip(groups, choices)),
                                *overrides], config_dir=config_dir)
        bases[key] = plain_config(composed)
    return bases


def tasks(exploration: Exploration, experiments: pd.DataFrame) -> Iterator[tuple[int, tuple, dict]]:
    """(run, base key, {config key: value}) for every row of the experiments table."""
    groups = [u.key for u in exploration.uncertainties if u.is_group]
    values = [u for u in exploration.uncertainties if not u.is_group]
    for row in experiments[["run", "lever", *groups, *(u.key for u in values)]].itertuples(index=False, name=None):
        run, lever = row[0], row[1]
        chosen, sampled = row[2:2 + len(groups)], row[2 + len(groups):]
        settings = {}
        for u, value in zip(values, sampled):
            settings.update(u.settings(_plain(value)))
        yield int(run), (lever, *chosen), settings


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def outcome_values(params: Params, kpis: pd.DataFrame, outcomes: Sequence[Outcome]) -> dict:
    """Each outcome of one run from its KPI table (means over replications in stochastic mode),
    the target met in the target year and the binding constraint there."""
    target = params.target
    by_year = kpis.groupby("year")
    row = {}
    for outcome in outcomes:
        kpi = target.metric if outcome.kpi == "target" else outcome.kpi
        if kpi not in kpis.columns:
            raise ValueError(f"outcomes.{outcome.name}.kpi = {outcome.kpi!r}: expected a KPI column of kpis.csv")
        series = by_year[kpi].mean()
        first, last = outcome.years
        if first < params.start_year or last > params.end_year:
            raise ValueError(f"outcomes.{outcome.name}: years {first}-{last} outside the run "
                             f"({params.start_year}-{params.end_year})")
        span = series.loc[first:last]
        if outcome.kind == "year":
            row[outcome.name] = float(span.iloc[0])
        elif outcome.kind == "mean":
            row[outcome.name] = float(span.mean())
        elif outcome.kind == "sum":
            row[outcome.name] = float(span.sum())
        else:
            met = span.index[[meets(v, target.share) for v in span]]
            row[outcome.name] = float(met.min()) if len(met) else np.nan
    in_year = kpis[kpis["year"] == target.year]
    row["target_met"] = bool(meets(in_year[target.metric].mean(), target.share))
    row["binding_constraint"] = str(in_year["binding_constraint"].mode().iloc[0])
    return row


def evaluate(base: dict, values: dict, outcomes: Sequence[Outcome]) -> dict:
    """One run: the sampled values set on the plain config, validated, simulated, reduced. A run
    that fails (a sampled value the config rejects) records its one-line message instead."""
    try:
        params = parameters(with_values(base, values))
        row = outcome_values(params, run_kpis(params), outcomes)
    except Exception as error:  # recorded per run, so one bad future does not stop the exploration
        return {**{o.name: np.nan for o in outcomes}, "target_met": None, "binding_constraint": None,
                "status": "failed", "error": describe(error)}
    return {**row, "status": "ok", "error": None}


# --- the pool -------------------------------------------------------------------------------------

_state: dict = {}


def _start(bases: dict, outcomes: tuple) -> None:
    _state.update(bases=bases, outcomes=outcomes)


def _chunk(chunk: list) -> list[dict]:
    return [{"run": run, **evaluate(_state["bases"][key], values, _state["outcomes"])} for run, key, values in chunk]


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def schema(outcomes: Sequence[Outcome]) -> pa.Schema:
    return pa.schema([("run", pa.int64()), *((o.name, pa.float64()) for o in outcomes),
                      ("target_met", pa.bool_()), ("binding_constraint", pa.string()),
                      ("status", pa.string()), ("error", pa.string())])


def run_all(exploration: Exploration, experiments: pd.DataFrame, bases: dict, path: Path,
            workers: int | None = None, progress=None) -> pd.DataFrame:
    """Run every row of the experiments table on its base config (from base_configs) and stream the
    outcomes to `path` (Parquet), in run order whatever the number of workers (default: one per
    core). Returns the outcomes table.

    progress : a sim.analysis.progress.Progress advanced after each chunk (None: no report)
    """
    chunks = _chunks(tasks(exploration, experiments), CHUNK)
    workers = processes.count(workers, -(-len(experiments) // CHUNK))
    table_schema = schema(exploration.outcomes)
    with pq.ParquetWriter(path, table_schema) as writer, contextlib.ExitStack() as stack:
        if workers == 1:
            _start(bases, exploration.outcomes)
            results = map(_chunk, chunks)
        else:
            # forked workers start with the composed bases and the imported modules
            pool = stack.enter_context(processes.pool(workers, _start, (bases, exploration.outcomes)))
            results = pool.map(_chunk, chunks)  # in order: the table does not depend on scheduling
        for rows in results:
            writer.write_table(pa.Table.from_pylist(rows, schema=table_schema))
            if progress is not None:
                failed = sum(row["status"] != "ok" for row in rows)
                progress.advance(count=len(rows) - failed)
                progress.advance(ok=False, count=failed)
    return pd.read_parquet(path)
