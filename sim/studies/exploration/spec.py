"""The exploration spec (conf/explore/<name>.yaml): uncertainties with distributions or config-group
choices, levers, outcomes and the base scenario, validated into frozen dataclasses."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

from ...config.compose import CONFIG_DIR
from ...config.errors import ConfigError

DISTRIBUTIONS = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                 "truncated_normal": ("mean", "std", "low", "high"), "discrete": ("values",)}
OUTCOME_KINDS = ("year", "mean", "sum", "first_year")
DIRECTIONS = ("maximize", "minimize")
SAMPLERS = ("lhs", "sobol", "morris")


@dataclass(frozen=True)
class Uncertainty:
    """A config key (or a config group, with `options`) and how its values are spread."""

    key: str
    distribution: str  # one of DISTRIBUTIONS, or "group" for a config-group choice
    parameters: tuple  # the distribution's parameters in DISTRIBUTIONS order; options of a group
    source: str
    unit: str | None = None  # a sampled number is set as "<number> <unit>" (e.g. "1.8 kg")
    same_for: tuple[str, ...] = ()  # further keys set to the same value (e.g. the same lifetime)
    #: keys set to plus + times x the sampled value, instead of the key itself: (key, plus, times);
    #: e.g. a direct-drive share that splits one capacity between two linked series
    sets: tuple[tuple[str, float, float], ...] = ()

    def settings(self, value) -> dict:
        """The config keys this uncertainty sets to a sampled value, and what they are set to."""
        if self.sets:
            return {key: self._with_unit(plus + times * value) for key, plus, times in self.sets}
        return {key: self._with_unit(value) for key in (self.key, *self.same_for)}

    def _with_unit(self, value):
        return value if self.unit is None else f"{value!r} {self.unit}"

    @property
    def is_group(self) -> bool:
        return self.distribution == "group"

    @property
    def is_discrete(self) -> bool:
        return self.distribution in ("discrete", "group")

    def value(self, u: np.ndarray) -> np.ndarray:
        """Values at unit-cube points u in [0, 1): the inverse of the distribution function."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0 - 1e-12)
        if self.is_discrete:
            options = np.array(self.parameters, dtype=object)
            return options[np.floor(u * len(options)).astype(int)]
        if self.distribution == "uniform":
            low, high = self.parameters
            return low + u * (high - low)
        if self.distribution == "triangular":
            low, mode, high = self.parameters
            return stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)
        mean, std, low, high = self.parameters
        return stats.truncnorm.ppf(u, (low - mean) / std, (high - mean) / std, loc=mean, scale=std)


@dataclass(frozen=True)
class Outcome:
    """A KPI reduced to one number per run: in a year, mean or sum over years, or the first year
    the target is met (`first_year`, NaN when never)."""

    name: str
    kpi: str
    kind: str
    years: tuple[int, int]  # first and last year (equal for kind "year")
    direction: str
    region: str | None = None  # a coupled exploration: the region (or `bloc`) whose KPI it is

    def describe(self) -> str:
        span = f"{self.years[0]}" if self.years[0] == self.years[1] else f"{self.years[0]}-{self.years[1]}"
        text = {"year": f"{self.kpi} in {span}", "mean": f"mean {self.kpi} over {span}",
                "sum": f"{self.kpi} summed over {span}",
                "first_year": f"first year the target is met ({span})"}[self.kind]
        return text if self.region is None else f"{text}, {self.region}"


@dataclass(frozen=True)
class Exploration:
    name: str
    overrides: tuple[str, ...]  # Hydra overrides of the base scenario, for every run
    uncertainties: tuple[Uncertainty, ...]
    levers: tuple[tuple[str, tuple[str, ...]], ...]  # name, Hydra overrides (groups or keys)
    outcomes: tuple[Outcome, ...]
    sampler: str
    n: int
    seed: int
    world: str | None = None  # an option of conf/world/: every run is a coupled run of its regions

    @property
    def lever_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.levers)

    @property
    def uncertainty_keys(self) -> tuple[str, ...]:
        return tuple(u.key for u in self.uncertainties)


def path_of(name: str, config_dir: Path | None = None) -> Path:
    """conf/explore/<name>.yaml, or <config_dir>/explore/<name>.yaml when one's own directory has it
    (an own exploration of the same name comes first, as an own option of any config group does)."""
    own = Path(config_dir).expanduser() / "explore" / f"{name}.yaml" if config_dir is not None else None
    return own if own is not None and own.is_file() else CONFIG_DIR / "explore" / f"{name}.yaml"


def available(config_dir: Path | None = None) -> list[str]:
    """The explorations of conf/explore/ and of <config_dir>/explore/."""
    folders = [CONFIG_DIR / "explore", *([Path(config_dir).expanduser() / "explore"] if config_dir else [])]
    return sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.yaml")})


def load(name: str, config_dir: Path | None = None) -> Exploration:
    """Read and validate conf/explore/<name>.yaml (or <config_dir>/explore/<name>.yaml, or a path to
    a YAML file)."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else path_of(name, config_dir)
    if not path.is_file():
        if name.endswith((".yaml", ".yml")):
            raise ConfigError("explore", name, "an exploration's YAML file (there is no such file)")
        where = "conf/explore" + (f" or {Path(config_dir) / 'explore'}" if config_dir else "")
        raise ConfigError("explore", name, f"an exploration in {where} ({', '.join(available(config_dir)) or 'none'})")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(where, "", "valid YAML") from None
    return validate(spec, path.stem)


def validate(spec, name: str) -> Exploration:
    """An exploration from its YAML mapping; every mistake is a one-line ConfigError."""
    if not isinstance(spec, Mapping):
        raise ConfigError(name, spec, "a mapping with uncertainties, levers and outcomes")
    allowed = {"name", "description", "overrides", "uncertainties", "levers", "outcomes", "sampler", "n", "seed",
               "world"}
    for key in spec:
        if key not in allowed:
            raise ConfigError(key, spec[key], f"a key of an exploration ({', '.join(sorted(allowed))})")
    sampler = spec.get("sampler", "lhs")
    if sampler not in SAMPLERS:
        raise ConfigError("sampler", sampler, f"one of {', '.join(SAMPLERS)}")
    n = _integer("n", spec.get("n", 100), 1)
    seed = _integer("seed", spec.get("seed", 0), 0)
    overrides = _overrides("overrides", spec.get("overrides", []))
    uncertainties = _uncertainties(spec.get("uncertainties"))
    levers = _levers(spec.get("levers", {"base": []}))
    world = spec.get("world")
    if world is not None and not (isinstance(world, str) and world):
        raise ConfigError("world", world, "an option of conf/world/ (e.g. allied), for coupled runs")
    outcomes = _outcomes(spec.get("outcomes"), world is not None)
    return Exploration(str(spec.get("name", name)), overrides, uncertainties, levers, outcomes, sampler, n, seed,
                       world)


def _integer(key: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ConfigError(key, value, f"an integer >= {low}")
    return int(value)


def _number(key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ConfigError(key, value, "a number")
    return float(value)


def _overrides(key: str, value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and "=" in v for v in value):
        raise ConfigError(key, value, "a list of Hydra overrides such as 'policy=combined'")
    return tuple(value)


def _uncertainties(value) -> tuple[Uncertainty, ...]:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError("uncertainties", value, "a mapping of config keys to distributions")
    found = []
    for key, item in value.items():
        where = f"uncertainties.{key}"
        if not isinstance(item, Mapping):
            raise ConfigError(where, item, "a mapping with a distribution (or options) and a source")
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(f"{where}.source", source, "the source of the range or the reason for it")
        if "options" in item:
            options = item["options"]
            if set(item) - {"options", "source"}:
                raise ConfigError(where, dict(item), "options and source only for a config-group choice")
            if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
                raise ConfigError(f"{where}.options", options, "a list of at least two config-group options")
            found.append(Uncertainty(str(key), "group", tuple(options), source))
            continue
        found.append(_distribution(where, str(key), item, source))
    return tuple(found)


def _distribution(where: str, key: str, item: Mapping, source: str) -> Uncertainty:
    name = item.get("distribution")
    if name not in DISTRIBUTIONS:
        raise ConfigError(f"{where}.distribution", name, f"one of {', '.join(DISTRIBUTIONS)}, or options")
    needed = DISTRIBUTIONS[name]
    for extra in sorted(set(item) - set(needed) - {"distribution", "source", "unit", "same_for", "sets"}):
        raise ConfigError(f"{where}.{extra}", item[extra],
                          f"only {', '.join(needed)} (and unit, same_for, sets, source) for a {name} distribution")
    unit = item.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ConfigError(f"{where}.unit", unit, "a unit such as 'kg' or 'yr'")
    same_for = item.get("same_for", [])
    if not isinstance(same_for, list) or not all(isinstance(k, str) for k in same_for):
        raise ConfigError(f"{where}.same_for", same_for, "a list of config keys")
    for param in needed:
        if param not in item:
            raise ConfigError(f"{where}.{param}", None, f"a value for the {name} distribution")
    sets = _sets(f"{where}.sets", item.get("sets"))
    if sets and same_for:
        raise ConfigError(f"{where}.same_for", same_for, "no same_for beside sets (list every key under sets)")
    if name == "discrete":
        values = item["values"]
        if not isinstance(values, list) or len(values) < 2:
            raise ConfigError(f"{where}.values", values, "a list of at least two values")
        if sets and not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            raise ConfigError(f"{where}.values", values, "numbers, for an uncertainty with sets")
        return Uncertainty(key, name, tuple(values), source, unit, tuple(same_for), sets)
    params = {p: _number(f"{where}.{p}", item[p]) for p in needed}
    if not params["low"] < params["high"]:
        raise ConfigError(f"{where}.high", item["high"], f"a number above low ({params['low']:g})")
    if name == "triangular" and not params["low"] <= params["mode"] <= params["high"]:
        raise ConfigError(f"{where}.mode", item["mode"], "a number in [low, high]")
    if name == "truncated_normal" and not params["std"] > 0:
        raise ConfigError(f"{where}.std", item["std"], "a positive number")
    return Uncertainty(key, name, tuple(params[p] for p in needed), source, unit, tuple(same_for), sets)


def _sets(where: str, value) -> tuple[tuple[str, float, float], ...]:
    """`sets: {config key: {plus: a, times: b}}`: each key is set to a + b x the sampled value."""
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(where, value, "a mapping of config keys to {plus: a, times: b} (set to a + b x value)")
    found = []
    for key, link in value.items():
        if not isinstance(link, Mapping) or not link or set(link) - {"plus", "times"}:
            raise ConfigError(f"{where}.{key}", link, "{plus: a, times: b} (either may be left out: 0 and 1)")
        found.append((str(key), _number(f"{where}.{key}.plus", link.get("plus", 0.0)),
                      _number(f"{where}.{key}.times", link.get("times", 1.0))))
    return tuple(found)


def _levers(value) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError("levers", value, "a mapping of lever names to lists of overrides")
    return tuple((str(name), _overrides(f"levers.{name}", overrides)) for name, overrides in value.items())


def _outcomes(value, coupled: bool = False) -> tuple[Outcome, ...]:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError("outcomes", value, "a mapping of outcome names to {kpi, year | mean | sum | first_year}")
    found = []
    for name, item in value.items():
        where = f"outcomes.{name}"
        if not isinstance(item, Mapping):
            raise ConfigError(where, item, "a mapping {kpi, year | mean | sum | first_year}")
        kinds = [k for k in OUTCOME_KINDS if k in item]
        if len(kinds) != 1:
            raise ConfigError(where, dict(item), f"exactly one of {', '.join(OUTCOME_KINDS)}")
        kind = kinds[0]
        for extra in sorted(set(item) - {kind, "kpi", "direction", *(["region"] if coupled else [])}):
            also = ", region (of the coupled run)" if coupled else " (region: with world: ...)"
            raise ConfigError(f"{where}.{extra}", item[extra], f"only kpi, {kind}, direction{also}")
        kpi = item.get("kpi", "target" if kind == "first_year" else None)
        if not isinstance(kpi, str):
            raise ConfigError(f"{where}.kpi", kpi, "the name of a KPI column (kpis.csv)")
        years = item[kind]
        if kind == "year":
            years = [years, years]
        if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) and not isinstance(y, bool)
                                                                     for y in years) and years[0] <= years[1]):
            raise ConfigError(f"{where}.{kind}", item[kind],
                              "a year" if kind == "year" else "[first year, last year] as integers")
        direction = item.get("direction", "minimize" if kind == "first_year" else "maximize")
        if direction not in DIRECTIONS:
            raise ConfigError(f"{where}.direction", direction, f"one of {', '.join(DIRECTIONS)}")
        region = item.get("region", "bloc" if coupled else None)
        if coupled and not isinstance(region, str):
            raise ConfigError(f"{where}.region", region, "a region of the coupled run, or bloc")
        found.append(Outcome(str(name), kpi, kind, (years[0], years[1]), direction, region))
    return tuple(found)
