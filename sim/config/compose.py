"""Composing a scenario: conf/ with Hydra overrides, and validation of the composed config."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from .parameters import Params, validate


def _project_config_dir() -> Path:
    """conf/ of the project: the package data of sim.conf in an installed wheel, the top-level
    conf/ of a checkout (an editable install runs from the checkout)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "conf"
    return installed if installed.is_dir() else package.parent / "conf"


CONFIG_DIR = _project_config_dir()


def load_config(overrides: Iterable[str] = (), config_name: str = "config") -> DictConfig:
    """Compose conf/<config_name>.yaml with Hydra overrides; returns an editable DictConfig
    (not yet validated)."""
    with hydra_context():
        return compose(config_name=config_name, overrides=list(overrides))


@contextmanager
def hydra_context() -> Iterator[ConfigLoader]:
    """Hydra initialised on conf/ (as `python -m sim` sees it), yielding its config loader."""
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR), job_name="sim"):
        yield GlobalHydra.instance().config_loader()


def parameters(cfg: DictConfig | dict) -> Params:
    """Validate a composed config into parameters (raises ConfigError on bad input)."""
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    container = {k: v for k, v in container.items() if k != "hydra"}
    return validate(container)
