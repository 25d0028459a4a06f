"""The README's config reference is the parameter table, and its Quick start holds two commands."""

import re
from pathlib import Path

from sim.table import markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_config_reference_matches_parameter_table():
    """The README lists every key of sim/parameter_table.csv with its unit, default and source."""
    text = README.read_text()
    block = text.split("<!-- config-reference:start -->")[1].split("<!-- config-reference:end -->")[0]
    assert block.strip() == markdown(), (
        "README config reference is stale: replace the block between the config-reference markers "
        "with the output of: python -c 'from sim.table import markdown; print(markdown())'")


def test_quick_start_has_exactly_two_commands():
    """CI runs the Quick start block verbatim: one install-and-run command, one test command."""
    text = README.read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "python -m sim" in commands[0] and "pip install" in commands[0]
    assert "pytest" in commands[1]
