"""The KPI table (sim/analysis/kpi_table.csv): every column of `kpis` with its unit and meaning.
The README's KPI section is generated from it; a test keeps it and the KPIs in step."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("kpi_table.csv")
WILDCARD = "<plant>"  # a column per plant: `utilisation:<plant>` stands for `utilisation:caremag_lacq`, ...


@dataclass(frozen=True)
class Column:
    column: str
    unit: str
    meaning: str

    def matches(self, name: str) -> bool:
        """Whether a column of `kpis` is this row (a per-plant row matches every plant's column)."""
        if self.column.endswith(WILDCARD):
            prefix = self.column[: -len(WILDCARD)]
            return name.startswith(prefix) and len(name) > len(prefix)
        return name == self.column


@lru_cache(maxsize=1)
def columns() -> tuple[Column, ...]:
    with TABLE_PATH.open(newline="") as handle:
        return tuple(Column(**record) for record in csv.DictReader(handle))


def row_of(name: str) -> Column | None:
    """The table row documenting a `kpis` column, or None if the table lacks it."""
    return next((row for row in columns() if row.matches(name)), None)


def markdown() -> str:
    """The KPI reference as a Markdown table, for the README."""
    lines = ["| column | unit | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{row.column}` | {row.unit} | {row.meaning} |" for row in columns()]
    return "\n".join(lines)
