"""Wall time of sweeps of the default scenario through `python -m sim -m`: the project's sweeper and
launcher against Hydra's basic ones on the same 100-point grid, and a 1,000-point grid.

    python benchmarks/sweep.py               # 100 points both ways, then 1,000 points
    python benchmarks/sweep.py --points 100  # only the 100-point comparison
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

#: 10 x 10 points: EV collection and liberation rates
GRID_100 = ["segments.ev_traction.collection_rate=" + ",".join(f"{0.1 * i:.1f}" for i in range(1, 11)),
            "segments.ev_traction.liberation_rate=" + ",".join(f"{0.1 * i:.1f}" for i in range(1, 11))]
#: 10 x 10 x 10 points: and the share of scrap exported
GRID_1000 = GRID_100 + ["scrap_store.export_share=" + ",".join(f"{0.05 * i:.2f}" for i in range(10))]
BASIC = ["hydra/sweeper=basic", "hydra/launcher=basic"]


def timed_sweep(grid: list[str], extra: list[str], sweep_dir: Path) -> float:
    """Seconds for the whole command, start-up included; checks that every job ran."""
    command = [sys.executable, "-m", "sim", "-m", *grid, *extra, f"hydra.sweep.dir={sweep_dir}"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sweep failed ({done.returncode}):\n{done.stderr[-2000:]}")
    table = pd.read_csv(sweep_dir / "sweep.csv")
    expected = 1
    for line in grid:
        expected *= len(line.split("=", 1)[1].split(","))
    assert len(table) == expected and (table["status"] == "ok").all(), "not every job ran"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, choices=(100, 1000), action="append",
                        help="grid sizes to run (default: both)")
    args = parser.parse_args()
    points = args.points or [100, 1000]
    print(f"{os.cpu_count()} cores, {sys.executable}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if 100 in points:
            ours = timed_sweep(GRID_100, [], scratch / "ndfeb_100")
            basic = timed_sweep(GRID_100, BASIC, scratch / "basic_100")
            same = pd.read_csv(scratch / "ndfeb_100" / "sweep.csv").equals(
                pd.read_csv(scratch / "basic_100" / "sweep.csv"))
            print(f"100 points, ndfeb sweeper + launcher : {ours:6.1f} s")
            print(f"100 points, basic sweeper + launcher : {basic:6.1f} s")
            print(f"speed-up {basic / ours:.1f}x; same sweep table: {same}")
        if 1000 in points:
            ours = timed_sweep(GRID_1000, [], scratch / "ndfeb_1000")
            print(f"1000 points, ndfeb sweeper + launcher: {ours:6.1f} s")




if __name__ == "__main__":
    main()
