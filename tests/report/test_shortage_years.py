"""Years short of magnets: the summary puts recycled content beside delivered mass and recycled
supply over demand, in the years the figures shade."""


import sim
from sim.report.figures import shortage_years
from sim.report.summary import pct, render

SHOCK = ["end_year=2031", "target.year=2030", "output.sankey_year=2030", "policy=heavy_ree_embargo"]


def test_summary_reports_content_and_delivered_mass_in_shock_years():
    """heavy_ree_embargo cuts Dy and Tb from China in 2028 only: 2028 is the one shortage year; there the
    recycled content (of delivered) exceeds recycled supply over demand, both shown side by side."""
    result = sim.run(sim.load_config(SHOCK))
    kpis = result.kpis.set_index("year")
    assert list(kpis.index[kpis["shortage_t"] > 0]) == [2028]
    year = kpis.loc[2028]
    content, of_demand = year["recycled_supply_t"] / year["delivered_t"], year["recycled_supply_t"] / year["demand_t"]
    assert year["delivered_t"] < year["demand_t"] and content > of_demand * 1.3
    text = render(result)
    section = text.split("## Years short of magnets")[1].split("##")[0]
    row = next(line for line in section.splitlines() if line.startswith("| 2028 |"))
    assert pct(content) in row and pct(of_demand) in row and f"{year['delivered_t']:,.0f}" in row
    assert "| 2027 |" not in section and "| 2029 |" not in section
    assert shortage_years(result) == [2028]  # the years the figures shade


def test_no_shortage_section_without_shortage():
    result = sim.run(sim.load_config(["end_year=2031", "target.year=2030", "output.sankey_year=2030"]))
    assert "## Years short of magnets" not in render(result)
    assert shortage_years(result) == []
