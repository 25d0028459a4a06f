"""Reports in a run directory: summary.md carries the numbers of the KPI table written beside it,
figures are written by the run itself, and missing plotting libraries only skip the figures."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import sim
from sim.report import figures, html_report
from sim.report.run_writer import write_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def percent(share: float) -> str:
    return f"{100 * share:.2f} %"


def mass(tonnes: float) -> str:
    return f"{tonnes:,.0f} t"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("run")
    cfg = sim.load_config()
    written = write_run(cfg, sim.run(cfg), directory)
    return directory, written


def test_a_run_directory_holds_the_tables_provenance_and_summary(default_run):
    directory, written = default_run
    for name in ("flows.csv", "stocks.csv", "kpis.csv", "kpi_quantiles.csv", "provenance.json", "summary.md"):
        assert (directory / name).is_file(), name
        assert directory / name in written


def test_summary_carries_the_numbers_of_the_kpi_table(default_run):
    """The headline numbers in summary.md are those of kpis.csv in the same directory."""
    directory, _ = default_run
    kpis = pd.read_csv(directory / "kpis.csv").set_index("year")
    summary = (directory / "summary.md").read_text()
    for year in (2025, 2030, 2035):
        for column in ("recycled_content_target_scope", "recycled_content", "recycled_content_post_consumer",
                       "recycled_content_pre_consumer", "capacity_benchmark"):
            assert percent(kpis.at[year, column]) in summary, (column, year)
        for column in ("demand_t", "recycled_supply_t"):
            assert mass(kpis.at[year, column]) in summary, (column, year)
    for column in ("eol_arising_t", "uncollected_t", "shredder_loss_t", "scrap_export_t", "process_loss_t",
                   "dy_tb_recovered_t"):
        assert mass(kpis.at[2030, column]) in summary, column
    assert mass(kpis["dy_tb_recovered_t"].sum()) in summary
    for plant in ("heraeus_bitterfeld", "caremag_lacq"):
        assert f"| {plant} |" in summary
        assert percent(kpis.at[2030, f"utilisation:{plant}"]) in summary
    assert f"**{kpis.at[2030, 'binding_constraint']}**" in summary


def test_summary_answers_the_target_question(default_run):
    """Target verdict, first year met (or 'not by <end year>') and both 25 % measures, named apart."""
    directory, _ = default_run
    kpis = pd.read_csv(directory / "kpis.csv").set_index("year")
    summary = (directory / "summary.md").read_text()
    met_years = kpis.index[kpis["target_met"]]
    first = str(met_years[0]) if len(met_years) else "not by 2050"
    assert f"first met: **{first}**" in summary
    assert ("**met**" if kpis.at[2030, "target_met"] else "**not met**") in summary
    assert "capacity benchmark" in summary and "proxy" in summary


def test_figures_are_written_by_the_run(default_run):
    pytest.importorskip("matplotlib")
    directory, _ = default_run
    for name in ("recycled_content.png", "eol_arising_by_segment.png", "sankey_2030.png"):
        data = (directory / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, name


def test_sankey_year_is_configurable(tmp_path):
    pytest.importorskip("matplotlib")
    cfg = sim.load_config(overrides=["output.sankey_year=2035", "end_year=2036"])
    write_run(cfg, sim.run(cfg), tmp_path)
    assert (tmp_path / "sankey_2035.png").is_file()
    assert not (tmp_path / "sankey_2030.png").exists()


def test_no_figures_when_output_figures_is_false(tmp_path):
    cfg = sim.load_config(overrides=["output.figures=false", "end_year=2031"])
    write_run(cfg, sim.run(cfg), tmp_path)
    assert (tmp_path / "summary.md").is_file()
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob("*.html"))


def test_missing_plotting_libraries_skip_figures_with_one_line(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(figures, "installed", lambda module: False)
    monkeypatch.setattr(html_report, "plotly_js", lambda: None)
    cfg = sim.load_config(overrides=["end_year=2031"])
    with caplog.at_level(logging.WARNING):
        write_run(cfg, sim.run(cfg), tmp_path)
    assert (tmp_path / "summary.md").is_file() and (tmp_path / "kpis.csv").is_file()
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob("*.html"))
    [record] = [r for r in caplog.records if "figures skipped" in r.getMessage()]
    assert "[plots]" in record.getMessage() and "\n" not in record.getMessage()


def test_stochastic_summary_shows_p5_p95_bands(tmp_path):
    cfg = sim.load_config(overrides=["mode=stochastic", "replications=3", "end_year=2031", "output.figures=false"])
    write_run(cfg, sim.run(cfg), tmp_path)
    quantiles = pd.read_csv(tmp_path / "kpi_quantiles.csv")
    row = quantiles[(quantiles["year"] == 2030) & (quantiles["kpi"] == "recycled_content_post_consumer")].iloc[0]
    band = f"{percent(row['mean'])} ({100 * row['p5']:.2f}-{100 * row['p95']:.2f})"
    summary = (tmp_path / "summary.md").read_text()
    assert band in summary
    assert "means over 3 replications" in summary
