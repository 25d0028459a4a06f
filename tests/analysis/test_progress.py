"""Progress on stderr: a line at every tenth of the runs on a non-terminal, with done, failed, the
rate and the time left; a live bar on a terminal."""

from __future__ import annotations

import io

from sim.analysis.progress import Progress, duration


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_at_every_tenth_with_rate_and_time_left():
    stream, clock = io.StringIO(), Clock()
    with Progress(200, "sweep", stream=stream, live=False, clock=clock) as progress:
        for job in range(200):
            clock.now += 0.5  # two jobs a second
            progress.advance(ok=job % 50 != 7)  # jobs 7, 57, 107, 157 fail
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "sweep: 20/200 done (10 %), 1 failed, 2/s, 1 min 30 s left"  # 180 jobs at 2/s
    assert lines[4] == "sweep: 100/200 done (50 %), 2 failed, 2/s, 50 s left"
    assert lines[-1] == "sweep: 200/200 done (100 %), 4 failed, 2/s, 0 s left"


def test_small_totals_report_each_tenth_they_cross():
    stream = io.StringIO()
    progress = Progress(3, "frontier", stream=stream, live=False, clock=Clock())
    for _ in range(3):
        progress.advance()
    assert [line.split(" done")[0] for line in stream.getvalue().splitlines()] == [
        "frontier: 1/3", "frontier: 2/3", "frontier: 3/3"]


def test_a_terminal_gets_a_live_bar_with_failures():
    stream = io.StringIO()
    with Progress(4, "replications", stream=stream, live=True) as progress:
        progress.advance()
        progress.advance(ok=False)
        progress.advance()
        progress.advance()
    text = stream.getvalue()
    assert "replications" in text and "4/4" in text and "1 failed" in text


def test_durations_read_as_people_write_them():
    assert duration(45.2) == "45 s"
    assert duration(200) == "3 min 20 s"
    assert duration(7500) == "2 h 05 min"
