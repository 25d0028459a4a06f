"""The one override expander against Hydra itself: its jobs are those Hydra's basic sweeper launches
(found through Hydra's plugin discovery), and a group composition plus `apply` of the values gives
the config Hydra's compose() gives for the whole job; a single run needs no project plugin."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hydra import compose
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import ConfigCompositionException, HydraException
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext
from omegaconf import OmegaConf, open_dict

from sim.config import overrides
from sim.config.compose import CONFIG_DIR, hydra_context

#: sweeps in every form of the grammar: commas, range(), glob(), choice(), quoted values with
#: commas, +key, ++key, ~key, a key given twice, config groups and values mixed
SWEEPS = {
    "commas": ["segments.ev_traction.collection_rate=0.4,0.6", "policy=baseline,combined"],
    "range": ["target.year=range(2030,2033)", "seed=range(1,5,2)"],
    "float range": ["target.share=range(0.1,0.35,0.1)"],
    "glob": ["policy=glob([base*,comb*])", "plants=glob(eu_*,exclude=eu_delayed)"],
    "choice": ["target.share=choice(0.1,0.25)", "plants=choice(none,eu_expanded)"],
    "quoted": ["policy.name='a,b','c d'", 'output.sankey_year="2035"'],
    "add": ["+extra=1,2", "+label=x"],
    "force add": ["++seed=5,6", "++fresh=[1,2]"],
    "delete": ["~output.sankey_year", "end_year=2040,2041"],
    "repeated key": ["seed=1,2", "end_year=2040", "seed=3,4,5"],
    "lists and mappings": ["policy.rate_changes=[],[{year: 2030, segment: ev_traction, key: collection_rate,"
                           " value: 0.9}]", "scrap_store={export_share: 0.1}"],
}


class RecordingLauncher(Launcher):
    """Records the jobs a sweeper launches instead of running them."""

    launched: list[list[str]] = []

    def setup(self, *, hydra_context, task_function, config) -> None:
        pass

    def launch(self, job_overrides, initial_job_idx):
        returns = []
        for job in job_overrides:
            RecordingLauncher.launched.append(list(job))
            done = JobReturn(overrides=list(job), status=JobStatus.COMPLETED)
            done.return_value = None
            returns.append(done)
        return returns


def basic_sweeper_jobs(arguments: list[str]) -> list[list[str]]:
    """The jobs Hydra's own basic sweeper launches for these command-line overrides."""
    [basic] = [plugin for plugin in Plugins.instance().discover(Sweeper) if plugin.__name__ == "BasicSweeper"]
    with hydra_context() as loader:
        config = compose("config", return_hydra_config=True)
        with open_dict(config):
            config.hydra.sweep.dir = "sweep"
        sweeper = basic(max_batch_size=None)
        sweeper.setup(hydra_context=HydraContext(config_loader=loader, callbacks=None), task_function=None,
                      config=config)
        sweeper.launcher = RecordingLauncher()  # a plugin must live in hydra_plugins to be configured
        RecordingLauncher.launched = []
        sweeper.sweep(arguments)  # also composes every job: a job Hydra cannot compose fails here
    return RecordingLauncher.launched


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the basic sweeper writes multirun.yaml into its sweep directory


@pytest.mark.parametrize("arguments", SWEEPS.values(), ids=list(SWEEPS))
def test_the_jobs_are_those_of_hydras_basic_sweeper(arguments):
    jobs = overrides.expand(arguments)

    assert jobs == basic_sweeper_jobs(arguments)
    assert len(jobs) > 1


def test_hand_counted_jobs():
    """Independent of Hydra: the product in the order keys first appear, values as written."""
    assert overrides.expand(["policy=baseline,combined", "target.year=range(2030,2032)", "end_year=2040"]) == [
        ["policy=baseline", "target.year=2030", "end_year=2040"],
        ["policy=baseline", "target.year=2031", "end_year=2040"],
        ["policy=combined", "target.year=2030", "end_year=2040"],
        ["policy=combined", "target.year=2031", "end_year=2040"]]
    assert overrides.expand(["policy.name='a,b'"]) == [["policy.name='a,b'"]]
    policies = sorted(path.stem for path in (CONFIG_DIR / "policy").glob("*.yaml"))
    assert overrides.expand(["policy=glob(*)"]) == [[f"policy={name}"] for name in policies]
    assert overrides.expand([]) == [[]]


def test_an_interval_is_refused_as_hydras_basic_sweeper_refuses_it():
    with pytest.raises(HydraException):
        basic_sweeper_jobs(["target.share=interval(0.1,0.2)"])
    with pytest.raises(HydraException, match="interval"):
        overrides.expand(["target.share=interval(0.1,0.2)"])


def groups_and_values(job: list[str], groups: set[str]) -> tuple[list[str], list[str]]:
    """A job's config-group choices and its value overrides."""
    parsed = overrides.parse(job)
    chosen = [line for line, o in zip(job, parsed) if o.key_or_group in groups and not isinstance(o.value(), dict)]
    return chosen, [line for line in job if line not in chosen]


@pytest.mark.parametrize("arguments", SWEEPS.values(), ids=list(SWEEPS))
def test_groups_composed_then_values_applied_give_what_compose_gives(arguments):
    with hydra_context() as loader:
        groups = set(loader.list_groups(""))
        for job in overrides.expand(arguments):
            chosen, values = groups_and_values(job, groups)
            expected = compose("config", overrides=job)
            cfg = compose("config", overrides=chosen)
            overrides.apply(cfg, values)
            assert OmegaConf.to_container(cfg) == OmegaConf.to_container(expected), job


@pytest.mark.parametrize("line", ["no_such_key=1", "+seed=3", "~no_such_key", "~seed=999", "output.no_such_key=1"])
def test_a_value_override_hydra_refuses_is_refused(line):
    with hydra_context():
        with pytest.raises(ConfigCompositionException):
            compose("config", overrides=[line])
        cfg = compose("config")
    with pytest.raises(ConfigCompositionException):
        overrides.apply(cfg, [line])


BROKEN_PLUGIN = {
    # a plugin module that fails to import, as after a Hydra upgrade that removed what it used
    "broken": "sys.modules['sim.studies.sweep'] = None",
    # no plugin at all
    "missing": "sys.modules['hydra_plugins.ndfeb_sweep'] = None",
}


@pytest.mark.parametrize("breakage", BROKEN_PLUGIN.values(), ids=list(BROKEN_PLUGIN))
def test_a_single_run_and_load_config_need_no_project_plugin(tmp_path, breakage):
    script = f"""
import sys
{breakage}
import sim
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
assert "NdfebSweeper" not in [p.__name__ for p in Plugins.instance().discover(Sweeper)]
assert sim.run(sim.load_config(["end_year=2030"])).kpis["year"].max() == 2030
from sim.cli.main import main
sys.argv = ["sim", "end_year=2030"]
main()
"""
    finished = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)

    assert finished.returncode == 0, finished.stderr
    assert "results in" in finished.stdout
    [kpis] = tmp_path.glob("outputs/*/*/kpis.csv")
    assert kpis.is_file()
