"""The Python API: compose a config, validate and run it, get the tables back."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from .balance import check
from .model import simulate
from .parameters import Params, validate
from .results import Result, ResultBuilder

CONFIG_DIR = Path(__file__).resolve().parent.parent / "conf"


def load_config(overrides: Iterable[str] = (), config_name: str = "config") -> DictConfig:
    """Compose conf/<config_name>.yaml with Hydra overrides; returns an editable DictConfig
    (not yet validated)."""
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR), job_name="sim"):
        return compose(config_name=config_name, overrides=list(overrides))


def parameters(cfg: DictConfig | dict) -> Params:
    """Validate a composed config into parameters (raises ConfigError on bad input)."""
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    container = {k: v for k, v in container.items() if k != "hydra"}
    return validate(container)


def run(cfg: DictConfig | dict | Params, keep_records: bool = False, workers: int | None = None) -> Result:
    """Validate and simulate every replication; every node's mass balance is checked.

    workers : processes for replications (default: one per core; 1 runs in this process). Each
        replication draws from its own random streams, so the tables do not depend on it.
    """
    params = cfg if isinstance(cfg, Params) else parameters(cfg)
    builder = ResultBuilder(params, keep_records)
    replications = params.replications if params.mode == "stochastic" else 1
    workers = min(workers or os.cpu_count() or 1, replications)
    if workers <= 1:
        records = map(_checked_replication, [params] * replications, range(replications))
        for record in records:
            builder.add(record)
        return builder.build()
    # fork shares the imported modules with the workers, so a pool starts in milliseconds
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        chunk = max(1, replications // (4 * workers))
        for record in pool.map(_checked_replication, [params] * replications, range(replications),
                               chunksize=chunk):
            builder.add(record)  # in replication order: tables do not depend on scheduling
    return builder.build()


def _checked_replication(params: Params, replication: int):
    record = simulate(params, replication)
    check(record.flows, record.stocks, params.end_year + 1 - params.start_year, replication)
    return record
