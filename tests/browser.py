"""Headless Chromium for the tests of report.html: load a page offline, collect its console
messages, its DOM after the scripts ran, and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=20000"]


def chromium() -> str:
    """The Chromium executable, or a skip saying how to get it (CI installs it)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")


@dataclass(frozen=True)
class Page:
    console: list[str]  # every console message, uncaught errors included
    dom: str  # the document after its scripts ran
    screenshot: Path


def load(page: Path, out: Path, width: int = 1280, height: int = 4000) -> Page:
    """Open `page` from disk twice (the DOM, then a screenshot) with networking disabled."""
    executable = chromium()
    url = page.resolve().as_uri()
    console = []
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([executable, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120)
    console += [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    shot = out / f"{page.stem}.png"
    with tempfile.TemporaryDirectory() as profile:
        taken = subprocess.run([executable, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                                f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120)
    console += [line for line in taken.stderr.splitlines() if ":CONSOLE" in line]
    assert dom.returncode == 0 and taken.returncode == 0, dom.stderr[-2000:] + taken.stderr[-2000:]
    return Page(console, dom.stdout, shot)


def ink(screenshot: Path) -> tuple[float, int]:
    """Share of pixels that are not background white, and the number of distinct colours."""
    image = pytest.importorskip("PIL.Image").open(screenshot).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3)
    inked = float((pixels.min(axis=1) < 240).mean())
    return inked, len(np.unique(pixels, axis=0))
