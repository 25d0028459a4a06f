"""Performance harness (not a test): coupled runs of the EU, the US and Japan (world=allied) against
one run of the EU alone, both from validated parameters (composition excluded), best of three.

Two coupled runs: the default world (the pool open, scrap traded between the regions), which is
the same kind of run as the EU's default one; and China's exports cut by half from 2030, where the
regions are short of magnets and the market takes its slower path (recycled magnets placed grade
by grade where primary supply does not reach in full) every step from 2030.

Usage: python benchmarks/world.py
"""

from __future__ import annotations

from run import best_of  # benchmarks/run.py, beside this file (python benchmarks/world.py)

import sim
from sim.analysis.world import run_world
from sim.config.world import load_world

TRADE = ["world.trade.eu.us=0.2", "world.trade.japan.eu=0.1"]


def main() -> None:
    eu = sim.parameters(sim.load_config())
    single = best_of(lambda: sim.run(eu, workers=1), 3)
    print(f"one EU run:                                     {single:6.2f} s")
    for label, overrides in (("coupled EU + US + Japan run, scrap traded:", TRADE),
                             ("the same, China's exports halved from 2030: ",
                              [*TRADE, "world.china_pool.cut.share=0.5", "world.china_pool.cut.from=2030"])):
        world = load_world(overrides)
        coupled = best_of(lambda world=world: run_world(world), 3)
        print(f"{label}     {coupled:6.2f} s  ({coupled / single:.2f}x)")


if __name__ == "__main__":
    main()
