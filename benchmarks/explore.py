"""Cost of explorations of conf/explore/eu_2030.yaml: CPU per future all in (values set on the
plain config, validation, simulation, outcomes), split into its parts, in this process; then
whole explorations through the process pool with their wall time and the parent's peak memory.

    python benchmarks/explore.py                     # 40 runs in process, then 100 and 400 futures
    python benchmarks/explore.py --futures 10000     # the design load (10,000 futures x 1 lever)
    python benchmarks/explore.py --futures 0 --calls # in process only, with Python calls per future

Python function calls per future (--calls, counted with cProfile) do not depend on what else the
machine runs, so they compare versions on a busy machine where CPU times drift.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sim.analysis.runner import kpi_columns
from sim.config.compose import parameters, with_values
from sim.studies.exploration import evaluation, sampling, spec
from sim.studies.exploration.command import explore


def per_future(exploration: spec.Exploration, runs: int) -> None:
    unit = sampling.unit_sample(exploration, runs, "lhs", 1)
    experiments = sampling.experiments(exploration, unit, 0)
    experiments = experiments[experiments["lever"] == exploration.lever_names[0]]
    bases = evaluation.base_configs(exploration, experiments)
    tasks = list(evaluation.tasks(exploration, experiments))
    settle = [t for t in tasks[:2]]
    for _, key, settings in settle:  # warm caches (imports, unit parsing) outside the measurement
        evaluation.evaluate(bases[key], settings, exploration.outcomes)
    setting = validating = simulating = 0.0
    for _, key, settings in tasks:
        t0 = time.process_time()
        config = with_values(bases[key], settings)
        t1 = time.process_time()
        params = parameters(config)
        t2 = time.process_time()
        evaluation.outcome_values(params, kpi_columns(params), exploration.outcomes)
        t3 = time.process_time()
        setting, validating, simulating = setting + t1 - t0, validating + t2 - t1, simulating + t3 - t2
    n = len(tasks)
    total = (setting + validating + simulating) / n
    print(f"CPU per future, all in: {1e3 * total:6.1f} ms  (set values {1e3 * setting / n:.1f} ms, "
          f"validate {1e3 * validating / n:.1f} ms, simulate + outcomes {1e3 * simulating / n:.1f} ms; {n} runs)")


def calls_per_future(exploration: spec.Exploration, runs: int) -> None:
    """Python function calls per future, all in, and the functions that take the most time."""
    unit = sampling.unit_sample(exploration, runs, "lhs", 1)
    experiments = sampling.experiments(exploration, unit, 0)
    experiments = experiments[experiments["lever"] == exploration.lever_names[0]]
    bases = evaluation.base_configs(exploration, experiments)
    tasks = list(evaluation.tasks(exploration, experiments))
    evaluation.evaluate(bases[tasks[0][1]], tasks[0][2], exploration.outcomes)  # warm caches
    profile = cProfile.Profile()
    profile.enable()
    for _, key, settings in tasks:
        evaluation.evaluate(bases[key], settings, exploration.outcomes)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"Python function calls per future: {stats.total_calls / len(tasks):,.0f} ({len(tasks)} runs)")
    stats.sort_stats("tottime").print_stats(12)


def whole(exploration: spec.Exploration, futures: int, workers: int) -> None:
    one_lever = replace(exploration, levers=exploration.levers[:1])
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        cpu = os.times()
        out = explore(one_lever, n=futures, sampler="lhs", seed=1, out=Path(scratch) / "x", workers=workers)
        elapsed = time.perf_counter() - start
        after = os.times()
        children = after.children_user + after.children_system - cpu.children_user - cpu.children_system
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ok = sum(1 for line in (out / "discovery.md").read_text().splitlines() if line.startswith("- "))
    print(f"{futures:6d} futures x 1 lever, {workers} workers: {elapsed:7.1f} s wall, "
          f"{children / futures * 1e3:6.1f} ms worker CPU per future, parent peak RSS {rss:6.0f} MB "
          f"({ok} findings)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="runs of the in-process measurement")
    parser.add_argument("--futures", type=int, action="append", help="futures of whole explorations (default 100, 400)")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--calls", action="store_true", help="count Python calls per future and profile them")
    args = parser.parse_args()
    exploration = spec.load("eu_2030")
    print(f"{os.cpu_count()} cores, {sys.executable}, load average {os.getloadavg()[0]:.1f}")
    per_future(exploration, args.runs)
    if args.calls:
        calls_per_future(exploration, min(args.runs, 10))
    for futures in args.futures or [100, 400]:
        if futures > 0:
            whole(exploration, futures, args.workers)


if __name__ == "__main__":
    main()
