"""`python -m sim explore <name>`: sample futures, run every future under every lever, write the
tables, the EMA Workbench archive, the analyses and discovery.md into one output directory."""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ...analysis.progress import Progress
from ...config.compose import add_config_dir_argument, parameters
from ...config.errors import ConfigError
from ...report.exploration_report import write_exploration_page, write_exploration_workbook
from ...report.run_writer import git_commit, package_version
from ..world import Coupled
from . import discovery, evaluation, robustness, sampling, sensitivity, summary
from .ema import write_archive
from .spec import SAMPLERS, Exploration, load

#: where explorations write when no --out is given: outputs/explore/<name>/<time>, under the
#: directory the command runs from, as runs, sweeps and comparisons do (an installed package has no
#: project directory to write into)
OUTPUTS = Path("outputs") / "explore"
#: an exploration under way: <out>.partial holds the plan (the spec, the composed levers, the unit
#: sample) and, for Hydra's launchers, the outcomes of each chunk
PARTIAL, PLAN, CHUNKS = ".partial", "plan.pkl", "chunks"


def explore(exploration: Exploration | str, n: int | None = None, sampler: str | None = None,
            seed: int | None = None, overrides: Sequence[str] = (), out: Path | None = None,
            workers: int | None = None, base: dict | None = None, progress: bool = False,
            config_dir: Path | None = None) -> Path:
    """Run an exploration in a local process pool and write its outputs; returns the output directory.

    The directory is filled under a temporary name (<out>.partial) and renamed when complete, so an
    interrupted exploration leaves nothing that looks like a result. `base`: a plain config to
    explore instead of conf/ (levers are then `key=value` settings on it). progress: report the
    runs done on stderr. config_dir: a directory of one's own config groups (and explore/ specs),
    searched beside conf/, as `--config-dir`.
    """
    partial = prepare(exploration, n, sampler, seed, overrides, out, base, config_dir=config_dir)
    plan = _plan(partial)
    experiments = pd.read_parquet(partial / "experiments.parquet")
    started = time.perf_counter()
    with Progress(len(experiments), "exploration runs", enabled=progress) as bar:
        evaluation.run_all(plan["exploration"], experiments, plan["bases"], partial / "outcomes.parquet",
                           workers, bar)
    return finish(partial, time.perf_counter() - started)


def prepare(exploration: Exploration | str, n: int | None = None, sampler: str | None = None,
            seed: int | None = None, overrides: Sequence[str] = (), out: Path | None = None,
            base: dict | None = None, chunks: int = 1, config_dir: Path | None = None) -> Path:
    """Sample the futures, compose every lever once and validate the base scenario; write the
    experiments table and the plan the runs read into <out>.partial, and return that directory."""
    if isinstance(exploration, str):
        exploration = load(exploration, config_dir)
    n = exploration.n if n is None else n
    sampler = sampler or exploration.sampler
    seed = exploration.seed if seed is None else seed
    out = Path(out) if out else OUTPUTS / exploration.name / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {out}: the directory is not empty")
    unit = sampling.unit_sample(exploration, n, sampler, seed)
    experiments = sampling.experiments(exploration, unit, 0)
    bases = evaluation.base_configs(exploration, experiments, overrides, base, config_dir)
    first = next(iter(bases.values()))  # the base scenario, validated before any run
    first = first.params() if isinstance(first, Coupled) else parameters(first)
    experiments["seed"] = first.seed  # every run keeps the config's seed: common random numbers
    partial = out.with_name(out.name + PARTIAL)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    experiments.to_parquet(partial / "experiments.parquet", index=False)
    target = {"share": first.target.share, "year": first.target.year, "metric": first.target.metric}
    plan = {"exploration": exploration, "bases": bases, "unit": unit, "sampler": sampler, "n": n, "seed": seed,
            "overrides": list(overrides), "target": target, "chunks": chunks, "out": str(out),
            "config_dir": None if config_dir is None else str(Path(config_dir).expanduser().resolve())}
    with (partial / PLAN).open("wb") as handle:
        pickle.dump(plan, handle)
    return partial


def _plan(partial: Path) -> dict:
    with (Path(partial) / PLAN).open("rb") as handle:
        return pickle.load(handle)


def finish(partial: Path, seconds: float | None = None) -> Path:
    """Analyse the experiments and outcomes in `partial`, write every table, figure and the
    archive, drop the plan and rename the directory to its final name."""
    plan = _plan(partial)
    exploration, target, sampler, seed = plan["exploration"], plan["target"], plan["sampler"], plan["seed"]
    experiments = pd.read_parquet(partial / "experiments.parquet")
    outcomes = pd.read_parquet(partial / "outcomes.parquet")
    if not (outcomes["status"] == "ok").any():  # nothing to analyse: a spec the config rejects, mostly
        raise ValueError(f"every run failed (their errors are in {partial / 'outcomes.parquet'}); the first: "
                         f"{outcomes['error'].iloc[0]}")
    indices, morris = sensitivity.indices(exploration, plan["unit"], experiments, outcomes, sampler, seed)
    robust = robustness.table(exploration, experiments, outcomes)
    found = discovery.boxes(exploration, experiments, outcomes)
    boxes = discovery.table(found)
    indices.to_csv(partial / "sensitivity.csv", index=False, float_format="%.6g")
    if len(morris):
        morris.to_csv(partial / "morris.csv", index=False, float_format="%.6g")
    robust.to_csv(partial / "robustness.csv", index=False, float_format="%.6g")
    boxes.to_csv(partial / "boxes.csv", index=False, float_format="%.6g")
    write_archive(partial / "results.tar.gz", exploration, experiments, outcomes)
    text = summary.markdown(exploration, experiments, outcomes, robust, indices, morris, boxes, found, target,
                            sampler, seed)
    (partial / "discovery.md").write_text(text)
    record = {"exploration": exploration.name, "package_version": package_version(), "git_commit": git_commit(),
              "sampler": sampler, "n": plan["n"], "seed": seed, "runs": len(experiments),
              "failed": int((outcomes["status"] != "ok").sum()), "overrides": plan["overrides"],
              "config_dir": plan.get("config_dir"), "seconds": None if seconds is None else round(seconds, 3),
              "target": target}
    (partial / "exploration.json").write_text(json.dumps(record, indent=2))
    tables = (experiments, outcomes, robust, indices, morris, boxes, target)
    write_exploration_workbook(partial, exploration, *tables, record)
    first_base = next(iter(plan["bases"].values()))
    write_exploration_page(partial, exploration, text, *tables, {**record, "config": first_base})
    try:
        from ...report.exploration_figures import draw
        draw(partial, exploration.outcomes[0].name, experiments, outcomes, indices, target)
    except ImportError:  # matplotlib is in the plots extra
        pass
    (partial / PLAN).unlink()
    shutil.rmtree(partial / CHUNKS, ignore_errors=True)
    out = Path(plan["out"])
    if out.exists():
        out.rmdir()
    partial.rename(out)
    return out


# --- chunks for Hydra's launchers ----------------------------------------------------------------


def run_chunk(partial: Path, index: int) -> Path:
    """Run chunk `index` of a prepared exploration (a contiguous block of runs) in this process and
    write its outcomes to <partial>/chunks/<index>.parquet; a Hydra job of any launcher calls it."""
    partial = Path(partial)
    plan = _plan(partial)
    experiments = pd.read_parquet(partial / "experiments.parquet")
    size = -(-len(experiments) // plan["chunks"])
    if not 0 <= index < plan["chunks"]:
        raise ValueError(f"exploration.chunk = {index}: expected a chunk in [0, {plan['chunks'] - 1}]")
    block = experiments.iloc[index * size:(index + 1) * size]
    (partial / CHUNKS).mkdir(exist_ok=True)
    path = partial / CHUNKS / f"{index}.parquet"
    written = path.with_suffix(".partial")
    evaluation.run_all(plan["exploration"], block, plan["bases"], written, workers=1)
    written.replace(path)
    return path


def aggregate(partial: Path) -> Path:
    """Join the chunks' outcomes in run order into outcomes.parquet, then finish the exploration."""
    partial = Path(partial)
    plan = _plan(partial)
    missing = [i for i in range(plan["chunks"]) if not (partial / CHUNKS / f"{i}.parquet").is_file()]
    if missing:
        raise ValueError(f"{partial}: chunks {', '.join(map(str, missing))} have not run")
    table = pa.concat_tables([pq.read_table(partial / CHUNKS / f"{i}.parquet") for i in range(plan["chunks"])])
    pq.write_table(table, partial / "outcomes.parquet")
    return finish(partial)


def hydra_command(partial: Path, chunks: int) -> list[str]:
    """The multirun that runs every chunk of a prepared exploration as one Hydra job each; any
    launcher may be added (hydra/launcher=ray, submitit_slurm). The exploration is finished by the
    sweep callback when the multirun ends."""
    return [sys.executable, "-m", "sim", "-m", f"+exploration.dir={Path(partial).resolve()}",
            f"+exploration.chunk=range(0,{chunks})"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim explore", description=__doc__,
                                     epilog="example: python -m sim explore eu_2030 --n 200 --seed 1 end_year=2035")
    parser.add_argument("name", help="an exploration in conf/explore/ or <config-dir>/explore/ (or a path to "
                                     "its YAML file)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the base scenario, as for python -m sim")
    parser.add_argument("--n", type=int, help="lhs: futures; sobol: base samples (a power of 2; n x (k + 2) "
                                              "futures); morris: trajectories (n x (k + 1) futures)")
    parser.add_argument("--sampler", choices=SAMPLERS)
    parser.add_argument("--seed", type=int, help="seed of the sampler (the run seed stays the config's)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core)")
    parser.add_argument("--out", type=Path, help="output directory (default: outputs/explore/<name>/<time>)")
    parser.add_argument("--chunks", type=int, help="prepare only, for Hydra's launchers: print the multirun "
                                                   "that runs the exploration in this many jobs")
    add_config_dir_argument(parser)
    args = parser.parse_intermixed_args(argv)
    if args.n is not None and args.n < 1:
        parser.error(f"--n {args.n}: expected an integer >= 1")
    if args.chunks is not None and args.chunks < 1:
        parser.error(f"--chunks {args.chunks}: expected an integer >= 1")
    try:
        exploration = load(args.name, args.config_dir)
        if args.chunks:
            partial = prepare(exploration, args.n, args.sampler, args.seed, args.overrides, args.out,
                              chunks=args.chunks, config_dir=args.config_dir)
            print(" ".join(hydra_command(partial, args.chunks)[1:]).replace("-m sim", "python -m sim", 1))
            return 0
        out = explore(exploration, args.n, args.sampler, args.seed, args.overrides, args.out, args.workers,
                      progress=True, config_dir=args.config_dir)
    except ValueError as error:
        if isinstance(error, ConfigError):
            raise  # the command line's one error report prints it
        print(f"error: {error}", file=sys.stderr)
        return 2
    print((out / "discovery.md").read_text().split("\n## ")[0].strip())
    print(f"\nexploration in {out}")
    return 0

