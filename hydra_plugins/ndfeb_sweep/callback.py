"""The sweep table at the end of every multirun, whatever the sweeper and launcher."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.studies import sweep


class SweepTable(Callback):
    """Writes sweep.csv and sweep.parquet at the sweep directory root from the job records, prints
    the job counts and exits non-zero when any job failed (the table is written first)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        explored = OmegaConf.select(config, "exploration.dir")
        if explored is not None:  # the chunks of an exploration: join them and analyse
            from sim.studies.exploration.command import aggregate
            try:
                print(f"exploration in {aggregate(Path(str(explored)))}")
            except ValueError as error:  # chunks missing, or every run failed
                print(f"error: {error}", file=sys.stderr)
                sys.exit(2)
            return
        code = sweep.report(Path(str(config.hydra.sweep.dir)))
        if code:
            # SystemExit, unlike an exception, is not turned into a warning by Hydra's callback runner
            sys.exit(code)
