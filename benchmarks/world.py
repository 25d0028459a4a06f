"""Performance harness (not a test): a coupled run of the EU, the US and Japan (world=allied,
China's exports cut by half from 2030, scrap traded) against one run of the EU alone, both from
validated parameters (composition excluded), best of three.

Usage: python benchmarks/world.py
"""

from __future__ import annotations

from run import best_of  # benchmarks/run.py, beside this file (python benchmarks/world.py)

import sim
from sim.analysis.world import run_world
from sim.config.world import load_world


def main() -> None:
    eu = sim.parameters(sim.load_config())
    world = load_world(["world.china_pool.cut.share=0.5", "world.china_pool.cut.from=2030",
                        "world.trade.eu.us=0.2", "world.trade.japan.eu=0.1"])
    single = best_of(lambda: sim.run(eu, workers=1), 3)
    coupled = best_of(lambda: run_world(world), 3)
    print(f"one EU run:                  {single:6.2f} s")
    print(f"coupled EU + US + Japan run: {coupled:6.2f} s  ({coupled / single:.2f}x)")


if __name__ == "__main__":
    main()
