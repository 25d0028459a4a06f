"""The Python API: compose a config, validate and run it, get the tables back."""

from __future__ import annotations

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


def run(cfg: DictConfig | dict | Params, keep_records: bool = False) -> Result:
    """Validate and simulate every replication; every node's mass balance is checked."""
    params = cfg if isinstance(cfg, Params) else parameters(cfg)
    builder = ResultBuilder(params, keep_records)
    n_years = params.end_year + 1 - params.start_year
    replications = params.replications if params.mode == "stochastic" else 1
    for replication in range(replications):
        record = simulate(params, replication)
        check(record.flows, record.stocks, n_years, replication)
        builder.add(record)
    return builder.build()
