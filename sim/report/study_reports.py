"""Workbooks and report pages of multi-run studies: a comparison (compare.xlsx and report.html beside
compare.csv) and a sweep (sweep.xlsx and report.html beside sweep.csv); an exploration's are in
exploration_report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..analysis.results import Result
from . import summary as report
from .compare_figure import origin_split
from .html_report import NAME as PAGE
from .html_report import Section, markdown_html, table_html, write_page
from .sweep_figures import SHARE_COLUMNS, axis_values, varying
from .workbook import Column, Sheet, write_workbook

#: columns of the sweep table other than the swept ones (README: the sweep table's columns)
SWEEP_COLUMNS = {
    "job": Column("", "job number (its directory name)"),
    "region": Column("", "a sweep of coupled runs: the region of the row (eu, us, japan), or bloc for their sum"),
    "status": Column("", "ok or failed"),
    "error": Column("", "for a failed job, the one-line reason"),
    "target_year": Column("", "the job's target year (target.year)"),
    "target_share": Column("%", "the job's target share (target.share)"),
    "target_metric": Column("", "the KPI the target is measured by (target.metric)"),
    "recycled_content": Column("%", "recycled content of all new magnets in the target year"),
    "recycled_content_post_consumer": Column("%", "post-consumer recycled content of all new magnets in the "
                                                  "target year"),
    "recycled_content_target_scope": Column("%", "recycled content of new magnets in the target scope (EV motors, "
                                                 "wind generators) in the target year"),
    "target_met": Column("", "whether target_metric reaches target_share in the target year"),
    "first_year_target_met": Column("", "first year target_metric reaches target_share (empty if never)"),
    "binding_constraint": Column("", "what limits recycled supply in the target year"),
    "shortage_t": Column("t/yr", "demand not delivered in the target year"),
}
#: headline kinds of a comparison and their workbook units
KIND_UNITS = {"share": "%", "mass": "t", "year": "", "text": ""}


def sweep_sheet(frame: pd.DataFrame) -> Sheet:
    swept = [c for c in frame.columns[1:list(frame.columns).index("status")] if c not in SWEEP_COLUMNS]
    columns = {**{c: Column("", f"swept value of {c}") for c in swept}, **SWEEP_COLUMNS}
    extra = {c: Column("", c) for c in frame.columns if c not in columns}  # a launcher's own columns
    return Sheet("sweep", frame, {**columns, **extra}, note="one row per job (and region); shares in percent")


def write_sweep_workbook(frame: pd.DataFrame, sweep_dir: Path, provenance: Mapping[str, object]) -> Path:
    """sweep.xlsx at the sweep directory root: read-me and the sweep table (shares in percent)."""
    return write_workbook(Path(sweep_dir) / "sweep.xlsx", [sweep_sheet(frame)], provenance,
                          f"Sweep of {len(frame)} jobs")


def heatmap_figure(frame: pd.DataFrame) -> dict | None:
    """The target metric [%] over the first two swept columns (the first value of any other), with
    the target at the centre of a diverging colour scale and a contour line at it; None when fewer
    than two columns vary."""
    ok = frame[frame["status"] == "ok"]
    swept = varying(frame)
    if ok.empty or len(swept) < 2:
        return None
    x, y = swept[:2]
    kpi = str(ok["target_metric"].iloc[0])
    share = float(ok["target_share"].iloc[0])
    for other in swept[2:]:
        ok = ok[ok[other].astype(str) == str(ok[other].iloc[0])]
    grid = ok.pivot_table(index=y, columns=x, values=kpi, aggfunc="first", sort=False)
    grid = grid.reindex(index=_ordered(ok[y]), columns=_ordered(ok[x]))
    values = 100 * grid.to_numpy(dtype=float)
    target = 100 * share
    low, high = min(float(pd.Series(values.ravel()).min()), target), max(float(pd.Series(values.ravel()).max()),
                                                                          target)
    centre = (target - low) / (high - low) if high > low else 0.5
    labels = {"x": [str(v) for v in grid.columns], "y": [str(v) for v in grid.index]}
    data = [{"type": "heatmap", "z": values.tolist(), **labels, "zmin": low, "zmax": high,
             "colorscale": [[0, "#b2182b"], [centre, "#f7f7f7"], [1, "#2166ac"]],
             "colorbar": {"title": {"text": f"{kpi} [%]"}},
             "hovertemplate": f"{x}=%{{x}}<br>{y}=%{{y}}<br>{kpi}=%{{z:.2f}} %<extra></extra>"},
            {"type": "contour", "z": values.tolist(), **labels, "showscale": False, "hoverinfo": "skip",
             "contours": {"start": target, "end": target, "size": 1, "coloring": "none", "showlabels": True},
             "line": {"color": "black", "width": 2}, "name": f"target {target:g} %"}]
    years = sorted({int(v) for v in ok["target_year"]})
    when = f"in {years[0]}" if len(years) == 1 else "in the target year (target.year swept)"
    fixed = ", ".join(f"{c}={ok[c].iloc[0]}" for c in swept[2:])
    title = f"{kpi} {when}; contour at the target {target:g} %" + (f"<br><sub>{fixed}</sub>" if fixed else "")
    layout = {"title": {"text": title}, "xaxis": {"title": {"text": x}, "type": "category"},
              "yaxis": {"title": {"text": y}, "type": "category"}, "height": 560}
    return {"data": data, "layout": layout}


def _ordered(values: pd.Series) -> list:
    distinct = list(dict.fromkeys(values.dropna()))
    numbers = axis_values(pd.Series(distinct))
    return distinct if numbers is None else [distinct[i] for i in numbers.argsort(kind="stable")]


def _percent_table(frame: pd.DataFrame, columns) -> pd.DataFrame:
    shown = frame.copy()
    for column in columns:
        if column in shown.columns:
            shown[column] = 100 * shown[column]
            shown = shown.rename(columns={column: f"{column} [%]"})
    return shown


def write_sweep_page(frame: pd.DataFrame, sweep_dir: Path, provenance: Mapping[str, object]) -> Path | None:
    """report.html at the sweep directory root: counts, the heatmap, failures and the sweep table."""
    ok = int((frame["status"] == "ok").sum())
    text = f"<p>{len(frame)} jobs: {ok} ok, {len(frame) - ok} failed.</p>"
    failed = frame[frame["status"] != "ok"]
    if len(failed):
        text += "<h3>Failed jobs</h3>" + table_html(failed[["job", "error"]].head(50))
    figure = heatmap_figure(frame)
    sections = [Section("Sweep", text, [figure] if figure else []),
                Section("Sweep table", table_html(_percent_table(frame, SHARE_COLUMNS)))]
    return write_page(Path(sweep_dir) / PAGE, f"Sweep of {len(frame)} jobs", sections, provenance)


def write_compare_workbook(table: pd.DataFrame, kinds: Mapping[str, str], labels: Mapping[str, str],
                           directory: Path, provenance: Mapping[str, object]) -> Path:
    """compare.xlsx: read-me and the comparison, a row per scenario (shares in percent)."""
    columns = {"scenario": Column("", "scenario name"), "overrides": Column("", "its Hydra overrides"),
               **{key: Column(KIND_UNITS[kinds[key]], labels[key]) for key in kinds}}
    return write_workbook(Path(directory) / "compare.xlsx", [Sheet("compare", table, columns,
                          note="one row per scenario, the same seed for all (common random numbers)")],
                          provenance, f"Comparison of {len(table)} scenarios")


def comparison_figures(results: Mapping[str, Result]) -> list[dict]:
    """The target metric over time per scenario, and in the target year split by origin."""
    first = next(iter(results.values())).params
    target = first.target
    name = report.METRIC_NAMES[target.metric]
    lines = [{"x": list(r.kpis.groupby("year")[target.metric].mean().index),
              "y": list(100 * r.kpis.groupby("year")[target.metric].mean()), "mode": "lines", "name": scenario,
              "hovertemplate": "%{x}: %{y:.2f} %"} for scenario, r in results.items()]
    lines.append({"x": [target.year], "y": [100 * target.share], "mode": "markers", "name": "target",
                  "marker": {"color": "#c0392b", "size": 10}})
    over_time = {"data": lines, "layout": {"title": {"text": f"{name} [%]"}, "height": 480,
                                           "xaxis": {"range": [first.start_year - 0.5, first.end_year + 0.5],
                                                     "dtick": 5},
                                           "yaxis": {"title": {"text": "%"}, "rangemode": "tozero"}}}
    post, pre = [], []
    for r in results.values():
        total, post_share = origin_split(r, target.metric)
        post.append(100 * post_share)
        pre.append(100 * (total - post_share))
    names = list(results)
    bars = {"data": [{"type": "bar", "orientation": "h", "y": names, "x": post, "name": "post-consumer"},
                     {"type": "bar", "orientation": "h", "y": names, "x": pre, "name": "pre-consumer (swarf)"}],
            "layout": {"barmode": "stack", "title": {"text": f"{name} in {target.year} [%], by origin"},
                       "height": 120 + 40 * len(names), "yaxis": {"autorange": "reversed"},
                       "shapes": [{"type": "line", "x0": 100 * target.share, "x1": 100 * target.share, "yref": "paper",
                                   "y0": 0, "y1": 1, "line": {"color": "#c0392b", "dash": "dot"}}]}}
    return [over_time, bars]


def write_compare_page(markdown_text: str, results: Mapping[str, Result], directory: Path,
                       provenance: Mapping[str, object]) -> Path | None:
    """report.html of a comparison: compare.md, the figures and the provenance."""
    first, _, rest = markdown_text.partition("\n")
    title = first.lstrip("# ").strip() if first.startswith("# ") else "Scenario comparison"
    sections = [Section("Comparison", markdown_html(rest if first.startswith("# ") else markdown_text)),
                Section("Figures", figures=comparison_figures(results))]
    return write_page(Path(directory) / PAGE, title, sections, provenance)
