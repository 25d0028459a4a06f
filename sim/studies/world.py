"""`python -m sim world`: the EU, the United States and Japan in one run (conf/world/), coupled
through China's export pool and their scrap trade; writes the tables and the bloc's answer."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from ..analysis.world import run_world
from ..config.world import load_world
from ..report.summary import pct, tonnes
from ..report.world_report import cover_table, write_world

USAGE = """python -m sim world [world=allied] [world.KEY=...] [REGION.KEY=...] [OVERRIDE ...] [--out DIR]

world.* keys set the coupled run (world.china_pool.cut.share=0.5 world.china_pool.cut.from=2030:
China cuts its exports to the bloc by half from 2030); REGION.KEY=... (e.g. us.plants=none,
eu.segments.ev_traction.liberation_rate=0.7) sets one region; any other override every region."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim world", usage=USAGE)
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default outputs/world/<time>)")
    args = parser.parse_args(argv)
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
