"""Scenario discovery with PRIM (EMA Workbench): per lever, the box of uncertainties in which the
target is met, and the box in which each binding constraint binds, read from the peeling trajectory
(PrimBox.inspect is not used: it fails with pandas 3)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .spec import Exploration

#: density at which PRIM may stop peeling
THRESHOLD = 0.8
#: boxes restricting more uncertainties than this are not chosen: a person reads two or three
#: conditions, and further ones mostly trim the edges of a sample
MOST_RESTRICTED = 3
#: a question is asked of PRIM only when this share of futures, and of the others, are cases
LEAST_SHARE = 0.02


@dataclass(frozen=True)
class Box:
    """A PRIM box: the restricted uncertainties with their limits, and how good the box is."""

    lever: str
    question: str  # "target met" or "<constraint> binds"
    limits: tuple[tuple[str, object, object], ...]  # uncertainty, lower (or a set of options), upper
    coverage: float  # share of all cases of interest that lie in the box
    density: float  # share of the futures in the box that are cases of interest
    mass: float  # share of all futures in the box
    base_rate: float  # share of cases of interest over every future

    def describe(self) -> str:
        """The box's conditions in words, e.g. "`a` >= 0.52 and `b` >= 0.31"."""
        if not self.limits:
            return "no restriction of the uncertainties"
        parts = []
        for key, low, high in self.limits:
            if isinstance(low, (set, frozenset)):
                parts.append(f"`{key}` in {{{', '.join(sorted(map(str, low)))}}}")
            elif low is None:
                parts.append(f"`{key}` <= {high:.3g}")
            elif high is None:
                parts.append(f"`{key}` >= {low:.3g}")
            else:
                parts.append(f"{low:.3g} <= `{key}` <= {high:.3g}")
        return " and ".join(parts)


def constraints(values: pd.Series) -> np.ndarray:
    """Binding constraints as text, "None" where a run has none (the bloc of a coupled run): read
    back from Parquet, a column of none is missing values, not the text "None"."""
    return values.astype(object).where(values.notna(), "None").astype(str).to_numpy()


def prim_module():
    """ema_workbench.analysis.prim, imported quietly (EMA Workbench warns about optional evaluators)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def find(x: pd.DataFrame, y: np.ndarray, lever: str, question: str) -> Box | None:
    """The PRIM box for boolean cases `y` over uncertainties `x`: of the boxes on the peeling
    trajectory that restrict at most MOST_RESTRICTED uncertainties, the one with the greatest
    coverage x density (it keeps most cases while leaving most other futures out). None when
    nearly every future, or nearly none, is a case."""
    y = np.asarray(y, dtype=bool)
    share = float(y.mean()) if len(y) else 0.0
    if not LEAST_SHARE <= share <= 1 - LEAST_SHARE:
        return None
    prim = prim_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside EMA Workbench 2.5
        finder = prim.Prim(x, y, threshold=THRESHOLD, peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05)
        box = finder.find_box()
    trajectory = box.peeling_trajectory
    readable = trajectory[trajectory["res_dim"] <= MOST_RESTRICTED]
    i = int((readable["coverage"] * readable["density"]).idxmax())
    chosen = trajectory.loc[i]
    return Box(lever, question, limits(box.box_lims[i], box.box_lims[0]), float(chosen["coverage"]),
               float(chosen["density"]), float(chosen["mass"]), share)


def limits(box: pd.DataFrame, initial: pd.DataFrame) -> tuple:
    """The restricted dimensions of a box: (uncertainty, lower or None, upper or None), or
    (uncertainty, the options kept, None) for a categorical one."""
    found = []
    for key in box.columns:
        low, high = box.loc[0, key], box.loc[1, key]
        first_low, first_high = initial.loc[0, key], initial.loc[1, key]
        if isinstance(low, (set, frozenset)):
            if set(low) != set(first_low):
                found.append((key, frozenset(low), None))
            continue
        lower = None if low <= first_low else float(low)
        upper = None if high >= first_high else float(high)
        if lower is not None or upper is not None:
            found.append((key, lower, upper))
    return tuple(found)


def boxes(exploration: Exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame) -> list[Box]:
    """Per lever: the box where the target is met, and a box for every binding constraint that
    binds in some futures and not in others (in the target year)."""
    keys = list(exploration.uncertainty_keys)
    found = []
    ok = (outcomes["status"] == "ok").to_numpy()
    for lever in exploration.lever_names:
        rows = (experiments["lever"] == lever).to_numpy() & ok
        x = experiments.loc[rows, keys].reset_index(drop=True)
        for column in x.columns:
            if not pd.api.types.is_float_dtype(x[column]):
                x[column] = x[column].astype(str).astype("category")
        questions = {"target met": outcomes.loc[rows, "target_met"].astype(bool).to_numpy()}
        binding = constraints(outcomes.loc[rows, "binding_constraint"])
        for constraint in sorted(set(binding) - {"None"}):  # the bloc of a coupled run has no binding constraint
            questions[f"{constraint} binds"] = binding == constraint
        for question, y in questions.items():
            box = find(x, y, lever, question)
            if box is not None:
                found.append(box)
    return found


def table(found: list[Box]) -> pd.DataFrame:
    """The boxes as a table (boxes.csv): one row per restricted uncertainty of each box."""
    rows = []
    for box in found:
        for key, low, high in box.limits or (("", None, None),):
            options = sorted(map(str, low)) if isinstance(low, frozenset) else None
            rows.append({"lever": box.lever, "question": box.question, "uncertainty": key,
                         "lower": None if options else low, "upper": high,
                         "options": ", ".join(options) if options else None, "coverage": box.coverage,
                         "density": box.density, "mass": box.mass, "base_rate": box.base_rate})
    return pd.DataFrame(rows, columns=["lever", "question", "uncertainty", "lower", "upper", "options",
                                       "coverage", "density", "mass", "base_rate"])


def inside(box: Box, x: pd.DataFrame) -> np.ndarray:
    """Which futures (rows of the uncertainties `x`) lie in the box."""
    keep = np.ones(len(x), dtype=bool)
    for key, low, high in box.limits:
        if isinstance(low, frozenset):
            keep &= x[key].astype(str).isin(low).to_numpy()
            continue
        if low is not None:
            keep &= (x[key] >= low).to_numpy()
        if high is not None:
            keep &= (x[key] <= high).to_numpy()
    return keep
