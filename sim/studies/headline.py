"""The headline KPIs of a run, extracted one way for the sweep table, compare and goal-seek: the
target-year values, whether and when the target is met, and what binds."""

from __future__ import annotations

from typing import Any

from ..analysis.kpis import meets
from ..analysis.results import Result

#: headline KPIs (the sweep table's columns), all in the target year unless the name says otherwise
HEADLINE = ("target_year", "target_share", "target_metric", "recycled_content",
            "recycled_content_post_consumer", "recycled_content_target_scope", "target_met",
            "first_year_target_met", "binding_constraint", "shortage_t")


def years_met(result: Result) -> list[int]:
    """The years in which the target metric (mean over replications) reaches the target share."""
    target = result.params.target
    metric = result.kpis.groupby("year")[target.metric].mean()
    return [int(year) for year, value in metric.items() if meets(value, target.share)]


def headline(result: Result) -> dict[str, Any]:
    """The headline KPIs of one run: values in the target year (means over replications in
    stochastic mode), whether the target is met then, the first year it is met, what binds."""
    target = result.params.target
    met = years_met(result)
    in_year = result.kpis[result.kpis["year"] == target.year]
    row: dict[str, Any] = {"target_year": target.year, "target_share": target.share, "target_metric": target.metric}
    for name in ("recycled_content", "recycled_content_post_consumer", "recycled_content_target_scope"):
        row[name] = float(in_year[name].mean())
    row["target_met"] = target.year in met
    row["first_year_target_met"] = met[0] if met else None
    row["binding_constraint"] = str(in_year["binding_constraint"].mode().iloc[0])
    row["shortage_t"] = float(in_year["shortage_t"].mean())
    return row
