"""Composing sweep points cheaply: the config is composed once per distinct set of config-group
choices, and each point's value overrides are applied to a copy, as Hydra's composition would."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path

from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config import overrides as grammar

GroupKey = tuple[str, ...]


def plain_config(cfg: DictConfig) -> dict | None:
    """The config as plain containers, or None when it holds interpolations (they must be resolved
    after the overrides, so such a config takes Hydra's path)."""
    unresolved = OmegaConf.to_container(cfg, resolve=False)
    return unresolved if unresolved == OmegaConf.to_container(cfg, resolve=True) else None


def set_plain_values(plain: dict, overrides: Sequence[Override]) -> bool:
    """Set `key=value` overrides of existing keys to plain values in `plain`, in place; False (and
    nothing set) when any override needs Hydra's rules: `+`, `++`, `~`, a list, a mapping, an
    interpolation or a key that does not exist."""
    targets = []
    for override in overrides:
        value = override.value()
        if override.type != OverrideType.CHANGE or override.package is not None:
            return False
        if not (value is None or isinstance(value, (bool, int, float, str))) or "${" in str(value):
            return False
        *parents, leaf = override.key_or_group.split(".")
        node = plain
        for name in parents:
            node = node.get(name) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            return False
        targets.append((node, leaf, value))
    for node, leaf, value in targets:
        node[leaf] = value
    return True


def app_config(composed: DictConfig) -> DictConfig:
    """The config the task sees: the composed config without its `hydra` node."""
    cfg = copy.deepcopy(composed)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg


class GroupComposer:
    """Splits a job's overrides into config-group choices and values, and composes the job config
    once per distinct set of group choices (a composition error is kept and raised for each job)."""

    def __init__(self, config_loader: ConfigLoader, master: DictConfig):
        self.loader = config_loader
        self.master = master
        self._groups: dict[str, bool] = {}
        self._composed: dict[GroupKey, DictConfig | Exception] = {}
        # job directory names: hydra.sweep.subdir resolved with each job's number and overrides
        self._naming = OmegaConf.create({"hydra": OmegaConf.to_container(master.hydra, resolve=False)})
        self._default_subdir = OmegaConf.to_container(master.hydra.sweep, resolve=False)["subdir"] == "${hydra.job.num}"
        self.sweep_dir = Path(str(master.hydra.sweep.dir))

    def is_group(self, key: str) -> bool:
        if key not in self._groups:
            parent, _, name = key.rpartition("/")
            self._groups[key] = name in self.loader.list_groups(parent)
        return self._groups[key]

    def split(self, overrides: Sequence[str]) -> tuple[GroupKey, list[str]]:
        """(config-group overrides, value overrides) of one job, each in the given order."""
        groups, values = [], []
        for line, override in zip(overrides, grammar.parse(overrides)):
            # a mapping value is a value override even on a group's key, as in Hydra
            if not isinstance(override.value(), dict) and self.is_group(override.key_or_group):
                groups.append(line)
            else:
                values.append(line)
        return tuple(groups), values

    def compose(self, groups: GroupKey) -> DictConfig:
        """The full config (with `hydra`) for these group choices; composed on first use only."""
        if groups not in self._composed:
            try:
                self._composed[groups] = self.loader.load_sweep_config(self.master, list(groups))
            except Exception as error:
                self._composed[groups] = error
        composed = self._composed[groups]
        if isinstance(composed, Exception):
            raise composed
        return composed

    def job_config(self, overrides: Sequence[str]) -> DictConfig:
        """The task config of one job (what the launcher's per-job composition would give)."""
        groups, values = self.split(overrides)
        cfg = app_config(self.compose(groups))
        grammar.apply(cfg, values)
        return cfg

    def job_dir(self, num: int, overrides: Sequence[str]) -> Path:
        """The job's directory: hydra.sweep.dir / hydra.sweep.subdir, as Hydra's run_job names it."""
        if self._default_subdir:
            return self.sweep_dir / str(num)
        job = self._naming.hydra.job
        naming = job.config.override_dirname
        with open_dict(job):
            job.num, job.id = num, num
            job.override_dirname = override_dirname(overrides, list(naming.exclude_keys), naming.item_sep,
                                                    naming.kv_sep)
        return self.sweep_dir / str(OmegaConf.select(self._naming, "hydra.sweep.subdir"))


def override_dirname(overrides: Sequence[str], exclude_keys: Sequence[str], item_sep: str, kv_sep: str) -> str:
    """hydra.job.override_dirname of a job, as Hydra forms it: the job's override strings but those
    of excluded keys, sorted, joined by item_sep, with each `=` replaced by kv_sep."""
    lines = sorted(o.input_line for o in grammar.parse(overrides) if o.key_or_group not in exclude_keys)
    return re.sub("=", kv_sep, item_sep.join(lines))
