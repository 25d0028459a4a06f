"""The README's config reference is the parameter table, its node list the flow graph, its KPI section
the KPI table, and its Quick start holds two commands."""

import re
from pathlib import Path

from sim.analysis import kpi_table
from sim.config.parameter_table import markdown
from sim.model import graph

README = Path(__file__).resolve().parent.parent / "README.md"


def test_config_reference_matches_parameter_table():
    """The README lists every key of sim/config/parameter_table.csv with its unit, default and source."""
    text = README.read_text()
    block = text.split("<!-- config-reference:start -->")[1].split("<!-- config-reference:end -->")[0]
    assert block.strip() == markdown(), (
        "README config reference is stale: replace the block between the config-reference markers "
        "with the output of: python -c 'from sim.config.parameter_table import markdown; print(markdown())'")


def _block(name: str) -> str:
    text = README.read_text()
    return text.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0].strip()


def test_node_list_matches_the_flow_graph():
    """The README lists every node that sim/model/graph.py declares, with its kind and flows."""
    assert _block("node-list") == graph.markdown(), (
        "README node list is stale: replace the block between the node-list markers with the output of: "
        "python -c 'from sim.model.graph import markdown; print(markdown())'")


def test_kpi_reference_matches_the_kpi_table():
    """The README's KPI section is sim/analysis/kpi_table.csv."""
    assert _block("kpi-reference") == kpi_table.markdown(), (
        "README KPI reference is stale: replace the block between the kpi-reference markers with the output of: "
        "python -c 'from sim.analysis.kpi_table import markdown; print(markdown())'")


def test_quick_start_has_exactly_two_commands():
    """CI runs the Quick start block verbatim: one install-and-run command, one test command."""
    text = README.read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "python -m sim" in commands[0] and "pip install" in commands[0]
    assert "pytest" in commands[1]


def test_walkthrough_quotes_the_default_run(default_result):
    """The README's excerpt of the default run shows what the default run computes today."""
    kpis = default_result.kpis.set_index("year")
    text = README.read_text()
    for label, kpi in (("post-consumer, all new magnets", "recycled_content_post_consumer"),
                       ("post-consumer Dy", "recycled_content_post_consumer_Dy"),
                       ("all recycled, EV motors and wind generators", "recycled_content_target_scope"),
                       ("recycled content of region-made magnets", "recycled_content_region_made")):
        row = re.search(rf"\| {re.escape(label)} \| (.*?) \|\n", text).group(1)
        quoted = [float(cell.strip(" %")) for cell in row.split("|")]
        assert quoted == [round(100 * kpis.at[year, kpi], 2) for year in (2025, 2030, 2035)], label
    calibration = re.search(r"\| post-consumer recycled content 2030 \(%\) \| (.*?) \|", text).group(1)
    assert round(100 * kpis.at[2030, "recycled_content_post_consumer"], 2) == float(calibration)
