"""Worker processes: the one process pool of the project, for replications, sweep points and
goal-seek frontiers (forked where the platform can, so the workers start with the imports done).
Workers die with the process that started them and leave Ctrl-C to it."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def cores() -> int:
    """Cores this process may run on (the affinity mask, which a batch scheduler may restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def count(requested: int | None, tasks: int) -> int:
    """Workers for `tasks` tasks: as requested (default one per core), never more than the tasks."""
    return max(1, min(requested or cores(), tasks))


def context():
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def pool(workers: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of `workers` processes; fork shares the imported modules, so it starts in milliseconds."""
    return ProcessPoolExecutor(workers, mp_context=context(), initializer=_start,
                               initargs=(os.getpid(), initializer, initargs))


def _start(parent: int, initializer: Callable | None, initargs: tuple) -> None:
    """A worker's start: it dies with its parent (no orphan goes on writing records after the
    parent is killed), ignores Ctrl-C (the parent stops the pool cleanly), then the caller's set-up."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the worker could ask to follow it
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
