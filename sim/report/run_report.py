"""report.html of a run: summary.md, interactive figures (recycled content with its bands, end-of-life
arising by segment, the Sankey, plant utilisation), the KPIs by year, and the provenance."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..analysis.results import Result
from . import figures
from .html_report import NAME, Section, markdown_html, table_html, write_page
from .names import segment_name
from .summary import KpiView

#: KPIs of the table by year: column, heading, kind
YEAR_TABLE = (
    ("demand_t", "demand [t]", "mass"), ("recycled_supply_t", "recycled supply [t]", "mass"),
    ("recycled_content_target_scope", "target scope [%]", "share"), ("recycled_content", "all magnets [%]", "share"),
    ("recycled_content_post_consumer", "post-consumer [%]", "share"),
    ("capacity_benchmark", "capacity benchmark [%]", "share"), ("eol_arising_t", "EoL arising [t]", "mass"),
    ("shortage_t", "shortage [t]", "mass"),
)


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _years_axis(params) -> dict:
    """Every fifth year ticked, the first and last years inside the plot (2050 not cut)."""
    return {"range": [params.start_year - 0.5, params.end_year + 0.5], "dtick": 5, "title": {"text": "year"}}


def content_figure(result: Result) -> dict:
    """Recycled content against the target; P5-P95 bands in stochastic mode; lines that coincide
    merged into one, with a note; years of shortage shaded (recycled content rises because
    deliveries fell)."""
    view = KpiView(result)
    p = view.params
    years = list(view.mean.index)
    banded = view.replications > 1
    lines, note = figures.content_lines(result)
    data = []
    for kpi, label, colour, style in lines:
        dash = "dash" if style == "--" else "solid"
        if banded:
            data.append({"x": years, "y": list(100 * view.p95[kpi]), "mode": "lines", "line": {"width": 0},
                         "showlegend": False, "hoverinfo": "skip", "legendgroup": kpi})
            data.append({"x": years, "y": list(100 * view.p5[kpi]), "mode": "lines", "line": {"width": 0},
                         "fill": "tonexty", "fillcolor": _rgba(colour, 0.25), "name": f"{label}: P5-P95",
                         "legendgroup": kpi, "hoverinfo": "skip"})
        data.append({"x": years, "y": list(100 * view.mean[kpi]), "mode": "lines", "name": label,
                     "line": {"color": colour, "dash": dash, "width": 2}, "legendgroup": kpi,
                     "hovertemplate": "%{x}: %{y:.2f} %"})
    target = p.target
    shapes = []
    if target.share is not None:
        name = f"target {100 * target.share:.0f} % by {target.year} ({target.metric})"
        data.append({"x": [target.year], "y": [100 * target.share], "mode": "markers",
                     "marker": {"color": "#c0392b", "size": 10}, "name": name})
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100 * target.share,
                       "y1": 100 * target.share, "line": {"color": "#c0392b", "dash": "dot", "width": 1}})
    shortage = figures.shortage_years(result)
    for year in shortage:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": year - 0.5, "x1": year + 0.5, "y0": 0,
                       "y1": 1, "fillcolor": "rgba(230,160,76,0.18)", "line": {"width": 0}, "layer": "below"})
    notes = [note] if note else []
    if shortage:
        notes.append(f"shaded: primary supply short in {figures.spans(shortage)}; content rises because "
                     "deliveries fell")
    title = f"Recycled content of new magnets, {p.region.label}" + (" (mean, P5-P95)" if banded else "")
    layout = {"title": {"text": title + (f"<br><sub>{'; '.join(notes)}</sub>" if notes else "")},
              "xaxis": _years_axis(p), "yaxis": {"title": {"text": "share of new magnets [%]"}, "rangemode": "tozero"},
              "shapes": shapes, "legend": {"orientation": "h", "y": -0.2}, "height": 520}
    return {"data": data, "layout": layout}


def eol_figure(result: Result) -> dict:
    """End-of-life arising by segment [t/yr], stacked, with display names."""
    p = result.params
    flows = result.flows
    rows = flows[(flows["from_node"] == "in_use") & (flows["to_node"] == "end_of_life")]
    replications = result.table_replications
    table = rows.pivot_table(index="year", columns="segment", values="mass_t", aggfunc="sum", observed=True)
    table = table.reindex(index=list(p.years), columns=list(p.segment_names)).fillna(0.0) / replications
    data = [{"x": list(table.index), "y": list(table[s]), "name": segment_name(s), "stackgroup": "eol",
             "mode": "lines", "hovertemplate": "%{x}: %{y:,.0f} t"} for s in table.columns]
    layout = {"title": {"text": "End-of-life NdFeB arising by segment"}, "xaxis": _years_axis(p),
              "yaxis": {"title": {"text": "NdFeB reaching end of life [t/yr]"}}, "height": 480}
    return {"data": data, "layout": layout}


def utilisation_figure(result: Result) -> dict | None:
    view = KpiView(result)
    p = view.params
    if not p.plants:
        return None
    data = [{"x": list(view.mean.index), "y": list(100 * view.mean[f"utilisation:{plant.name}"]),
             "name": f"{plant.name} ({'HPMS' if plant.route == 'hpms' else 'long loop'})", "mode": "lines",
             "hovertemplate": "%{x}: %{y:.1f} %"} for plant in p.plants]
    layout = {"title": {"text": "Recycling plant utilisation (feed / feed capacity)"}, "xaxis": _years_axis(p),
              "yaxis": {"title": {"text": "utilisation [%]"}, "range": [0, 105]}, "height": 420}
    return {"data": data, "layout": layout}


def year_table(result: Result) -> pd.DataFrame:
    view = KpiView(result)
    frame = pd.DataFrame({"year": view.mean.index})
    for kpi, heading, kind in YEAR_TABLE:
        values = view.mean[kpi].to_numpy()
        frame[heading] = [f"{100 * v:.2f}" if kind == "share" else f"{v:,.0f}" for v in values]
    frame["binding"] = view.binding.to_numpy()
    return frame


def write_run_report(result: Result, directory: Path, summary_text: str, provenance: Mapping[str, object],
                     shared_script: Path | None = None) -> Path | None:
    """report.html in the run directory; None without plotly. shared_script: see write_page."""
    year = result.params.output.sankey_year
    links = figures.sankey_links(result, year)
    interactive = [content_figure(result), eol_figure(result)]
    if links:
        interactive.append(figures.sankey_figure(links, figures.sankey_nodes(result.graph), year))
    utilisation = utilisation_figure(result)
    if utilisation is not None:
        interactive.append(utilisation)
    # the summary's own title heads the page
    first, _, rest = summary_text.partition("\n")
    title = first.lstrip("# ").strip() if first.startswith("# ") else "Recycled NdFeB in new magnets"
    sections = [Section("Summary", markdown_html(rest if first.startswith("# ") else summary_text)),
                Section("Figures", figures=interactive),
                Section("KPIs by year", table_html(year_table(result)) +
                        "<p>Every KPI of every year and replication is in kpis.csv and results.xlsx.</p>")]
    return write_page(Path(directory) / NAME, title, sections, provenance, shared_script)
