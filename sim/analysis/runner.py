"""The `run` API: validate a config, simulate every replication, check each balance, build the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from ..config.compose import parameters
from ..config.parameters import Params
from ..model.balance import check, check_elements
from ..model.simulation import simulate
from . import workers as processes
from .progress import Progress
from .results import Result, ResultBuilder


def run(cfg: DictConfig | dict | Params, workers: int | None = None, progress: bool = False) -> Result:
    """Validate and simulate every replication; every node's mass and element balances are checked.

    workers : processes for replications (default: one per core; 1 runs in this process). Each
        replication draws from its own random streams, so the tables do not depend on it.
    progress : report the replications done on stderr when there are several (sim.analysis.progress).
    """
    params = cfg if isinstance(cfg, Params) else parameters(cfg)
    builder = ResultBuilder(params)
    replications = params.replications if params.mode == "stochastic" else 1
    workers = processes.count(workers, replications)
    with Progress(replications, "replications", enabled=progress and replications > 1) as done:
        if workers <= 1:
            records = map(_checked_replication, [params] * replications, range(replications))
            for record in records:
                builder.add(record)
                done.advance()
            return builder.build()
        with processes.pool(workers) as pool:
            chunk = max(1, replications // (4 * workers))
            for record in pool.map(_checked_replication, [params] * replications, range(replications),
                                   chunksize=chunk):
                builder.add(record)  # in replication order: tables do not depend on scheduling
                done.advance()
    return builder.build()


def run_kpis(params: Params) -> pd.DataFrame:
    """The KPI table of a run in this process, without the flow and stock tables: for studies that
    read KPIs only (goal-seek). Balances are checked as in run()."""
    return pd.DataFrame(kpi_columns(params))


def kpi_columns(params: Params) -> dict[str, np.ndarray]:
    """run_kpis' columns, without building the table: an exploration reads a few of them, and the
    table of some 80 columns would cost a future about 1.5 ms."""
    builder = ResultBuilder(params, tables=False)
    for replication in range(params.replications if params.mode == "stochastic" else 1):
        builder.add(_checked_replication(params, replication))
    return builder.kpi_columns()


def _checked_replication(params: Params, replication: int):
    record = simulate(params, replication)
    n_years = params.end_year + 1 - params.start_year
    check(record.graph, record.flows, record.stocks, n_years, replication)
    check_elements(record.graph, record.element_flows, record.element_stocks, n_years, replication)
    return record
