"""The `ndfeb` launcher: sweep points run in a pool of long-lived worker processes, each point from
its group's composed config plus its value overrides, writing one small record per job."""

# no `from __future__ import annotations`: Hydra loads plugin modules outside sys.modules, where
# dataclasses cannot resolve string annotations
import logging
import pickle
import sys
from collections.abc import Sequence
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
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

    def run_jobs(self, jobs: Sequence[tuple[int, list[str]]], recheck: frozenset[int] = frozenset()) -> list[JobReturn]:
        """Run numbered jobs (number, overrides); a failed point is recorded, the others go on.
        Jobs in `recheck` hold a successful record of their overrides: they run again only if the
        fingerprint of their resolved config differs from the record's (the config changed)."""
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
            tasks.append((num, str(directory), groups[group], values, overrides, job_output, num in recheck))
        workers = processes.count(self.n_jobs, len(tasks))
        checked = sum(task[6] for task in tasks)
        log.info(f"Launching {len(tasks) - checked} jobs on {workers} worker processes "
                 f"({len(configs)} composed configs), sweep output dir: {composer.sweep_dir}"
                 + (f"; checking {checked} completed jobs against their resolved config" if checked else ""))
        if not tasks:
            return [returns[num] for num, _ in jobs]
        try:
            with Progress(len(tasks), "sweep") as progress:
                outcomes = _run_all(tasks, workers, configs, progress.advance)
        except KeyboardInterrupt:
            # Ctrl-C: the points running finished and kept their records; the rest did not start
            raise SystemExit(sweep.interrupted(composer.sweep_dir)) from None
        rerun = sum(outcome == sweep.RERUN for outcome, _ in outcomes.values())
        if recheck:
            log.info(f"Resuming: {len(recheck) - rerun} completed jobs kept, {rerun} run again "
                     "because their resolved config changed")
        if rerun:
            print(f"sweep: {rerun} completed jobs run again: their resolved config changed since they ran",
                  file=sys.stderr)
        for task in tasks:
            returns[task[0]] = _job_return(task[4], Path(task[1]), outcomes[task[0]][1])
        return [returns[num] for num, _ in jobs]


#: the message of a point whose worker process died under it twice (once with others, once alone)
WORKER_DIED = "the worker process running this point died (killed, or out of memory)"


def _run_all(tasks: list, workers: int, configs: list, advance=None) -> dict[int, tuple[str, str | None]]:
    """Run every task in a pool; returns each job's outcome and error message (None when it ran).

    A worker that dies breaks the pool: the points that had not started go to a new pool, and
    those that were running are rerun one at a time, each in a pool of its own, so that a point
    that kills its worker again is recorded as failed and the others complete. A record that cannot
    be written (a full disk) fails its point, not the sweep.
    """
    errors: dict[int, tuple[str, str | None]] = {}
    queue, alone = list(tasks), []
    while queue or alone:
        batch, size = (queue, workers) if queue else ([alone.pop(0)], 1)
        queue = [] if batch is queue else queue
        started = processes.context().SimpleQueue()
        pool = processes.pool(size, initializer=_start_worker, initargs=(configs, started))
        try:
            futures = {pool.submit(_run_job, task): task for task in batch}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    errors[task[0]] = future.result()
                except BrokenProcessPool:
                    continue  # sorted out once the pool is down
                except OSError as error:  # the worker could not write the job record
                    errors[task[0]] = (sweep.FAILED, _unwritable(task, error))
                if advance is not None:
                    advance(ok=errors[task[0]][1] is None)
        finally:
            # on an interruption, drop the jobs not started: the finished ones keep their records
            pool.shutdown(wait=True, cancel_futures=True)
        lost = [task for task in batch if task[0] not in errors]
        if lost:
            ran = set()
            while not started.empty():
                ran.add(started.get())
            log.warning(f"a worker process died: {len(lost)} points to run again")
            for task in lost:
                if task[0] not in ran:
                    queue.append(task)
                elif size > 1:
                    alone.append(task)
                else:
                    errors[task[0]] = (sweep.FAILED, _failed(task, WORKER_DIED))
    return errors


def _failed(task, message: str) -> str:
    num, directory, _, _, overrides, _, _ = task
    try:
        sweep.write_record(Path(directory), num, overrides, "failed", message)
    except OSError as error:
        return f"{message}; its record could not be written: {error.strerror or error}"
    return message


def _unwritable(task, error: OSError) -> str:
    return _failed(task, f"could not write the job record: {error.strerror or error}")


def _job_return(overrides, directory: Path, error: str | None) -> JobReturn:
    job = JobReturn(overrides=list(overrides), working_dir=str(directory), task_name="sim",
                    status=JobStatus.COMPLETED if error is None else JobStatus.FAILED)
    job.return_value = "ok" if error is None else SweepPointFailed(error)
    return job


# --- in the worker processes ---------------------------------------------------------------------

_configs: list[bytes] = []  # per group: the pickled task config
_plain: list[bytes | None] = []  # per group: pickled plain containers, None with interpolations
_started = None  # where a worker says which job it starts (to tell after a crash what was running)


def _start_worker(configs: list[tuple[bytes, bytes | None]], started) -> None:
    global _configs, _plain, _started
    _configs = [cfg for cfg, _ in configs]
    _plain = [plain for _, plain in configs]
    _started = started


def _run_job(task) -> tuple[str, str | None]:
    """Run one point in a worker; returns its outcome (sweep.RAN, RERUN, KEPT or FAILED) and its
    error message, None when it ran."""
    num, directory, group, values, overrides, job_output, recheck = task
    directory = Path(directory)
    _started.put(num)
    try:
        # plain `key=value` points skip OmegaConf's copy and resolution (a tenth of a point's time)
        parsed = grammar.parse(values)
        cfg = pickle.loads(_plain[group]) if _plain[group] is not None else None
        if cfg is None or not set_plain_values(cfg, parsed):
            cfg = pickle.loads(_configs[group])
            grammar.apply(cfg, parsed)
        fingerprint = sweep.fingerprint(cfg)
    except Exception as error:  # a value that cannot be set, e.g. a misspelt key
        message = sweep.describe(error)
        sweep.write_record(directory, num, overrides, "failed", message)
        return sweep.FAILED, message
    if recheck and sweep.completed(directory, overrides, fingerprint):
        return sweep.KEPT, None
    error = sweep.run_point(cfg, directory, num, overrides, job_output, fingerprint)
    return (sweep.FAILED if error else sweep.RERUN if recheck else sweep.RAN), error
