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
        return rbd_fast(unit, y, RESAMPLES, seed)
    from SALib.analyze import morris
    return morris.analyze(spec, unit, y, num_resamples=RESAMPLES, num_levels=MORRIS_LEVELS, seed=seed)


def rbd_fast(unit: np.ndarray, y: np.ndarray, resamples: int, seed: int, harmonics: int = 10,
             conf_level: float = 0.95) -> dict[str, list[float]]:
    """RBD-FAST first-order indices of `y` to each column of `unit` [future, uncertainty] with
    bootstrap confidence intervals: SALib's rbd_fast.analyze (Plischke's reordering, Tissot and
    Prieur's bias correction, `resamples` halves drawn with replacement from the same random
    stream), with the periodograms of all resamples of an input taken as one batch of FFTs.
    SALib takes each through scipy's periodogram, whose set-up costs more than its FFT: 5.8 s of
    the 9.5 s analysis of 10,000 futures. tests/studies/test_exploration.py compares the two."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    n = y.size
    half = int(n * 0.5)
    found = {"S1": [], "S1_conf": []}
    for column in unit.T:
        found["S1"].append(float(_first_order(column[None, :], y[None, :], harmonics)[0]))
        drawn = np.array([rng.choice(n, replace=True, size=half) for _ in range(resamples)])
        spread = _first_order(column[drawn], y[drawn], harmonics).std(ddof=1)
        found["S1_conf"].append(float(norm.ppf(0.5 + conf_level / 2.0) * spread))
    return found


def _first_order(x: np.ndarray, y: np.ndarray, harmonics: int) -> np.ndarray:
    """Bias-corrected first-order index of each row of y [sample, point] to the same row of x: the
    share of the variance of y, reordered by x up one side and down the other, in the first
    `harmonics` frequencies of its periodogram (one-sided: every bin doubled but the 0 and, for
    an even length, the last)."""
    order = np.argsort(x, axis=1)
    order = np.concatenate([order[:, ::2], order[:, 1::2][:, ::-1]], axis=1)
    reordered = np.take_along_axis(y, order, axis=1)
    reordered = reordered - reordered.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(reordered, axis=1)) ** 2
    n = y.shape[1]
    power[:, 1:-1 if n % 2 == 0 else None] *= 2.0
    s1 = power[:, 1:harmonics + 1].sum(axis=1) / power[:, 1:].sum(axis=1)
    lam = 2 * harmonics / n
    return s1 - lam / (1 - lam) * (1 - s1)
