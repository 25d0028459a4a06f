"""Scenarios of one's own: `python -m sim init DIR` writes a starter set that runs as written, and
`--config-dir DIR` (config_dir= in the API) works the same for a run, a -m sweep and its resume,
compare and goal-seek: each gives the numbers of the API on the same directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli.starter import OVERRIDES
from sim.cli.starter import main as init
from sim.studies import compare, goalseek

SHORT = "end_year=2031"


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def own(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("mine") / "scenario"
    assert init([str(directory)]) == 0
    return directory


def test_init_writes_a_commented_starter_set_and_never_overwrites(own, capsys):
    for name in ("region/my_region.yaml", "plants/my_plants.yaml", "policy/my_policy.yaml"):
        text = (own / name).read_text()
        assert text.count("# ") >= 3, name  # commented
    assert "--config-dir" in (own / "README.md").read_text()
    before = (own / "policy" / "my_policy.yaml").read_text()
    assert init([str(own)]) == 2
    assert "exists" in capsys.readouterr().err
    assert (own / "policy" / "my_policy.yaml").read_text() == before


def test_the_starter_set_runs_as_written_on_the_command_line(own, tmp_path):
    finished = run_module("--config-dir", str(own), *OVERRIDES, SHORT, "hydra.run.dir=run", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    written = pd.read_csv(tmp_path / "run" / "kpis.csv")
    expected = sim.run(sim.load_config([*OVERRIDES, SHORT], config_dir=own)).kpis
    assert "utilisation:my_hpms_plant" in written.columns  # the plants of the starter set
    assert written["recycled_content"].to_numpy() == pytest.approx(expected["recycled_content"].to_numpy(), rel=1e-8)
    policy = json.loads((tmp_path / "run" / "provenance.json").read_text())["config"]["policy"]
    assert policy["name"] == "my_policy"


def test_an_own_option_misspelt_is_one_line_naming_the_own_options(own, tmp_path):
    finished = run_module("--config-dir", str(own), "region=my_regio", cwd=tmp_path)
    assert finished.returncode == 2
    [line] = finished.stderr.strip().splitlines()
    assert "my_regio" in line and "my_region" in line


def test_a_sweep_and_its_resume_take_the_own_directory(own, tmp_path):
    sweep_dir = tmp_path / "sweep"
    finished = run_module("--config-dir", str(own), "-m", *OVERRIDES, SHORT,
                          "segments.ev_traction.collection_rate=0.5,0.9", f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    table = pd.read_csv(sweep_dir / "sweep.csv")
    assert list(table["status"]) == ["ok", "ok"]
    for rate, content in zip(table["segments.ev_traction.collection_rate"], table["recycled_content"]):
        kpis = sim.run(sim.load_config([*OVERRIDES, SHORT, f"segments.ev_traction.collection_rate={rate}"],
                                       config_dir=own)).kpis.set_index("year")
        assert content == pytest.approx(kpis.at[2030, "recycled_content"], rel=1e-8)
    (sweep_dir / "1" / "job.json").unlink()  # an interrupted job
    resumed = run_module("sweep", "resume", str(sweep_dir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert list(pd.read_csv(sweep_dir / "sweep.csv")["status"]) == ["ok", "ok"]


def test_compare_takes_the_own_directory_and_lists_its_policies(own, tmp_path):
    assert "my_policy" in [s.name for s in compare.scenarios(["region=my_region"], own)]
    assert compare.main(["--config-dir", str(own), "region=my_region", "plants=my_plants",
                         "policy=baseline,my_policy", SHORT, "--out", str(tmp_path), "--no-figure"]) == 0
    table = pd.read_csv(tmp_path / "compare.csv").set_index("scenario")
    kpis = sim.run(sim.load_config(["region=my_region", "plants=my_plants", "policy=my_policy", SHORT],
                                   config_dir=own)).kpis.set_index("year")
    assert table.at["my_policy", "recycled_content_2030_pct"] == pytest.approx(
        100 * kpis.at[2030, "recycled_content"], rel=1e-6)


def test_goalseek_takes_the_own_directory(own, capsys):
    overrides = ["region=my_region", "plants=my_plants", SHORT, "target.share=0.04"]
    key = "segments.ev_traction.collection_rate"
    assert goalseek.main([key, "0", "1", *overrides, "--config-dir", str(own), "--points", "5"]) == 0
    printed = capsys.readouterr().out.strip()
    expected = goalseek.seek(sim.load_config(overrides, config_dir=own), key, 0.0, 1.0, points=5)
    assert printed == expected.describe()


def test_the_api_rejects_a_missing_directory_in_one_line(tmp_path):
    with pytest.raises(sim.ConfigError, match="--config-dir"):
        sim.load_config([], config_dir=tmp_path / "nowhere")


def _matching(own: Path, group: str, patterns: list[str]) -> list[str]:
    """The options of a group in conf/ and in one's own directory whose names match (by hand)."""
    from fnmatch import fnmatch

    from sim.config.compose import CONFIG_DIR

    names = {p.stem for folder in (CONFIG_DIR / group, own / group) for p in folder.glob("*.yaml")}
    return sorted(n for n in names if any(fnmatch(n, p) for p in patterns))


def test_glob_in_compare_matches_the_own_options(own):
    chosen = compare.scenarios(["region=my_region", "policy=glob([baseline,my_*])"], own)
    assert [s.name for s in chosen] == _matching(own, "policy", ["baseline", "my_*"]) == ["baseline", "my_policy"]
    assert [s.name for s in compare.scenarios(["plants=glob(*)"], own)] == _matching(own, "plants", ["*"])
    assert compare.scenarios(["policy=glob(my_*)"]) == []  # without the directory there is no such option


def test_goalseek_over_a_glob_of_own_policies_composes_each(own, tmp_path, capsys):
    overrides = ["region=my_region", "plants=my_plants", SHORT, "target.share=0.04"]
    key = "segments.ev_traction.collection_rate"
    assert goalseek.main([key, "0", "1", *overrides, "--config-dir", str(own), "--points", "3", "--tolerance", "0.05",
                          "--over", "policy=glob([baseline,my_*])", "--out", str(tmp_path)]) == 0
    frontier = pd.read_csv(tmp_path / "frontier.csv")
    assert list(frontier["policy"]) == ["baseline", "my_policy"]
    for policy, value in zip(frontier["policy"], frontier["value"]):
        alone = goalseek.seek(sim.load_config([*overrides, f"policy={policy}"], config_dir=own), key, 0.0, 1.0,
                              tolerance=0.05, points=3)
        assert value == pytest.approx(alone.value) if alone.value is not None else pd.isna(value)


def test_explore_takes_the_own_directory_for_its_spec_levers_and_group_choices(own, tmp_path):
    """An exploration of one's own (DIR/explore/mine.yaml) over an own policy lever and a choice of an
    own plant option: each run's outcome is that of the same scenario run through the API."""
    import shutil

    import yaml

    from sim.studies.exploration.command import main as explore

    mine = tmp_path / "mine"
    shutil.copytree(own, mine)
    (mine / "explore").mkdir()
    liberation = "segments.ev_traction.liberation_rate"
    (mine / "explore" / "mine.yaml").write_text(yaml.safe_dump({
        "overrides": ["region=my_region", SHORT], "n": 3, "seed": 5,
        "uncertainties": {liberation: {"distribution": "uniform", "low": 0.1, "high": 0.9, "source": "test"},
                          "plants": {"options": ["my_plants", "none"], "source": "test"}},
        "levers": {"baseline": ["policy=baseline"], "mine": ["policy=my_policy"]},
        "outcomes": {"content": {"kpi": "recycled_content", "year": 2030}}}))
    assert explore(["mine", "--config-dir", str(mine), "--workers", "1", "--out", str(tmp_path / "out")]) == 0

    runs = pd.read_parquet(tmp_path / "out" / "experiments.parquet").merge(
        pd.read_parquet(tmp_path / "out" / "outcomes.parquet"), on="run")
    assert len(runs) == 6 and set(runs["plants"]) <= {"my_plants", "none"} and (runs["status"] == "ok").all()
    for _, row in runs.iterrows():
        policy = "my_policy" if row["lever"] == "mine" else "baseline"
        kpis = sim.run(sim.load_config(["region=my_region", SHORT, f"policy={policy}", f"plants={row['plants']}",
                                        f"{liberation}={float(row[liberation])!r}"], config_dir=mine)).kpis
        assert row["content"] == pytest.approx(kpis.set_index("year").at[2030, "recycled_content"], rel=1e-9)


def test_explore_names_the_own_explorations_when_one_is_missing(tmp_path):
    (tmp_path / "mine" / "explore").mkdir(parents=True)
    (tmp_path / "mine" / "explore" / "mine.yaml").write_text("n: 1\n")
    finished = run_module("explore", "nosuch", "--config-dir", str(tmp_path / "mine"), cwd=tmp_path)
    assert finished.returncode == 2
    [line] = finished.stderr.strip().splitlines()
    assert "nosuch" in line and "mine" in line and "eu_2030" in line
