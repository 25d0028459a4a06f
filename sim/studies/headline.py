"""The headline KPIs of a run, extracted one way for the sweep table, compare and goal-seek: the
target-year values, whether and when the target is met, and what binds. A coupled run has them
per region and for the bloc."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.kpis import meets
from ..analysis.results import Result
from ..analysis.world import WorldResult
from ..config.parameters import Target

#: headline KPIs (the sweep table's columns), all in the target year unless the name says otherwise
HEADLINE = ("target_year", "target_share", "target_metric", "recycled_content",
            "recycled_content_post_consumer", "recycled_content_target_scope", "target_met",
            "first_year_target_met", "binding_constraint", "shortage_t")
#: the KPI table's rows of the bloc in a coupled run (region column)
BLOC = "bloc"


def years_met(result: Result) -> list[int]:
    """The years in which the target metric (mean over replications) reaches the target share."""
    return _years_met(result.kpis, result.params.target)


def _years_met(kpis: pd.DataFrame, target: Target) -> list[int]:
    if target.metric not in kpis:
        return []
    metric = kpis.groupby("year")[target.metric].mean()
    return [int(year) for year, value in metric.items() if meets(value, target.share)]


def headline(result: Result) -> dict[str, Any]:
    """The headline KPIs of one run: values in the target year (means over replications in
    stochastic mode), whether the target is met then, the first year it is met, what binds."""
    return headline_of(result.kpis, result.params.target)


def headline_of(kpis: pd.DataFrame, target: Target) -> dict[str, Any]:
    """headline() of a KPI table and a target; a KPI the table lacks (the bloc has no target-scope
    content and no binding constraint) is NaN, or None for the binding constraint."""
    met = _years_met(kpis, target)
    in_year = kpis[kpis["year"] == target.year]
    row: dict[str, Any] = {"target_year": target.year, "target_share": target.share, "target_metric": target.metric}
    for name in ("recycled_content", "recycled_content_post_consumer", "recycled_content_target_scope"):
        row[name] = float(in_year[name].mean()) if name in in_year else math.nan
    row["target_met"] = target.year in met
    row["first_year_target_met"] = met[0] if met else None
    row["binding_constraint"] = binding(in_year)
    row["shortage_t"] = float(in_year["shortage_t"].mean())
    return row


def binding(in_year: pd.DataFrame) -> str | None:
    """The most frequent binding constraint of the rows (replications of one year); None for rows
    that have none (the bloc's)."""
    return most_frequent(in_year["binding_constraint"].to_numpy()) if "binding_constraint" in in_year else None


def most_frequent(constraints: np.ndarray) -> str | None:
    """The most frequent of binding constraints (None where a row has none; of equally frequent
    ones the first by name), or None if no row has one."""
    values = np.array([c for c in constraints if isinstance(c, str)], dtype=str)
    if not len(values):
        return None
    kinds, counts = np.unique(values, return_counts=True)
    return str(kinds[np.argmax(counts)])


def headlines(result: WorldResult) -> dict[str, dict[str, Any]]:
    """The headline KPIs of a coupled run, per region and for the bloc (with the target of the
    run's first region, which `target.*` overrides set for every region)."""
    rows = {code: headline(region) for code, region in result.regions.items()}
    first = next(iter(result.regions.values())).params.target
    rows[BLOC] = headline_of(region_kpis(result, BLOC), first)
    return rows


def region_kpis(result: WorldResult, region: str) -> pd.DataFrame:
    """The KPI table of one region of a coupled run, or of the bloc, without the region column."""
    return result.kpis[result.kpis["region"] == region].drop(columns="region").reset_index(drop=True)
