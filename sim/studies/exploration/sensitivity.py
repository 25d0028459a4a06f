"""Global sensitivity of each outcome to each uncertainty, per lever (SALib): Sobol first-order and
total indices from a Sobol sample, first-order indices (RBD-FAST) from a Latin hypercube, and
Morris screening from Morris trajectories."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .sampling import MORRIS_LEVELS, problem
from .spec import Exploration

COLUMNS = ["lever", "outcome", "uncertainty", "S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["lever", "outcome", "uncertainty", "mu_star", "mu_star_conf", "sigma"]
RESAMPLES = 200
#: RBD-FAST reads the first 10 harmonics of the outcome's spectrum and bootstraps halves of the
#: sample: with fewer futures than this its indices are noise (and its bias correction divides by 0)
LEAST_RBD_FUTURES = 100


def outcome_matrix(exploration: Exploration, outcomes: pd.DataFrame, experiments: pd.DataFrame,
                   lever: str, name: str) -> np.ndarray | None:
    """One lever's values of one outcome in future order; a `first_year` outcome never met counts
    as the year after its span. None when a run failed (the estimators need every future)."""
    rows = experiments["lever"] == lever
    values = outcomes.loc[rows.to_numpy(), name].to_numpy(dtype=float)
    outcome = next(o for o in exploration.outcomes if o.name == name)
    if outcome.kind == "first_year":
        values = np.where(np.isnan(values), outcome.years[1] + 1, values)
    if np.isnan(values).any():
        return None
    return values


def indices(exploration: Exploration, unit: np.ndarray, experiments: pd.DataFrame, outcomes: pd.DataFrame,
            sampler: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sensitivity table, Morris table). Sobol: S1, ST with confidence intervals (95 %, bootstrap);
    lhs: S1 by RBD-FAST, ST left empty; morris: the Morris table, the sensitivity table empty."""
    spec = problem(exploration)
    rows, morris_rows = [], []
    if sampler == "lhs" and len(unit) < LEAST_RBD_FUTURES:
        return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(morris_rows, columns=MORRIS_COLUMNS)
    for lever in exploration.lever_names:
        for outcome in exploration.outcomes:
            y = outcome_matrix(exploration, outcomes, experiments, lever, outcome.name)
            if y is None:
                continue
            if np.ptp(y) == 0:  # a constant outcome depends on nothing
                rows += [[lever, outcome.name, key, 0.0, 0.0, 0.0, 0.0] for key in spec["names"]]
                continue
            with np.errstate(all="ignore"), warnings.catch_warnings():
                # a bootstrap resample of few futures can have no variance: its index is NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                found = _analyze(spec, sampler, unit, y, seed)
            if sampler == "sobol":
                rows += [[lever, outcome.name, key, *(float(found[c][i]) for c in COLUMNS[3:])]
                         for i, key in enumerate(spec["names"])]
            elif sampler == "lhs":
                rows += [[lever, outcome.name, key, float(found["S1"][i]), float(found["S1_conf"][i]),
                          np.nan, np.nan] for i, key in enumerate(spec["names"])]
            else:
                morris_rows += [[lever, outcome.name, key, *(float(found[c][i]) for c in MORRIS_COLUMNS[3:])]
                                for i, key in enumerate(spec["names"])]
    return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(morris_rows, columns=MORRIS_COLUMNS)


def _analyze(spec: dict, sampler: str, unit: np.ndarray, y: np.ndarray, seed: int) -> dict:
    if sampler == "sobol":
        from SALib.analyze import sobol
        return sobol.analyze(spec, y, calc_second_order=False, num_resamples=RESAMPLES, seed=seed)
    if sampler == "lhs":
        from SALib.analyze import rbd_fast
        return rbd_fast.analyze(spec, unit, y, num_resamples=RESAMPLES, seed=seed)
    from SALib.analyze import morris
    return morris.analyze(spec, unit, y, num_resamples=RESAMPLES, num_levels=MORRIS_LEVELS, seed=seed)
