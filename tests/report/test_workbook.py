"""results.xlsx of a run: the sheets a spreadsheet user expects, every column defined in the read-me,
and values that are those of kpis.csv, flows.csv and kpi_quantiles.csv (shares in percent)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import sim
from sim.report.run_writer import write_run

pytest.importorskip("openpyxl")
UNIT = re.compile(r"^(?P<name>.*?) \[(?P<unit>[^\]]+)\]$")


def split(heading) -> tuple[str, str]:
    """'recycled_content [%]' -> ('recycled_content', '%'); '2030' -> ('2030', '')."""
    match = UNIT.match(str(heading))
    return (match["name"], match["unit"]) if match else (str(heading), "")


@pytest.fixture(scope="module")
def expected_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("run")
    cfg = sim.load_config(["output.figures=false"])
    write_run(cfg, sim.run(cfg), directory)
    return directory, pd.read_excel(directory / "results.xlsx", sheet_name=None)


def test_the_workbook_has_its_sheets(expected_run):
    _, book = expected_run
    assert list(book) == ["read-me", "summary", "KPIs", "flows", "segments", "stocks", "config"]


def test_kpi_sheet_holds_kpis_csv_with_shares_in_percent(expected_run):
    directory, book = expected_run
    kpis = pd.read_csv(directory / "kpis.csv")
    sheet = book["KPIs"]
    seen = set()
    for heading in sheet.columns:
        name, unit = split(heading)
        seen.add(name)
        expected = kpis[name]
        if unit == "%":
            assert sheet[heading].to_numpy() == pytest.approx(100 * expected.to_numpy(), rel=1e-8, abs=1e-12), name
        elif unit in ("t", "t/yr") or name == "year":
            assert sheet[heading].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-8, abs=1e-12), name
        else:
            assert list(sheet[heading]) == list(expected), name
    assert seen == set(kpis.columns) - {"replication"}
    shares = [h for h in sheet.columns if split(h)[1] == "%"]
    assert {"recycled_content [%]", "capacity_benchmark [%]", "target_share [%]"} <= set(shares)
    assert sheet["target_share [%]"].iloc[0] == pytest.approx(25.0)


def test_read_me_defines_every_column_and_records_provenance(expected_run):
    directory, book = expected_run
    readme = pd.read_excel(directory / "results.xlsx", sheet_name="read-me", header=None)
    provenance = json.loads((directory / "provenance.json").read_text())
    cells = dict(zip(readme[0].astype(str), readme[1]))
    assert str(cells["seed"]) == str(provenance["seed"]) and cells["mode"] == "expected"
    assert cells["git_commit"] == provenance["git_commit"] or pd.isna(cells["git_commit"])
    start = readme.index[readme[0] == "sheet"][0]
    defined = {(row[0], str(row[1])) for _, row in readme.iloc[start + 1:].iterrows() if isinstance(row[1], str)}
    for name, sheet in book.items():
        if name == "read-me":
            continue
        for heading in sheet.columns:
            label = split(heading)[0]
            label = "<year>" if label.isdigit() else label
            assert (name, label) in defined, (name, label)
        definitions = readme.iloc[start + 1:]
        assert all(isinstance(d, str) and d for d in definitions[definitions[0] == name][3]), name


def test_summary_flows_and_segments_agree_with_the_tables(expected_run):
    directory, book = expected_run
    kpis = pd.read_csv(directory / "kpis.csv").set_index("year")
    summary = book["summary"].set_index("kpi")
    assert summary.at["recycled_content", 2030] == pytest.approx(100 * kpis.at[2030, "recycled_content"], rel=1e-8)
    assert summary.at["demand_t", 2035] == pytest.approx(kpis.at[2035, "demand_t"], rel=1e-8)
    assert summary.loc["recycled_content", "unit"] == "%"
    flows = book["flows"]
    arising = flows[(flows["from_node"] == "in_use") & (flows["to_node"] == "end_of_life")]
    for year in (2025, 2030, 2050):
        assert arising[year].sum() == pytest.approx(kpis.at[year, "eol_arising_t"], rel=1e-8)
    total = pd.read_csv(directory / "flows.csv").groupby("year")["mass_t"].sum()
    assert flows[2030].sum() == pytest.approx(total[2030], rel=1e-8)
    segments = book["segments"]
    for measure, column in (("end-of-life arising", "eol_arising_t"), ("liberated", "liberated_t"),
                            ("collected", "collected_t")):
        rows = segments[segments["measure"] == measure]
        assert rows[2030].sum() == pytest.approx(kpis.at[2030, column], rel=1e-8), measure
    assert "ev_traction" in set(segments["segment"])


def test_stochastic_workbook_has_means_and_quantiles(tmp_path):
    cfg = sim.load_config(["mode=stochastic", "replications=3", "end_year=2031", "output.figures=false"])
    write_run(cfg, sim.run(cfg, workers=1), tmp_path)
    book = pd.read_excel(tmp_path / "results.xlsx", sheet_name=None)
    kpis = pd.read_csv(tmp_path / "kpis.csv")
    assert kpis["replication"].nunique() == 3
    means = kpis.groupby("year")["recycled_content_post_consumer"].mean()
    sheet = book["KPIs"].set_index("year")
    assert sheet["recycled_content_post_consumer [%]"].to_numpy() == pytest.approx(100 * means.to_numpy(), rel=1e-8)
    quantiles = pd.read_csv(tmp_path / "kpi_quantiles.csv")
    row = quantiles[(quantiles["year"] == 2030) & (quantiles["kpi"] == "recycled_content_post_consumer")].iloc[0]
    sheet = book["KPI quantiles"]
    got = sheet[(sheet["year"] == 2030) & (sheet["kpi"] == "recycled_content_post_consumer")].iloc[0]
    assert got["unit"] == "%"
    for stat in ("mean", "p5", "p95"):
        assert got[stat] == pytest.approx(100 * row[stat], rel=1e-8), stat
    mass = sheet[(sheet["year"] == 2030) & (sheet["kpi"] == "demand_t")].iloc[0]
    assert mass["mean"] == pytest.approx(quantiles[(quantiles["year"] == 2030) & (quantiles["kpi"] == "demand_t")]
                                         ["mean"].iloc[0], rel=1e-8)
