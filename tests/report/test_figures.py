"""Figures that read right: coinciding lines merged with a note, shortage years found where primary
supply was short, the last year ticked, display names for segments, heatmap colour scales that hold
the target, titles from the jobs' own target year, compare panels on one metric."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import sim
from sim.report import figures
from sim.report.compare_figure import origin_split
from sim.report.names import segment_name
from sim.report.sweep_figures import colour_range, heatmap_title


@pytest.fixture(scope="module")
def baseline():
    return sim.run(sim.load_config(["output.figures=false"]))


def test_target_scope_and_all_magnets_are_merged_only_when_they_coincide(baseline):
    """Two content lines are drawn as one, with a note, exactly when their values coincide."""
    k = baseline.kpis.set_index("year")
    # the default scenario: bonded magnets from HPMS powder never reach traction or wind grades
    assert (k["recycled_content_target_scope"] - k["recycled_content"]).abs().max() > 0.001
    lines, note = figures.content_lines(baseline)
    assert {"recycled_content_target_scope", "recycled_content"} <= {kpi for kpi, *_ in lines} and note is None
    # the same run with the target-scope column equal to all magnets: one line and the note
    kpis = baseline.kpis.copy()
    kpis["recycled_content_target_scope"] = kpis["recycled_content"]
    lines, note = figures.content_lines(dataclasses.replace(baseline, kpis=kpis))
    assert [kpi for kpi, *_ in lines].count("recycled_content") == 1
    assert "recycled_content_target_scope" not in [kpi for kpi, *_ in lines] and "coincide" in note


def test_shortage_years_are_the_years_of_the_supply_shock():
    shocked = sim.run(sim.load_config(["policy=heavy_ree_embargo", "output.figures=false"]))
    # conf/policy/heavy_ree_embargo.yaml: Dy and Tb from China cut for the first half of 2028
    assert figures.shortage_years(shocked) == [2028]
    k = shocked.kpis.set_index("year")
    assert k.at[2028, "recycled_content"] > k.at[2027, "recycled_content"]  # the spike the shading explains
    assert figures.spans([2027, 2028, 2029, 2033]) == "2027-2029, 2033"


def test_the_last_year_is_ticked_and_inside_the_axes():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    figures.year_ticks(axes, 2025, 2050)
    assert list(axes.get_xticks()) == [2025, 2030, 2035, 2040, 2045, 2050]
    assert axes.get_xlim() == (2024.5, 2050.5)
    figures.year_ticks(axes, 2025, 2046)  # a tick a year before the last would collide with it
    assert list(axes.get_xticks())[-2:] == [2040, 2046]


def test_every_segment_of_the_eu_region_has_a_display_name(baseline):
    for segment in baseline.params.segment_names:
        assert segment_name(segment) != segment and "_" not in segment_name(segment)
    assert segment_name("my_new_segment") == "my new segment"


def test_heatmap_colour_scale_holds_the_target():
    low, high = colour_range(pd.Series([1.3, 5.6]), 25.0)  # the case: cells 1.3-5.6 %, target 25 %
    assert low <= 1.3 and high > 25.0
    low, high = colour_range(pd.Series([30.0, 40.0]), 25.0)
    assert low < 25.0 and high >= 40.0
    assert colour_range(pd.Series([1.0, 2.0]), None) == (1.0, 2.0)


def test_heatmap_title_takes_the_jobs_target_year():
    jobs = pd.DataFrame({"target_year": [2030, 2031, 2032], "target_share": [0.25] * 3})
    assert "2030" not in heatmap_title(jobs.iloc[[0]].assign(target_year=2035), "recycled_content")
    assert "in 2035" in heatmap_title(jobs.iloc[[0]].assign(target_year=2035), "recycled_content")
    swept = heatmap_title(jobs, "recycled_content_target_scope")
    assert "target.year swept: 2030-2032" in swept and "25 %" in swept


def test_compare_panels_show_the_target_metric_split_by_origin():
    result = sim.run(sim.load_config(["policy=magnet_mandate", "output.figures=false"]))
    k = result.kpis.set_index("year")
    total, post = origin_split(result, "recycled_content_target_scope")
    assert total == pytest.approx(k.at[2030, "recycled_content_target_scope"])  # the left panel's metric
    assert post == pytest.approx(k.at[2030, "recycled_content_target_scope_post_consumer"])
    everything, _ = origin_split(result, "recycled_content")  # another metric gives its own numbers
    assert everything == pytest.approx(k.at[2030, "recycled_content"])
    assert abs(total - everything) > 0.001
