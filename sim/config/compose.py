"""Composing a scenario: conf/ with Hydra overrides, and validation of the composed config."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException, HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import parameter_table as table
from .errors import ConfigError, composition_error, dotted
from .overrides import parse as parse_overrides
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
    (not yet validated). A composition error (unknown option, misspelt key, override grammar, YAML
    syntax) raises a ConfigError naming the key or the file and line.

    config_dir : a directory of config groups of one's own (e.g. DIR/region/my_region.yaml, as
        `python -m sim init DIR` writes), searched beside conf/: its options are chosen like the
        project's (`region=my_region`). The same as `--config-dir DIR` on the command line.
    """
    return compose_overrides(overrides, config_name, config_dir)[0]


def compose_overrides(overrides: Iterable[str], config_name: str = "config", config_dir: str | Path | None = None,
                      with_hydra: bool = False) -> tuple[DictConfig, list[str]]:
    """load_config, and the overrides as Hydra must be given them (see _compose_documented);
    with_hydra keeps Hydra's own settings (hydra.run.dir, ...) in the config."""
    if isinstance(overrides, str):
        raise ConfigError("overrides", overrides, "a list of overrides such as ['policy=combined']")
    searched = search_path(config_dir)
    try:
        with hydra_context():
            cfg, accepted = _compose_documented([*searched, *overrides], config_name, with_hydra)
            return cfg, accepted[len(searched):]
    except (HydraException, yaml.YAMLError, OmegaConfBaseException) as error:
        raise composition_error(error) from None


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


def _compose_documented(overrides: list[str], config_name: str, with_hydra: bool) -> tuple[DictConfig, list[str]]:
    """Compose, with `key=value` turned into `++key=value` where the key is in the parameter table
    but not in the YAML (its default comes from the table), so that every documented key can be
    set without a `+`; a misspelt key, or a segment or plant the config lacks, still fails."""
    overrides = list(overrides)
    while True:
        try:
            return compose(config_name=config_name, overrides=overrides, return_hydra_config=with_hydra), overrides
        except ConfigCompositionException as error:
            absent = re.match(r"Could not override '([^']+)'", str(error))
            key = absent.group(1) if absent else None
            index = next((i for i, o in enumerate(overrides) if o.partition("=")[0] == key), None)
            if index is None or not _documented(overrides[index], overrides[:index] + overrides[index + 1:],
                                                config_name):
                raise
            overrides[index] = "++" + overrides[index]
        except (TypeError, ValueError) as error:  # OmegaConf, for a list item addressed by other than its number
            named = re.fullmatch(r"Index '([^']*)' \(str\) is not an int|invalid literal for int\(\) with base 10: "
                                 r"'([^']*)'", str(error))
            item = named and (named.group(1) or named.group(2))
            override = next((o for o in overrides if item in o.partition("=")[0].split(".")), None) if item else None
            if override is None:
                raise
            key, _, value = override.partition("=")
            parts = key.lstrip("+~").split(".")
            items = ".".join(parts[:parts.index(item)])
            raise ConfigError(key.lstrip("+~"), value, f"a list item by its number ({items}.0, {items}.1, ...: "
                                                       f"{items} is a list)") from None


def _documented(override: str, others: list[str], config_name: str) -> bool:
    """Whether the key of `override` is a documented key whose parent is in the config; a documented
    key below a segment, plant or grade the config lacks raises a ConfigError naming the ones it
    has, and one that numbers it (grades.0.dy_tb: these are mappings by name) one saying how to name it."""
    key = override.partition("=")[0]
    parts = tuple(key.split("."))
    numbered = next((depth for depth in range(1, len(parts)) if parts[depth].isdigit() and _wildcard(parts[:depth])),
                    None)
    if numbered is None and table.children(parts[:-1]).get(parts[-1]) is None:
        return False
    # the config-group choices and additions decide which segments and plants there are
    choices = [o for o in others if o.startswith(("+", "hydra.")) or "." not in o.partition("=")[0]]
    try:
        cfg = compose(config_name=config_name, overrides=choices)
    except HydraException:
        return False
    if numbered is not None:
        group, wildcard = ".".join(parts[:numbered]), _wildcard(parts[:numbered])
        names = ", ".join(map(str, OmegaConf.select(cfg, group) or ()))
        raise ConfigError(key, parse_overrides([override])[0].value(),
                          f"a {wildcard.strip('<>')} named, not numbered: "
                          f"{'.'.join((group, wildcard, *parts[numbered + 1:]))} with {wildcard} one of {names}")
    if OmegaConf.select(cfg, ".".join(parts[:-1])) is not None:
        return True
    for depth in range(1, len(parts) - 1):
        group = OmegaConf.select(cfg, ".".join(parts[:depth]))
        if isinstance(group, DictConfig) and parts[depth] not in group:
            raise ConfigError(".".join(parts[:depth + 1]), parts[depth],
                              f"a name in {'.'.join(parts[:depth])} (there are: {', '.join(map(str, group))})")
    return False


def _wildcard(prefix: tuple[str, ...]) -> str | None:
    """The wildcard of the table below `prefix` (<grade> below grades), when it is a mapping by name."""
    return next((name for name in table.children(prefix) if name in table.WILDCARDS), None)


def parameters(cfg: DictConfig | Mapping) -> Params:
    """Validate a composed config into parameters (raises ConfigError on bad input)."""
    if isinstance(cfg, DictConfig):
        try:  # Hydra's own settings (with_hydra) are not the model's and need a running app
            container = OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]),
                                               resolve=True)
        except OmegaConfBaseException as error:  # e.g. ${nosuch}
            key = dotted(getattr(error, "full_key", None) or "config")
            reason = str(error).splitlines()[0]
            raise ConfigError(key, _unresolved(cfg, key), f"an interpolation that resolves ({reason})") from None
    elif isinstance(cfg, Mapping):
        container = dict(cfg)
    else:
        raise ConfigError("config", cfg, "a composed config (sim.load_config) or a mapping of config keys")
    container = {k: v for k, v in container.items() if k != "hydra"}
    return validate(container)


def with_values(config: Mapping, values: Mapping[str, Any]) -> dict:
    """A copy of a plain composed config with each dotted key set to its value, without composing
    again (explorations and goal-seek set thousands of values on one composition).

    `<series>.scale` and `<series>.shift` set a knob of an anchor series or capacity schedule
    written in any form (a value or {year: value} is moved under `anchors:`). A key that is not in
    the config raises ConfigError.

    The mappings on the way to each key are copied and the rest is shared with `config`, which
    stays as it was (validation only reads a config): a deep copy of the whole config cost a
    future of an exploration about half a millisecond.
    """
    config = dict(config)
    for key, value in values.items():
        path = key.split(".")
        node = config
        for depth, name in enumerate(path[:-1]):
            child = node.get(name)
            if child is None and name in table.children(tuple(path[:depth])):
                child = {}  # a documented section the config leaves to its defaults
            if depth + 2 == len(path) and path[-1] in SERIES_KNOBS and _plain_series(child):
                child = {"anchors": child}
            elif isinstance(child, dict):
                child = dict(child)
            if not isinstance(child, dict):
                raise ConfigError(key, value, f"a key of the config ('{'.'.join(path[:depth + 1])}' holds no keys)")
            node[name] = child
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


def _unresolved(cfg: DictConfig, key: str):
    """The text of `key` before interpolation, for the message of an interpolation error."""
    value = OmegaConf.to_container(cfg, resolve=False)
    for part in key.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value
