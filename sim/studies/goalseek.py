"""Goal-seeking: the least value of one parameter that meets the recycled-content target, found by
bisection in this process, and the frontier over a second parameter (`python -m sim goalseek`)."""

from __future__ import annotations

import argparse
import copy
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from ..analysis import workers as processes
from ..analysis.kpis import meets
from ..analysis.runner import run
from ..config import overrides as grammar
from ..config.compose import load_config, parameters
from ..config.errors import ConfigError
from ..config.units import parse_quantity
from .headline import headline

#: scales every plant's capacity schedule; `plants.<plant>.capacity_scale` scales one plant's
CAPACITY_SCALE = "capacity_scale"


@dataclass(frozen=True)
class GoalSeek:
    """The answer of a goal-seek. The target metric is assumed not to decrease as the parameter
    grows (more collection, liberation or capacity never lowers recycled content)."""

    parameter: str
    low: float
    high: float
    reachable: bool
    value: float | None  # least value that meets the target (within `tolerance`); None if unreachable
    kpi_at_value: float | None
    kpi_at_high: float
    binding_at_high: str  # what limits recycled supply in the target year at the top of the range
    metric: str
    share: float
    year: int
    evaluations: int
    tolerance: float

    def describe(self) -> str:
        target = f"{self.share:g} {self.metric} in {self.year}"
        if self.reachable:
            return (f"{self.parameter} = {self.value:.6g} is the least value in [{self.low:g}, {self.high:g}] "
                    f"that meets {target} ({self.metric} = {self.kpi_at_value:.4f}; "
                    f"{self.evaluations} runs, tolerance {self.tolerance:.3g})")
        return (f"unreachable: no {self.parameter} in [{self.low:g}, {self.high:g}] meets {target}; at "
                f"{self.high:g} {self.metric} = {self.kpi_at_high:.4f} and {self.binding_at_high} binds")


def plain_config(cfg: DictConfig | Mapping) -> dict:
    """A composed config as plain, resolved containers without the `hydra` node."""
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else copy.deepcopy(dict(cfg))
    container.pop("hydra", None)
    return container


def with_value(config: Mapping, parameter: str, value: float) -> dict:
    """A copy of the config with `parameter` set to `value`: a config key (an anchor series becomes
    constant), or a capacity scale applied to the plants' capacity schedules."""
    config = copy.deepcopy(dict(config))
    plants = config.get("plants") or {}
    if parameter == CAPACITY_SCALE:
        for name in plants:
            _scale_capacity(plants[name], f"plants.{name}.capacity", value)
        return config
    path = parameter.split(".")
    if len(path) == 3 and path[0] == "plants" and path[2] == CAPACITY_SCALE:
        if path[1] not in plants:
            raise ConfigError(parameter, value, f"a plant's capacity scale (plants: {', '.join(plants)})")
        _scale_capacity(plants[path[1]], f"plants.{path[1]}.capacity", value)
        return config
    node = config
    for depth, name in enumerate(path):
        if not isinstance(node, dict) or name not in node:
            raise ConfigError(parameter, value, f"a key of the config ('{'.'.join(path[:depth + 1])}' is not one) "
                                                f"or {CAPACITY_SCALE}")
        if depth == len(path) - 1:
            node[name] = value
        node = node[name]
    return config


def _scale_capacity(plant: dict, key: str, factor: float) -> None:
    """Multiply a plant's capacity (a quantity or a {year: quantity} schedule) by `factor`."""
    if factor < 0:
        raise ConfigError(key.replace("capacity", CAPACITY_SCALE), factor, "a factor >= 0")
    capacity = plant.get("capacity")
    if isinstance(capacity, Mapping):
        plant["capacity"] = {year: f"{parse_quantity(f'{key}.{year}', v, 'kg/yr') * factor!r} kg/yr"
                             for year, v in capacity.items()}
    else:
        plant["capacity"] = f"{parse_quantity(key, capacity, 'kg/yr') * factor!r} kg/yr"


def bisection_tolerance(low: float, high: float, tolerance: float | None) -> float:
    """The tolerance of a goal-seek over [low, high] (default: a thousandth of the range); a
    ValueError for an empty range or a tolerance that bisection could never reach."""
    if not high > low:
        raise ValueError(f"goal-seek range [{low}, {high}]: expected low < high")
    if tolerance is None:
        tolerance = (high - low) / 1000
    if not tolerance > 0:
        raise ValueError(f"goal-seek tolerance {tolerance}: expected a positive number")
    return tolerance


def seek(cfg: DictConfig | Mapping, parameter: str, low: float, high: float, tolerance: float | None = None,
         workers: int | None = None) -> GoalSeek:
    """The least value of `parameter` in [low, high] for which the config's target is met, by
    bisection to within `tolerance` (default: a thousandth of the range), each evaluation one run
    in this process; unreachable when even `high` does not meet it.

    workers : processes for a stochastic run's replications (as in sim.run)
    """
    tolerance = bisection_tolerance(low, high, tolerance)
    base = plain_config(cfg)
    target = parameters(base).target  # validates the base scenario once, before any search
    evaluations = 0

    def evaluate(value: float) -> dict:
        nonlocal evaluations
        evaluations += 1
        return headline(run(with_value(base, parameter, value), workers=workers))

    def answer(value, at_value, at_high) -> GoalSeek:
        return GoalSeek(parameter, low, high, value is not None, value,
                        None if at_value is None else at_value[target.metric], at_high[target.metric],
                        at_high["binding_constraint"], target.metric, target.share, target.year,
                        evaluations, tolerance)

    at_high = evaluate(high)
    if not meets(at_high[target.metric], target.share):
        return answer(None, None, at_high)
    at_low = evaluate(low)
    if meets(at_low[target.metric], target.share):
        return answer(low, at_low, at_high)
    lower, upper, at_upper = low, high, at_high
    # a tolerance below the float spacing of the range would never be reached: stop there too
    while upper - lower > tolerance and lower < (lower + upper) / 2 < upper:
        middle = (lower + upper) / 2
        at_middle = evaluate(middle)
        if meets(at_middle[target.metric], target.share):
            upper, at_upper = middle, at_middle
        else:
            lower = middle
    return answer(upper, at_upper, at_high)


def frontier(cfg: DictConfig | Mapping, parameter: str, low: float, high: float, over: str,
             values: Sequence[float], tolerance: float | None = None, workers: int | None = None) -> pd.DataFrame:
    """For each value of `over`, the least `parameter` in [low, high] that meets the target: one
    goal-seek per value, in a process pool (`workers`, default one per core; 1 = in this process).

    Columns: <over>, value (None if unreachable), reachable, kpi_at_value, high, kpi_at_high,
    binding_at_high, evaluations; attrs hold over, parameter, metric, share and year.
    """
    base = plain_config(cfg)
    tasks = [(with_value(base, over, v), parameter, low, high, tolerance) for v in values]
    workers = processes.count(workers, len(tasks))
    if workers <= 1:
        answers = [_seek(task) for task in tasks]
    else:
        with processes.pool(workers) as pool:
            answers = list(pool.map(_seek, tasks))
    columns = ["value", "reachable", "kpi_at_value", "high", "kpi_at_high", "binding_at_high", "evaluations"]
    frame = pd.DataFrame([{over: v, **{c: asdict(a)[c] for c in columns}} for v, a in zip(values, answers)])
    first = answers[0] if answers else None
    frame.attrs.update(over=over, parameter=parameter, low=low,
                       metric=first.metric if first else "", share=first.share if first else None,
                       year=first.year if first else None)
    return frame


def _seek(task) -> GoalSeek:
    config, parameter, low, high, tolerance = task
    return seek(config, parameter, low, high, tolerance, workers=1)


# --- command -------------------------------------------------------------------------------------


def _swept_values(text: str) -> tuple[str, list]:
    """`key=v1,v2,...` or `key=range(start,stop,step)`: the key and its values, expanded as a sweep."""
    [override] = grammar.parse([text])
    values = [grammar.parse(job)[0].value() for job in grammar.expand([text])]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"--over {text}: expected numbers")
    return override.key_or_group, values  # as parsed: whole numbers stay integers (years, vessels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim goalseek", description=__doc__,
        epilog="example: python -m sim goalseek capacity_scale 0 10 policy=combined "
               "--over segments.ev_traction.liberation_rate=0.2,0.4,0.6,0.8")
    parser.add_argument("parameter", help=f"a config key such as segments.ev_traction.collection_rate, "
                                          f"{CAPACITY_SCALE}, or plants.<plant>.{CAPACITY_SCALE}")
    parser.add_argument("low", type=float)
    parser.add_argument("high", type=float)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the scenario, as for python -m sim")
    parser.add_argument("--tolerance", type=float, help="bisection tolerance (default: range / 1000)")
    parser.add_argument("--over", help="frontier: KEY=v1,v2,... or KEY=range(a,b,step); one goal-seek per value")
    parser.add_argument("--out", type=Path, help="directory for frontier.csv and frontier.md")
    args = parser.parse_args(argv)
    try:
        bisection_tolerance(args.low, args.high, args.tolerance)
        over, values = _swept_values(args.over) if args.over is not None else (None, [])
    except ValueError as error:
        parser.error(str(error))  # usage and the reason, exit status 2
    # a bad value or unknown option in the scenario: one line and exit status 2, from sim.cli
    cfg = load_config(args.overrides)
    if over is None:
        print(seek(cfg, args.parameter, args.low, args.high, args.tolerance).describe())
        return 0
    table = frontier(cfg, args.parameter, args.low, args.high, over, values, args.tolerance)
    from ..report.sweep_figures import frontier_markdown
    text = frontier_markdown(table)
    print(text, end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "frontier.csv", index=False, float_format="%.9g")
        (args.out / "frontier.md").write_text(text)
        print(f"frontier in {args.out}")
    return 0


