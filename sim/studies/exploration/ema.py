"""EMA Workbench: the archive its `load_results` reads, and an `ema_workbench.Model` of a named
exploration so EMA users drive the simulator with their own samplers and evaluators."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ...config.compose import load_config
from ..goalseek import plain_config
from ..world import Coupled
from .discovery import constraints
from .evaluation import evaluate
from .spec import Exploration, load


def workbench():
    """The ema_workbench package, imported quietly (it warns about optional evaluators)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return ema_workbench


def write_archive(path: Path, exploration: Exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame) -> None:
    """experiments and outcomes as the tar.gz of ema_workbench.save_results: uncertainties as
    columns, `scenario` the future, `policy` the lever, `model` the exploration."""
    ema = workbench()
    frame = experiments[list(exploration.uncertainty_keys)].copy()
    for u in exploration.uncertainties:
        if u.is_discrete and not pd.api.types.is_float_dtype(frame[u.key]):
            frame[u.key] = frame[u.key].astype(str).astype("category")
    frame["scenario"] = experiments["future"].to_numpy()
    frame["policy"] = experiments["lever"].astype(str).to_numpy()
    frame["model"] = exploration.name
    names = [o.name for o in exploration.outcomes] + ["target_met", "binding_constraint"]
    arrays = {}
    for name in names:
        ema.ScalarOutcome(name)  # registers how the archive stores the outcome
        column = outcomes[name]
        arrays[name] = constraints(column) if name == "binding_constraint" else column.astype(float).to_numpy()
    ema.save_results((frame, arrays), str(path))


def model(name: str, overrides: list[str] | tuple[str, ...] = (), lever: str | None = None, config_dir=None):
    """An ema_workbench.Model running the simulator for the exploration conf/explore/<name>.yaml
    (or <config_dir>/explore/<name>.yaml, composed with one's own config groups of config_dir):
    its uncertainties (config-group choices become categorical), its outcomes, and the lever
    (default: the first) composed in; the model function takes config keys as keyword arguments.

        from ema_workbench import perform_experiments
        from sim.studies.exploration.ema import model
        experiments, outcomes = perform_experiments(model("eu_2030"), scenarios=20)
    """
    ema = workbench()
    exploration = load(name, config_dir)
    levers = dict(exploration.levers)
    chosen = lever or exploration.lever_names[0]
    if chosen not in levers:
        raise ValueError(f"lever {chosen!r}: expected one of {', '.join(levers)}")
    groups = [u for u in exploration.uncertainties if u.is_group]
    bases: dict[tuple, dict] = {}

    def base(choices: tuple) -> dict:
        if choices not in bases:  # each config-group choice is composed once
            settings = [*exploration.overrides, *levers[chosen], *overrides,
                        *(f"{u.key}={c}" for u, c in zip(groups, choices))]
            bases[choices] = Coupled((f"world={exploration.world}", *settings), exploration.outcomes[0].region) \
                if exploration.world is not None else plain_config(load_config(settings, config_dir=config_dir))
        return bases[choices]

    def function(**values):
        choices = tuple(str(values.pop(u.key)) for u in groups)
        settings = {}
        for u in exploration.uncertainties:
            if not u.is_group:
                settings.update(u.settings(_plain(values[u.key])))
        row = evaluate(base(choices), settings, exploration.outcomes)
        if row["status"] != "ok":
            raise RuntimeError(row["error"])
        return {o.name: row[o.name] for o in exploration.outcomes} | {"target_met": float(row["target_met"])}

    # EMA Workbench names must be identifiers (a model name alphanumeric): the model function maps
    # them back to config keys
    names = {u.key: u.key.replace(".", "__") for u in exploration.uncertainties}
    wrapped = ema.Model(re.sub(r"[^A-Za-z0-9]", "", exploration.name), function=lambda **kw: function(
        **{key: kw[alias] for key, alias in names.items()}))
    wrapped.uncertainties = [_parameter(ema, u, names[u.key]) for u in exploration.uncertainties]
    wrapped.outcomes = [ema.ScalarOutcome(o.name) for o in exploration.outcomes] + [ema.ScalarOutcome("target_met")]
    return wrapped


def _parameter(ema, uncertainty, alias: str):
    if uncertainty.is_discrete:
        return ema.CategoricalParameter(alias, list(uncertainty.parameters))
    if uncertainty.distribution == "uniform":
        return ema.RealParameter(alias, *uncertainty.parameters)
    from scipy import stats
    if uncertainty.distribution == "triangular":
        low, mode, high = uncertainty.parameters
        dist = stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
        return ema.RealParameter.from_dist(alias, dist)
    mean, std, low, high = uncertainty.parameters
    dist = stats.truncnorm((low - mean) / std, (high - mean) / std, loc=mean, scale=std)
    return ema.RealParameter.from_dist(alias, dist)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
