"""The Hydra application: `python -m sim [overrides]` runs a scenario into its Hydra run directory."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from ..analysis.runner import run
from ..config.compose import CONFIG_DIR
from ..config.errors import reported
from ..report.run_writer import write_run


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def main(cfg: DictConfig) -> None:
    directory = Path(HydraConfig.get().runtime.output_dir)
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        # a sweep point: its failure is recorded for the sweep table and the other points go on
        from ..studies.sweep import run_hydra_job
        run_hydra_job(cfg, directory, HydraConfig.get())
        return
    # a user mistake: one line, no traceback, and no run directory that looks like a result
    with reported(cleanup=lambda: _remove_hydra_files(directory)):
        result = run(cfg, progress=True)
    try:
        write_run(cfg, result, directory)
    except BlockingIOError:
        print(f"config error: hydra.run.dir = '{directory}': expected a directory no other run is writing "
              "into (another run holds it)", file=sys.stderr)
        sys.exit(2)
    except OSError as error:
        # a full disk or a lost directory: the directory keeps what it held before this run
        print(f"error: could not write the results into {directory}: {error.strerror or error}; "
              "nothing of this run was left there", file=sys.stderr)
        sys.exit(1)
    print(f"results in {directory}")


def _remove_hydra_files(directory: Path) -> None:
    """Remove what Hydra wrote for a run that failed validation (its .hydra folder and job log),
    and the run directory if that leaves it empty; anything else in it is the user's and stays."""
    shutil.rmtree(directory / ".hydra", ignore_errors=True)
    (directory / f"{HydraConfig.get().job.name}.log").unlink(missing_ok=True)
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
