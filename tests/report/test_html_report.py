"""report.html of a run: one self-contained page (plotly.js once, nothing fetched), whose figures
carry the numbers of kpis.csv, and which a real browser (headless Chromium) renders offline with no
console message and a screenshot that is not blank."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from browser import ink, load

import sim
from sim.report.html_report import plotly_js
from sim.report.run_writer import write_run

pytest.importorskip("plotly")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("run")
    cfg = sim.load_config()
    write_run(cfg, sim.run(cfg), directory)
    return directory


def figures_of(page: str) -> list[dict]:
    """The plotly figures a page draws (the JSON its last script iterates over)."""
    start = page.rindex("for (const p of ") + len("for (const p of ")
    return json.loads(page[start:page.index(") Plotly.newPlot", start)])


def test_report_is_one_self_contained_file(run_dir):
    page = (run_dir / "report.html").read_text()
    script = plotly_js()
    assert page.count(script[:300]) == 1  # plotly.js once
    assert "<script src=" not in page and "<link " not in page  # nothing fetched
    assert len(page) < len(script) + 1_000_000
    assert not list(run_dir.glob("sankey_*.html"))  # the Sankey lives in the report


def test_report_figures_carry_the_kpis(run_dir):
    kpis = pd.read_csv(run_dir / "kpis.csv").set_index("year")
    plots = figures_of((run_dir / "report.html").read_text())
    content = plots[0]["data"]
    # bonded magnets never go to the target scope: its line and all magnets' differ, both drawn
    assert (kpis["recycled_content_target_scope"] - kpis["recycled_content"]).abs().max() > 1e-3
    names = [trace.get("name", "") for trace in content]
    assert sum("all recycled" in n for n in names) == 2
    assert "coincide" not in plots[0]["layout"]["title"]["text"]
    by_name = {trace["name"]: trace for trace in content if "name" in trace}
    line = next(t for n, t in by_name.items() if n.startswith("all new magnets: all recycled"))
    assert line["x"] == list(kpis.index)
    assert line["y"] == pytest.approx(list(100 * kpis["recycled_content"]), rel=1e-8)
    post = next(t for n, t in by_name.items() if "post-consumer" in n)
    assert post["y"] == pytest.approx(list(100 * kpis["recycled_content_post_consumer"]), rel=1e-8)
    eol = plots[1]["data"]
    assert sum(sum(trace["y"]) for trace in eol) == pytest.approx(kpis["eol_arising_t"].sum(), rel=1e-8)
    assert "EV traction motors" in [trace["name"] for trace in eol]  # display names, not keys
    [sankey] = [p for p in plots if p["data"][0].get("type") == "sankey"]
    values = sankey["data"][0]["link"]["value"]
    for column in ("eol_arising_t", "uncollected_t", "scrap_export_t"):
        assert round(kpis.at[2030, column], 3) in values, column
    assert plots[0]["layout"]["xaxis"]["range"][1] > 2050  # the last year is not cut


@pytest.mark.slow
def test_a_browser_renders_the_report_offline_without_console_errors(run_dir, tmp_path):
    loaded = load(run_dir / "report.html", tmp_path)
    assert loaded.console == []
    plots = figures_of((run_dir / "report.html").read_text())
    # plotly drew every figure: one SVG root per figure div
    assert loaded.dom.count('class="main-svg"') >= len(plots)
    assert "sankey" in loaded.dom
    inked, colours = ink(loaded.screenshot)
    assert inked > 0.05 and colours > 200, (inked, colours)


@pytest.mark.slow
def test_the_browser_check_sees_console_errors_and_blank_pages(tmp_path):
    """The check above can fail: an uncaught error is reported, and an empty page is blank."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    loaded = load(broken, tmp_path, height=600)
    assert any("undefinedFunction" in line for line in loaded.console)
    inked, _ = ink(loaded.screenshot)
    assert inked < 0.01


@pytest.mark.slow
def test_reports_of_many_runs_share_one_plotly_file_and_still_open_offline(tmp_path):
    """A sweep's job reports load plotly.js from one file at the sweep root instead of inlining it."""
    cfg = sim.load_config(["end_year=2031"])
    result = sim.run(cfg)
    shared = tmp_path / "plotly.min.js"
    for job in ("0", "1"):
        write_run(cfg, result, tmp_path / job, shared_script=shared)
    assert shared.read_text() == plotly_js()
    page = (tmp_path / "1" / "report.html").read_text()
    assert '<script src="../plotly.min.js"></script>' in page and len(page) < 200_000
    loaded = load(tmp_path / "1" / "report.html", tmp_path)
    assert loaded.console == [] and loaded.dom.count('class="main-svg"') >= len(figures_of(page))
