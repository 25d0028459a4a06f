"""`python -m sim explore <name>`: sample futures, run every future under every lever, write the
tables, the EMA Workbench archive, the analyses and discovery.md into one output directory."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import yaml
from hydra.errors import HydraException

from ...config.compose import CONFIG_DIR, parameters
from ...config.errors import ConfigError, composition_error
from . import discovery, evaluation, robustness, sampling, sensitivity, summary
from .ema import write_archive
from .spec import SAMPLERS, Exploration, load

#: where explorations write when no --out is given: outputs/explore/<name>/<time>
OUTPUTS = CONFIG_DIR.parent / "outputs" / "explore"


def explore(exploration: Exploration | str, n: int | None = None, sampler: str | None = None,
            seed: int | None = None, overrides: Sequence[str] = (), out: Path | None = None,
            workers: int | None = None, base: dict | None = None, progress=None) -> Path:
    """Run an exploration and write its outputs; returns the output directory.

    The directory is filled under a temporary name and renamed when complete, so an interrupted
    exploration leaves nothing that looks like a result. `base`: a plain config to explore instead
    of conf/ (levers are then `key=value` settings on it).
    """
    if isinstance(exploration, str):
        exploration = load(exploration)
    n = exploration.n if n is None else n
    sampler = sampler or exploration.sampler
    seed = exploration.seed if seed is None else seed
    out = Path(out) if out else OUTPUTS / exploration.name / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {out}: the directory is not empty")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)

    unit = sampling.unit_sample(exploration, n, sampler, seed)
    experiments = sampling.experiments(exploration, unit, 0)
    bases = evaluation.base_configs(exploration, experiments, overrides, base)
    first = parameters(next(iter(bases.values())))  # the base scenario, validated before any run
    experiments["seed"] = first.seed  # every run keeps the config's seed: common random numbers
    experiments.to_parquet(partial / "experiments.parquet", index=False)
    started = time.perf_counter()
    outcomes = evaluation.run_all(exploration, experiments, bases, partial / "outcomes.parquet", workers, progress)
    elapsed = time.perf_counter() - started

    target = {"share": first.target.share, "year": first.target.year, "metric": first.target.metric}
    indices, morris = sensitivity.indices(exploration, unit, experiments, outcomes, sampler, seed)
    robust = robustness.table(exploration, experiments, outcomes)
    found = discovery.boxes(exploration, experiments, outcomes)
    boxes = discovery.table(found)
    indices.to_csv(partial / "sensitivity.csv", index=False, float_format="%.6g")
    if len(morris):
        morris.to_csv(partial / "morris.csv", index=False, float_format="%.6g")
    robust.to_csv(partial / "robustness.csv", index=False, float_format="%.6g")
    boxes.to_csv(partial / "boxes.csv", index=False, float_format="%.6g")
    write_archive(partial / "results.tar.gz", exploration, experiments, outcomes)
    (partial / "discovery.md").write_text(summary.markdown(exploration, experiments, outcomes, robust, indices,
                                                           morris, boxes, found, target, sampler, seed))
    (partial / "exploration.json").write_text(json.dumps({
        "name": exploration.name, "sampler": sampler, "n": n, "seed": seed, "runs": len(experiments),
        "overrides": list(overrides), "seconds": round(elapsed, 3), "target": target}, indent=2))
    try:
        from ...report.exploration_figures import draw
        draw(partial, exploration.outcomes[0].name, experiments, outcomes, indices, target)
    except ImportError:  # matplotlib is in the plots extra
        pass
    if out.exists():
        out.rmdir()
    partial.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim explore", description=__doc__,
                                     epilog="example: python -m sim explore eu_2030 --n 200 --seed 1 end_year=2035")
    parser.add_argument("name", help="an exploration in conf/explore/ (or a path to its YAML file)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the base scenario, as for python -m sim")
    parser.add_argument("--n", type=int, help="lhs: futures; sobol: base samples (a power of 2; n x (k + 2) "
                                              "futures); morris: trajectories (n x (k + 1) futures)")
    parser.add_argument("--sampler", choices=SAMPLERS)
    parser.add_argument("--seed", type=int, help="seed of the sampler (the run seed stays the config's)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core)")
    parser.add_argument("--out", type=Path, help="output directory (default: outputs/explore/<name>/<time>)")
    args = parser.parse_args(argv)
    if args.n is not None and args.n < 1:
        parser.error(f"--n {args.n}: expected an integer >= 1")
    try:
        exploration = load(args.name)
        out = explore(exploration, args.n, args.sampler, args.seed, args.overrides, args.out, args.workers,
                      progress=_progress if sys.stderr.isatty() else None)
    except (ConfigError, ValueError, HydraException, yaml.YAMLError) as error:
        print(composition_error(error) if isinstance(error, HydraException) else error, file=sys.stderr)
        return 2
    print((out / "discovery.md").read_text().split("\n## ")[0].strip())
    print(f"\nexploration in {out}")
    return 0


def _progress(done: int) -> None:
    print(f"\r{done} runs", end="", file=sys.stderr, flush=True)
