"""Fixtures shared by the test folders, which mirror sim/'s subpackages (config, model, analysis,
report, studies, cli). Helpers that tests import (chain_scenarios, browser) sit beside this file;
pyproject.toml puts this folder on the import path."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

#: the repository checkout the tests run in
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def default_result() -> sim.Result:
    """The default scenario (conf/config.yaml as shipped), expected mode, run once per session.
    Tests must not modify its tables."""
    return sim.run(sim.load_config())
