"""discovery.md: what an exploration found, in plain language first, then its tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...report.exploration_report import outcome_unit
from ..headline import most_frequent
from .discovery import Box, constraints, inside
from .sensitivity import LEAST_RBD_FUTURES
from .spec import Exploration

TOP = 3


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def _amount(value: float, unit: str, difference: bool = False) -> str:
    """An outcome's value for a person: a share in % (a difference of shares in percentage points,
    pp), a year whole, anything else with its unit."""
    if value is None or np.isnan(value):
        return ""
    if unit == "%":
        return f"{100 * value:.3g} {'pp' if difference else '%'}"
    if unit == "yr" and not difference:
        return f"{value:.0f}"
    return f"{value:.4g} {unit}".rstrip()


def _target_text(target: dict) -> str:
    if target["share"] is None:
        return f"no target ({target['metric']} reported in {target['year']})"
    return f"{100 * target['share']:g} % {target['metric']} by {target['year']}"


def headline(exploration: Exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame, robustness: pd.DataFrame,
             sensitivity: pd.DataFrame, boxes: list[Box], target: dict) -> list[str]:
    """The findings as sentences, one bullet per lever, then the most robust lever and what decides."""
    lines = []
    first = exploration.outcomes[0]
    unit = outcome_unit(first, target["metric"])
    keys = list(exploration.uncertainty_keys)
    for lever in exploration.lever_names:
        rows = ((experiments["lever"] == lever) & (outcomes["status"] == "ok")).to_numpy()
        if not rows.any():
            lines.append(f"- Under `{lever}` every run failed (see the error column of outcomes.parquet).")
            continue
        met = outcomes.loc[rows, "target_met"].astype(bool).to_numpy()
        binding = constraints(outcomes.loc[rows, "binding_constraint"])
        x = experiments.loc[rows, keys].reset_index(drop=True)
        stats = robustness[(robustness["lever"] == lever) & (robustness["outcome"] == first.name)].iloc[0]
        spread = f"{first.describe()}: " + ", ".join(f"{p.upper()} {_amount(stats[p], unit)}"
                                                     for p in ("p10", "p50", "p90"))
        sentence = f"- {_target_text(target)} is reached in {_pct(met.mean())} of futures under `{lever}` ({spread})"
        box = next((b for b in boxes if b.lever == lever and b.question == "target met"), None)
        if met.all():
            sentence += "; in every future."
        elif not met.any() and (binding == "None").all():  # the bloc of a coupled run has no binding constraint
            sentence += "; in none."
        elif not met.any():
            sentence += f"; in none: {most_frequent(binding)} binds in {_pct(_share(binding))} of futures."
        elif box is not None:
            out = ~inside(box, x)
            sentence += (f"; {_pct(box.coverage)} of them have {box.describe()} (the target is met in "
                         f"{_pct(box.density)} of the futures with these values)")
            if out.any():
                sentence += f"; elsewhere {most_frequent(binding[out])} binds in {_pct(_share(binding[out]))}."
            else:
                sentence += "."
        else:
            sentence += "; no simple box of assumptions separates them."
        lines.append(sentence)
        for constraint in [c for c in _by_count(binding) if c != "None"][:2]:
            where = next((b for b in boxes if b.lever == lever and b.question == f"{constraint} binds"), None)
            if where is not None and where.limits and where.density >= 0.5:
                lines.append(f"  - {constraint} binds in {_pct((binding == constraint).mean())} of futures, "
                             f"most where {where.describe()} (it binds in {_pct(where.density)} of those)")
    regrets = robustness[robustness["outcome"] == first.name]
    if len(regrets) > 1:
        best = regrets.loc[regrets["max_regret"].idxmin()]
        worst = ("it is the best lever in every future" if best["max_regret"] == 0 else
                 f"at worst {_amount(best['max_regret'], unit, difference=True)} below the best lever of the "
                 "same future")
        lines.append(f"- The lever with the least maximum regret on {first.describe()} is `{best['lever']}` ({worst}).")
    ranked = _ranked(sensitivity, first.name)
    if ranked:
        lines.append(f"- What decides {first.describe()}: " + "; ".join(ranked) + ".")
    return lines


def _ranked(sensitivity: pd.DataFrame, outcome: str) -> list[str]:
    """The uncertainties with the largest total (or first-order) index, averaged over levers."""
    rows = sensitivity[sensitivity["outcome"] == outcome]
    if rows.empty:
        return []
    column = "ST" if rows["ST"].notna().any() else "S1"
    mean = rows.groupby("uncertainty")[column].mean().sort_values(ascending=False)
    return [f"`{key}` ({column} {value:.2f})" for key, value in mean.head(TOP).items()]


def _by_count(values: np.ndarray) -> list[str]:
    kinds, counts = np.unique(values, return_counts=True)
    return [str(k) for k in kinds[np.argsort(-counts, kind="stable")]]


def _share(values: np.ndarray) -> float:
    kinds, counts = np.unique(values, return_counts=True)
    return counts.max() / counts.sum()


def markdown(exploration: Exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame, robustness: pd.DataFrame,
             sensitivity: pd.DataFrame, morris: pd.DataFrame, boxes: pd.DataFrame, found: list[Box],
             target: dict, sampler: str, seed: int) -> str:
    n_futures = int(experiments["future"].nunique())
    failed = int((outcomes["status"] != "ok").sum())
    lines = [f"# Exploration `{exploration.name}`", "",
             f"{n_futures} futures x {len(exploration.levers)} levers = {len(experiments)} runs "
             f"(sampler {sampler}, seed {seed}); {failed} failed. Target: {_target_text(target)}.", "",
             *headline(exploration, experiments, outcomes, robustness, sensitivity, found, target), "",
             "## Robustness of each lever", "",
             "Share of futures meeting the target, percentiles of each outcome, and the maximum regret "
             "(how far below the best lever of the same future a lever can fall; pp: percentage points); "
             "a first year never met counts as the year after its span.", "",
             _table(_robustness_shown(robustness, exploration, target)), ""]
    if not len(sensitivity) and sampler == "lhs":
        lines += ["## Global sensitivity", "",
                  f"Too few futures for first-order indices from a Latin hypercube (RBD-FAST needs at least "
                  f"{LEAST_RBD_FUTURES}); run more futures, or `--sampler sobol` for total indices.", ""]
    if len(sensitivity):
        lines += ["## Global sensitivity", "",
                  "Sobol first-order (S1) and total (ST) indices with 95 % confidence half-widths "
                  "(ST is empty for a Latin hypercube, where S1 comes from RBD-FAST).", "",
                  _table(sensitivity.sort_values(["lever", "outcome", "ST", "S1"],
                                                 ascending=[True, True, False, False])),
                  ""]
    if len(morris):
        lines += ["## Morris screening", "", _table(morris), ""]
    if len(boxes):
        lines += ["## Scenario discovery (PRIM)", "",
                  "Per lever and question, the restricted uncertainties of the box; coverage is the share of the "
                  "cases inside the box, density the share of the futures in the box that are cases.", "",
                  _table(boxes.assign(**{c: boxes[c].map(_share_text) for c in BOX_SHARES})), ""]
    lines += ["## Uncertainties", "", "| key | distribution | parameters | source |", "| --- | --- | --- | --- |"]
    for u in exploration.uncertainties:
        lines.append(f"| `{u.key}` | {u.distribution} | {', '.join(map(str, u.parameters))} | {u.source} |")
    lines += ["", "## Levers", ""]
    lines += [f"- `{name}`: {' '.join(overrides) or '(the base scenario)'}" for name, overrides in exploration.levers]
    return "\n".join(lines) + "\n"


#: the columns of the PRIM table that are shares of futures
BOX_SHARES = ("coverage", "density", "mass", "base_rate")


def _share_text(share: float) -> str:
    return _amount(share, "%")


def _robustness_shown(robustness: pd.DataFrame, exploration: Exploration, target: dict) -> pd.DataFrame:
    """The robustness table with each outcome's values in its unit (robustness.csv keeps shares as
    fractions)."""
    units = robustness["outcome"].map({o.name: outcome_unit(o, target["metric"]) for o in exploration.outcomes})
    shown = robustness.astype(object)
    shown["share_meeting_target"] = robustness["share_meeting_target"].map(_share_text)
    for column in ("p10", "p50", "p90", "max_regret"):
        shown[column] = [_amount(v, u, difference=column == "max_regret") for v, u in zip(robustness[column], units)]
    return shown


def _table(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    rows = ["| " + " | ".join(frame.columns) + " |", "| " + " | ".join("---" for _ in frame.columns) + " |"]
    rows += ["| " + " | ".join(cell(v) for v in record) + " |" for record in frame.itertuples(index=False)]
    return "\n".join(rows)
