"""Checks that a change kept behaviour: the CSV tables of a set of runs are byte-identical to those
of a reference checkout (or to a directory of saved reference outputs).

Usage: python benchmarks/compare_outputs.py --base PATH_TO_OTHER_CHECKOUT
       python benchmarks/compare_outputs.py --saved DIR   (DIR/<case>/ holds the reference tables)
Runs each case in a fresh directory with this interpreter; with --base, the reference runs import
the `sim` package of that checkout (PYTHONPATH) and write outputs the same way.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
#: case -> (arguments of `python -m sim`, tables it writes)
CASES = {
    "run": (["output.figures=false"], ["flows.csv", "stocks.csv", "kpis.csv", "kpi_quantiles.csv"]),
    "stoch": (["mode=stochastic", "replications=8", "output.figures=false"],
              ["flows.csv", "stocks.csv", "kpis.csv", "kpi_quantiles.csv"]),
    "compare": (["compare", "--no-figure"], ["compare.csv"]),
    "compare2": (["compare", "policy=baseline,combined", "plants=eu_announced,eu_expanded", "--no-figure"],
                 ["compare.csv"]),
}


def run_case(checkout: Path, arguments: list[str], directory: Path) -> None:
    """Run `python -m sim ...` with the `sim` package of `checkout`, from `directory`."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-m", "sim", *arguments], cwd=directory, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: python -m sim {' '.join(arguments)} failed:\n{done.stderr}")


def find(directory: Path, name: str) -> Path:
    """The one file called `name` under `directory` (runs write into dated subdirectories)."""
    found = sorted(directory.rglob(name))
    if len(found) != 1:
        raise SystemExit(f"expected one {name} under {directory}, found {len(found)}")
    return found[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", type=Path, help="checkout of the reference commit")
    source.add_argument("--saved", type=Path, help="directory of saved reference outputs, one subdirectory per case")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        for case in args.cases:
            arguments, tables = CASES[case]
            now = Path(scratch, case, "now")
            now.mkdir(parents=True)
            run_case(CHECKOUT, arguments, now)
            if args.saved is not None:
                reference = args.saved / case
            else:
                reference = Path(scratch, case, "base")
                reference.mkdir()
                run_case(args.base.resolve(), arguments, reference)
            for table in tables:
                same = find(now, table).read_bytes() == find(reference, table).read_bytes()
                failures += not same
                print(f"{case:9s} {table:18s} {'identical' if same else 'DIFFERENT'}")
    print("all tables identical" if failures == 0 else f"{failures} tables differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
