"""Excel workbooks for people: results.xlsx of a run, and one workbook writer that studies (compare,
sweeps, explorations) call with their own tables. Shares are written in percent, as summary.md shows."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Excel's limit on sheet names
SHEET_NAME_LENGTH = 31


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its unit ('%' for a share held as a fraction, written times 100; 't';
    '' for names, years and flags) and what it means."""

    unit: str
    definition: str


@dataclass
class Sheet:
    """A table for one sheet. Frames hold shares as fractions; columns with unit '%' are written in
    percent. `years` describes the year columns of a wide table (integer column labels)."""

    name: str
    frame: pd.DataFrame
    columns: Mapping[str, Column]
    years: Column | None = None
    note: str = ""
    #: a column holding each row's unit: the year columns of that row, and those in `in_row_unit`,
    #: are then in that unit
    unit_column: str | None = None
    in_row_unit: tuple[str, ...] = ()

    def column(self, label) -> Column:
        if isinstance(label, int) and self.years is not None:
            return self.years
        try:
            return self.columns[label]
        except KeyError:
            raise KeyError(f"sheet {self.name!r}: column {label!r} has no definition") from None


NUMBER_FORMATS = {"%": "0.00", "t": "#,##0.0", "t/yr": "#,##0.0"}


def header(label, column: Column) -> str | int:
    """A column heading with its unit, e.g. 'recycled_content [%]'; year columns stay years (numbers)."""
    if isinstance(label, int):
        return label
    return f"{label} [{column.unit}]" if column.unit else str(label)


def write_workbook(path: Path, sheets: list[Sheet], provenance: Mapping[str, object], title: str) -> Path:
    """Write `path` (atomically): a read-me sheet (title, provenance, then every column of every
    sheet with its unit and definition) followed by the sheets."""
    import xlsxwriter

    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    # constant memory: a row goes to disk once the next begins, so a sheet of many runs (an
    # exploration's) costs no memory; every sheet is written row after row
    book = xlsxwriter.Workbook(str(partial), {"nan_inf_to_errors": True, "constant_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    formats = {unit: book.add_format({"num_format": spec}) for unit, spec in NUMBER_FORMATS.items()}

    readme = book.add_worksheet("read-me")
    readme.write(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
    row = 2
    readme.write(row, 0, "provenance", bold)
    for key, value in provenance.items():
        row += 1
        readme.write(row, 0, key)
        readme.write(row, 1, _cell(value))
    row += 2
    readme.write(row, 0, "Shares are in percent (5.53 means 5.53 %), masses in tonnes; values are means "
                         "over replications where a run has several.")
    row += 2
    readme.write_row(row, 0, ["sheet", "column", "unit", "definition"], bold)
    for sheet in sheets:
        if sheet.note:
            row += 1
            readme.write_row(row, 0, [sheet.name, "", "", sheet.note], wrap)
        described = [c for c in sheet.frame.columns if not isinstance(c, int)]
        if sheet.years is not None and any(isinstance(c, int) for c in sheet.frame.columns):
            described.append("<year>")
        for label in described:
            column = sheet.years if label == "<year>" else sheet.column(label)
            row += 1
            readme.write_row(row, 0, [sheet.name, str(label), column.unit, column.definition], wrap)
    readme.set_column(0, 0, 22)
    readme.set_column(1, 1, 44)
    readme.set_column(2, 2, 6)
    readme.set_column(3, 3, 100)

    for sheet in sheets:
        _write_sheet(book, sheet, bold, formats)
    book.close()
    os.replace(partial, path)
    return path


def _write_sheet(book, sheet: Sheet, bold, formats) -> None:
    page = book.add_worksheet(sheet.name[:SHEET_NAME_LENGTH])
    frame = sheet.frame
    columns = [sheet.column(label) for label in frame.columns]
    headers = [header(label, column) for label, column in zip(frame.columns, columns)]
    page.write_row(0, 0, headers, bold)
    # columns whose unit is the row's (years, sheet.in_row_unit) rather than their own
    in_row = [sheet.unit_column is not None and (isinstance(label, int) or label in sheet.in_row_unit)
              for label in frame.columns]
    row_units = frame[sheet.unit_column].tolist() if sheet.unit_column else [None] * len(frame)
    widths = [len(str(h)) for h in headers]  # of the header and the first 200 rows
    for row, (values, row_unit) in enumerate(zip(frame.itertuples(index=False, name=None), row_units), start=1):
        for index, (value, column, by_row) in enumerate(zip(values, columns, in_row)):
            unit = row_unit if by_row else column.unit
            cell = _cell(value, 100.0 if unit == "%" else None)
            page.write(row, index, cell, formats.get(unit))
            if row <= 200:
                widths[index] = max(widths[index], len(str(cell)))
    for index, width in enumerate(widths):
        page.set_column(index, index, min(max(width + 1, 6), 60))
    page.freeze_panes(1, 0)
    page.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))


def _cell(value, scale: float | None = None):
    """A value as Excel takes it: numbers (scaled for percent), text, or an empty cell for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value * scale if scale is not None else value
    if isinstance(value, (list, tuple, dict)):
        return str(value)
    return value if isinstance(value, str) else str(value)
