"""Workbooks and pages of studies: compare.xlsx and sweep.xlsx hold their CSV tables with shares in
percent and every column defined; the pages draw the comparison and the sweep heatmap (in percent,
contour at the target) and open in a browser without console errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from browser import load

from sim.report.study_reports import heatmap_figure, write_sweep_page, write_sweep_workbook
from sim.studies import compare

pytest.importorskip("openpyxl")
SHORT = "end_year=2031"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    directory = tmp_path_factory.mktemp("compare")
    # the target-scope target, so that the page draws the target-scope content of each scenario
    assert compare.main(["policy=baseline,magnet_mandate", "target=target_scope_2030", SHORT,
                         "--out", str(directory)]) == 0
    return directory


def sweep_frame() -> pd.DataFrame:
    """A sweep table as sim.studies.sweep.table builds it: 2 x 3 points, one failed."""
    rows = []
    for job, (rate, capacity) in enumerate([(r, c) for r in (0.4, 0.8) for c in (1000, 4000, 8000)]):
        share = 0.1 + 0.25 * rate * capacity / 8000
        failed = job == 5
        rows.append({"job": job, "collection_rate": rate, "capacity": capacity,
                     "status": "failed" if failed else "ok", "error": "config error: x" if failed else None,
                     "target_year": 2030, "target_share": 0.25, "target_metric": "recycled_content_target_scope",
                     "recycled_content": share, "recycled_content_post_consumer": share / 2,
                     "recycled_content_target_scope": None if failed else share, "target_met": share >= 0.25,
                     "first_year_target_met": None, "binding_constraint": "feed", "shortage_t": 0.0})
    return pd.DataFrame(rows)


def test_compare_workbook_holds_compare_csv(comparison):
    csv = pd.read_csv(comparison / "compare.csv").set_index("scenario")
    sheet = pd.read_excel(comparison / "compare.xlsx", sheet_name="compare").set_index("scenario")
    for column in csv.columns:
        if column.endswith("_pct"):
            assert sheet[f"{column[:-4]} [%]"].to_numpy() == pytest.approx(csv[column].to_numpy(), rel=1e-8)
    readme = pd.read_excel(comparison / "compare.xlsx", sheet_name="read-me", header=None)
    defined = set(readme[1].dropna().astype(str))
    assert {"scenario", "recycled_content_target_scope_2030", "scrap_export_t_2030"} <= defined


def test_compare_page_draws_the_target_metric_of_each_scenario(comparison):
    page = (comparison / "report.html").read_text()
    start = page.rindex("for (const p of ") + len("for (const p of ")
    plots = json.loads(page[start:page.index(") Plotly.newPlot", start)])
    csv = pd.read_csv(comparison / "compare.csv").set_index("scenario")
    lines = {trace["name"]: trace for trace in plots[0]["data"]}
    for scenario in ("baseline", "magnet_mandate"):
        at = lines[scenario]["x"].index(2030)
        assert lines[scenario]["y"][at] == pytest.approx(csv.at[scenario, "recycled_content_target_scope_2030_pct"],
                                                         rel=1e-6)
    bars = plots[1]["data"]
    total = [post + pre for post, pre in zip(bars[0]["x"], bars[1]["x"])]
    assert total == pytest.approx(list(csv["recycled_content_target_scope_2030_pct"]), rel=1e-6)


def test_sweep_workbook_and_heatmap_are_in_percent_with_the_target(tmp_path):
    frame = sweep_frame()
    write_sweep_workbook(frame, tmp_path, {"sweep": str(tmp_path)})
    sheet = pd.read_excel(tmp_path / "sweep.xlsx", sheet_name="sweep")
    assert sheet["recycled_content [%]"].to_numpy() == pytest.approx(100 * frame["recycled_content"].to_numpy())
    assert sheet["target_share [%]"].iloc[0] == pytest.approx(25.0)
    figure = heatmap_figure(frame)
    heat, contour = figure["data"]
    # rows: capacity, columns: collection rate (the first swept column on x)
    assert heat["x"] == ["0.4", "0.8"] and heat["y"] == ["1000", "4000", "8000"]
    assert heat["z"][2][1] != heat["z"][2][1]  # the failed point (NaN) is blank
    assert heat["z"][0][0] == pytest.approx(100 * (0.1 + 0.25 * 0.4 * 1000 / 8000))
    assert heat["zmin"] <= 25.0 <= heat["zmax"] and contour["contours"]["start"] == 25.0
    assert "in 2030" in figure["layout"]["title"]["text"]


@pytest.mark.slow
def test_the_study_pages_open_in_a_browser_without_console_errors(comparison, tmp_path):
    write_sweep_page(sweep_frame(), tmp_path, {"sweep": str(tmp_path)})
    for page in (comparison / "report.html", tmp_path / "report.html"):
        loaded = load(page, tmp_path, height=1500)
        assert loaded.console == [], page
        assert 'class="main-svg"' in loaded.dom, page
