"""The US and Japan regions against published, independent data (tests/data/calibration_<region>.csv,
sources in docs/sources.md): each band is the publication's, never the model's output."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import sim
from sim.config.values import ELEMENTS

DATA = Path(__file__).resolve().parent.parent / "data"
REGIONS = ("us", "japan")
RARE_EARTHS = ("Nd", "Pr", "Dy", "Tb")


def bands(region: str) -> dict[str, dict]:
    with open(DATA / f"calibration_{region}.csv") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {row["quantity"]: row for row in rows}


def _in_use_units(region: str, segment: str, year: int) -> float:
    """Units of a segment in use at the end of `year`, from the stock table of a run starting the year after."""
    result = sim.run(sim.load_config([f"region={region}", f"start_year={year + 1}", "end_year=2030"]))
    stock = result.stocks.query("node == 'in_use' and segment == @segment and year == @year").mass_t.sum()
    kind = next(s for s in result.params.segments if s.name == segment)
    return stock * 1e3 / (kind.magnet_per_unit * kind.magnet_share)


def us_values() -> dict[str, float]:
    early = sim.run(sim.load_config(["region=us", "start_year=2024"]))
    kpis = early.kpis.set_index("year")
    hybrids = next(s for s in early.params.segments if s.name == "full_hybrid_traction").placed_on_market
    return {
        "US imported magnets 2024 (kt)": kpis.at[2024, "imported_magnets_t"] / 1e3,
        "US imported magnets 2025 (kt)": kpis.at[2025, "imported_magnets_t"] / 1e3,
        "US full hybrids sold 1999-2019 (M)": sum(float(hybrids.at(y)) for y in range(1999, 2020)) / 1e6,
        "US post-consumer recycled content 2025 (%)": 100 * kpis.at[2025, "recycled_content_post_consumer"],
        "Noveon San Marcos feed capacity 2030 (t/yr)": kpis.at[2030, "capacity_t:noveon_san_marcos"],
        "HyProMag USA feed capacity 2030 (t/yr)": kpis.at[2030, "capacity_t:hypromag_dfw"],
    }


def japan_values() -> dict[str, float]:
    early = sim.run(sim.load_config(["region=japan", "start_year=2011"]))
    kpis, flows = early.kpis.set_index("year"), early.flows
    composition = next(s for s in early.params.segments if s.name == "other_applications").composition
    rare_earth_share = sum(composition[ELEMENTS.index(e)] for e in RARE_EARTHS)  # generic sintered grade
    collected = flows.query("year == 2020 and segment == 'pumps_hvac' and from_node == 'collection' "
                            "and to_node == 'dismantling'").mass_t.sum()
    return {
        "Japan battery-electric cars in use end-2017 (thousand)": _in_use_units("japan", "ev_traction", 2017) / 1e3,
        "Japan full hybrids in use end-2017 (M)": _in_use_units("japan", "full_hybrid_traction", 2017) / 1e6,
        "Japan post-consumer recycled content 2025 (%)": 100 * kpis.at[2025, "recycled_content_post_consumer"],
        "NdFeB in air conditioners collected 2020 (t)": collected,
        "rare earths in magnets made in Japan 2011 (kt)": kpis.at[2011, "region_made_t"] * rare_earth_share / 1e3,
        "Japan imported magnets 2025 (kt)": kpis.at[2025, "imported_magnets_t"] / 1e3,
    }


@pytest.fixture(scope="module")
def model() -> dict[str, dict[str, float]]:
    return {"us": us_values(), "japan": japan_values()}


@pytest.mark.parametrize("region, quantity", [(r, q) for r in REGIONS for q in bands(r)])
def test_quantity_is_on_the_stated_side_of_its_published_band(model, region, quantity):
    """`holds` and `input`: within the published band; `above`/`below`: a value the model keeps on purpose."""
    band = bands(region)[quantity]
    low, high, value = float(band["low"]), float(band["high"]), model[region][quantity]
    inside = low <= value <= high
    expected = {"holds": inside, "input": inside, "above": value > high, "below": value < low}[band["status"]]
    assert expected, f"{region}: {quantity}: model {value:.4g}, published band [{low}, {high}] ({band['status']})"


@pytest.mark.parametrize("region", REGIONS)
def test_at_least_two_independent_references_hold(region):
    holding = [row for row in bands(region).values() if row["status"] == "holds"]
    assert len(holding) >= 2


@pytest.mark.parametrize("region", REGIONS)
def test_readme_calibration_table_quotes_the_region_run(model, region):
    """Every row of the README's table for the region shows the model value of its run."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split(f"<!-- calibration-{region}:start -->")[1].split(f"<!-- calibration-{region}:end -->")[0]
    rows = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in model[region]:
            rows[cells[0]] = re.sub(r"[^0-9.]", "", cells[1])
    assert set(rows) == set(bands(region))
    for quantity, quoted in rows.items():
        digits = len(quoted.split(".")[1]) if "." in quoted else 0
        assert round(model[region][quantity], digits) == pytest.approx(float(quoted)), quantity
