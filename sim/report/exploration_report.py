"""results.xlsx and report.html of an exploration: its findings, robustness, sensitivity and PRIM
tables, and every run's sampled inputs and outcomes; shares in percent, as discovery.md reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..analysis import kpi_table
from .html_report import NAME as PAGE
from .html_report import Section, markdown_html, table_html, write_page
from .workbook import Column, Sheet, write_workbook

WORKBOOK = "results.xlsx"
#: Excel's rows per sheet, less the heading: larger explorations leave the runs sheet out
EXCEL_ROWS = 1_048_575
UNIT = Column("", "unit of the row's values: % (a share, in percent), t, t/yr, yr (a calendar year) or "
                  "empty (as the KPI table gives it)")
ROBUSTNESS = {"lever": Column("", "the lever (a policy or plant choice, see the levers sheet)"),
              "outcome": Column("", "the outcome (see the outcomes sheet)"),
              "share_meeting_target": Column("%", "share of the lever's futures meeting the target in the target year"),
              "p10": Column("", "10th percentile of the outcome over the futures, in the row's unit"),
              "p50": Column("", "median of the outcome over the futures, in the row's unit"),
              "p90": Column("", "90th percentile of the outcome over the futures, in the row's unit"),
              "max_regret": Column("", "largest shortfall from the best lever of the same future, in the row's unit")}
SENSITIVITY = {"lever": ROBUSTNESS["lever"], "outcome": ROBUSTNESS["outcome"],
               "uncertainty": Column("", "the uncertain config key"),
               "S1": Column("", "first-order index: share of the outcome's variance due to this key alone"),
               "S1_conf": Column("", "95 % confidence half-width of S1"),
               "ST": Column("", "total index: share of variance due to this key and its interactions (Sobol)"),
               "ST_conf": Column("", "95 % confidence half-width of ST")}
MORRIS = {"lever": ROBUSTNESS["lever"], "outcome": ROBUSTNESS["outcome"], "uncertainty": SENSITIVITY["uncertainty"],
          "mu_star": Column("", "mean absolute elementary effect (Morris), in the outcome's unit"),
          "mu_star_conf": Column("", "95 % confidence half-width of mu_star"),
          "sigma": Column("", "standard deviation of the elementary effects (interactions, non-linearity)")}
BOXES = {"lever": ROBUSTNESS["lever"],
         "question": Column("", "what the box explains: target met, or <constraint> binds"),
         "uncertainty": Column("", "a restricted uncertainty of the box (empty: none restricted)"),
         "lower": Column("", "its lower limit in the box (empty: none)"),
         "upper": Column("", "its upper limit in the box (empty: none)"),
         "options": Column("", "for a discrete uncertainty, the values inside the box"),
         "coverage": Column("%", "share of the cases (futures answering the question) that lie in the box"),
         "density": Column("%", "share of the futures in the box that are cases"),
         "mass": Column("%", "share of all futures in the box"),
         "base_rate": Column("%", "share of cases over every future")}
RUN_COLUMNS = {"run": Column("", "run number (row of experiments.parquet and outcomes.parquet)"),
               "future": Column("", "the sampled future (the same future under every lever)"),
               "lever": ROBUSTNESS["lever"], "seed": Column("", "the run's random seed (the config's)"),
               "target_met": Column("", "whether the target is met in the target year"),
               "binding_constraint": Column("", "what limits recycled supply in the target year"),
               "status": Column("", "ok or failed"), "error": Column("", "for a failed run, the one-line reason")}


UNCERTAINTIES = {"uncertainty": SENSITIVITY["uncertainty"],
                 "distribution": Column("", "uniform, triangular, truncated_normal, discrete or group (a config-group "
                                            "choice)"),
                 "parameters": Column("", "the distribution's parameters (low, [mode,] high; mean, std, low, high; "
                                          "values; options)"),
                 "unit": Column("", "unit the sampled number is given in"),
                 "also_sets": Column("", "further keys set to the same value"),
                 "source": Column("", "the source of the range, or the reason for it")}


def uncertainty_frame(exploration) -> pd.DataFrame:
    return pd.DataFrame([{"uncertainty": u.key, "distribution": u.distribution,
                          "parameters": ", ".join(map(str, u.parameters)), "unit": u.unit or "",
                          "also_sets": ", ".join(u.same_for), "source": u.source} for u in exploration.uncertainties])


def lever_frame(exploration) -> pd.DataFrame:
    return pd.DataFrame([{"lever": name, "overrides": " ".join(overrides) or "(the base scenario)"}
                         for name, overrides in exploration.levers])


def outcome_unit(outcome, metric: str) -> str:
    """The workbook unit of an outcome: % for a share in a year or a mean over years, yr for the
    first year a target is met, t for a sum of t/yr, else the KPI table's unit."""
    if outcome.kind == "first_year":
        return "yr"
    row = kpi_table.row_of(metric if outcome.kpi == "target" else outcome.kpi)
    unit = row.unit if row is not None else ""
    if unit == "-":
        return "%" if outcome.kind in ("year", "mean") else ""
    if unit == "t/yr" and outcome.kind == "sum":
        return "t"
    return unit


def _units(exploration, target: Mapping) -> dict[str, str]:
    return {o.name: outcome_unit(o, target["metric"]) for o in exploration.outcomes}


def sheets(exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame, robustness: pd.DataFrame,
           sensitivity: pd.DataFrame, morris: pd.DataFrame, boxes: pd.DataFrame, target: Mapping) -> list[Sheet]:
    """The workbook's sheets (tables hold shares as fractions; units say which are written in %)."""
    units = _units(exploration, target)
    robust = robustness.copy()
    robust.insert(2, "unit", [units[name] for name in robust["outcome"]])
    found = [Sheet("robustness", robust, {**ROBUSTNESS, "unit": UNIT}, unit_column="unit",
                   in_row_unit=("p10", "p50", "p90", "max_regret"),
                   note="per lever and outcome, over the futures; a first year never met counts as the year after "
                        "its span")]
    if len(sensitivity):
        found.append(Sheet("sensitivity", sensitivity, SENSITIVITY, note="global sensitivity (SALib), per lever"))
    if len(morris):
        found.append(Sheet("morris", morris, MORRIS, note="Morris screening (SALib), per lever"))
    if len(boxes):
        found.append(Sheet("scenario discovery", boxes, BOXES, note="PRIM boxes (EMA Workbench), per lever and "
                                                                    "question"))
    outcome_columns = {o.name: Column(units[o.name], o.describe()) for o in exploration.outcomes}
    sampled = {u.key: Column(u.unit or "", f"sampled value of {u.key} ({u.distribution})")
               for u in exploration.uncertainties}
    runs = experiments.merge(outcomes, on="run", how="left", validate="one_to_one")
    if len(runs) <= EXCEL_ROWS:
        found.append(Sheet("runs", runs, {**RUN_COLUMNS, **sampled, **outcome_columns},
                           note="one row per run: the sampled inputs and every outcome (experiments.parquet and "
                                "outcomes.parquet joined)"))
    found.append(Sheet("outcomes", pd.DataFrame(
        [{"outcome": o.name, "unit": units[o.name], "kpi": target["metric"] if o.kpi == "target" else o.kpi,
          "reduction": o.describe(), "direction": o.direction} for o in exploration.outcomes]),
        {"outcome": ROBUSTNESS["outcome"], "unit": UNIT, "kpi": Column("", "the KPI column of kpis.csv it reduces"),
         "reduction": Column("", "how the KPI is reduced to one number per run"),
         "direction": Column("", "maximize or minimize: which way is better (for regret)")}))
    found.append(Sheet("uncertainties", uncertainty_frame(exploration), UNCERTAINTIES))
    found.append(Sheet("levers", lever_frame(exploration), {"lever": ROBUSTNESS["lever"],
                       "overrides": Column("", "its Hydra overrides of the base scenario")}))
    return found


def write_exploration_workbook(directory: Path, exploration, experiments: pd.DataFrame, outcomes: pd.DataFrame,
                               robustness: pd.DataFrame, sensitivity: pd.DataFrame, morris: pd.DataFrame,
                               boxes: pd.DataFrame, target: Mapping, provenance: Mapping[str, object]) -> Path:
    """results.xlsx in the exploration's directory."""
    found = sheets(exploration, experiments, outcomes, robustness, sensitivity, morris, boxes, target)
    title = f"Exploration {exploration.name}: {len(experiments)} runs"
    return write_workbook(Path(directory) / WORKBOOK, found, {k: v for k, v in provenance.items() if k != "config"},
                          title)


def outcome_figure(name: str, description: str, unit: str, experiments: pd.DataFrame, outcomes: pd.DataFrame,
                   levers: Sequence[str], target: Mapping | None) -> dict:
    """The outcome over the futures, a box per lever (whiskers P10-P90 are in the robustness
    table), the target share as a line when the outcome is measured by the target metric."""
    scale = 100.0 if unit == "%" else 1.0
    frame = experiments[["run", "lever"]].merge(outcomes[["run", name, "status"]], on="run")
    frame = frame[frame["status"] == "ok"]
    data = [{"type": "box", "name": lever, "y": list(scale * frame.loc[frame["lever"] == lever, name].dropna()),
             "boxpoints": "outliers", "hovertemplate": f"%{{y:.4g}} {unit}<extra>{lever}</extra>"} for lever in levers]
    layout = {"title": {"text": f"{description} [{unit}], over the futures" if unit else description},
              "yaxis": {"title": {"text": unit}}, "height": 440, "showlegend": False}
    if target is not None:
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100 * target["share"],
                             "y1": 100 * target["share"], "line": {"color": "#c0392b", "dash": "dot"}}]
        layout["annotations"] = [{"xref": "paper", "x": 1, "y": 100 * target["share"], "showarrow": False,
                                  "text": f"target {100 * target['share']:g} %", "yanchor": "bottom",
                                  "xanchor": "right"}]
    return {"data": data, "layout": layout}


def sensitivity_figure(outcome: str, sensitivity: pd.DataFrame) -> dict | None:
    """Total (or first-order) indices of an outcome by uncertainty, a bar per lever; None without indices."""
    rows = sensitivity[sensitivity["outcome"] == outcome]
    if rows.empty:
        return None
    column = "ST" if rows["ST"].notna().any() else "S1"
    order = rows.groupby("uncertainty")[column].mean().sort_values().index
    data = []
    for lever, part in rows.groupby("lever", sort=False):
        part = part.set_index("uncertainty").reindex(order)
        data.append({"type": "bar", "orientation": "h", "name": str(lever), "y": list(order),
                     "x": list(part[column]), "error_x": {"type": "data", "array": list(part[f"{column}_conf"])}})
    layout = {"title": {"text": f"{column} of {outcome} (95 % confidence)"}, "barmode": "group",
              "height": 160 + 28 * len(order) * max(1, len(data)), "margin": {"l": 320},
              "xaxis": {"title": {"text": column}}}
    return {"data": data, "layout": layout}


def write_exploration_page(directory: Path, exploration, discovery_md: str, experiments: pd.DataFrame,
                           outcomes: pd.DataFrame, robustness: pd.DataFrame, sensitivity: pd.DataFrame,
                           morris: pd.DataFrame, boxes: pd.DataFrame, target: Mapping,
                           provenance: Mapping[str, object]) -> Path | None:
    """report.html in the exploration's directory: the findings of discovery.md, a figure per
    outcome, the sensitivity of the first outcome, the tables and the provenance."""
    units = _units(exploration, target)
    heading = discovery_md.partition("\n## ")[0]
    title = heading.splitlines()[0].lstrip("# ").replace("`", "") if heading.startswith("# ") else exploration.name
    findings = "\n".join(heading.splitlines()[1:]) if heading.startswith("# ") else heading
    levers = list(exploration.lever_names)
    figures = [outcome_figure(o.name, o.describe(), units[o.name], experiments, outcomes, levers,
                              target if units[o.name] == "%" and o.kpi in ("target", target["metric"]) else None)
               for o in exploration.outcomes]
    sections = [Section("Findings", markdown_html(findings), figures),
                Section("Robustness of each lever", table_html(_in_percent(robustness, units)))]
    first = exploration.outcomes[0].name
    figure = sensitivity_figure(first, sensitivity)
    if len(sensitivity):
        sections.append(Section("Global sensitivity", table_html(sensitivity), [figure] if figure else []))
    if len(morris):
        sections.append(Section("Morris screening", table_html(morris)))
    if len(boxes):
        sections.append(Section("Scenario discovery (PRIM)", table_html(boxes)))
    sections.append(Section("Uncertainties and levers", table_html(uncertainty_frame(exploration))
                            + table_html(lever_frame(exploration))))
    return write_page(Path(directory) / PAGE, title, sections, provenance)


def _in_percent(robustness: pd.DataFrame, units: Mapping[str, str]) -> pd.DataFrame:
    """The robustness table as the page shows it: a unit column, share outcomes and the share meeting
    the target in percent."""
    shown = robustness.copy()
    shown.insert(2, "unit", [units[name] for name in shown["outcome"]])
    percent = (shown["unit"] == "%").to_numpy()
    for column in ("p10", "p50", "p90", "max_regret"):
        shown[column] = shown[column].where(~percent, 100 * shown[column])
    shown["share_meeting_target"] = 100 * shown["share_meeting_target"]
    return shown.rename(columns={"share_meeting_target": "share_meeting_target [%]"})
