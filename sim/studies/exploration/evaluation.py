"""Running an exploration: every future under every lever. Each lever and config-group choice is
composed once; a run then sets its sampled values on a copy of the plain config, validates and
simulates it, and reduces the KPIs to the outcomes. Runs go through a process pool in order, and
the outcomes are streamed to Parquet so memory does not grow with the number of futures. A
coupled exploration (`world:`) runs each future as a coupled run of its overrides (regional keys
`REGION.KEY`), its outcomes read from a region's KPIs or the bloc's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ...analysis import workers as processes
from ...analysis.kpis import meets
from ...analysis.runner import kpi_columns
from ...analysis.world import run_world
from ...config.compose import load_config, parameters, with_values
from ...config.errors import ConfigError
from ...config.parameters import Params
from ..goalseek import plain_config
from ..headline import BLOC, most_frequent, region_kpis
from ..sweep import describe
from ..world import BLOC_METRICS, Coupled
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
    on it instead. A coupled exploration's bases are coupled scenarios (the world, the exploration's,
    the lever's, the choices' and the command line's overrides), the first checked before any run."""
    groups = [u.key for u in exploration.uncertainties if u.is_group]
    levers = dict(exploration.levers)
    bases = {}
    if exploration.world is not None:
        if base is not None or config_dir is not None:
            raise ValueError("a coupled exploration (world:) composes the project's conf/ only")
        for key in experiments[["lever", *groups]].drop_duplicates().itertuples(index=False, name=None):
            bases[key] = Coupled((f"world={exploration.world}", *exploration.overrides, *levers[key[0]],
                                  *(f"{g}={c}" for g, c in zip(groups, key[1:])), *overrides))
        check_regions(exploration, next(iter(bases.values())))
        # the first outcome's region gives the runs' target (target_met) and years
        return {key: replace(scenario, region=exploration.outcomes[0].region) for key, scenario in bases.items()}
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


def check_regions(exploration: Exploration, scenario: Coupled) -> None:
    """Each outcome's region is a region of the coupled run or the bloc, with a KPI the bloc has."""
    codes = list(scenario.load().regions)
    for outcome in exploration.outcomes:
        if outcome.region != BLOC and outcome.region not in codes:
            raise ConfigError(f"outcomes.{outcome.name}.region", outcome.region,
                              f"a region of the run ({', '.join(codes)}) or {BLOC}")
        if outcome.region == BLOC and outcome.kind != "first_year" and outcome.kpi not in BLOC_METRICS:
            raise ConfigError(f"outcomes.{outcome.name}.kpi", outcome.kpi,
                              f"a KPI the bloc has ({', '.join(BLOC_METRICS)}), or a region's")


def outcome_values(params: Params, kpis: pd.DataFrame | Mapping[str, np.ndarray], outcomes: Sequence[Outcome]) -> dict:
    """Each outcome of one run from its KPI table or its columns (means over replications in
    stochastic mode, NaN left out), the target met in the target year and the binding constraint
    there."""
    target = params.target
    row_year = np.asarray(kpis["year"]) - params.start_year  # each KPI row's year, 0 for start_year
    n_years = params.end_year + 1 - params.start_year

    def by_year(kpi: str) -> np.ndarray:  # [year from start_year]
        values = np.asarray(kpis[kpi], dtype=float)
        known = ~np.isnan(values)
        counts = np.bincount(row_year[known], minlength=n_years)
        sums = np.bincount(row_year[known], weights=values[known], minlength=n_years)
        return np.divide(sums, counts, out=np.full(n_years, np.nan), where=counts > 0)

    row = {}
    for outcome in outcomes:
        kpi = target.metric if outcome.kpi == "target" else outcome.kpi
        if kpi not in kpis:  # a table's columns, or a mapping's keys
            raise ValueError(f"outcomes.{outcome.name}.kpi = {outcome.kpi!r}: expected a KPI column of kpis.csv")
        first, last = outcome.years
        if first < params.start_year or last > params.end_year:
            raise ValueError(f"outcomes.{outcome.name}: years {first}-{last} outside the run "
                             f"({params.start_year}-{params.end_year})")
        span = by_year(kpi)[first - params.start_year:last + 1 - params.start_year]
        known = span[~np.isnan(span)]
        if outcome.kind == "year":
            row[outcome.name] = float(span[0])
        elif outcome.kind == "mean":
            row[outcome.name] = float(known.mean()) if len(known) else np.nan
        elif outcome.kind == "sum":
            row[outcome.name] = float(known.sum())
        else:
            met = np.flatnonzero(meets(np.nan_to_num(span, nan=-np.inf), target.share))
            row[outcome.name] = float(first + met[0]) if len(met) else np.nan
    in_year = row_year == target.year - params.start_year
    row["target_met"] = bool(meets(by_year(target.metric)[target.year - params.start_year], target.share))
    row["binding_constraint"] = most_frequent(np.asarray(kpis["binding_constraint"])[in_year]) \
        if "binding_constraint" in kpis else None  # the bloc has none
    return row


def evaluate(base: dict | Coupled, values: dict, outcomes: Sequence[Outcome]) -> dict:
    """One run: the sampled values set on the plain config, validated, simulated, reduced. A run
    that fails (a sampled value the config rejects) records its one-line message instead."""
    try:
        if isinstance(base, Coupled):
            row = coupled_values(base.with_values(values), outcomes)
        else:
            params = parameters(with_values(base, values))
            row = outcome_values(params, kpi_columns(params), outcomes)
    except Exception as error:  # recorded per run, so one bad future does not stop the exploration
        return {**{o.name: np.nan for o in outcomes}, "target_met": None, "binding_constraint": None,
                "status": "failed", "error": describe(error)}
    return {**row, "status": "ok", "error": None}


def coupled_values(scenario: Coupled, outcomes: Sequence[Outcome]) -> dict:
    """The outcomes of one coupled run, each from its region's KPIs (the bloc's years and target are
    the run's first region's); target met and binding constraint of the first outcome's region."""
    world = scenario.load()
    result = run_world(world)
    row = {}
    for region in dict.fromkeys(o.region for o in outcomes):
        params = replace(scenario, region=region).params(world)
        found = outcome_values(params, region_kpis(result, region), [o for o in outcomes if o.region == region])
        row = {**found, **row}  # the first outcome's region's target_met and binding constraint stay
    return row


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
