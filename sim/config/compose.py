"""Composing a scenario: conf/ with Hydra overrides, and validation of the composed config."""

from __future__ import annotations

import argparse
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


def load_config(overrides: Iterable[str] = (), config_name: str = "config",
                config_dir: str | Path | None = None) -> DictConfig:
    """Compose conf/<config_name>.yaml with Hydra overrides; returns an editable DictConfig
    (not yet validated).

    config_dir : a directory of config groups of one's own (e.g. DIR/region/my_region.yaml, as
        `python -m sim init DIR` writes), searched beside conf/: its options are chosen like the
        project's (`region=my_region`). The same as `--config-dir DIR` on the command line.
    """
    with hydra_context():
        return compose(config_name=config_name, overrides=[*search_path(config_dir), *overrides])


@contextmanager
def hydra_context() -> Iterator[ConfigLoader]:
    """Hydra initialised on conf/ (as `python -m sim` sees it), yielding its config loader."""
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR), job_name="sim"):
        yield GlobalHydra.instance().config_loader()


def search_path(config_dir: str | Path | None) -> list[str]:
    """The override that adds a directory of one's own to Hydra's config search path (none for None)."""
    if config_dir is None:
        return []
    directory = Path(config_dir).expanduser().resolve()
    if not directory.is_dir():
        raise ConfigError("--config-dir", str(config_dir), "an existing directory of config groups")
    return [f"hydra.searchpath=[file://{directory}]"]


def group_options(group: str, config_dir: str | Path | None = None) -> list[str]:
    """The options of a config group: conf/<group>/*.yaml and, with config_dir, <config_dir>/<group>/*.yaml."""
    with hydra_context() as loader:
        return loader.get_group_options(group, config_name="config", overrides=search_path(config_dir))


def add_config_dir_argument(parser: argparse.ArgumentParser) -> None:
    """The `--config-dir DIR` option of every command (argparse), as `python -m sim` takes it."""
    parser.add_argument("--config-dir", "-cd", type=Path, metavar="DIR",
                        help="a directory of config groups of your own, searched beside the project's conf/ "
                             "(python -m sim init DIR writes a starter set)")


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
