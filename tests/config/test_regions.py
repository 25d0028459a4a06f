"""Choosing a region: its file brings its plants, value chain and target; a choice on the command
line still wins; a target for another region, or a bad region key, is a one-line error naming the key."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hydra.core.global_hydra import GlobalHydra

import sim
from sim.config.compose import compose_overrides


def choices(*overrides: str) -> dict[str, str]:
    """The config group choices Hydra made for these overrides."""
    cfg, _ = compose_overrides(list(overrides), with_hydra=True)
    GlobalHydra.instance().clear()
    return {group: cfg.hydra.runtime.choices[group] for group in ("region", "plants", "industry", "target")}


@pytest.mark.parametrize("region, plants, industry", [("eu", "eu_announced", "eu"), ("us", "us_announced", "us"),
                                                       ("japan", "japan_established", "japan")])
def test_a_region_brings_its_plants_industry_and_target(region, plants, industry):
    target = "crma_2030" if region == "eu" else "none"
    assert choices(f"region={region}") == {"region": region, "plants": plants, "industry": industry, "target": target}
    params = sim.parameters(sim.load_config([f"region={region}"]))
    assert params.region.code == region
    assert {p.name for p in params.plants} and params.industry.magnet_making.capacity.values[-1] > 0


def test_a_choice_on_the_command_line_wins_over_the_region_file():
    assert choices("region=us", "plants=none", "target=region_made_2030")[
        "plants"] == "none"
    params = sim.parameters(sim.load_config(["region=us", "plants=none", "target=region_made_2030"]))
    assert params.plants == () and params.target.share == 0.25 and params.target.regions == ("all",)


def test_the_us_plants_are_those_announced():
    plants = {p.name: p for p in sim.parameters(sim.load_config(["region=us"])).plants}
    assert set(plants) == {"noveon_san_marcos", "hypromag_dfw"}
    assert plants["noveon_san_marcos"].capacity.at(2030) == pytest.approx(2_000_000)  # kg/yr
    assert plants["hypromag_dfw"].capacity.at(2027) == 0.0  # commissioning from mid-2027


@pytest.mark.parametrize("target", ["crma_2030", "target_scope_2030", "all_magnets_2030"])
@pytest.mark.parametrize("region", ["us", "japan"])
def test_an_eu_target_in_another_region_names_target_regions(region, target):
    with pytest.raises(sim.ConfigError) as raised:
        sim.parameters(sim.load_config([f"region={region}", f"target={target}"]))
    error = raised.value
    assert error.key == "target.regions" and "\n" not in str(error)
    assert f"region.code '{region}'" in str(error) and "target=none" in str(error)


@pytest.mark.parametrize("override, key", [
    ("region.code='U S'", "region.code"),
    ("region.code=7eleven", "region.code"),
    ("region.capacity_benchmark=1.5", "region.capacity_benchmark"),
    ("region.name=42", "region.name"),
    ("+region.colour=red", "region.colour"),
    ("target.regions=[eu,'no such']", "target.regions"),
])
@pytest.mark.parametrize("region", ["us", "japan"])
def test_bad_region_input_names_the_region_key(region, override, key):
    with pytest.raises(sim.ConfigError) as raised:
        sim.parameters(sim.load_config([f"region={region}", override]))
    assert raised.value.key == key and "\n" not in str(raised.value)


def test_bad_region_input_through_the_command_line(tmp_path):
    """python -m sim region=us target=crma_2030: exit 2, one line naming target.regions, nothing written."""
    finished = subprocess.run([sys.executable, "-m", "sim", "region=us", "target=crma_2030"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("config error: target.regions = "), finished.stderr
    assert list(tmp_path.iterdir()) == []
