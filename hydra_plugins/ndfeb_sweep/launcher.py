"""The `ndfeb` launcher: sweep points run in a pool of long-lived worker processes, each point from
its group's composed config plus its value overrides, writing one small record per job."""

# no `from __future__ import annotations`: Hydra loads plugin modules outside sys.modules, where
# dataclasses cannot resolve string annotations
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn, JobStatus, configure_log, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from sim.analysis import workers as processes
from sim.analysis.progress import Progress
from sim.config import overrides as grammar
from sim.studies import sweep

from .composition import GroupComposer, app_config, plain_config, set_plain_values

log = logging.getLogger(__name__)


@dataclass
class PoolLauncherConf:
    _target_: str = "hydra_plugins.ndfeb_sweep.launcher.PoolLauncher"
    #: worker processes; null = one per core this process may use
    n_jobs: int | None = None


ConfigStore.instance().store(group="hydra/launcher", name="ndfeb", node=PoolLauncherConf, provider="ndfeb-sim")


class SweepPointFailed(Exception):
    """A sweep point whose run failed; its message is in the job's record and the sweep table."""


class PoolLauncher(Launcher):
    """Runs sweep points in worker processes started once per sweep.

    Per point a worker copies its group's composed config, applies the value overrides, validates,
    simulates and writes the job record: no per-job composition, directory change, logging set-up
    or saved .hydra configs, and no per-job callbacks (the sweep-end callbacks run as usual).
    """

    def __init__(self, n_jobs: int | None = None) -> None:
        self.n_jobs = n_jobs
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.composer: GroupComposer | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.composer = GroupComposer(hydra_context.config_loader, config)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        return self.run_jobs([(initial_job_idx + i, list(o)) for i, o in enumerate(job_overrides)])

    def run_jobs(self, jobs: Sequence[tuple[int, list[str]]]) -> list[JobReturn]:
        """Run numbered jobs (number, overrides); a failed point is recorded, the others go on."""
        setup_globals()
        assert self.config is not None and self.composer is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        composer = self.composer
        job_output = sweep.job_output(self.config.hydra)
        groups: dict[tuple[str, ...], int | str] = {}  # index in `configs`, or why it does not compose
        configs: list[tuple[bytes, bytes | None]] = []  # per group: task config, plain containers
        tasks, returns = [], {}
        for num, overrides in jobs:
            directory = composer.job_dir(num, overrides)
            group, values = composer.split(overrides)
            if group not in groups:
                try:
                    cfg = app_config(composer.compose(group))
                except Exception as error:  # e.g. a config-group option that does not exist
                    groups[group] = sweep.describe(error)
                else:
                    plain = plain_config(cfg)
                    groups[group] = len(configs)
                    configs.append((pickle.dumps(cfg), None if plain is None else pickle.dumps(plain)))
            if isinstance(groups[group], str):
                sweep.write_record(directory, num, overrides, "failed", groups[group])
                returns[num] = _job_return(overrides, directory, groups[group])
                continue
            tasks.append((num, str(directory), groups[group], values, overrides, job_output))
        workers = processes.count(self.n_jobs, len(tasks))
        log.info(f"Launching {len(tasks)} jobs on {workers} worker processes "
                 f"({len(configs)} composed configs), sweep output dir: {composer.sweep_dir}")
        if not tasks:
            return [returns[num] for num, _ in jobs]
        pool = processes.pool(workers, initializer=_start_worker, initargs=(configs,))
        try:
            # one point per round trip: a round trip costs well under a millisecond, a point about a
            # tenth of a second, and no core waits at the end of the sweep for another's last chunk
            with Progress(len(tasks), "sweep") as progress:
                for task, error in zip(tasks, pool.map(_run_job, tasks)):
                    returns[task[0]] = _job_return(task[4], Path(task[1]), error)
                    progress.advance(ok=error is None)
        finally:
            # on an interruption, drop the jobs not started: the finished ones keep their records
            pool.shutdown(wait=True, cancel_futures=True)
        return [returns[num] for num, _ in jobs]


def _job_return(overrides, directory: Path, error: str | None) -> JobReturn:
    job = JobReturn(overrides=list(overrides), working_dir=str(directory), task_name="sim",
                    status=JobStatus.COMPLETED if error is None else JobStatus.FAILED)
    job.return_value = "ok" if error is None else SweepPointFailed(error)
    return job


# --- in the worker processes ---------------------------------------------------------------------

_configs: list[bytes] = []  # per group: the pickled task config
_plain: list[bytes | None] = []  # per group: pickled plain containers, None with interpolations


def _start_worker(configs: list[tuple[bytes, bytes | None]]) -> None:
    global _configs, _plain
    _configs = [cfg for cfg, _ in configs]
    _plain = [plain for _, plain in configs]


def _run_job(task) -> str | None:
    """Run one point in a worker; returns its error message, None when it ran."""
    num, directory, group, values, overrides, job_output = task
    directory = Path(directory)
    try:
        # plain `key=value` points skip OmegaConf's copy and resolution (a tenth of a point's time)
        parsed = grammar.parse(values)
        cfg = pickle.loads(_plain[group]) if _plain[group] is not None else None
        if cfg is None or not set_plain_values(cfg, parsed):
            cfg = pickle.loads(_configs[group])
            grammar.apply(cfg, parsed)
    except Exception as error:  # a value that cannot be set, e.g. a misspelt key
        message = sweep.describe(error)
        sweep.write_record(directory, num, overrides, "failed", message)
        return message
    return sweep.run_point(cfg, directory, num, overrides, job_output)
