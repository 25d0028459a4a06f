"""The `ndfeb` sweeper: Hydra's override grammar expanded into jobs as the basic sweeper does, but
composed once per config-group choice instead of once per job, with completed jobs skipped."""

# no `from __future__ import annotations`: Hydra loads plugin modules outside sys.modules, where
# dataclasses cannot resolve string annotations
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from sim.config import overrides as grammar
from sim.studies import sweep

from .composition import GroupComposer
from .launcher import PoolLauncher

log = logging.getLogger(__name__)


@dataclass
class NdfebSweeperConf:
    _target_: str = "hydra_plugins.ndfeb_sweep.sweeper.NdfebSweeper"
    #: the sweep, as in the basic sweeper: {key: "value,value" | "range(a,b,step)" | "glob(*)"}
    params: dict[str, str] | None = None
    #: skip jobs whose directory already holds a successful record of the same overrides
    resume: bool = True
    #: summary: job.json per job; full: also every table and figure of a single run
    job_output: str = "summary"


ConfigStore.instance().store(group="hydra/sweeper", name="ndfeb", node=NdfebSweeperConf, provider="ndfeb-sim")


class NdfebSweeper(Sweeper):
    """Expands the sweep into numbered jobs, skips the completed ones and launches the rest.

    With the `ndfeb` launcher, jobs go straight to its worker pool. With any other launcher (basic,
    Ray, submitit) each job is first checked against its group's composed config, so a point that
    cannot be composed is recorded as failed instead of stopping the sweep, then the launcher
    composes and runs the others as usual.
    """

    def __init__(self, params: dict[str, str] | None = None, resume: bool = True,
                 job_output: str = "summary") -> None:
        if job_output not in sweep.JOB_OUTPUTS:
            raise ValueError(f"hydra.sweeper.job_output = {job_output!r}: "
                             f"expected one of {', '.join(sweep.JOB_OUTPUTS)}")
        self.params = dict(params or {})
        self.resume = resume
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher: Launcher | None = None
        self.composer: GroupComposer | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)
        if isinstance(self.launcher, PoolLauncher):
            self.composer = self.launcher.composer  # one composition per group for both
        else:
            self.composer = GroupComposer(hydra_context.config_loader, config)

    def jobs(self, arguments: list[str]) -> list[list[str]]:
        """Every job's overrides, in the basic sweeper's order (the job numbers are positions)."""
        assert self.hydra_context is not None
        lines = [f"{key}={value}" for key, value in self.params.items()] + list(arguments)
        return grammar.expand(lines, self.hydra_context.config_loader)

    def sweep(self, arguments: list[str]) -> Any:
        assert self.config is not None and self.composer is not None and self.launcher is not None
        jobs = list(enumerate(self.jobs(arguments)))
        sweep_dir = self.composer.sweep_dir
        # the directory is this sweep's until the process ends (the sweep-table callback included)
        self._hold = sweep.exclusive(sweep_dir)
        try:
            self._hold.__enter__()
        except sweep.SweepError as error:
            print(error, file=sys.stderr)
            raise SystemExit(2) from None
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        sweep.write_grid(sweep_dir, jobs)
        sweep.drop_stale_records(sweep_dir, {self.composer.job_dir(num, o): o for num, o in jobs})
        done = {num for num, overrides in jobs
                if self.resume and sweep.completed(self.composer.job_dir(num, overrides), overrides)}
        if done:
            log.info(f"Resuming in {sweep_dir}: {len(done)} of {len(jobs)} jobs already completed")
        if isinstance(self.launcher, PoolLauncher):
            # completed jobs are checked against their resolved config in the workers
            return self.launcher.run_jobs(jobs, recheck=frozenset(done))
        return self._launch(self._composable([(num, o) for num, o in jobs if num not in done]))

    def _composable(self, jobs: Sequence[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
        """The jobs that compose; the others are recorded as failed here."""
        assert self.composer is not None
        ok = []
        for num, overrides in jobs:
            try:
                self.composer.job_config(overrides)
            except Exception as error:
                sweep.write_record(self.composer.job_dir(num, overrides), num, overrides, "failed",
                                   sweep.describe(error))
                continue
            ok.append((num, overrides))
        return ok

    def _launch(self, jobs: list[tuple[int, list[str]]]) -> list[JobReturn]:
        """Launch runs of consecutive job numbers (a launcher numbers the jobs of one call from its
        first); a job that ended without its own record gets one from its return."""
        assert self.launcher is not None and self.composer is not None
        returns: list[JobReturn] = []
        start = 0
        while start < len(jobs):
            end = start + 1
            while end < len(jobs) and jobs[end][0] == jobs[end - 1][0] + 1:
                end += 1
            batch = jobs[start:end]
            results = self.launcher.launch([o for _, o in batch], initial_job_idx=batch[0][0])
            for (num, overrides), result in zip(batch, results):
                directory = self.composer.job_dir(num, overrides)
                if result.status != JobStatus.COMPLETED and sweep.read_record(directory) is None:
                    sweep.write_record(directory, num, overrides, "failed", sweep.describe(_failure(result)))
            returns.extend(results)
            start = end
        return returns


def _failure(result: JobReturn) -> BaseException:
    """The exception a failed job ended with (JobReturn re-raises it when its value is read)."""
    try:
        result.return_value  # noqa: B018
    except Exception as error:
        return error
    return RuntimeError(f"job ended {result.status.name}")
