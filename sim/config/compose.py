"""Composing a scenario: conf/ with Hydra overrides, and validation of the composed config."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from . import parameter_table as table
from .errors import ConfigError
from .parameters import Params, validate
from .values import SERIES_KNOBS


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


def with_values(config: Mapping, values: Mapping[str, Any]) -> dict:
    """A copy of a plain composed config with each dotted key set to its value, without composing
    again (explorations and goal-seek set thousands of values on one composition).

    `<series>.scale` and `<series>.shift` set a knob of an anchor series or capacity schedule
    written in any form (a value or {year: value} is moved under `anchors:`). A key that is not in
    the config raises ConfigError.
    """
    config = copy.deepcopy(dict(config))
    for key, value in values.items():
        path = key.split(".")
        node = config
        for depth, name in enumerate(path[:-1]):
            child = node.get(name)
            if child is None and name in table.children(tuple(path[:depth])):
                child = node[name] = {}  # a documented section the config leaves to its defaults
            if depth + 2 == len(path) and path[-1] in SERIES_KNOBS and _plain_series(child):
                child = node[name] = {"anchors": child}
            if not isinstance(child, dict):
                raise ConfigError(key, value, f"a key of the config ('{'.'.join(path[:depth + 1])}' holds no keys)")
            node = child
        documented = table.children(tuple(path[:-1]))
        if path[-1] not in node and path[-1] not in documented and path[-1] not in SERIES_KNOBS:
            raise ConfigError(key, value, f"a key of the config ('{path[-1]}' is not one under "
                                          f"'{'.'.join(path[:-1]) or 'the top'}')")
        node[path[-1]] = value
    return config


def _plain_series(value) -> bool:
    """A series written as a value or as anchor points {year: value} (no knobs yet)."""
    if isinstance(value, dict):
        return bool(value) and all(isinstance(k, int) or (isinstance(k, str) and k.isdigit()) for k in value)
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)
