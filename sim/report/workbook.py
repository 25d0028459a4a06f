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


NUMBER_FORMATS = {"%": "0.00", "t": "#,##0.0"}


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
    book = xlsxwriter.Workbook(str(partial), {"nan_inf_to_errors": True})
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
    page.write_row(0, 0, [header(label, column) for label, column in zip(frame.columns, columns)], bold)
    row_units = list(frame[sheet.unit_column]) if sheet.unit_column else None
    for index, (label, column) in enumerate(zip(frame.columns, columns)):
        values = list(frame[label])
        if row_units is not None and (isinstance(label, int) or label in sheet.in_row_unit):
            cells = [_cell(v, 100.0 if unit == "%" else None) for v, unit in zip(values, row_units)]
            for row, (cell, unit) in enumerate(zip(cells, row_units), start=1):
                page.write(row, index, cell, formats.get(unit))
        else:
            cells = [_cell(v, 100.0 if column.unit == "%" else None) for v in values]
            page.write_column(1, index, cells, formats.get(column.unit))
        width = max([len(str(header(label, column)))] + [len(str(c)) for c in cells[:200]])
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


# --- results.xlsx of a run -------------------------------------------------------------------

#: every KPI column (per-plant columns `capacity_t:<plant>`, `utilisation:<plant>` by their prefix)
KPI_COLUMNS = {
    "replication": Column("", "replication number (0 in expected mode)"),
    "year": Column("", "calendar year"),
    "demand_t": Column("t", "demand for new magnets: placed-on-market magnet mass of every segment plus other uses"),
    "delivered_t": Column("t", "new magnets delivered (demand less shortage)"),
    "primary_supply_t": Column("t", "primary magnets delivered"),
    "recycled_supply_t": Column("t", "recycled magnets delivered"),
    "shortage_t": Column("t", "demand not delivered because primary supply was short (supply shocks)"),
    "recycled_content": Column("%", "recycled magnets delivered / magnets delivered, all uses"),
    "recycled_content_post_consumer": Column("%", "post-consumer recycled magnets delivered / magnets delivered"),
    "recycled_content_pre_consumer": Column("%", "pre-consumer (swarf) recycled magnets delivered / magnets "
                                                 "delivered"),
    "recycled_content_target_scope": Column("%", "recycled share of new magnets in the target scope (EV motors, "
                                                 "wind generators)"),
    "recycled_content_target_scope_post_consumer": Column("%", "post-consumer recycled share of new magnets in "
                                                               "the target scope"),
    "target_share": Column("%", "the target share (target.share)"),
    "target_met": Column("", "whether target.metric reaches target.share this year"),
    "mandate_share": Column("%", "the magnet mandate's minimum recycled content in the target scope (0 before "
                                 "it applies)"),
    "mandate_met": Column("", "whether the target scope's recycled content reaches the mandate"),
    "eol_arising_t": Column("t", "magnets reaching end of life (flow in_use -> end_of_life)"),
    "discarded_t": Column("t", "end-of-life products discarded after hoarding (end_of_life -> collection)"),
    "collected_t": Column("t", "collected and sent to dismantling (collection -> dismantling)"),
    "liberated_t": Column("t", "magnets liberated by dismantling (dismantling -> scrap_store)"),
    "uncollected_t": Column("t", "lost: not collected (collection -> uncollected)"),
    "shredder_loss_t": Column("t", "lost: shredded, not liberated (dismantling -> shredder_loss)"),
    "scrap_export_t": Column("t", "lost: scrap exported, incl. swarf (scrap_store -> scrap_export)"),
    "process_loss_t": Column("t", "lost in plants and re-sintering (-> process_loss)"),
    "capacity_t:": Column("t", "feed capacity of the plant named after the colon"),
    "utilisation:": Column("%", "feed / feed capacity of the plant named after the colon"),
    "hpms_feed_t": Column("t", "scrap fed to all HPMS plants"),
    "hpms_capacity_t": Column("t", "feed capacity of all HPMS plants"),
    "hpms_utilisation": Column("%", "HPMS feed / HPMS feed capacity"),
    "long_loop_feed_t": Column("t", "scrap fed to all long-loop plants"),
    "long_loop_capacity_t": Column("t", "feed capacity of all long-loop plants"),
    "long_loop_utilisation": Column("%", "long-loop feed / long-loop feed capacity"),
    "recycling_output_capacity_t": Column("t", "recycled magnets all plants could make at full capacity"),
    "capacity_benchmark": Column("%", "recycling output capacity / magnet demand: the CRMA-style capacity "
                                      "benchmark, not a recycled content"),
    "recycled_output_t": Column("t", "recycled magnets produced (re-sintering and long loop -> market)"),
    "scrap_inventory_t": Column("t", "scrap held in the store at year end"),
    "dy_tb_recovered_t": Column("t", "dysprosium and terbium in recycled magnets produced"),
    "binding_constraint": Column("", "what limited recycled supply: feed, collection, liberation, export or "
                                     "capacity (the most frequent over replications)"),
}


def kpi_column(name: str) -> Column:
    """The definition of a KPI column, per-plant columns by their prefix."""
    if name in KPI_COLUMNS:
        return KPI_COLUMNS[name]
    prefix = name.split(":", 1)[0] + ":"
    if prefix in KPI_COLUMNS:
        plant = name.split(":", 1)[1]
        column = KPI_COLUMNS[prefix]
        return Column(column.unit, column.definition.replace("the plant named after the colon", plant))
    raise KeyError(f"KPI column {name!r} has no definition")
