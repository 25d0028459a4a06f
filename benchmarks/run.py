"""Performance harness (not a test): times the EoL engine, the default run, stochastic
replications, the end-to-end command, and memory as replications grow.

Usage: python benchmarks/run.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import simpy

import sim
from sim.config.lifetimes import window_departures
from sim.model import lots
from sim.model.installed_base import EndOfLife, InUse


def best_of(function, repeat: int) -> float:
    """Shortest wall time of `repeat` calls [s] (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def eol_engine(params) -> np.ndarray:
    """The installed base and end-of-life stages as SimPy processes, 1995-2050, expected mode."""
    spy = params.steps_per_year
    n_steps = (params.end_year + 1 - params.history_start) * spy
    units_per_year = placed_units(params)
    env = simpy.Environment(initial_time=params.history_start)
    in_use, end_of_life = InUse(params, n_steps, None), EndOfLife(params, n_steps, None)
    arising = np.zeros((n_steps, len(params.segments)))

    magnets = lots.composition(params)[:-1] * np.array([s.magnet_per_unit for s in params.segments])[:, None]

    def stepping():
        for k in range(n_steps):
            units = units_per_year[k // spy] / spy
            arising[k], content = in_use.turn(k, units, units[:, None] * magnets)
            end_of_life.discard(k, arising[k], content)
            yield env.timeout(1.0 / spy)

    env.process(stepping())
    env.run()
    return arising


def vectorised_reference(params) -> np.ndarray:
    """The same expected departures by convolving annual cohorts with the departure kernel."""
    spy = params.steps_per_year
    n_steps = (params.end_year + 1 - params.history_start) * spy
    units_per_year = placed_units(params)
    out = np.zeros((n_steps, len(params.segments)))
    for s, segment in enumerate(params.segments):
        gone = window_departures(segment.lifetime, 1.0, 1.0 / spy, n_steps)
        kernel = np.diff(np.concatenate(([0.0], gone)))  # share of a cohort leaving in each step
        impulses = np.zeros(n_steps)
        impulses[::spy] = units_per_year[:, s]
        out[:, s] = np.convolve(impulses, kernel)[:n_steps]
    return out


def placed_units(params) -> np.ndarray:
    years = np.arange(params.history_start, params.end_year + 1)
    return np.array([[s.placed_on_market.at(y) * s.magnet_share for s in params.segments] for y in years])


def end_to_end() -> float:
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim"], cwd=directory, check=True, capture_output=True)
        return time.perf_counter() - start


def peak_memory_mib(replications: int, tables: str = "all") -> float:
    """Peak resident memory [MiB] of a fresh process running `replications` in one process
    (`tables`: output.replication_tables)."""
    # VmHWM is the peak of this process's own memory; ru_maxrss would also count the parent's at the
    # fork (Linux keeps it across exec), i.e. the stochastic runs this harness made before
    code = ("import resource, sim; p = sim.parameters(sim.load_config(['mode=stochastic', "
            f"'replications={replications}', 'output.replication_tables={tables}'])); sim.run(p, workers=1); "
            "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]; "
            "print(int(hwm[0]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="eol default stochastic end_to_end memory")
    chosen = set(parser.parse_args().only or ["eol", "default", "stochastic", "end_to_end", "memory"])
    params = sim.parameters(sim.load_config())
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if "eol" in chosen:
        engine, reference = best_of(lambda: eol_engine(params), 7), best_of(lambda: vectorised_reference(params), 7)
        gap = np.abs(eol_engine(params) - vectorised_reference(params)).max()
        print(f"EoL engine (SimPy, {len(params.segments)} segments, {params.history_start}-{params.end_year}, "
              f"monthly): {engine * 1e3:.1f} ms; vectorised reference {reference * 1e3:.1f} ms; "
              f"largest difference {gap:.2e} units per step")
    if "default" in chosen:
        print(f"default scenario, expected mode, in process: {best_of(lambda: sim.run(params), 7) * 1e3:.0f} ms")
    if "stochastic" in chosen:
        stochastic = sim.parameters(sim.load_config(["mode=stochastic", "replications=100"]))
        pooled = best_of(lambda: sim.run(stochastic), 1)
        single = best_of(lambda: sim.run(stochastic, workers=1), 1)
        print(f"100 stochastic replications: {pooled:.2f} s ({os.cpu_count()} workers), {single:.2f} s (1 worker)")
    if "end_to_end" in chosen:
        print(f"python -m sim end to end: {best_of(end_to_end, 3):.2f} s")
    if "memory" in chosen:
        for tables in ("all", "first"):
            sizes = {n: peak_memory_mib(n, tables) for n in (10, 100)}
            listed = ", ".join(f"{n} replications {m:.0f} MiB" for n, m in sizes.items())
            print(f"peak memory, stochastic, one process, output.replication_tables={tables}: " + listed)


if __name__ == "__main__":
    main()
