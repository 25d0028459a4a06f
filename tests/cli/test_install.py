"""The project as a user installs it: a built wheel holds every module and config file, and, installed
in a fresh virtual environment, runs the default scenario from another directory through the
console script `ndfeb-sim`, with the same KPIs as the checkout. (CI also installs the wheel with
its dependencies from the package index; here they come from the running environment.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import sim

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (an in-place build would reuse a stale build/)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("sim", "conf", "hydra_plugins"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True)
    return next(out.glob("ndfeb_sim-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A virtual environment with the wheel installed; its dependencies are those of this
    environment, on its path through a .pth file (so nothing is downloaded)."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    borrowed = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "dependencies.pth").write_text("\n".join(borrowed) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    str(wheel)], check=True, capture_output=True)
    return root


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_wheel_holds_every_module_and_config_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {path.relative_to(ROOT).as_posix() for package in ("sim", "hydra_plugins")
                for pattern in ("*.py", "*.csv") for path in (ROOT / package).rglob(pattern)}
    expected |= {"sim/conf/" + path.relative_to(ROOT / "conf").as_posix() for path in (ROOT / "conf").rglob("*.yaml")}
    assert sorted(expected - names) == []


def test_installed_wheel_runs_the_default_scenario_anywhere(venv, tmp_path):
    python = venv / "bin" / "python"
    where = subprocess.run([python, "-c", "import sim, sim.config.compose as c; print(sim.__file__); "
                            "print(c.CONFIG_DIR)"], cwd=tmp_path, env=_environment(),
                           check=True, capture_output=True, text=True).stdout.split()
    assert all(Path(path).is_relative_to(venv) for path in where), where  # not the checkout's
    run = subprocess.run([venv / "bin" / "ndfeb-sim", "output.figures=false", "output.parquet=false",
                          "hydra.run.dir=run"], cwd=tmp_path, env=_environment(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    installed = pd.read_csv(tmp_path / "run" / "kpis.csv")
    checkout = sim.run(sim.load_config(["output.figures=false"])).kpis
    numbers = [c for c in checkout.columns if c not in ("binding_constraint", "target_met")]
    pd.testing.assert_frame_equal(installed[numbers], checkout[numbers], check_dtype=False, rtol=1e-8)
    assert (installed["binding_constraint"] == checkout["binding_constraint"]).all()


def test_installed_wheel_lists_the_packaged_config_groups(venv, tmp_path):
    listed = subprocess.run([venv / "bin" / "python", "-c", "from sim.studies.compare import options; "
                             "print(' '.join(options('policy')))"], cwd=tmp_path, env=_environment(),
                            check=True, capture_output=True, text=True).stdout.split()
    assert sorted(listed) == sorted(path.stem for path in (ROOT / "conf" / "policy").glob("*.yaml"))
