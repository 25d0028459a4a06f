"""results.xlsx of a run: read-me (provenance, every column defined), summary, KPIs by year (and
their quantiles in stochastic mode), flows by stage and year, segments, stocks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..analysis import kpi_table
from ..analysis.kpis import NAMED_KPIS, meets
from ..analysis.results import Result
from .summary import CONTENT_ROWS, KpiView
from .workbook import Column, Sheet, write_workbook

NAME = "results.xlsx"
MASS_BY_YEAR = Column("t", "mass in that calendar year (annual sum), mean over replications")
UNIT = Column("", "unit of the row's values: % (a share, in percent), t (tonnes) or t/yr (tonnes a year)")
#: segment measures: (measure, from_node, to_node, origins or None for all)
SEGMENT_MEASURES = (
    ("new magnets delivered", "market", "in_use", None),
    ("recycled magnets delivered", "market", "in_use", ("post_consumer", "pre_consumer")),
    ("end-of-life arising", "in_use", "end_of_life", None),
    ("discarded", "end_of_life", "collection", None),
    ("collected", "collection", "dismantling", None),
    ("liberated", "dismantling", "scrap_store", None),
)


def kpi_column(name: str, share: bool) -> Column:
    """A KPI column's unit and meaning from the KPI table; `share`: a fraction (unit '-'), written
    in percent."""
    row = kpi_table.row_of(name)
    if row is None:
        raise KeyError(f"KPI column {name!r} is not in sim/analysis/kpi_table.csv")
    unit = "%" if share and row.unit == "-" else "" if row.unit in ("-", "yr") else row.unit
    return Column(unit, row.meaning)


def _is_share(values: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(values)


def kpis_by_year(result: Result) -> pd.DataFrame:
    """One row per year: the mean of every numeric KPI over replications, `target_met` (and
    `mandate_met`) by the same rule as summary.md applied to the means, the most frequent binding
    constraint and binding element. With one replication these are the rows of kpis.csv."""
    kpis = result.kpis.drop(columns="replication")
    flags = [c for c in ("target_met", "mandate_met") if c in kpis.columns]
    named = [c for c in NAMED_KPIS if c in kpis.columns]
    numeric = kpis.drop(columns=[*flags, *named]).groupby("year").mean()
    target = result.params.target
    frame = numeric.reset_index()
    frame.insert(list(frame.columns).index("target_share") + 1, "target_met",
                 [bool(meets(v, target.share)) for v in numeric[target.metric]])
    if "mandate_met" in flags:
        met = [share <= 0 or bool(meets(scope, share))
               for share, scope in zip(numeric["mandate_share"], numeric["recycled_content_target_scope"])]
        frame.insert(list(frame.columns).index("mandate_share") + 1, "mandate_met", met)
    for name in named:
        frame[name] = result.kpis.groupby("year")[name].agg(lambda s: s.value_counts().index[0]).to_numpy()
    return frame


def summary_sheet(result: Result) -> Sheet:
    view = KpiView(result)
    years = view.report_years()
    p = view.params
    rows = []
    for label, kpi, kind in CONTENT_ROWS:
        if kind == "met" and p.target.share is None:
            continue
        if kind == "met":
            rows.append({"indicator": f"{label} ({100 * p.target.share:.2f} % of {p.target.metric})", "kpi": kpi,
                         "unit": "", **{y: "yes" if view.met(y) else "no" for y in years}})
        else:
            rows.append({"indicator": label, "kpi": kpi, "unit": "%" if kind == "share" else "t/yr",
                         **{y: view(kpi, y) for y in years}})
    rows.append({"indicator": "binding constraint", "kpi": "binding_constraint", "unit": "",
                 **{y: str(view.binding[y]) for y in years}})
    first = view.first_year_met()
    if p.target.share is not None:
        rows.append({"indicator": "first year the target is met", "kpi": "", "unit": "",
                     **{years[0]: first if first is not None else f"not by {p.end_year}"}})
    columns = {"indicator": Column("", "what the row shows, as in summary.md"),
               "kpi": Column("", "the KPI column it comes from (sheet KPIs)"), "unit": UNIT}
    return Sheet("summary", pd.DataFrame(rows), columns,
                 years=Column("", "value in that year: mean over replications"), unit_column="unit",
                 note="the recycled-content table of summary.md, in numbers")


def kpi_sheet(result: Result) -> Sheet:
    frame = kpis_by_year(result)
    return Sheet("KPIs", frame, {c: kpi_column(c, _is_share(frame[c])) for c in frame.columns},
                 note="one row per year; with several replications, means over them")


def quantile_sheet(result: Result) -> Sheet:
    frame = result.kpi_quantiles.copy()
    frame.insert(2, "unit", [kpi_column(k, True).unit for k in frame["kpi"]])
    columns = {"year": Column("", "calendar year"), "kpi": Column("", "the KPI column (sheet KPIs)"), "unit": UNIT,
               "mean": Column("", "mean over replications, in the row's unit"),
               "p5": Column("", "5th percentile over replications, in the row's unit"),
               "p50": Column("", "median over replications, in the row's unit"),
               "p95": Column("", "95th percentile over replications, in the row's unit")}
    return Sheet("KPI quantiles", frame, columns, unit_column="unit", in_row_unit=("mean", "p5", "p50", "p95"),
                 note="per year and KPI, over replications")


def _by_year(frame: pd.DataFrame, index: list[str], years: list[int], replications: int) -> pd.DataFrame:
    table = frame.pivot_table(index=index, columns="year", values="mass_t", aggfunc="sum", observed=True)
    table = table.reindex(columns=years).fillna(0.0) / replications
    table.columns = [int(y) for y in table.columns]
    return table.reset_index()


def flow_sheet(result: Result) -> Sheet:
    years = list(result.params.years)
    replications = result.table_replications
    frame = _by_year(result.flows, ["from_node", "to_node", "origin"], years, replications)
    columns = {"from_node": Column("", "node the flow leaves (see the README's node names)"),
               "to_node": Column("", "node the flow enters"),
               "origin": Column("", "primary, post_consumer (end-of-life products) or pre_consumer (swarf)")}
    return Sheet("flows", frame, columns, years=MASS_BY_YEAR,
                 note="every recorded flow by stage (from_node -> to_node) and origin, summed over segments")


def segment_sheet(result: Result) -> Sheet:
    years = list(result.params.years)
    replications = result.table_replications
    flows = result.flows
    parts = []
    for measure, src, dst, origins in SEGMENT_MEASURES:
        rows = flows[(flows["from_node"] == src) & (flows["to_node"] == dst)]
        if origins is not None:
            rows = rows[rows["origin"].isin(origins)]
        table = _by_year(rows, ["segment"], years, replications)
        table = table.set_index("segment").reindex(list(result.params.segment_names)).fillna(0.0).reset_index()
        table.insert(1, "measure", measure)
        parts.append(table)
    frame = pd.concat(parts, ignore_index=True)
    columns = {"segment": Column("", "product segment (its origin for recycled material)"),
               "measure": Column("", "; ".join(f"{m}: {s} -> {d}" for m, s, d, _ in SEGMENT_MEASURES))}
    return Sheet("segments", frame, columns, years=MASS_BY_YEAR, note="the end-of-life chain by product segment")


def stock_sheet(result: Result) -> Sheet:
    years = [result.params.start_year - 1, *result.params.years]
    replications = result.table_replications
    frame = _by_year(result.stocks, ["node"], years, replications)
    columns = {"node": Column("", "node (a sink's stock is what it has received)")}
    return Sheet("stocks", frame, columns, years=Column("t", f"end-of-year stock, summed over segments; "
                                                              f"{years[0]} is the opening stock"))


def config_sheet(config: Mapping) -> Sheet:
    frame = pd.DataFrame(list(_flatten(config)), columns=["key", "value"])
    columns = {"key": Column("", "config key (dotted path; series anchors by year)"),
               "value": Column("", "its resolved value, as given (units as written)")}
    return Sheet("config", frame, columns, note="the resolved config of the run")


def _flatten(tree, prefix: str = ""):
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            yield from _flatten(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], tree if isinstance(tree, (bool, int, float, str)) or tree is None else str(tree)


def write_results_workbook(result: Result, directory: Path, provenance: Mapping[str, object]) -> Path:
    """results.xlsx in the run directory; `provenance` as in provenance.json (its config goes to
    the config sheet)."""
    sheets = [summary_sheet(result), kpi_sheet(result)]
    if result.kpis["replication"].nunique() > 1:
        sheets.append(quantile_sheet(result))
    sheets += [flow_sheet(result), segment_sheet(result), stock_sheet(result)]
    if provenance.get("config"):
        sheets.append(config_sheet(provenance["config"]))
    p = result.params
    title = f"Recycled NdFeB in new magnets in {p.region.name}: {p.policy.name} policy, {p.start_year}-{p.end_year}"
    return write_workbook(Path(directory) / NAME, sheets, {k: v for k, v in provenance.items() if k != "config"},
                          title)
