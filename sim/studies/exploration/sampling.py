"""Futures: points of the unit hypercube from SALib's samplers (seeded), mapped through each
uncertainty's distribution; the experiments table holds one row per run (future x lever)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .spec import Exploration

#: columns of the experiments table before the uncertainties
RUN_COLUMNS = ("run", "future", "lever", "seed")
MORRIS_LEVELS = 4


def problem(exploration: Exploration) -> dict:
    """The SALib problem: every uncertainty on [0, 1], mapped to its distribution afterwards (Sobol
    and Morris indices do not change under such a per-input transformation)."""
    keys = list(exploration.uncertainty_keys)
    return {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}


def unit_sample(exploration: Exploration, n: int, sampler: str, seed: int) -> np.ndarray:
    """Unit-cube points [future, uncertainty]. n: futures for lhs; base samples for sobol (n x (k + 2)
    futures, n a power of 2); trajectories for morris (n x (k + 1) futures)."""
    spec = problem(exploration)
    if sampler == "lhs":
        from SALib.sample import latin
        return latin.sample(spec, n, seed=seed)
    if sampler == "sobol":
        if n & (n - 1):
            raise ValueError(f"--n {n}: the Sobol sampler needs a power of 2 (e.g. {1 << n.bit_length()})")
        from SALib.sample import sobol
        return sobol.sample(spec, n, calc_second_order=False, seed=seed)
    if sampler == "morris":
        from SALib.sample import morris
        return morris.sample(spec, n, num_levels=MORRIS_LEVELS, seed=seed)
    raise ValueError(f"sampler {sampler!r}: expected lhs, sobol or morris")


def futures(exploration: Exploration, unit: np.ndarray) -> pd.DataFrame:
    """One row per future: the value of every uncertainty at each unit-cube point."""
    columns = {u.key: u.value(unit[:, i]) for i, u in enumerate(exploration.uncertainties)}
    frame = pd.DataFrame(columns)
    for u in exploration.uncertainties:
        if not u.is_discrete or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in u.parameters):
            frame[u.key] = frame[u.key].astype("float64")
        elif all(isinstance(v, str) for v in u.parameters):
            frame[u.key] = frame[u.key].astype("string")
    frame.insert(0, "future", np.arange(len(frame), dtype=np.int64))
    return frame


def experiments(exploration: Exploration, unit: np.ndarray, seed: int) -> pd.DataFrame:
    """The experiments table: every future under every lever, future-major, with the run seed."""
    per_future = futures(exploration, unit)
    levers = list(exploration.lever_names)
    frame = per_future.loc[per_future.index.repeat(len(levers))].reset_index(drop=True)
    frame.insert(1, "lever", pd.array(levers * len(per_future), dtype="string"))
    frame.insert(0, "run", np.arange(len(frame), dtype=np.int64))
    frame.insert(3, "seed", np.int64(seed))
    return frame
