"""Hydra's override grammar, one way for every study: sweep expressions expanded into jobs as Hydra's
basic sweeper expands them, and value overrides applied to a composed config by Hydra's rules."""

from __future__ import annotations

import functools
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path
from textwrap import dedent

from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, ValueType
from hydra.errors import ConfigCompositionException, HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

#: a job: the override strings of one scenario, e.g. ["policy=combined", "target.year=2031"]
Job = list[str]


@functools.cache
def _plain_parser() -> OverridesParser:
    return OverridesParser.create()


def parse(overrides: Sequence[str], config_loader: ConfigLoader | None = None) -> list[Override]:
    """Hydra's parse of override strings (a config loader is needed to expand `glob()` only)."""
    parser = _plain_parser() if config_loader is None else OverridesParser.create(config_loader=config_loader)
    return parser.parse_overrides(list(overrides))


def expand(overrides: Sequence[str], config_loader: ConfigLoader | None = None,
           config_dir: str | Path | None = None) -> list[Job]:
    """Every job of a sweep, each a list of override strings, in the order and spelling of Hydra's
    basic sweeper: `key=a,b`, `key=range(a,b[,step])`, `key=choice(a,b)` and `group=glob(pattern)`
    give one job per value, the product over keys in the order the keys first appear; a key given
    again replaces its earlier values; other overrides are in every job (as Hydra re-spells them).

        expand(["policy=baseline,combined", "target.year=range(2030,2032)"])
        -> [["policy=baseline", "target.year=2030"], ["policy=baseline", "target.year=2031"],
            ["policy=combined", "target.year=2030"], ["policy=combined", "target.year=2031"]]

    config_loader: the loader `glob()` lists a config group's options with; by default that of
    Hydra as initialised, or of the project's conf/ directory. config_dir: a directory of one's own
    config groups, whose options `glob()` matches too (as `--config-dir` adds them to a run). An
    interval sweep (`interval(a,b)`) has no jobs: HydraException.
    """
    parsed = parse(overrides)
    globbed = any(o.value_type == ValueType.GLOB_CHOICE_SWEEP for o in parsed)
    if globbed and config_dir is None:
        parsed = parse(overrides, config_loader or _conf_loader())
    choices: dict[str, list[str]] = {}
    for override in parsed:
        key = override.get_key_element()  # with its +, ++ or ~ and @package, as Hydra spells it
        if override.value_type == ValueType.GLOB_CHOICE_SWEEP and config_dir is not None:
            from .compose import group_options  # the options of conf/ and of config_dir, sorted as Hydra lists them

            matched = override.value().filter(sorted(group_options(override.key_or_group, config_dir)))
            choices[key] = [f"{key}={name}" for name in matched]
        elif not override.is_sweep_override():
            choices[key] = [f"{key}={override.get_value_element_as_str()}"]
        elif override.is_discrete_sweep():
            choices[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            raise HydraException(f"{override.input_line}: an interval is not a list of values to run; "
                                 f"use a,b,c, range(), choice() or glob()")
    return [list(job) for job in itertools.product(*choices.values())]


def _conf_loader() -> ConfigLoader:
    """The config loader of Hydra as initialised (by the app or load_config), else that of conf/."""
    from hydra.core.global_hydra import GlobalHydra

    from .compose import hydra_context

    if GlobalHydra.instance().is_initialized():
        return GlobalHydra.instance().config_loader()
    with hydra_context() as loader:
        return loader


def apply(cfg: DictConfig, overrides: Sequence[str] | Sequence[Override]) -> None:
    """Apply value overrides (no config-group choices) to a composed config in place, with the rules
    Hydra's composition applies after the defaults list: struct mode, `key=v` changes an existing
    key (mappings are merged), `+key=v` adds one, `++key=v` adds or changes, `~key[=v]` deletes.
    A mistake raises hydra.errors.ConfigCompositionException with Hydra's message."""
    for override in parse(overrides) if overrides and isinstance(overrides[0], str) else overrides:
        _apply_one(cfg, override)


def _apply_one(cfg: DictConfig, override: Override) -> None:
    if override.package is not None:
        raise ConfigCompositionException(
            f"Override {override.input_line} looks like a config group override, but config group "
            f"'{override.key_or_group}' does not exist.")
    key, value = override.key_or_group, override.value()
    try:
        if override.is_delete():
            current = OmegaConf.select(cfg, key, throw_on_missing=False)
            if current is None:
                raise ConfigCompositionException(f"Could not delete from config. '{key}' does not exist.")
            if value is not None and value != current:
                raise ConfigCompositionException(
                    f"Could not delete from config. The value of '{key}' is {current} and not {value}.")
            parent, _, leaf = key.rpartition(".")
            with open_dict(cfg):
                del (OmegaConf.select(cfg, parent) if parent else cfg)[leaf]
        elif override.is_add():
            if OmegaConf.select(cfg, key, throw_on_missing=False) is not None and not isinstance(value, (dict, list)):
                raise ConfigCompositionException(dedent(f"""\
                    Could not append to config. An item is already at '{key}'.
                    Either remove + prefix: '{override.input_line[1:]}'
                    Or add a second + to add or override '{key}': '+{override.input_line}'
                    """))
            OmegaConf.update(cfg, key, value, merge=True, force_add=True)
        elif override.is_force_add():
            OmegaConf.update(cfg, key, value, merge=True, force_add=True)
        else:
            try:
                OmegaConf.update(cfg, key, value, merge=True)
            except (ConfigAttributeError, ConfigKeyError) as error:
                raise ConfigCompositionException(
                    f"Could not override '{key}'.\nTo append to your config use +{override.input_line}") from error
    except OmegaConfBaseException as error:
        raise ConfigCompositionException(f"Error merging override {override.input_line}").with_traceback(
            sys.exc_info()[2]) from error
