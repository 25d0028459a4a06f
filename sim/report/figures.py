"""Figures of a run: PNGs drawn with matplotlib's Agg canvas, and the Sankey as a plotly figure for
report.html. Both libraries are optional (the `plots` extra)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis.results import Result
from ..model import graph as g
from .names import segment_name

INSTALL_HINT = "pip install 'ndfeb-sim[plots]' (or pip install -e '.[plots]' in a checkout)"
#: stages whose flows are drawn as end-of-life products (not yet scrap)
END_OF_LIFE_CHAIN = (g.IN_USE, g.END_OF_LIFE, g.COLLECTION, g.DISMANTLING)
FLOW_COLOURS = {"primary": "#e6a04c", "end_of_life": "#5b8cc4", "recycled": "#3a9a5b", "loss": "#b0b0b0"}
#: The Sankey cuts the graph's loops by drawing some flow ends as nodes of their own:
#: (from, to) -> (which end, Sankey node id, label, column). Every other node is the graph's, with
#: its label and its order as the column.
LOOP_ENDS = {
    (g.IN_USE, g.END_OF_LIFE): ("from", "eol", "products reaching end of life", 0),
    (g.MARKET, g.IN_USE): ("to", "new_products", "new products in use", 9),
    (g.MAGNET_MAKING, g.SCRAP_STORE): ("from", "making_swarf", "magnet-making swarf", 3),
}
N_COLUMNS = 1 + max(max(column for *_, column in LOOP_ENDS.values()), max(node.order for node in g.NODES))
#: fast PNG compression: report generation must stay within a second of a default run
PNG_OPTIONS = {"compress_level": 1}


@dataclass(frozen=True)
class Link:
    source: str  # node id
    target: str  # node id
    mass_t: float
    kind: str  # key of FLOW_COLOURS


@dataclass(frozen=True)
class SankeyNode:
    label: str
    column: int
    rank: int  # position within the column


def sankey_nodes(graph: g.FlowGraph) -> dict[str, SankeyNode]:
    """Sankey node id -> label, column and rank: the graph's nodes, and the loop ends after the
    node whose flow they draw."""
    nodes = {}
    for rank, node in enumerate(graph.nodes):
        nodes[node.name] = SankeyNode(node.label, node.order, 2 * rank)
    for (src, dst), (end, node_id, label, column) in LOOP_ENDS.items():
        nodes[node_id] = SankeyNode(label, column, 2 * graph.position(src if end == "from" else dst) + 1)
    return nodes


def _node_id(src: str, dst: str, side: str) -> str:
    """The Sankey node of one end (side 'from' or 'to') of the ledger flow src -> dst."""
    loop_end = LOOP_ENDS.get((src, dst))
    if loop_end is not None and loop_end[0] == side:
        return loop_end[1]
    return src if side == "from" else dst


def sankey_links(result: Result, year: int) -> list[Link]:
    """The flows of one year between Sankey nodes [t], means over replications. Deliveries from the
    market are split into primary and recycled magnets; other flows are summed over origins."""
    flows = result.flows[result.flows["year"] == year]
    replications = result.table_replications
    recycled = flows["origin"].isin(["post_consumer", "pre_consumer"]) & (flows["from_node"] == g.MARKET)
    primary = flows["origin"] == "primary"
    flows = flows.assign(kind=np.where(recycled, "recycled", np.where(primary, "primary", "")))
    grouped = flows.groupby(["from_node", "to_node", "kind"], observed=True)["mass_t"].sum() / replications
    graph = result.graph
    links = []
    for (src, dst, kind), mass in grouped.items():
        if mass > 0:
            links.append(Link(_node_id(src, dst, "from"), _node_id(src, dst, "to"), float(mass),
                              _kind(graph, src, dst, kind)))
    return links


def _kind(graph: g.FlowGraph, src: str, dst: str, origin: str) -> str:
    """Colour class of a flow (a key of FLOW_COLOURS); origin: 'recycled' for recycled magnets
    delivered by the market, 'primary' for primary material, '' otherwise."""
    if graph[dst].loss:
        return "loss"
    if origin:
        return origin
    return "end_of_life" if src in END_OF_LIFE_CHAIN else "recycled"


def _ordered(links: list[Link], nodes: dict[str, SankeyNode]) -> list[str]:
    """The node ids of the links by column, then rank within the column."""
    return sorted({n for link in links for n in (link.source, link.target)},
                  key=lambda n: (nodes[n].column, nodes[n].rank))


def _layout(links: list[Link], shown: dict[str, SankeyNode]) -> dict[str, tuple[float, float, float]]:
    """Node id -> (x, y_top, height) in axes units [0, 1], y measured downwards."""
    nodes = _ordered(links, shown)
    inflow = {n: sum(li.mass_t for li in links if li.target == n) for n in nodes}
    outflow = {n: sum(li.mass_t for li in links if li.source == n) for n in nodes}
    size = {n: max(inflow[n], outflow[n]) for n in nodes}
    pad = 0.03
    columns = [[n for n in nodes if shown[n].column == c] for c in range(N_COLUMNS)]
    scale = min((1 - pad * (len(col) - 1)) / sum(size[n] for n in col) for col in columns if col)
    placed = {}
    for c, col in enumerate(columns):
        heights = [max(size[n] * scale, 0.004) for n in col]  # keep small flows visible
        y = (1 - sum(heights) - pad * (len(col) - 1)) / 2
        for node, height in zip(col, heights):
            placed[node] = (0.02 + c * 0.96 / (N_COLUMNS - 1), y, height)
            y += height + pad
    return placed


def _band(x0: float, y0: float, x1: float, y1: float, thickness: tuple[float, float]):
    """The outline of a band from (x0, y0) to (x1, y1): tops in downward y, two Bezier edges."""
    from matplotlib.path import Path as MplPath

    t0, t1 = thickness
    xm = (x0 + x1) / 2
    top = [(x0, 1 - y0), (xm, 1 - y0), (xm, 1 - y1), (x1, 1 - y1)]
    bottom = [(x1, 1 - y1 - t1), (xm, 1 - y1 - t1), (xm, 1 - y0 - t0), (x0, 1 - y0 - t0)]
    vertices = top + bottom + [top[0]]
    codes = ([MplPath.MOVETO] + [MplPath.CURVE4] * 3 + [MplPath.LINETO] + [MplPath.CURVE4] * 3
             + [MplPath.CLOSEPOLY])
    return MplPath(vertices, codes)


def sankey_png(links: list[Link], nodes: dict[str, SankeyNode], year: int, path: Path) -> Path:
    """Draw the Sankey of one year with matplotlib patches."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch, Rectangle

    placed = _layout(links, nodes)
    width = 0.012
    heights = {n: h for n, (_, _, h) in placed.items()}
    totals = {n: max(sum(li.mass_t for li in links if li.target == n),
                     sum(li.mass_t for li in links if li.source == n)) for n in placed}
    fig = Figure(figsize=(14, 7.5))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    ax.set_axis_off()
    ax.set_xlim(0, 1.1)  # room for the labels of the last column
    ax.set_ylim(-0.02, 1.02)
    centre = {n: y + h / 2 for n, (_, y, h) in placed.items()}
    # links leave a node in the vertical order of their targets and enter in that of their
    # sources, which keeps bands from crossing at the nodes
    start, end = {}, {}
    for node in placed:
        offset = 0.0
        for i in sorted((i for i, li in enumerate(links) if li.source == node), key=lambda i: centre[links[i].target]):
            start[i] = placed[node][1] + offset
            offset += heights[node] * links[i].mass_t / totals[node]
        offset = 0.0
        for i in sorted((i for i, li in enumerate(links) if li.target == node), key=lambda i: centre[links[i].source]):
            end[i] = placed[node][1] + offset
            offset += heights[node] * links[i].mass_t / totals[node]
    for i, link in enumerate(links):
        thickness = (heights[link.source] * link.mass_t / totals[link.source],
                     heights[link.target] * link.mass_t / totals[link.target])
        band = _band(placed[link.source][0] + width, start[i], placed[link.target][0], end[i], thickness)
        ax.add_patch(PathPatch(band, facecolor=FLOW_COLOURS[link.kind], alpha=0.55, linewidth=0))
    for node, (x, y, height) in placed.items():
        ax.add_patch(Rectangle((x, 1 - y - height), width, height, facecolor="#333333"))
        ax.text(x + width + 0.004, 1 - y - height / 2, f"{nodes[node].label}\n{totals[node]:,.0f} t",
                fontsize=7, va="center", ha="left")
    fig.suptitle(f"NdFeB magnet flows in {year} [t]: end-of-life chain, recycling and supply", fontsize=11)
    handles = [Rectangle((0, 0), 1, 1, facecolor=c, alpha=0.55) for c in FLOW_COLOURS.values()]
    ax.legend(handles, ["primary magnets", "end-of-life products", "scrap and recycled", "losses"],
              loc="lower left", fontsize=8, frameon=False, ncol=4)
    fig.savefig(path, dpi=100, pil_kwargs=PNG_OPTIONS)
    return path


def installed(module: str) -> bool:
    """Whether an optional plotting library can be imported (found without importing it)."""
    return importlib.util.find_spec(module) is not None


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def sankey_figure(links: list[Link], shown: dict[str, SankeyNode], year: int) -> dict:
    """The Sankey of one year as a plotly figure (data and layout), for report.html."""
    nodes = _ordered(links, shown)
    index = {n: i for i, n in enumerate(nodes)}
    trace = {
        "type": "sankey", "arrangement": "snap", "valueformat": ",.0f", "valuesuffix": " t",
        "node": {"label": [shown[n].label for n in nodes], "pad": 14, "color": "#555555"},
        "link": {"source": [index[li.source] for li in links], "target": [index[li.target] for li in links],
                 "value": [round(li.mass_t, 3) for li in links],
                 "color": [_rgba(FLOW_COLOURS[li.kind], 0.6) for li in links]},
    }
    return {"data": [trace], "layout": {"title": {"text": f"NdFeB magnet flows in {year} [t]"}, "font": {"size": 12},
                                        "height": 620}}


#: shares closer than this (0.05 percentage points) are one line at the scale of a target
COINCIDE = 5e-4


def coincide(a, b) -> bool:
    """Whether two share series would hide each other when drawn (within COINCIDE everywhere)."""
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=0.0, atol=COINCIDE))


def shortage_years(result: Result) -> list[int]:
    """Years with a shortage of primary supply (mean over replications): there recycled content
    rises because deliveries fell, not because more was recycled."""
    shortage = result.kpis.groupby("year")["shortage_t"].mean()
    return [int(y) for y, v in shortage.items() if v > 1e-9]


def spans(years: list[int]) -> str:
    """[2027, 2028, 2029, 2033] -> '2027-2029, 2033'."""
    parts, start = [], years[0]
    for previous, year in zip(years, years[1:] + [None]):
        if year is None or year != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = year
    return ", ".join(parts)


def year_ticks(ax, start: int, end: int) -> None:
    """Every fifth year and the last one ticked, with half a year of room at both ends."""
    ax.set_xlim(start - 0.5, end + 0.5)
    ticks = [y for y in range(start, end + 1) if y % 5 == 0]
    if end not in ticks:
        ticks = [t for t in ticks if end - t >= 2] + [end]
    ax.set_xticks(ticks)


def content_lines(result: Result) -> tuple[list[tuple[str, str, str, str]], str | None]:
    """The recycled-content lines (KPI, label, colour, line style), and a note when the target
    scope and all magnets coincide (proportional allocation) and are drawn as one line."""
    kpis = result.kpis.groupby("year")[["recycled_content_target_scope", "recycled_content"]].mean()
    lines = [("recycled_content_target_scope", "target scope (EV motors, wind): all recycled", "#3a9a5b", "-"),
             ("recycled_content", "all new magnets: all recycled", "#5b8cc4", "-"),
             ("recycled_content_post_consumer", "all new magnets: post-consumer", "#8e5bc4", "-"),
             ("capacity_benchmark", "capacity benchmark (output capacity / consumption)", "#777777", "--")]
    if coincide(kpis["recycled_content_target_scope"], kpis["recycled_content"]):
        merged = ("recycled_content", "target scope = all new magnets: all recycled", "#3a9a5b", "-")
        return [merged, *lines[2:]], ("target scope and all magnets coincide within "
                                      f"{100 * COINCIDE:.2f} points (proportional allocation)")
    return lines, None


def recycled_content_png(result: Result, path: Path) -> Path:
    """Recycled content of new magnets against the target. Stochastic mode adds the P5-P95 bands
    and, below, their width, which is too small to see at the scale of the target; years of
    shortage are shaded."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    p = result.params
    quantiles = result.kpi_quantiles
    banded = result.kpis["replication"].nunique() > 1
    fig = Figure(figsize=(8, 6.2 if banded else 4.8))
    FigureCanvasAgg(fig)
    if banded:
        ax, spread = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        ax, spread = fig.add_subplot(), None
    lines, note = content_lines(result)
    for kpi, label, colour, style in lines:
        rows = quantiles[quantiles["kpi"] == kpi].sort_values("year")
        ax.plot(rows["year"], 100 * rows["mean"], style, color=colour, label=label, linewidth=1.8)
        if banded:
            ax.fill_between(rows["year"], 100 * rows["p5"], 100 * rows["p95"], color=colour, alpha=0.3,
                            linewidth=0.6, edgecolor=colour)
            spread.plot(rows["year"], 100 * (rows["p95"] - rows["p5"]), style, color=colour, linewidth=1.4)
    if p.target.share is not None:
        ax.axhline(100 * p.target.share, color="#c0392b", linestyle=":", linewidth=1.2)
        ax.plot([p.target.year], [100 * p.target.share], "o", color="#c0392b",
                label=f"target {100 * p.target.share:.0f} % by {p.target.year} ({p.target.metric})")
    short = shortage_years(result)
    for year in short:
        for axes in (ax, spread) if banded else (ax,):
            axes.axvspan(year - 0.5, year + 0.5, color="#e6a04c", alpha=0.18, linewidth=0)
    if short:
        ax.plot([], [], "s", color="#e6a04c", alpha=0.4, label=f"primary supply short ({spans(short)}): "
                                                               "content rises as deliveries fall")
    year_ticks(ax, p.start_year, p.end_year)
    ax.set_ylim(0, max(100 * (p.target.share or 0.0) * 1.6, ax.get_ylim()[1] * 1.3))  # room for the legend
    ax.set_ylabel("share of new magnets [%]")
    ax.set_title(f"Recycled content of new magnets, {p.region.label}" + (" (mean, P5-P95 shaded)" if banded else "")
                 + (f"\n{note}" if note else ""), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper right")
    if banded:
        spread.set_ylabel("P95 - P5\n[points]", fontsize=8)
        spread.set_ylim(bottom=0)
        spread.grid(alpha=0.3)
        spread.set_title(f"width of the P5-P95 band ({result.kpis['replication'].nunique()} replications)",
                         fontsize=8)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.07, top=0.91 if note else 0.93, hspace=0.3)
    fig.savefig(path, dpi=100, pil_kwargs=PNG_OPTIONS)
    return path


def eol_by_segment_png(result: Result, path: Path) -> Path:
    """End-of-life arising by segment [kt/yr], stacked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    p = result.params
    flows = result.flows
    rows = flows[(flows["from_node"] == g.IN_USE) & (flows["to_node"] == g.END_OF_LIFE)]
    replications = result.table_replications
    table = rows.pivot_table(index="year", columns="segment", values="mass_t", aggfunc="sum", observed=True)
    table = table.reindex(index=list(p.years), columns=list(p.segment_names)).fillna(0.0) / replications / 1e3
    fig = Figure(figsize=(8, 4.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = [_tab20(i) for i in range(len(table.columns))]
    ax.stackplot(table.index, table.to_numpy().T, labels=[segment_name(s) for s in table.columns], colors=colours,
                 alpha=0.9)
    year_ticks(ax, p.start_year, p.end_year)
    ax.set_ylabel("NdFeB reaching end of life [kt/yr]")
    ax.set_title("End-of-life NdFeB arising by segment", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.08, top=0.93)
    fig.savefig(path, dpi=100, pil_kwargs=PNG_OPTIONS)
    return path


def _tab20(i: int):
    from matplotlib import colormaps

    return colormaps["tab20"](np.linspace(0, 1, 20)[i % 20])


def write_figures(result: Result, directory: Path) -> tuple[list[Path], list[str]]:
    """Write the figures a library allows; return (paths written, names of missing libraries)."""
    directory = Path(directory)
    year = result.params.output.sankey_year
    links = sankey_links(result, year)
    nodes = sankey_nodes(result.graph)
    written, missing = [], []
    if not installed("matplotlib"):
        return written, ["matplotlib"]
    written += [recycled_content_png(result, directory / "recycled_content.png"),
                eol_by_segment_png(result, directory / "eol_arising_by_segment.png")]
    if links:
        written.append(sankey_png(links, nodes, year, directory / f"sankey_{year}.png"))
    return written, missing
