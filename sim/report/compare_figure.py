"""compare.png: the target metric of each scenario over time (left) and in the target year split by
origin (right): both panels show one metric, named in their titles."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..analysis.results import Result
from . import summary as report
from .figures import year_ticks

#: the post-consumer part of each target metric
POST_CONSUMER_PART = {"recycled_content_target_scope": "recycled_content_target_scope_post_consumer",
                      "recycled_content": "recycled_content_post_consumer",
                      "recycled_content_post_consumer": "recycled_content_post_consumer"}


def origin_split(result: Result, metric: str) -> tuple[float, float]:
    """The metric in the target year and its post-consumer part (means over replications)."""
    in_year = result.kpis[result.kpis["year"] == result.params.target.year]
    return float(in_year[metric].mean()), float(in_year[POST_CONSUMER_PART[metric]].mean())


def compare_png(results: Mapping[str, Result], path: Path) -> Path | None:
    """Draw compare.png; None without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    first = next(iter(results.values())).params
    target = first.target
    name = report.METRIC_NAMES[target.metric]
    fig = Figure(figsize=(12, 4.8))
    FigureCanvasAgg(fig)
    over_time, bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    styles = ("-", "--", "-.", ":")
    for index, (scenario, result) in enumerate(results.items()):
        series = result.kpis.groupby("year")[target.metric].mean()
        # line styles and widths that differ, so that scenarios which coincide stay visible
        over_time.plot(series.index, 100 * series.to_numpy(), styles[index % len(styles)], label=scenario,
                       linewidth=max(3.2 - 0.6 * index, 1.2))
    if target.share is not None:
        over_time.axhline(100 * target.share, color="#c0392b", linestyle=":", linewidth=1.2)
        over_time.plot([target.year], [100 * target.share], "o", color="#c0392b",
                       label=f"target {100 * target.share:.0f} % by {target.year}")
    year_ticks(over_time, first.start_year, first.end_year)
    over_time.set_ylabel("share of new magnets [%]")
    over_time.set_title(f"{name}, by year", fontsize=10)
    over_time.grid(alpha=0.3)
    over_time.legend(fontsize=7)
    names = list(results)
    split = [origin_split(result, target.metric) for result in results.values()]
    post = [100 * part for _, part in split]
    pre = [100 * (total - part) for total, part in split]
    positions = range(len(names))
    bars.barh(positions, post, color="#8e5bc4", label="post-consumer")
    if any(value > 1e-9 for value in pre):
        bars.barh(positions, pre, left=post, color="#5b8cc4", label="pre-consumer (swarf)")
    for position, (total, _) in zip(positions, split):
        bars.text(100 * total, position, f" {100 * total:.1f} %", va="center", fontsize=7)
    if target.share is not None:
        bars.axvline(100 * target.share, color="#c0392b", linestyle=":", linewidth=1.2)
    bars.set_yticks(list(positions), names, fontsize=7)
    bars.invert_yaxis()
    bars.set_xlim(0, max(100 * (target.share or 0.0), max(100 * t for t, _ in split)) * 1.2)
    bars.set_xlabel(f"share of new magnets in {target.year} [%]")
    bars.set_title(f"the same, in {target.year}, by origin", fontsize=10)
    bars.grid(alpha=0.3, axis="x")
    bars.legend(fontsize=7, loc="lower right")
    goal = "no target" if target.share is None else f"target {100 * target.share:.0f} % by {target.year}"
    fig.suptitle(f"{name} [%], {first.region.label}: {goal}", fontsize=11)
    fig.subplots_adjust(left=0.06, right=0.97, bottom=0.11, top=0.86, wspace=0.3)
    fig.savefig(path, dpi=100)
    return path
