"""Every default cites an entry of docs/sources.md, and nothing cites a file outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.config.parameter_table import CITATION, rows

ROOT = Path(__file__).resolve().parents[2]
CONF = sorted((ROOT / "conf").rglob("*.yaml"))
#: what a citation of something outside the repository looks like
OUTSIDE = re.compile(r"shared/|reference/|/work/|\.\./|design §|\bdesign\.md|ndfeb-parameters")
#: a leaf value in a config file: `key: value` or `year: value`, not a mapping that opens a block
VALUE_LINE = re.compile(r"^\s*(-\s*)?\"?[\w.<>]+\"?:\s*[^\s#{\[][^#]*")


def entries() -> set[str]:
    return set(re.findall(r"^### ([a-z0-9-]+)\s*$", (ROOT / "docs" / "sources.md").read_text(), re.M))


def test_sources_document_has_entries_with_evidence_tags():
    text = (ROOT / "docs" / "sources.md").read_text()
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    assert len(sections) >= 20
    for section in sections:
        key = section.split("\n", 1)[0].strip()
        if key in ("study", "assumption"):
            continue
        assert re.search(r"\[(S|R|I)[\],]", section), f"entry {key} has no evidence tag"
        assert re.search(r"\b(19|20)\d\d\b", section), f"entry {key} names no year"


@pytest.mark.parametrize("path", CONF, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_citations_resolve(path):
    known = entries()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        for key in CITATION.findall(line):
            assert key in known, f"{path.name}:{number}: [@{key}] is not an entry of docs/sources.md"
        assert not OUTSIDE.search(line), f"{path.name}:{number} cites a file outside the repository"


@pytest.mark.parametrize("name", ["region/eu.yaml", "plants/eu_announced.yaml", "region/us.yaml",
                                  "plants/us_announced.yaml", "industry/us.yaml", "region/japan.yaml",
                                  "plants/japan_established.yaml", "industry/japan.yaml"])
def test_every_sourced_value_of_the_defaults_cites_an_entry(name):
    """In the default region and plants, and those of every other region, every leaf value with a
    comment carries a citation."""
    for number, line in enumerate((ROOT / "conf" / name).read_text().splitlines(), 1):
        if "#" not in line or not VALUE_LINE.match(line.split("#", 1)[0]):
            continue
        comment = line.split("#", 1)[1]
        if "series counts" in comment or "one unit is a tonne" in comment or "every use is a segment" in comment:
            continue  # a statement about units, not a value from a source
        assert CITATION.search(comment), f"{name}:{number}: value without a citation: {line.strip()}"


def test_parameter_table_defaults_cite_entries():
    known = entries()
    for row in rows():
        assert not OUTSIDE.search(row.source), f"{row.key}: cites a file outside the repository"
        cited = CITATION.findall(row.source)
        for key in cited:
            assert key in known, f"{row.key}: [@{key}] is not an entry of docs/sources.md"
        if row.default:
            assert cited, f"{row.key}: the default {row.default!r} cites no entry of docs/sources.md"

