"""Goal-seeking: where one parameter meets the recycled-content target (a scan of its range, then
bisection of every crossing), and the frontier over a second parameter (`python -m sim goalseek`).
A coupled scenario (`world=...`) is sought on a region's key or a world key, against a region's
metric or the bloc's (`--region`)."""

from __future__ import annotations

import argparse
import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from ..analysis import workers as processes
from ..analysis.kpis import meets
from ..analysis.progress import Progress
from ..analysis.runner import run_kpis
from ..config import overrides as grammar
from ..config import parameter_table
from ..config.compose import add_config_dir_argument, group_options, load_config, parameters, with_values
from ..config.errors import ConfigError
from .headline import binding
from .world import BLOC, BLOC_METRICS, WORLD_INTEGER_KEYS, Coupled, is_coupled

#: points of the scan before bisection: a window where the target is met that is narrower than
#: (high - low) / (SCAN_POINTS - 1) can fall between two points (raise `points` to find it)
SCAN_POINTS = 41


@dataclass(frozen=True)
class GoalSeek:
    """The answer of a goal-seek: where in [low, high] the parameter meets the target.

    The range is scanned, then every bracket where the target metric crosses the target share is
    bisected, so a metric that rises and falls again (or falls as the parameter grows) is handled:
    `intervals` are the stretches that meet the target, `crossings` the values where it switches.
    """

    parameter: str
    low: float
    high: float
    reachable: bool
    value: float | None  # least value that meets the target (within `tolerance`); None if unreachable
    largest: float | None  # largest value that meets it (a parameter where more is worse)
    kpi_at_value: float | None
    kpi_at_high: float
    binding_at_high: str  # what limits recycled supply in the target year at the top of the range
    metric: str
    share: float
    year: int
    evaluations: int
    tolerance: float
    crossings: tuple[tuple[float, str], ...] = ()  # (value, "met above" | "met below")
    intervals: tuple[tuple[float, float], ...] = ()  # stretches of the range that meet the target
    monotone: bool = True  # the metric never rose and fell (or fell and rose) over the scan
    years: tuple[int, int] | None = None  # the metric is a mean over these years, else the target year

    def describe(self) -> str:
        when = f"mean {self.years[0]}-{self.years[1]}" if self.years else f"in {self.year}"
        target = f"{self.share:g} {self.metric} {when}"
        shape = "" if self.monotone else f"; {self.metric} is not monotone in {self.parameter} over the range"
        if not self.reachable:
            binds = f" and {self.binding_at_high} binds" if self.binding_at_high else ""
            return (f"unreachable: no {self.parameter} in [{self.low:g}, {self.high:g}] meets {target}; at "
                    f"{self.high:g} {self.metric} = {self.kpi_at_high:.4f}{binds}{shape}")
        stretches = ", ".join(f"[{a:.6g}, {b:.6g}]" for a, b in self.intervals)
        text = (f"{self.parameter} = {self.value:.6g} is the least value in [{self.low:g}, {self.high:g}] "
                f"that meets {target} ({self.metric} = {self.kpi_at_value:.4f}); met on {stretches}")
        if self.largest is not None and self.largest < self.high:
            text += f"; the largest value that meets it is {self.largest:.6g}"
        if self.crossings:
            text += "; crossings at " + ", ".join(f"{v:.6g} ({d})" for v, d in self.crossings)
        return text + f"{shape} ({self.evaluations} runs, tolerance {self.tolerance:.3g})"


def plain_config(cfg: DictConfig | Mapping | Coupled) -> dict | Coupled:
    """A composed config as plain, resolved containers without the `hydra` node (a coupled
    scenario as it is)."""
    if isinstance(cfg, Coupled):
        return cfg
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else copy.deepcopy(dict(cfg))
    container.pop("hydra", None)
    return container


def with_value(config: Mapping | Coupled, parameter: str, value: float) -> dict | Coupled:
    """A copy of the config with `parameter` set to `value`: any config key (an anchor series
    becomes constant), or a series knob such as plant_schedules.scale or plants.<plant>.capacity.scale;
    for a coupled scenario also `REGION.KEY` or a `world.*` key."""
    if isinstance(config, Coupled):
        return config.with_values({parameter: value})
    return with_values(config, {parameter: value})


def _metric(result_kpis: pd.DataFrame, metric: str, year: int, years: tuple[int, int] | None) -> tuple[float, str]:
    """The target metric in the target year (or its mean over `years`; means over replications)
    and the binding constraint in the target year ("" for the bloc, which has none)."""
    by_year = result_kpis.groupby("year")[metric].mean()
    value = float(by_year.loc[years[0]:years[1]].mean()) if years else float(by_year.loc[year])
    return value, binding(result_kpis[result_kpis["year"] == year]) or ""


def integer_valued(parameter: str) -> bool:
    """Whether the key takes whole numbers (vessels, years, counts): sought over the integers."""
    parts = tuple(parameter.split("."))
    row = parameter_table.children(parts[:-1]).get(parts[-1])
    return row is not None and row.kind.removeprefix("optional_") in ("count", "year", "seed")


def bisection_tolerance(low: float, high: float, tolerance: float | None) -> float:
    """The tolerance of a goal-seek over [low, high] (default: a thousandth of the range); a
    ValueError for an empty or infinite range or a tolerance that bisection could never reach."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"goal-seek range [{low}, {high}]: expected finite numbers")
    if not high > low:
        raise ValueError(f"goal-seek range [{low}, {high}]: expected low < high")
    if tolerance is None:
        tolerance = (high - low) / 1000
    if not tolerance > 0:
        raise ValueError(f"goal-seek tolerance {tolerance}: expected a positive number")
    return tolerance


def seek(cfg: DictConfig | Mapping, parameter: str, low: float, high: float, tolerance: float | None = None,
         workers: int | None = None, points: int = SCAN_POINTS, years: tuple[int, int] | None = None) -> GoalSeek:
    """Where in [low, high] `parameter` meets the config's target: `points` evenly spaced runs,
    then bisection to within `tolerance` (default: a thousandth of the range) inside every bracket
    where the metric crosses the target share.

    workers : processes for the scan (default: one per core; 1 runs in this process)
    years : (first, last) to compare the mean of the target metric over those years instead
    """
    tolerance = bisection_tolerance(low, high, tolerance)
    if points < 2:
        raise ValueError(f"goal-seek points {points}: expected at least 2")
    base = plain_config(cfg)
    coupled = isinstance(base, Coupled)
    # validates the base scenario once, before any search (a coupled one: the region's parameters)
    params = base.params() if coupled else parameters(base)
    whole = parameter in WORLD_INTEGER_KEYS or integer_valued(base.local_key(parameter) if coupled else parameter)
    if whole:  # vessels 1 10: whole numbers only, to the nearest one
        if low != int(low) or high != int(high):
            raise ValueError(f"goal-seek range [{low:g}, {high:g}] of {parameter}: expected whole numbers")
        low, high, tolerance = int(low), int(high), 1
    target = params.target
    if target.share is None:
        raise ValueError(f"goal-seek on {parameter}: the scenario has no target (target.share is none, "
                         "target=none); expected a target share to seek, e.g. target=region_made_2030"
                         + (f" (the {base.region} takes the target of the run's first region; target.share=... "
                            "sets it for every region)" if coupled and base.region == BLOC else ""))
    if coupled and base.region == BLOC and target.metric not in BLOC_METRICS:
        raise ValueError(f"goal-seek on the bloc: target.metric = {target.metric}: expected a KPI the bloc has "
                         f"({', '.join(BLOC_METRICS)})")
    if years is not None and not params.start_year <= years[0] <= years[1] <= params.end_year:
        raise ValueError(f"goal-seek years {years[0]}-{years[1]}: expected years in "
                         f"[{params.start_year}, {params.end_year}], first <= last")
    task = (base, parameter, target.metric, target.year, years)
    grid = (sorted({int(round(v)) for v in np.linspace(low, high, points)}) if whole
            else [float(v) for v in np.linspace(low, high, points)])
    seen = dict(zip(grid, map_tasks(_evaluate, [(*task, v) for v in grid], workers)))  # value -> (metric, binding)

    def met(value: float) -> bool:
        if value not in seen:
            seen[value] = _evaluate((*task, value))
        return meets(seen[value][0], target.share)

    crossings, edges = [], {}
    for i in range(len(grid) - 1):
        lower, upper, lower_met = grid[i], grid[i + 1], met(grid[i])
        if lower_met == met(upper):
            continue
        # a tolerance below the float spacing of the range would never be reached: stop there too
        while upper - lower > tolerance and lower < (lower + upper) / 2 < upper:
            middle = (lower + upper) // 2 if whole else (lower + upper) / 2
            if met(middle) == lower_met:
                lower = middle
            else:
                upper = middle
        # the value kept is the one that meets: the largest below a fall, the least above a rise
        edges[i] = lower if lower_met else upper
        crossings.append((edges[i], "met below" if lower_met else "met above"))
    intervals = _intervals(grid, [met(v) for v in grid], edges)
    values = [seen[v][0] for v in grid]
    rises = any(b > a + 1e-12 for a, b in zip(values, values[1:]))
    falls = any(b < a - 1e-12 for a, b in zip(values, values[1:]))
    value = intervals[0][0] if intervals else None
    return GoalSeek(parameter, low, high, bool(intervals), value, intervals[-1][1] if intervals else None,
                    None if value is None else seen[value][0], seen[grid[-1]][0], seen[grid[-1]][1],
                    target.metric, target.share, target.year, len(seen), tolerance, tuple(crossings),
                    tuple(intervals), not (rises and falls), years)


def _intervals(grid: list[float], met: list[bool], edge_at: dict[int, float]) -> list[tuple[float, float]]:
    """The stretches of the range that meet the target, from the scan and the bisected edges."""
    stretches, start = [], grid[0] if met[0] else None
    for i in range(len(grid) - 1):
        if i in edge_at:
            if met[i]:
                stretches.append((start, edge_at[i]))
                start = None
            else:
                start = edge_at[i]
    if start is not None:
        stretches.append((start, grid[-1]))
    return [(float(a), float(b)) for a, b in stretches]


def _evaluate(task) -> tuple[float, str]:
    base, parameter, metric, year, years, value = task
    value = value if isinstance(value, int) else float(value)  # whole numbers stay integers (vessels)
    scenario = with_value(base, parameter, value)
    kpis = scenario.kpis() if isinstance(scenario, Coupled) else run_kpis(parameters(scenario))
    return _metric(kpis, metric, year, years)


def map_tasks(function, tasks: list, workers: int | None, progress: str | None = None) -> list:
    """function over tasks in order, in the process pool of `workers` (default one per core);
    progress: a label under which to report the tasks done on stderr."""
    workers = processes.count(workers, len(tasks))
    results = []
    with Progress(len(tasks), progress or "tasks", enabled=progress is not None) as done:
        if workers <= 1:
            for task in tasks:
                results.append(function(task))
                done.advance()
            return results
        with processes.pool(workers) as pool:
            for result in pool.map(function, tasks):
                results.append(result)
                done.advance()
    return results


def frontier(cfg: DictConfig | Mapping, parameter: str, low: float, high: float, over: str,
             values: Sequence[float], tolerance: float | None = None, workers: int | None = None,
             points: int = SCAN_POINTS, years: tuple[int, int] | None = None,
             progress: bool = False, configs: Sequence[DictConfig | Mapping] | None = None) -> pd.DataFrame:
    """For each value of `over`, the least `parameter` in [low, high] that meets the target: one
    goal-seek per value, in a process pool (`workers`, default one per core; 1 = in this process);
    progress: report the goal-seeks done on stderr. configs: for an `over` that is a config group,
    the config composed with each of its options (`values`), used instead of setting a value on `cfg`.

    Columns: <over>, value (None if unreachable), largest, reachable, monotone, kpi_at_value, high,
    kpi_at_high, binding_at_high, evaluations; attrs hold over, parameter, metric, share and year.
    """
    if configs is None:
        base = plain_config(cfg)
        configs = [with_value(base, over, v) for v in values]
    tasks = [(plain_config(c), parameter, low, high, tolerance, points, years) for c in configs]
    answers = map_tasks(_seek, tasks, workers, "frontier" if progress else None)
    columns = ["value", "largest", "reachable", "monotone", "kpi_at_value", "high", "kpi_at_high",
               "binding_at_high", "evaluations"]
    frame = pd.DataFrame([{over: v, **{c: asdict(a)[c] for c in columns}} for v, a in zip(values, answers)])
    first = answers[0] if answers else None
    frame.attrs.update(over=over, parameter=parameter, low=low,
                       metric=first.metric if first else "", share=first.share if first else None,
                       year=first.year if first else None)
    return frame


def _seek(task) -> GoalSeek:
    config, parameter, low, high, tolerance, points, years = task
    return seek(config, parameter, low, high, tolerance, workers=1, points=points, years=years)


# --- command -------------------------------------------------------------------------------------


def is_group(key: str, config_dir: Path | None = None) -> bool:
    """Whether `key` is a config group (of conf/ or of one's own config_dir), not a value."""
    return "." not in key and bool(group_options(key, config_dir))


def _swept_values(text: str, config_dir: Path | None = None) -> tuple[str, list]:
    """`key=v1,v2,...`, `key=range(start,stop,step)` or `group=glob(pattern)`: the key and its values
    expanded as a sweep (for a config group, options of conf/<group> or of <config_dir>/<group>)."""
    [override] = grammar.parse([text])
    key = override.key_or_group
    group = is_group(key, config_dir)
    values = [grammar.parse(job)[0].value() for job in grammar.expand([text], config_dir=config_dir)]
    if not values:
        raise ValueError(f"--over {text}: no values (glob() matches no option of {key})")
    if group:
        return key, [str(v) for v in values]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"--over {text}: expected numbers, or options of a config group")
    return key, values  # as parsed: whole numbers stay integers (years, vessels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim goalseek", description=__doc__,
        epilog="example: python -m sim goalseek plant_schedules.scale 0 10 policy=combined "
               "--over segments.ev_traction.liberation_rate=0.2,0.4,0.6,0.8; coupled: python -m sim goalseek "
               "world.china_pool.cut.share 0 1 target.share=0.015 --region bloc")
    parser.add_argument("parameter", help="a config key such as segments.ev_traction.collection_rate, "
                                          "plant_schedules.scale or plants.<plant>.capacity.scale; of coupled "
                                          "runs also REGION.KEY or world.* (e.g. world.china_pool.cut.share)")
    parser.add_argument("low", type=float)
    parser.add_argument("high", type=float)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the scenario, as for python -m sim")
    parser.add_argument("--tolerance", type=float, help="bisection tolerance (default: range / 1000)")
    parser.add_argument("--points", type=int, default=SCAN_POINTS,
                        help=f"runs of the scan before bisection (default {SCAN_POINTS}); more find narrower windows")
    parser.add_argument("--mean", type=int, nargs=2, metavar=("FIRST", "LAST"),
                        help="compare the mean of the target metric over these years with the target share")
    parser.add_argument("--over", help="frontier: KEY=v1,v2,..., KEY=range(a,b,step) or GROUP=glob(pattern) "
                                       "(options of a config group); one goal-seek per value")
    parser.add_argument("--out", type=Path, help="directory for frontier.csv and frontier.md")
    parser.add_argument("--region", help=f"coupled runs (selected by this, world=NAME or a world.* key): the "
                                         f"region whose metric meets the target, or {BLOC} (the default)")
    add_config_dir_argument(parser)
    args = parser.parse_intermixed_args(argv)
    coupled = args.region is not None or is_coupled([*args.overrides, f"{args.parameter}=0"])
    if coupled and args.config_dir is not None:
        parser.error("--config-dir: coupled runs (world=...) compose the project's conf/ only")
    years = tuple(args.mean) if args.mean else None
    try:
        bisection_tolerance(args.low, args.high, args.tolerance)
        if args.points < 2:
            raise ValueError(f"--points {args.points}: expected at least 2")
        over, values = _swept_values(args.over, args.config_dir) if args.over is not None else (None, [])
    except ValueError as error:
        parser.error(str(error))  # usage and the reason, exit status 2
    # a bad value or unknown option in the scenario: one line and exit status 2, from sim.cli
    cfg = Coupled(tuple(args.overrides), args.region or BLOC) if coupled \
        else load_config(args.overrides, config_dir=args.config_dir)
    if over is None:
        try:
            answer = seek(cfg, args.parameter, args.low, args.high, args.tolerance, points=args.points, years=years)
        except ValueError as error:
            if isinstance(error, ConfigError):
                raise
            parser.error(str(error))
        print(answer.describe())
        return 0
    # a config group is composed once per option; any other key is set on the composed scenario
    configs = [load_config([*args.overrides, f"{over}={v}"], config_dir=args.config_dir) for v in values] \
        if is_group(over, args.config_dir) and not coupled else None
    table = frontier(cfg, args.parameter, args.low, args.high, over, values, args.tolerance,
                     points=args.points, years=years, progress=True, configs=configs)
    from ..report.sweep_figures import frontier_markdown
    text = frontier_markdown(table)
    print(text, end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "frontier.csv", index=False, float_format="%.9g")
        (args.out / "frontier.md").write_text(text)
        print(f"frontier in {args.out}")
    return 0


