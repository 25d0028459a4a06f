"""The default EU scenario against published, independent data (tests/data/calibration.csv, sources
in docs/sources.md): each band is the publication's, never the model's output."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import sim
from sim.config.values import ELEMENTS

HERE = Path(__file__).resolve().parent
README = HERE.parents[1] / "README.md"
#: segments beyond those an independent review recomputed with van Nielen et al.'s tables
NEW_SEGMENTS = {"medical_imaging", "robotics", "pumps_hvac", "heat_pumps", "audio", "other_applications"}


def bands() -> dict[str, dict]:
    with open(HERE.parent / "data" / "calibration.csv") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {row["quantity"]: row for row in rows}


@pytest.fixture(scope="module")
def model() -> dict[str, float]:
    """The model's value of every quantity in the calibration table."""
    result = sim.run(sim.load_config())
    kpis, flows = result.kpis.set_index("year"), result.flows
    early = sim.run(sim.load_config(overrides=["start_year=2010", "end_year=2030"]))
    placed = early.flows.query("from_node == 'market' and to_node == 'in_use' and year == 2010")
    placed = placed.groupby("segment", observed=True).mass_t.sum()
    composition = {s.name: s.composition for s in early.params.segments}

    def element_2010(element):
        return sum(mass * composition[segment][ELEMENTS.index(element)] for segment, mass in placed.items())

    eol = flows.query("from_node == 'in_use' and to_node == 'end_of_life' and year == 2025")
    reviewed = eol[~eol.segment.isin(NEW_SEGMENTS)].mass_t.sum()
    return {
        "EU magnet demand 2025 (kt)": kpis.at[2025, "demand_t"] / 1e3,
        "Nd in magnets entering use 2010 (t)": element_2010("Nd"),
        "Dy in magnets entering use 2010 (t)": element_2010("Dy"),
        "EoL arising 2025 of the segments van Nielen's tables cover (kt)": reviewed / 1e3,
        "EoL arising 2025 as 15-20 % of global discards (kt)": kpis.at[2025, "eol_arising_t"] / 1e3,
        "Heraeus Bitterfeld feed capacity 2030 (t/yr)": kpis.at[2030, "capacity_t:heraeus_bitterfeld"],
        "Caremag Lacq scrap capacity 2030 (t/yr)": kpis.at[2030, "capacity_t:caremag_lacq"],
        "HyProMag Pforzheim capacity 2030 (t/yr)": kpis.at[2030, "capacity_t:hypromag_pforzheim"],
        "MagREEsource Grenoble capacity 2030 (t/yr)": kpis.at[2030, "capacity_t:magreesource_grenoble"],
        "EU sintered magnet-making capacity 2026 (kt)":
            float(result.params.industry.magnet_making.capacity.at(2026)) / 1e6,
        "recycled content 2025 (%)": 100 * kpis.at[2025, "recycled_content"],
        "capacity benchmark 2030 (%)": 100 * kpis.at[2030, "capacity_benchmark"],
        "post-consumer recycled content 2030 (%)": 100 * kpis.at[2030, "recycled_content_post_consumer"],
    }


@pytest.mark.parametrize("quantity", list(bands()))
def test_quantity_is_on_the_stated_side_of_its_published_band(model, quantity):
    """`holds`: within the published band; `above`/`below`: a value the model keeps on purpose."""
    band = bands()[quantity]
    low, high, value = float(band["low"]), float(band["high"]), model[quantity]
    expected = {"holds": low <= value <= high, "above": value > high, "below": value < low}[band["status"]]
    assert expected, f"{quantity}: model {value:.4g}, published band [{low}, {high}] ({band['status']})"


def test_at_least_three_independent_references_hold():
    holding = {row["source"] for row in bands().values() if row["status"] == "holds"}
    assert len(holding) >= 3


def test_readme_calibration_table_quotes_the_default_run(model):
    """Every row of the README's calibration table shows the model value of a default run."""
    text = README.read_text()
    block = text.split("<!-- calibration:start -->")[1].split("<!-- calibration:end -->")[0]
    rows = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in model:
            rows[cells[0]] = re.sub(r"[^0-9.]", "", cells[1])
    assert set(rows) == set(bands())
    for quantity, quoted in rows.items():
        digits = len(quoted.split(".")[1]) if "." in quoted else 0
        assert round(model[quantity], digits) == pytest.approx(float(quoted)), quantity


def test_default_target_is_post_consumer_content_labelled_a_proxy():
    """The default target applies 25 % by 2030 to post-consumer content (the CRMA's disclosure
    basis), labelled a proxy; the target-scope reading is an option of its own."""
    params = sim.parameters(sim.load_config())
    assert (params.target.share, params.target.year) == (0.25, 2030)
    assert params.target.metric == "recycled_content_post_consumer"
    assert "proxy" in params.target.label
    assert sim.parameters(sim.load_config(["target=target_scope_2030"])).target.metric == \
        "recycled_content_target_scope"
    scope = {s.name for s in params.segments if s.in_target_scope}
    assert scope == {"ev_traction", "phev_traction", "full_hybrid_traction", "wind_onshore_dd",
                     "wind_onshore_geared", "wind_offshore_dd", "wind_offshore_geared"}
