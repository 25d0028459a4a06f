"""summary.md: the headline answers of a run as Markdown tables a policy analyst can paste.

Numbers come from the KPI and flow tables (means over replications, P5-P95 in stochastic mode).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.kpis import CAPACITY_BOUND, loss_kpi, meets
from ..analysis.results import Result
from ..model import graph as g
from ..model.simulation import REPORTED_ELEMENTS
from . import figures

#: what each binding constraint means for a reader of the summary
BINDING_MEANING = {
    "collection": "uncollected end-of-life products were the largest loss plants could have used",
    "liberation": "magnets shredded instead of removed were the largest loss plants could have used",
    "export": "exported scrap was the largest loss plants could have used",
    "feed": "plants had spare capacity that even full collection, liberation and no exports could not fill",
    "capacity": f"plants ran at {100 * CAPACITY_BOUND:.0f} % of capacity or more (or there were none)",
}
#: what each allocation rule (Policy.allocation_in) means
ALLOCATION_MEANING = {
    "preferential": "recycled magnets go to the target scope first",
    "proportional": "recycled magnets go pro rata to all uses",
}
METRIC_NAMES = {
    "recycled_content_target_scope": "recycled content in EV motors and wind generators",
    "recycled_content": "recycled content in all new magnets",
    "recycled_content_post_consumer": "post-consumer recycled content in all new magnets",
    "recycled_content_region_made": "recycled content of region-made magnets",
}


#: the measures of recycled content: (kpi, name, definition)
WHAT_COUNTS = (
    ("recycled_content_post_consumer", "post-consumer, all new magnets",
     "recycled material from end-of-life products / all new magnets (mass)"),
    *[(f"recycled_content_post_consumer_{element}", f"post-consumer {element}",
       f"post-consumer recycled {element} / {element} in all new magnets") for element in REPORTED_ELEMENTS],
    ("recycled_content_pre_consumer", "pre-consumer (traded swarf), all new magnets",
     "swarf traded to recyclers and back in new magnets / all new magnets"),
    ("recycled_content", "all recycled, all new magnets", "post- plus pre-consumer / all new magnets"),
    ("recycled_content_target_scope", "all recycled, EV motors and wind generators",
     "post- plus pre-consumer / new magnets of the target scope"),
    ("recycled_content_region_made", "recycled content of region-made magnets",
     "recycled material / magnets made in the region (the only ones it can enter)"),
    ("capacity_benchmark", "capacity benchmark",
     "rare earths the plants could recover at full capacity / rare earths in annual consumption"),
)
#: the rows of the value-chain table: (kpi, name)
VALUE_CHAIN_ROWS = (
    ("demand_t", "magnet demand"),
    ("imported_products_t", "magnets inside imported products"),
    ("imported_magnets_t", "imported magnets"),
    ("region_made_t", "region-made magnets (sintered and bonded)"),
    ("bonded_made_t", "of which bonded magnets from HPMS powder"),
    ("separated_t", "rare earths separated by long-loop plants"),
    ("alloy_t", "recycled rare-earth alloy made"),
    ("recycled_output_t", "recycled material in region-made magnets"),
    ("swarf_traded_t", "swarf traded to the scrap store (pre-consumer)"),
    ("swarf_in_house_t", "swarf reclaimed in-house (not recycled content)"),
)


def pct(share: float) -> str:
    """A share as a percentage with two decimals, e.g. '5.43 %'."""
    return f"{100 * share:.2f} %"


def tonnes(mass_t: float) -> str:
    """A mass [t] rounded to the tonne with thousands separators, e.g. '1,629 t'."""
    return f"{mass_t:,.0f} t"


class KpiView:
    """Central value (mean over replications) and P5-P95 band of each KPI by year."""

    def __init__(self, result: Result):
        self.params = result.params
        kpis = result.kpis
        self.replications = int(kpis["replication"].nunique())
        quantiles = result.kpi_quantiles
        self.mean = quantiles.pivot(index="year", columns="kpi", values="mean")
        self.p5 = quantiles.pivot(index="year", columns="kpi", values="p5")
        self.p95 = quantiles.pivot(index="year", columns="kpi", values="p95")
        # binding constraint: the most frequent value over replications
        self.binding = kpis.groupby("year")["binding_constraint"].agg(lambda s: s.value_counts().index[0])
        self.met_share = kpis.groupby("year")["target_met"].mean()  # share of replications meeting it

    def __call__(self, kpi: str, year: int) -> float:
        return float(self.mean.at[year, kpi])

    def _spread(self, kpi: str, year: int) -> bool:
        """Whether replications differ (a band is worth printing)."""
        return self.replications > 1 and self.p95.at[year, kpi] - self.p5.at[year, kpi] > 1e-9 * (
            1 + abs(self.mean.at[year, kpi]))

    def share(self, kpi: str, year: int) -> str:
        """A share KPI formatted, with its P5-P95 band when there are several replications."""
        text = pct(self(kpi, year))
        if self._spread(kpi, year):
            text += f" ({100 * self.p5.at[year, kpi]:.2f}-{100 * self.p95.at[year, kpi]:.2f})"
        return text

    def mass(self, kpi: str, year: int) -> str:
        text = tonnes(self(kpi, year))
        if self._spread(kpi, year):
            text += f" ({self.p5.at[year, kpi]:,.0f}-{self.p95.at[year, kpi]:,.0f})"
        return text

    def met(self, year: int) -> bool:
        """Whether the target metric (mean over replications) reaches the target share in `year`;
        the same rule as the sweep table and the per-year `target_met` KPI."""
        target = self.params.target
        return bool(meets(self(target.metric, year), target.share))

    def first_year_met(self) -> int | None:
        met = [y for y in self.params.years if self.met(y)]
        return met[0] if met else None

    def report_years(self) -> list[int]:
        """Start year, target year and five years later, as far as the run reaches."""
        p = self.params
        wanted = [p.start_year, p.target.year, p.target.year + 5]
        return sorted({y for y in wanted if p.start_year <= y <= p.end_year})


def flow_t(result: Result, year: int, sources, targets, segments=None) -> float:
    """Annual flow from any of `sources` to any of `targets` (optionally only some segments) [t],
    mean over replications."""
    flows = result.flows
    rows = flows[(flows["year"] == year) & flows["from_node"].isin(sources) & flows["to_node"].isin(targets)]
    if segments is not None:
        rows = rows[rows["segment"].isin(segments)]
    return float(rows["mass_t"].sum()) / result.table_replications


def target_scope_delivered_t(result: Result, year: int) -> float:
    """New magnets delivered to target-scope segments in `year` [t]."""
    scope = [s.name for s in result.params.segments if s.in_target_scope]
    return flow_t(result, year, [g.MARKET], [g.IN_USE], scope)


def best_plant_yield(result: Result) -> float:
    """Recycled material in region-made magnets per feed of the best route among the plants."""
    p = result.params
    return max((plant.recycled_yield(p.industry) for plant in p.plants), default=0.0)


def periods(by_year) -> list[tuple[str, str]]:
    """Runs of years with the same value, from (year, value) pairs: [('2026-2049', 'liberation'), ...]."""
    runs = []
    pairs = list(by_year)
    start = pairs[0][0]
    for (previous, value), following in zip(pairs, pairs[1:] + [(None, None)]):
        if following[0] is None or following[1] != value:
            span = str(start) if start == previous else f"{start}-{previous}"
            runs.append((span, str(value)))
            start = following[0]
    return runs


def binding_periods(view: KpiView) -> list[tuple[str, str]]:
    """Runs of years with the same binding constraint: [('2026-2049', 'liberation'), ...]."""
    return periods(view.binding.items())


def _table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> list[str]:
    """Markdown table lines; the first `text_columns` left-aligned, the numbers right-aligned."""
    rules = ["---" if i < text_columns else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rules) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _answers(view: KpiView) -> list[str]:
    p = view.params
    year, later = p.target.year, p.target.year + 5
    target = p.target
    met = view.first_year_met()
    lines = ["## Answers", ""]
    elements = ", ".join(f"{element} {view.share(f'recycled_content_post_consumer_{element}', year)}"
                         for element in REPORTED_ELEMENTS)
    content = (f"- In {year}, post-consumer recycled material makes up "
               f"**{view.share('recycled_content_post_consumer', year)}** of all new magnets in {p.region.name} "
               f"(by element: "
               f"{elements}); with pre-consumer swarf, recycled material is {view.share('recycled_content', year)} "
               f"of all new magnets and {view.share('recycled_content_target_scope', year)} of those for EV motors "
               f"and wind generators (the target scope)")
    if later <= p.end_year:
        content += (f". In {later}: {view.share('recycled_content_post_consumer', later)} post-consumer, "
                    f"{view.share('recycled_content', later)} in all")
    lines.append(content + ".")
    lines.append(f"- Recycled material can enter only magnets made in {p.region.name}: "
                 f"{view.mass('region_made_t', year)} "
                 f"of {view.mass('demand_t', year)} in {year} ({view.share('recycled_content_region_made', year)} "
                 f"of them recycled); the rest are imported magnets ({view.mass('imported_magnets_t', year)}) "
                 f"and magnets inside imported products ({view.mass('imported_products_t', year)}).")
    if target.share is None:
        lines.append(f"- No recycled-content target in this scenario; {METRIC_NAMES[target.metric]} "
                     f"is {view.share(target.metric, year)} in {year}.")
    else:
        verdict = "met" if view.met(year) else "not met"
        lines.append(f"- Target, {pct(target.share)} by {target.year} ({target.label}): {METRIC_NAMES[target.metric]} "
                     f"is {view.share(target.metric, year)} in {year}, **{verdict}**; "
                     f"first met: **{met if met is not None else f'not by {p.end_year}'}**.")
    lines.append(_benchmark_line(view, year))
    binding = view.binding[year]
    lines.append(f"- What limits recycled supply in {year}: **{binding}** ({BINDING_MEANING[binding]}).")
    if view.replications > 1:
        lines.append(f"- Values are means over {view.replications} replications, P5-P95 in brackets; the "
                     f"target is met in {year} in {100 * view.met_share[year]:.0f} % of the replications.")
    return lines + [""]


def _benchmark_line(view: KpiView, year: int) -> str:
    """The capacity benchmark against the region's own, or as a measure when the region sets none."""
    region = view.params.region
    measure = ("recycling output capacity / annual magnet consumption: "
               f"{view.share('capacity_benchmark', year)} in {year}")
    if region.capacity_benchmark is None:
        return f"- Capacity benchmark ({measure}); {region.name} sets no recycling-capacity benchmark."
    reached = meets(view("capacity_benchmark", year), region.capacity_benchmark)
    label = region.capacity_benchmark_label
    return (f"- {label[0].upper()}{label[1:]}, {pct(region.capacity_benchmark)} (an aggregate benchmark, not a "
            f"content rule; {measure}): **{'reached' if reached else 'not reached'}**.")


#: the rows of the recycled-content table: (label, KPI, kind); kind "met" is the target verdict
CONTENT_ROWS = (
    ("target scope (EV motors, wind generators): all recycled", "recycled_content_target_scope", "share"),
    ("target scope: post-consumer", "recycled_content_target_scope_post_consumer", "share"),
    ("all new magnets: all recycled", "recycled_content", "share"),
    ("all new magnets: post-consumer", "recycled_content_post_consumer", "share"),
    ("all new magnets: pre-consumer (swarf)", "recycled_content_pre_consumer", "share"),
    ("target met", "target_met", "met"),
    ("capacity benchmark: recycling output capacity / consumption", "capacity_benchmark", "share"),
    ("magnet demand", "demand_t", "mass"),
    ("recycled magnets supplied", "recycled_supply_t", "mass"),
    ("primary magnets supplied", "primary_supply_t", "mass"),
    ("shortage (primary supply short)", "shortage_t", "mass"),
)


def _content_table(view: KpiView) -> list[str]:
    years = view.report_years()
    p = view.params
    rows = []
    for label, kpi, kind in CONTENT_ROWS:
        if kind == "met" and p.target.share is None:
            continue
        if kind == "met":
            rows.append([f"{label} ({pct(p.target.share)} of {p.target.metric})",
                         *["yes" if view.met(y) else "no" for y in years]])
        else:
            rows.append([label, *[(view.share if kind == "share" else view.mass)(kpi, y) for y in years]])
    return ["## Recycled content of new magnets", "", *_table(["indicator", *map(str, years)], rows)]


def _shortage_table(view: KpiView, result: Result) -> list[str]:
    """In years short of magnets, recycled content rises because fewer magnets are delivered, not
    because more are recycled: recycled supply over demand and the delivered mass stand beside it."""
    years = figures.shortage_years(result)
    if not years:
        return []
    rows = [[str(y), view.mass("demand_t", y), view.mass("delivered_t", y), view.mass("shortage_t", y),
             view.mass("recycled_supply_t", y), view.share("recycled_content", y),
             pct(view("recycled_supply_t", y) / view("demand_t", y)) if view("demand_t", y) > 0 else "-",
             view.mass("dy_demand_t", y), view.mass("dy_delivered_t", y)] for y in years]
    header = ["year", "demand", "delivered", "shortage", "recycled supply", "recycled content (of delivered)",
              "recycled supply / demand", "Dy demand", "Dy delivered"]
    return ["## Years short of magnets", "",
            "Recycled content is a share of the magnets delivered; in these years fewer were delivered, so it "
            "rises without any more recycling. Recycled supply over demand shows the recycling itself.", "",
            *_table(header, rows)]


def _gap_table(view: KpiView, result: Result) -> list[str]:
    p = view.params
    year = p.target.year
    demand = view("demand_t", year)
    scope = target_scope_delivered_t(result, year)
    base = {"recycled_content_target_scope": scope,
            "recycled_content_region_made": view("region_made_t", year)}.get(p.target.metric, view("delivered_t", year))
    needed = (p.target.share or 0.0) * base
    achieved = view(p.target.metric, year) * base
    graph = result.graph
    boundary = [n for n in graph.senders(g.SCRAP_STORE) if graph[n].kind == g.SOURCE]
    swarf = flow_t(result, year, [g.MAGNET_MAKING, *boundary], [g.SCRAP_STORE])  # pre-consumer scrap
    ceiling = (view("eol_arising_t", year) + swarf) * best_plant_yield(result)
    rows = [
        ["magnet demand, all uses", tonnes(demand)],
        ["new magnets in the target scope (EV motors, wind generators)", tonnes(scope)],
        *([] if p.target.share is None else [
            [f"recycled magnets needed for the target ({pct(p.target.share)})", tonnes(needed)],
            ["recycled magnets counted toward the target", tonnes(achieved)],
            ["gap", tonnes(max(needed - achieved, 0.0))]]),
        ["magnets reaching end of life (EoL arising)", tonnes(view("eol_arising_t", year))],
        ["pre-consumer scrap (swarf, imports) into the scrap store", tonnes(swarf)],
        [f"ceiling: all of both recycled at the best plant yield ({pct(best_plant_yield(result))})", tonnes(ceiling)],
        ["recycling output capacity (all plants)", tonnes(view("recycling_output_capacity_t", year))],
    ]
    share = ceiling / base if base > 0 else 0.0
    note = (f"Even if every magnet reaching end of life in {year} and all swarf were collected, liberated, kept "
            f"in {p.region.name}, recycled and sent to the base of {p.target.metric}, recycled magnets would cover "
            "at most "
            f"{pct(share)} of it." if p.plants else "There are no recycling plants in this scenario.")
    return [f"## What it would take ({year})", "", *_table(["quantity", str(year)], rows), note, ""]


def _binding_table(view: KpiView) -> list[str]:
    rows = [[span, name, BINDING_MEANING[name]] for span, name in binding_periods(view)]
    return ["## Binding constraint", "", *_table(["years", "binding constraint", "meaning"], rows, 3)]


def _losses_table(view: KpiView, result: Result) -> list[str]:
    years = [y for y in view.report_years() if y >= view.params.target.year]
    year = years[0]
    arising = view("eol_arising_t", year)
    graph = result.graph
    # (label, KPI, the node the flow enters): rows follow the chain, each loss sink of the graph in its place
    chain = [
        ("magnets reaching end of life (EoL arising)", "eol_arising_t", g.END_OF_LIFE),
        ("discarded (EoL arising minus net hoarding)", "discarded_t", g.COLLECTION),
        ("liberated to the scrap store", "liberated_t", g.SCRAP_STORE),
        ("recycled magnets produced", "recycled_output_t", g.MARKET),
        *[(f"lost: {graph[sink].label}", loss_kpi(sink), sink) for sink in graph.losses],
    ]
    stages = [(label, kpi) for label, kpi, _ in sorted(chain, key=lambda row: graph.position(row[2]))]
    stages.append(("scrap held in the store at year end", "scrap_inventory_t"))
    rows = []
    for label, kpi in stages:
        share = view(kpi, year) / arising if arising > 0 else 0.0
        rows.append([label, *[view.mass(kpi, y) for y in years], pct(share)])
    header = ["stage", *map(str, years), f"share of {year} EoL arising"]
    note = ("Exports and process losses include pre-consumer swarf, so their shares of EoL arising "
            "can exceed what post-consumer material alone would give.")
    return ["## Losses along the chain", "", *_table(header, rows), note, ""]


def _plants_table(view: KpiView, result: Result) -> list[str]:
    years = [y for y in view.report_years() if y >= view.params.target.year]
    year = years[0]
    if not view.params.plants:
        return ["## Recycling plants", "", "No recycling plants in this scenario.", ""]
    rows = []
    for plant in view.params.plants:
        rows.append([plant.name, plant.route, view.mass(f"capacity_t:{plant.name}", year),
                     tonnes(flow_t(result, year, [g.SCRAP_STORE], [g.plant_node(plant)])),
                     *[view.share(f"utilisation:{plant.name}", y) for y in years]])
    header = ["plant", "route", f"feed capacity {year}", f"feed {year}", *[f"utilisation {y}" for y in years]]
    return ["## Recycling plants", "", *_table(header, rows, 2)]


def _heavy_table(view: KpiView) -> list[str]:
    p = view.params
    years = [y for y in view.report_years() if y >= p.target.year]
    total = float(view.mean["dy_tb_recovered_t"].sum())
    rows = [["Dy + Tb in recycled magnets", *[view.mass("dy_tb_recovered_t", y) for y in years], tonnes(total)]]
    return ["## Heavy rare earths recovered", "",
            *_table(["element", *map(str, years), f"{p.start_year}-{p.end_year} total"], rows)]


def _trajectory_table(view: KpiView) -> list[str]:
    p = view.params
    years = sorted({*range(p.start_year, p.end_year + 1, 5), p.end_year})
    rows = [[str(y), view.mass("demand_t", y), view.mass("recycled_supply_t", y),
             view.share("recycled_content_target_scope", y), view.share("recycled_content", y),
             view.share("recycled_content_post_consumer", y), view.share("capacity_benchmark", y),
             str(view.binding[y])] for y in years]
    header = ["year", "demand", "recycled supply", "target scope", "all magnets", "post-consumer",
              "capacity benchmark", "binding"]
    return ["## Trajectory", "", *_table(header, rows)]


def _segments_table(view: KpiView, result: Result) -> list[str]:
    """Where end-of-life magnets come from and how much of them dismantling liberates."""
    years = view.report_years()
    year = view.params.target.year
    flows = result.flows
    replications = result.table_replications

    def by_segment(src: str, dst: str) -> pd.DataFrame:
        rows = flows[(flows["from_node"] == src) & (flows["to_node"] == dst)]
        table = rows.pivot_table(index="segment", columns="year", values="mass_t", aggfunc="sum", observed=True)
        return table.reindex(index=list(view.params.segment_names), columns=years).fillna(0.0) / replications

    arising, liberated = by_segment(g.IN_USE, g.END_OF_LIFE), by_segment(g.DISMANTLING, g.SCRAP_STORE)
    rows = [[name, *[tonnes(arising.at[name, y]) for y in years], tonnes(liberated.at[name, year])]
            for name in view.params.segment_names]
    rows.append(["all segments", *[tonnes(arising[y].sum()) for y in years], tonnes(liberated[year].sum())])
    header = ["segment", *[f"EoL arising {y}" for y in years], f"liberated {year}"]
    return ["## End-of-life magnets by segment", "", *_table(header, rows)]


def _what_counts(view: KpiView) -> list[str]:
    """Every measure of recycled content side by side, each with its definition."""
    years = view.report_years()
    rows = [[name, *[view.share(kpi, y) for y in years], meaning] for kpi, name, meaning in WHAT_COUNTS]
    return ["## What counts", "", *_table(["measure", *map(str, years), "definition"], rows)]


def _value_chain(view: KpiView) -> list[str]:
    """Where new magnets come from, and what the region's value chain made of recycled material."""
    p = view.params
    years = view.report_years()
    rows = [[name, *[view.mass(kpi, y) for y in years]] for kpi, name in VALUE_CHAIN_ROWS]
    rows.insert(5, ["magnet making: utilisation of capacity", *[view.share("magnet_making_utilisation", y)
                                                             for y in years]])
    year = p.target.year
    if p.industry.unabsorbed == "export":
        fate = (f"Recycled inputs that region-made magnets cannot absorb are exported "
                f"({view.mass('recycled_export_t', year)} in {year}).")
    else:
        fate = (f"Recycled inputs that region-made magnets cannot absorb stay in the value chain as stock "
                f"({view.mass('unabsorbed_t', year)} held at the end of {year}, waiting inputs included).")
    return ["## Where magnets come from", "", *_table(["quantity", *map(str, years)], rows), fate, ""]


def _definitions(view: KpiView) -> list[str]:
    p = view.params
    rules = periods((year, p.policy.allocation_in(year)) for year in p.years)
    if len(rules) == 1:
        allocation = f"{rules[0][1]}: {ALLOCATION_MEANING[rules[0][1]]}"
    else:
        allocation = "; ".join(f"{rule} in {span} ({ALLOCATION_MEANING[rule]})" for span, rule in rules)
    mandate = ("" if p.policy.mandate_share is None else
               f" A magnet mandate of {pct(p.policy.mandate_share)} applies from {p.policy.mandate_from}"
               " (hypothetical; preferential allocation from then on).")
    target = ("- **Recycled-content target**: none in this scenario (`target_met` is false)." if p.target.share is None
              else "- **Recycled-content target** (compared with `target_met`): the recycled share of new magnets "
              f"measured by `{p.target.metric}`.")
    note = p.target.note if p.target.share is not None else None  # without a target its note says no more
    benchmark = ("" if p.region.capacity_benchmark is None else
                 f"; {p.region.name} measures it against {p.region.capacity_benchmark_label}")
    return [
        "## Definitions", "",
        target + ("" if note is None else f" {note}"),
        "- **Capacity benchmark** (`capacity_benchmark`): the magnets all recycling plants could make at "
        f"full capacity divided by annual magnet consumption{benchmark}.",
        "- **Post-consumer**: from end-of-life products; **pre-consumer**: swarf of magnet making traded "
        "to recyclers. Swarf reclaimed within the same plant is not recycled content (ISO 14021) and is "
        "reported apart (`swarf_in_house_t`).",
        "- **Region-made magnets**: recycled material (HPMS powder, recycled alloy) enters only magnets made "
        "in the region, sintered (up to magnet-making capacity) or bonded (HPMS powder, for uses other "
        "than traction and wind grades); imported magnets and magnets in imported products are primary.",
        f"- Allocation of recycled magnets: {allocation}.{mandate}", "",
    ]


def render(result: Result, scenario: str | None = None) -> str:
    """The text of summary.md."""
    view = KpiView(result)
    p = view.params
    title = f"# Recycled NdFeB in new magnets in {p.region.name}: {p.policy.name} policy"
    mode = p.mode if view.replications == 1 else f"{p.mode}, {view.replications} replications"
    if result.table_replications < view.replications:  # output.replication_tables = first
        mode += "; flows and stocks of replication 0 only"
    plants = ", ".join(plant.name for plant in p.plants) or "none"
    lines = [title, "",
             f"Scenario: {scenario or p.policy.name}. Years {p.start_year}-{p.end_year}, mode {mode}, "
             f"seed {p.seed}. Plants: {plants}.", ""]
    for part in (_answers(view), _what_counts(view), _content_table(view), _shortage_table(view, result),
                 _value_chain(view),
                 _gap_table(view, result), _binding_table(view),
                 _losses_table(view, result), _segments_table(view, result), _plants_table(view, result),
                 _heavy_table(view), _trajectory_table(view), _definitions(view)):
        lines += part
    lines.append("Tables: flows.csv, flows_by_element.csv, stocks.csv, kpis.csv, kpi_quantiles.csv; "
                 "provenance.json records the resolved config, seed and version.")
    return "\n".join(lines) + "\n"


def write_summary(result: Result, directory: Path, scenario: str | None = None) -> Path:
    """Write summary.md into the run directory."""
    path = Path(directory) / "summary.md"
    path.write_text(render(result, scenario))
    return path

