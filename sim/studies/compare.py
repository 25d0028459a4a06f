"""`python -m sim compare`: run several named scenarios with common random numbers and write one
side-by-side table (compare.md, compare.csv) and one figure (compare.png). Coupled scenarios
(`world=allied`, `world.*` or `REGION.KEY=...` keys) are compared on each region's headline and
the bloc's."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..analysis.results import Result
from ..analysis.runner import run
from ..analysis.world import WorldResult, run_world
from ..config import overrides as grammar
from ..config.compose import add_config_dir_argument, group_options, load_config
from ..config.world import load_world
from ..report.compare_figure import compare_png
from ..report.run_writer import git_commit, package_version
from ..report.study_reports import write_compare_page, write_compare_workbook
from ..report.summary import KpiView, pct, tonnes
from .headline import BLOC, region_kpis
from .headline import headline as headline_kpis
from .world import is_coupled

log = logging.getLogger(__name__)
GROUPS = ("region", "plants", "policy", "target")
USAGE = """python -m sim compare [KEY=a,b,...] [OVERRIDE ...] [--out DIR] [--no-figure]

Runs one scenario per job of the sweep in the overrides, expanded as `python -m sim -m` expands it
(comma lists, range(), choice(), glob() of config-group options or values of any key, e.g.
policy=baseline,elv_motor_removal plants=eu_announced,eu_expanded), each with the other overrides
and the same seed (common random numbers). Without a sweep it compares every policy in conf/policy.
With world=allied (or any world.* key) the scenarios are coupled runs, REGION.KEY=... sets one
region (us.plants=none,us_announced), and the table has each region's headline and the bloc's."""


@dataclass(frozen=True)
class Scenario:
    name: str
    overrides: tuple[str, ...]


def options(group: str, config_dir: Path | None = None) -> list[str]:
    """The options of a config group (conf/<group>, and <config_dir>/<group>), baseline first."""
    return sorted(sorted(group_options(group, config_dir)), key=lambda name: name != "baseline")


def scenarios(overrides: list[str], config_dir: Path | None = None) -> list[Scenario]:
    """One scenario per job of the sweep the overrides hold, expanded as `python -m sim -m` expands
    it (`policy=a,b`, `target.year=range(2030,2033)`, `plants=glob(eu_*)`); the other overrides
    come first in every scenario. Without a sweep or a policy, every policy of conf/policy."""
    parsed = grammar.parse(overrides)
    swept = [line for line, override in zip(overrides, parsed) if override.is_sweep_override()]
    common = [line for line, override in zip(overrides, parsed) if not override.is_sweep_override()]
    if not swept and not any(override.key_or_group == "policy" for override in parsed):
        swept = ["policy=" + ",".join(options("policy", config_dir))]  # nothing to compare given: every policy
    keys = [override.get_key_element() for override in grammar.parse(swept)]
    result = []
    for job in grammar.expand(common + swept, config_dir=config_dir):
        pairs = [line for line in job if line.partition("=")[0] in keys]
        if not pairs:
            name = ", ".join(job) or "default"
        elif len(pairs) == 1 and keys[0] in GROUPS:
            name = pairs[0].partition("=")[2]
        else:
            name = ", ".join(pairs)
        result.append(Scenario(name, tuple(job)))
    return result


def headline_rows(result: Result | WorldResult) -> list[tuple[str, str, object, str]]:
    """The headline numbers of a run as (key, label, value, kind); kind is share, mass, year or
    text. Shares are fractions, masses in t, values as summary.md computes them. A coupled run has
    each region's (keys `<region>.<key>`) and the bloc's (`bloc.<key>`)."""
    if isinstance(result, WorldResult):
        return world_rows(result)
    view = KpiView(result)
    p = view.params
    extracted = headline_kpis(result)
    rows: list[tuple[str, str, object, str]] = []
    labels = {"recycled_content_target_scope": "recycled content, target scope",
              "recycled_content": "recycled content, all magnets",
              "recycled_content_post_consumer": "post-consumer content, all magnets"}
    years = [y for y in view.report_years() if y >= p.target.year]
    for kpi, label in labels.items():
        rows += [(f"{kpi}_{y}", f"{label} {y}", view(kpi, y), "share") for y in years]
    year = p.target.year
    rows += [
        (f"capacity_benchmark_{year}", f"capacity benchmark {year} (capacity / consumption)",
         view("capacity_benchmark", year), "share"),
        ("target", "target", "none" if p.target.share is None else f"{pct(p.target.share)} of {p.target.metric}",
         "text"),
        (f"target_met_{year}", f"target met in {year}", "yes" if extracted["target_met"] else "no", "text"),
        ("first_year_target_met", "first year the target is met", extracted["first_year_target_met"], "year"),
        (f"binding_constraint_{year}", f"binding constraint {year}", str(view.binding[year]), "text"),
        (f"scrap_export_t_{year}", f"scrap exported {year}", view("scrap_export_t", year), "mass"),
        ("shortage_t_total", f"shortage {p.start_year}-{p.end_year}", float(view.mean["shortage_t"].sum()), "mass"),
        ("dy_tb_recovered_t_total", f"Dy + Tb recovered {p.start_year}-{p.end_year}",
         float(view.mean["dy_tb_recovered_t"].sum()), "mass"),
    ]
    return rows


#: the bloc's rows of a coupled comparison: KPI, label, kind (a share in the report years, a mass summed)
BLOC_ROWS = (("recycled_content", "recycled content, all magnets", "share"),
             ("recycled_content_post_consumer", "post-consumer content, all magnets", "share"),
             ("recycled_cover", "recycled supply / demand", "share"))


def world_rows(result: WorldResult) -> list[tuple[str, str, object, str]]:
    """headline_rows of each region of a coupled run, then the bloc's shares in the report years of
    the first region and its shortage over the run (the bloc's KPIs: masses summed over regions)."""
    rows = []
    for code, region in result.regions.items():
        rows += [(f"{code}.{key}", f"{code}: {label}", value, kind)
                 for key, label, value, kind in headline_rows(region)]
    first = next(iter(result.regions.values()))
    bloc = region_kpis(result, BLOC).groupby("year").mean(numeric_only=True)
    years = [y for y in KpiView(first).report_years() if y >= first.params.target.year]
    for kpi, label, kind in BLOC_ROWS:
        rows += [(f"{BLOC}.{kpi}_{y}", f"{BLOC}: {label} {y}", float(bloc.loc[y, kpi]), kind) for y in years]
    p = first.params
    rows.append((f"{BLOC}.shortage_t_total", f"{BLOC}: shortage {p.start_year}-{p.end_year}",
                 float(bloc["shortage_t"].sum()), "mass"))
    return rows


def params_of(result: Result | WorldResult):
    """The parameters a comparison reports years and seed by (a coupled run's first region's)."""
    return next(iter(result.regions.values())).params if isinstance(result, WorldResult) else result.params


def headline(result: Result) -> dict[str, object]:
    """The headline numbers by key (see headline_rows)."""
    return {key: value for key, _, value, _ in headline_rows(result)}


def format_value(value: object, kind: str, end_year: int) -> str:
    """A headline value as summary and compare tables print it."""
    if kind == "share":
        return pct(float(value))
    if kind == "mass":
        return tonnes(float(value))
    if kind == "year":
        return str(value) if value is not None else f"not by {end_year}"
    return str(value)


def run_all(chosen: list[Scenario], config_dir: Path | None = None) -> dict[str, Result | WorldResult]:
    """Each scenario's run: a coupled run when the scenario's overrides ask for one (world=...)."""
    return {scenario.name: run_world(load_world(scenario.overrides)) if is_coupled(scenario.overrides)
            else run(load_config(overrides=scenario.overrides, config_dir=config_dir)) for scenario in chosen}


def table(results: dict[str, Result], chosen: list[Scenario]) -> pd.DataFrame:
    """One row per scenario: its overrides and the headline numbers (shares as fractions, t)."""
    overrides = {s.name: " ".join(s.overrides) for s in chosen}
    rows = [{"scenario": name, "overrides": overrides[name], **headline(result)}
            for name, result in results.items()]
    return pd.DataFrame(rows)


def columns(results: dict[str, Result]) -> tuple[dict[str, str], dict[str, str]]:
    """The kind and the label of every headline column, over all scenarios."""
    kinds, labels = {}, {}
    for result in results.values():
        for key, label, _, kind in headline_rows(result):
            kinds.setdefault(key, kind)
            labels.setdefault(key, label)
    return kinds, labels


def csv_table(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """compare.csv: shares in percent, as compare.md shows them, in columns named <key>_pct."""
    shares = [key for key, kind in kinds.items() if kind == "share" and key in frame.columns]
    frame = frame.copy()
    frame[shares] = 100 * frame[shares]
    return frame.rename(columns={key: f"{key}_pct" for key in shares})


def markdown(results: dict[str, Result]) -> str:
    """Indicators as rows, scenarios as columns, values formatted as in summary.md."""
    names = list(results)
    values = {name: {key: (value, kind) for key, _, value, kind in headline_rows(result)}
              for name, result in results.items()}
    end_year = params_of(results[names[0]]).end_year
    lines = ["| indicator | " + " | ".join(names) + " |", "| --- | " + " | ".join("---:" for _ in names) + " |"]
    # rows follow the first scenario; a scenario with another target year shows "-" for its keys
    for key, label, _, _ in headline_rows(results[names[0]]):
        cells = [format_value(*values[n][key], end_year) if key in values[n] else "-" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(results: dict[str, Result], chosen: list[Scenario], directory: Path, draw: bool = True) -> list[Path]:
    """compare.csv, compare.md, compare.xlsx and, when plotting libraries are installed and draw is
    true, compare.png and report.html."""
    directory.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = directory / "compare.csv", directory / "compare.md"
    frame = table(results, chosen)
    kinds, labels = columns(results)
    csv_table(frame, kinds).to_csv(csv_path, index=False, float_format="%.9g")
    first = params_of(next(iter(results.values())))
    text = (f"# Scenario comparison (seed {first.seed}, common random numbers)\n\n" + markdown(results)
            + "\nScenarios: " + "; ".join(f"{s.name}: `{' '.join(s.overrides) or 'defaults'}`" for s in chosen) + "\n")
    md_path.write_text(text)
    record = {"package_version": package_version(), "git_commit": git_commit(), "seed": first.seed,
              "mode": first.mode, "scenarios": "; ".join(f"{s.name}: {' '.join(s.overrides) or 'defaults'}"
                                                         for s in chosen)}
    written = [csv_path, md_path, write_compare_workbook(frame, kinds, labels, directory, record)]
    if draw and any(isinstance(result, WorldResult) for result in results.values()):
        log.info("compare: coupled runs are compared in the tables (compare.md, .csv, .xlsx); no figure")
    elif draw:
        png = compare_png(results, directory / "compare.png")
        page = write_compare_page(text, results, directory, record)
        written += [path for path in (png, page) if path is not None]
        if png is None or page is None:
            log.warning("figures skipped (matplotlib or plotly not installed); install them with: "
                        "pip install 'ndfeb-sim[plots]'")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim compare", usage=USAGE)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides; KEY=a,b,... makes one scenario each")
    parser.add_argument("--out", type=Path, help="output directory (default outputs/compare/<date>/<time>)")
    parser.add_argument("--no-figure", action="store_true", help="write the tables and compare.xlsx only")
    add_config_dir_argument(parser)
    args = parser.parse_intermixed_args(sys.argv[1:] if argv is None else argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(message)s", level=logging.INFO)
    if args.config_dir is not None and is_coupled(args.overrides):
        parser.error("--config-dir: coupled runs (world=...) compose the project's conf/ only")
    chosen = scenarios(args.overrides, args.config_dir)
    results = run_all(chosen, args.config_dir)  # a bad value or unknown option: one line and exit 2, from sim.cli
    directory = args.out or Path("outputs", "compare", datetime.now().strftime("%Y-%m-%d"),
                                 datetime.now().strftime("%H-%M-%S"))
    write(results, chosen, directory, draw=not args.no_figure)
    print(markdown(results))
    print(f"comparison in {directory}")
    return 0
