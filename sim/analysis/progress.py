"""Progress of many runs (sweep points, replications, frontier seeks, exploration futures) on stderr:
a live bar on a terminal (rich), and on anything else a line at every tenth of the work."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def duration(seconds: float) -> str:
    """'45 s', '3 min 20 s', '2 h 05 min'."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Counts finished and failed runs of a known total and reports them, with the rate and the
    time left, on `stream` (stderr by default).

        with Progress(len(jobs), "sweep") as progress:
            for outcome in outcomes:
                progress.advance(ok=outcome.ok)

    live: a redrawn bar (default: when the stream is a terminal); otherwise a line each time another
    tenth of the runs is done. enabled: false counts without reporting. clock: seconds, for tests.
    """

    def __init__(self, total: int, what: str = "runs", stream: TextIO | None = None, live: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, enabled: bool = True):
        self.total, self.what, self.enabled = int(total), what, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.done = self.failed = 0
        self.clock = clock
        self.started = clock()
        self._tenths = 0
        self._bar = None
        if enabled and (self.stream.isatty() if live is None else live) and self.total > 0:
            self._start_bar()

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[failed]} failed, {task.fields[rate]}"), TimeRemainingColumn(),
                        console=Console(file=self.stream), transient=False)
        self._task = self._bar.add_task(self.what, total=self.total, failed=0, rate="")
        self._bar.start()

    def rate(self) -> float:
        """Runs finished per second so far."""
        elapsed = self.clock() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """'sweep: 50/500 done (10 %), 2 failed, 3.1/s, 2 min 25 s left'."""
        rate = self.rate()
        left = duration((self.total - self.done) / rate) if rate > 0 else "?"
        share = 100 * self.done / self.total if self.total else 100.0
        return (f"{self.what}: {self.done}/{self.total} done ({share:.0f} %), {self.failed} failed, "
                f"{rate:.3g}/s, {left} left")

    def advance(self, ok: bool = True, count: int = 1) -> None:
        """Count `count` runs as finished (and as failed unless ok)."""
        self.done += count
        self.failed += 0 if ok else count
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, advance=count, failed=self.failed, rate=f"{self.rate():.3g}/s")
            return
        tenths = 10 * self.done // self.total if self.total else 10
        if tenths > self._tenths:
            self._tenths = tenths
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
