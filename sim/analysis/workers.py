"""Worker processes: the one process pool of the project, for replications, sweep points and
goal-seek frontiers (forked where the platform can, so the workers start with the imports done)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def cores() -> int:
    """Cores this process may run on (the affinity mask, which a batch scheduler may restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def count(requested: int | None, tasks: int) -> int:
    """Workers for `tasks` tasks: as requested (default one per core), never more than the tasks."""
    return max(1, min(requested or cores(), tasks))


def pool(workers: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of `workers` processes; fork shares the imported modules, so it starts in milliseconds."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
