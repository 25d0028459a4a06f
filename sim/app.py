"""The Hydra application: `python -m sim [overrides]` runs a scenario into its Hydra run directory."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from .api import CONFIG_DIR, run
from .errors import ConfigError
from .outputs import write_run


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def main(cfg: DictConfig) -> None:
    directory = Path(HydraConfig.get().runtime.output_dir)
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        # a sweep point: its failure is recorded for the sweep table and the other points go on
        from .sweep import run_hydra_job
        run_hydra_job(cfg, directory, HydraConfig.get())
        return
    try:
        result = run(cfg)
    except ConfigError as error:
        # a user mistake: one line, no traceback, and no run directory that looks like a result
        print(error, file=sys.stderr)
        shutil.rmtree(directory, ignore_errors=True)
        if directory.parent.is_dir() and not any(directory.parent.iterdir()):
            directory.parent.rmdir()  # the date folder Hydra made for this run alone
        sys.exit(2)
    write_run(cfg, result, directory)
    print(f"results in {directory}")
