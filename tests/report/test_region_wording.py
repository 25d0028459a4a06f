"""A region's outputs speak of that region: its name, its targets and benchmarks, and no other's
(no EU or CRMA wording in a US or Japan run)."""

from __future__ import annotations

import re

import pytest

import sim
from sim.report import run_workbook, summary

#: words that belong to the EU's law and institutions
EU_WORDS = re.compile(r"\bEU\b|\bCRMA\b|\bEurope(an)?\b|2024/1252|REsourceEU")


@pytest.fixture(scope="module", params=["us", "japan"])
def regional(request):
    return request.param, sim.run(sim.load_config([f"region={request.param}", "end_year=2036"]))


def test_a_us_or_japan_summary_has_no_eu_or_crma_wording(regional):
    code, result = regional
    text = summary.render(result)
    found = sorted(set(m.group(0) for m in EU_WORDS.finditer(text)))
    assert not found, f"{code} summary mentions {found}"


def test_the_summary_names_the_region_in_its_title_and_answers(regional):
    code, result = regional
    name = {"us": "the United States", "japan": "Japan"}[code]
    lines = summary.render(result).splitlines()
    assert lines[0] == f"# Recycled NdFeB in new magnets in {name}: baseline policy"
    answers = "\n".join(lines[lines.index("## Answers"):lines.index("## What counts")])
    assert f"of all new magnets in {name}" in answers
    assert f"magnets made in {name}:" in answers
    assert f"{name} sets no recycling-capacity benchmark" in answers


def test_without_a_target_the_outputs_give_no_verdict(regional):
    """A region's default is target=none: no share, no 'met' or 'not met', target_met false, no
    target row in the workbook's summary sheet."""
    code, result = regional
    assert result.params.target.share is None
    text = summary.render(result)
    assert "No recycled-content target in this scenario" in text
    assert "**met**" not in text and "**not met**" not in text and "target met" not in text
    assert not result.kpis["target_met"].any() and result.kpis["target_share"].isna().all()
    indicators = [str(v) for v in run_workbook.summary_sheet(result).frame["indicator"]]
    assert not any(EU_WORDS.search(v) for v in indicators)
    assert not any(v.startswith(("target met", "first year the target")) for v in indicators)

def test_the_eu_summary_keeps_its_own_wording():
    """The EU's region file brings the CRMA benchmark and the crma_2030 target with its note."""
    text = summary.render(sim.run(sim.load_config(["end_year=2036"])))
    assert text.startswith("# Recycled NdFeB in new magnets in the EU: baseline policy")
    assert "of all new magnets in the EU" in text
    assert "The CRMA's capacity benchmark for 2030 (Reg. (EU) 2024/1252), 25.00 %" in text
    assert "The 25 % comes from Reg. (EU) 2024/1252 (CRMA)" in text


def test_a_region_target_with_a_share_gets_a_verdict():
    """region=us with a hypothetical target that allows every region: a share and a verdict, in US terms."""
    result = sim.run(sim.load_config(["region=us", "target=region_made_2030", "end_year=2036"]))
    text = summary.render(result)
    assert "- Target, 25.00 % by 2030 (recycled content of region-made magnets, a hypothetical share)" in text
    assert not EU_WORDS.search(text)
