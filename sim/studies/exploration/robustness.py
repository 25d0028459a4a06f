"""Robustness of each lever over the futures: share meeting the target, P10/P50/P90 of each
outcome, and the maximum regret (shortfall from the best lever in the same future)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .spec import Exploration

COLUMNS = ["lever", "outcome", "share_meeting_target", "p10", "p50", "p90", "max_regret"]


def table(exploration: Exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per lever and outcome. Regret in a future is how much worse the lever does than the
    best lever there (in the outcome's direction); a `first_year` never met counts as the year after
    its span. Failed runs are left out."""
    frame = experiments[["future", "lever"]].join(outcomes.drop(columns=["run"]))
    frame = frame[frame["status"] == "ok"]
    rows = []
    for outcome in exploration.outcomes:
        values = frame.pivot(index="future", columns="lever", values=outcome.name).astype(float)
        if outcome.kind == "first_year":
            values = values.fillna(outcome.years[1] + 1)
        sign = 1.0 if outcome.direction == "maximize" else -1.0
        complete = values.dropna()
        regret = sign * (complete.max(axis=1) if sign > 0 else complete.min(axis=1)).to_numpy()[:, None] \
            - sign * complete.to_numpy()
        regret[regret < 1e-12] = 0.0  # the best lever itself, up to rounding
        for lever in exploration.lever_names:
            if lever not in values.columns:
                continue
            column = values[lever].dropna().to_numpy()
            met = frame.loc[frame["lever"] == lever, "target_met"].astype(bool)
            p10, p50, p90 = np.percentile(column, [10, 50, 90]) if len(column) else (np.nan,) * 3
            worst = float(regret[:, list(values.columns).index(lever)].max()) if len(complete) else np.nan
            rows.append([lever, outcome.name, float(met.mean()) if len(met) else np.nan,
                         float(p10), float(p50), float(p90), worst])
    return pd.DataFrame(rows, columns=COLUMNS)
