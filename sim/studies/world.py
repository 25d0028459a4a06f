"""`python -m sim world`: the EU, the United States and Japan in one run (conf/world/), coupled
through China's export pool and their scrap trade; writes the tables and the bloc's answer.
`python -m sim world -m ...` sweeps coupled runs into one sweep table with a `region` column; the
coupled scenario (`Coupled`) is what compare, goal-seek and explorations run in coupled mode."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from ..analysis.world import BLOC_METRICS as BLOC_METRICS  # the KPIs the bloc has, for goal-seek and explore
from ..analysis.world import WorldResult, run_world
from ..config import overrides as grammar
from ..config.errors import ConfigError
from ..config.parameters import Params
from ..config.world import World, load_world, split_overrides
from ..report.summary import pct, tonnes
from ..report.world_report import cover_table, write_world
from .headline import BLOC, region_kpis

USAGE = """python -m sim world [world=allied] [world.KEY=...] [REGION.KEY=...] [OVERRIDE ...] [--out DIR]
       python -m sim world -m KEY=a,b ... [--out DIR] [--workers N]

world.* keys set the coupled run (world.china_pool.cut.share=0.5 world.china_pool.cut.from=2030:
China cuts its exports to the bloc by half from 2030); REGION.KEY=... (e.g. us.plants=none,
eu.segments.ev_traction.liberation_rate=0.7) sets one region; any other override every region.
-m sweeps every combination of the comma lists (range(), glob() as in python -m sim -m) into
sweep.csv with a row per job and region (eu, us, japan, bloc). compare, goalseek and explore run
coupled scenarios too: give them world=allied (or any world.* key)."""

#: world.* keys that take whole numbers (a goal-seek over them is over the integers)
WORLD_INTEGER_KEYS = ("world.china_pool.cut.from",)
_PLAIN = re.compile(r"^[\w.:/+-]+$")


def is_coupled(overrides: Iterable[str]) -> bool:
    """Whether overrides ask for the coupled mode: `world=NAME` or a `world.*` key."""
    return any(o.lstrip("+~").split("=", 1)[0].split(".", 1)[0] == "world" for o in overrides)


def override(key: str, value) -> str:
    """`key=value` in Hydra's grammar: numbers and plain words as they are, other text quoted."""
    if value is None:
        return f"{key}=null"
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"{key}={value!r}"
    text = str(value)
    return f"{key}={text}" if _PLAIN.match(text) else f"{key}='" + text.replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Coupled:
    """A coupled scenario (its overrides: `world=...`, `world.*`, `REGION.KEY=...` and keys for every
    region) and the region whose KPIs a study reads: a region code of the run or `bloc`."""

    overrides: tuple[str, ...]
    region: str = BLOC

    def with_values(self, values: Mapping) -> Coupled:
        """The scenario with each key set to its value (a region's key is `REGION.KEY`)."""
        return replace(self, overrides=(*self.overrides, *(override(k, v) for k, v in values.items())))

    def load(self) -> World:
        """The validated world; a bad value is a ConfigError naming the region in the key."""
        world = load_world(self.overrides)
        if self.region != BLOC and self.region not in world.regions:
            raise ConfigError("region", self.region, f"a region of the run ({', '.join(world.regions)}) or {BLOC}")
        return world

    def params(self, world: World | None = None) -> Params:
        """The parameters of the chosen region (for the bloc, of the run's first region): the years
        and the target a study reads."""
        world = world or self.load()
        return world.regions[self.region] if self.region != BLOC else next(iter(world.regions.values()))

    def run(self) -> WorldResult:
        return run_world(self.load())

    def kpis(self) -> pd.DataFrame:
        """The chosen region's (or the bloc's) KPI table of a run of the scenario."""
        return region_kpis(self.run(), self.region)

    def local_key(self, key: str) -> str:
        """The key as its region's config names it (`eu.plants.x.vessels` -> `plants.x.vessels`)."""
        _, own, _ = split_overrides([f"{key}=0"], self.load().regions)
        return next((items[0].split("=", 1)[0] for items in own.values() if items), key)


# --- sweeps ----------------------------------------------------------------------------------------


def sweep(overrides: list[str], directory: Path, workers: int | None = None) -> int:
    """Every job of the sweep in the overrides (expanded as `python -m sim -m` expands them) as a
    coupled run, each leaving its record; then the sweep table (one row per job and region) and
    its summary, as a single-region sweep writes them. Jobs recorded as done are kept (resume)."""
    from .goalseek import map_tasks
    from .sweep import completed, drop_stale_records, exclusive, report, write_grid

    jobs = list(enumerate(grammar.expand(overrides)))
    directory = Path(directory)
    with exclusive(directory):
        saved = {"coupled": True, "hydra": {"overrides": {"task": list(overrides), "hydra": []}}}
        OmegaConf.save(OmegaConf.create(saved), directory / "multirun.yaml")
        write_grid(directory, jobs)
        drop_stale_records(directory, {directory / str(num): job for num, job in jobs})
        todo = [(directory / str(num), num, job) for num, job in jobs if not completed(directory / str(num), job)]
        map_tasks(_sweep_point, todo, workers, "jobs")
        return report(directory)


def _sweep_point(task) -> None:
    from .sweep import describe, write_record

    directory, job, overrides = task
    try:
        result = run_world(load_world(overrides))
    except Exception as error:  # recorded for the table; the other points go on
        write_record(directory, job, overrides, "failed", describe(error), coupled=True)
        return
    write_record(directory, job, overrides, "ok", result=result)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim world", usage=USAGE)
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("-m", "--multirun", action="store_true", help="sweep the comma lists of the overrides")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default outputs/world/<time>, for -m multirun/<date>/<time>)")
    parser.add_argument("--workers", type=int, default=None, help="processes of a sweep (default: one per core)")
    args = parser.parse_intermixed_args(argv)
    if args.multirun:
        directory = args.out or Path("multirun") / datetime.now().strftime("%Y-%m-%d/%H-%M-%S")
        return sweep(args.overrides, directory, args.workers)
    world = load_world(args.overrides)
    result = run_world(world)
    directory = args.out or Path("outputs") / "world" / datetime.now().strftime("%Y-%m-%d/%H-%M-%S-%f")
    write_world(result, directory)
    table = cover_table(result)
    print(f"{'year':>4}  {'withheld':>10}  {'bloc shortage':>13}  {'bloc recycled':>13}  recycled / withheld")
    for _, row in table.iterrows():
        over = "-" if row["withheld_t"] <= 1e-6 else pct(row["recycled_over_withheld"])
        print(f"{int(row['year']):>4}  {tonnes(row['withheld_t']):>10}  {tonnes(row['shortage_t']):>13}  "
              f"{tonnes(row['recycled_supply_t']):>13}  {over}")
    print(f"Results in {directory}")
    return 0
