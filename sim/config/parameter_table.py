"""The parameter table (sim/config/parameter_table.csv): the single source of truth for config keys,
their kinds, units, defaults, meanings and sources. Validation and the README reference read it."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

TABLE_PATH = Path(__file__).with_name("parameter_table.csv")
#: a citation of an entry of docs/sources.md, e.g. [@vannielen2023]
CITATION = re.compile(r"\[@([a-z0-9-]+)\]")
WILDCARDS = ("<segment>", "<plant>", "<grade>")


@dataclass(frozen=True)
class Row:
    key: str
    kind: str
    unit: str
    default: str
    meaning: str
    source: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))

    @property
    def required(self) -> bool:
        return self.default == ""


@lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    with TABLE_PATH.open(newline="") as handle:
        return tuple(Row(**record) for record in csv.DictReader(handle))


@lru_cache(maxsize=1024)  # validation asks for the same sections in every run
def children(prefix: tuple[str, ...]) -> Mapping[str, Row | None]:
    """Keys allowed directly below `prefix` (wildcards matched): name -> row, or None for a group
    (read-only: the answer is kept for the next caller)."""
    found: dict[str, Row | None] = {}
    for row in rows():
        parts = row.parts
        if len(parts) <= len(prefix):
            continue
        if all(p == q or p in WILDCARDS for p, q in zip(parts, prefix)):
            name = parts[len(prefix)]
            found[name] = row if len(parts) == len(prefix) + 1 else found.get(name)
    return MappingProxyType(found)


def markdown() -> str:
    """The config reference as a Markdown table, for the README."""
    lines = ["| key | unit | default | meaning | source |", "| --- | --- | --- | --- | --- |"]
    for row in rows():
        default = row.default if row.default else "required"
        lines.append(
            f"| `{row.key}` | {row.unit or '-'} | {default} | {row.meaning} | {_linked(row.source) or '-'} |"
        )
    return "\n".join(lines)


def _linked(source: str) -> str:
    """Citations as links to their entries in docs/sources.md."""
    return CITATION.sub(lambda m: f"[{m.group(1)}](docs/sources.md#{m.group(1)})", source)
