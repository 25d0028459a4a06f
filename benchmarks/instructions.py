"""Instructions of one default run, or of one future of an exploration all in (valgrind's
cachegrind): a count that does not depend on what else the machine runs, so two versions compare
on a busy machine where times drift.

Usage: python benchmarks/instructions.py [--base PATH_TO_OTHER_CHECKOUT] [--explore NAME] [overrides ...]
A run's count is that of a process making three runs less one making one (imports, composition and
the first run's warm-up cancel); with --base the other checkout's `sim` is counted the same way.
A process making one run goes first and is not counted: valgrind's CPU is not the machine's, so
numba compiles the model's kernels for it once and caches them, and that compilation must fall
in neither of the two counted processes.
With --explore, a run is one future of conf/explore/NAME.yaml under its first lever, all in (values
set, validation, simulation, outcomes): the second and third of ten Latin-hypercube futures.
Needs valgrind (Debian: apt install valgrind); a few minutes per checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
RUNS = ("import sys, sim\n"
        "from sim.analysis.runner import run_kpis\n"
        "params = sim.parameters(sim.load_config(sys.argv[2:]))\n"
        "for _ in range(int(sys.argv[1])):\n"
        "    run_kpis(params)\n")
FUTURES = ("import sys\n"
           "from sim.studies.exploration import evaluation, sampling, spec\n"
           "exploration = spec.load(sys.argv[2])\n"
           "experiments = sampling.experiments(exploration, sampling.unit_sample(exploration, 10, 'lhs', 1), 0)\n"
           "experiments = experiments[experiments['lever'] == exploration.lever_names[0]]\n"
           "bases = evaluation.base_configs(exploration, experiments, sys.argv[3:])\n"
           "for _, key, values in list(evaluation.tasks(exploration, experiments))[:int(sys.argv[1])]:\n"
           "    evaluation.evaluate(bases[key], values, exploration.outcomes)\n")


def instructions(checkout: Path, runs: int, overrides: list[str], exploration: str | None = None) -> int:
    """Instructions of a process importing `sim` from `checkout` (-P: not from the working
    directory) and making `runs` runs (futures of `exploration` if given)."""
    # fixed string hashes (they set dict probing) and one BLAS thread (idle threads spin and count)
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           sys.executable, "-P", "-c", RUNS if exploration is None else FUTURES, str(runs),
                           *([] if exploration is None else [exploration]), *overrides],
                          env=env, capture_output=True, text=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        # the run's own last word (e.g. a config error naming the key), not valgrind's report
        said = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("==")]
        reason = re.sub(r"^[\w.]+Error: ", "", said[-1]) if said else "no message"  # without the exception's class
        raise SystemExit(f"{checkout}: the counted run failed: {reason}")
    return int(found.group(1).replace(",", ""))


def per_run(checkout: Path, overrides: list[str], exploration: str | None) -> float:
    instructions(checkout, 1, overrides, exploration)  # compiled code cached for valgrind's CPU
    return (instructions(checkout, 3, overrides, exploration) - instructions(checkout, 1, overrides, exploration)) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, help="checkout of the reference commit")
    parser.add_argument("--explore", metavar="NAME", help="count one future of this exploration instead of a run")
    parser.add_argument("overrides", nargs="*", help="config overrides of the run (default: the default scenario)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    what = "a run" if args.explore is None else f"a future of {args.explore}"
    this = per_run(CHECKOUT, args.overrides, args.explore)
    print(f"this checkout: {this / 1e6:,.0f} million instructions {what}")
    if args.base is not None:
        base = per_run(args.base, args.overrides, args.explore)
        print(f"{args.base}: {base / 1e6:,.0f} million instructions {what}; this / base = {this / base:.3f}")


if __name__ == "__main__":
    main()
