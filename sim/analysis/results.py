"""Results of a run: the tidy tables of the output contract, built from the replications' records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config.parameters import Params
from ..config.values import ELEMENTS
from ..model import lots
from ..model.graph import FlowGraph, flow_graph
from ..model.simulation import Record
from . import kpis as kpi_module

QUANTILES = (0.05, 0.5, 0.95)
#: the statistics of kpi_quantiles, in its column order
STATS = ("mean", *(f"p{round(q * 100)}" for q in QUANTILES))


@dataclass
class Result:
    """Tables of one run (all replications). Masses in tonnes, years as calendar years.

    flows : replication, year, segment, origin, from_node, to_node, mass_t (annual sums)
    stocks : replication, year, node, segment, mass_t (end of year; year start_year - 1 is the
        opening stock, the installed base and hoarded products that history left)
    kpis : one row per replication and year
    kpi_quantiles : year, kpi, mean, p5, p50, p95 over replications
    table_replications : how many replications flows and stocks hold (all of them, or only
        replication 0 with output.replication_tables = first); means of flows divide by it
    element_flows : replication, year, origin, from_node, to_node, element, mass_t (the flows
        summed over segments, by element; summed over elements they are `flows`)
    shortage_by_grade : replication, year, segment, grade, demand_t, delivered_t, shortage_t (every
        replication; rows with demand only)
    """

    params: Params
    flows: pd.DataFrame
    stocks: pd.DataFrame
    kpis: pd.DataFrame
    kpi_quantiles: pd.DataFrame
    table_replications: int
    element_flows: pd.DataFrame
    shortage_by_grade: pd.DataFrame

    @property
    def graph(self) -> FlowGraph:
        """The flow graph the tables' node names come from."""
        return flow_graph(self.params)


class ResultBuilder:
    """Collects replications one at a time as compact integer-coded rows; build() makes the tables.

    Labels (nodes, segments, origins) are stored once as categories, so memory per replication is
    a few bytes per non-zero flow (about 1.1 MB for the default scenario). With
    output.replication_tables = first only replication 0's rows are kept, and memory no longer
    grows with replications but for the KPI rows.
    """

    FLOW_COLUMNS = ["replication", "year", "segment", "origin", "from_node", "to_node", "mass_t"]
    STOCK_COLUMNS = ["replication", "year", "node", "segment", "mass_t"]
    ELEMENT_FLOW_COLUMNS = ["replication", "year", "origin", "from_node", "to_node", "element", "mass_t"]
    GRADE_COLUMNS = ["replication", "year", "segment", "grade", "demand_t", "delivered_t", "shortage_t"]

    def __init__(self, params: Params, tables: bool = True):
        self.params = params
        self.tables = tables  # False: KPIs only (studies that read no flow or stock table)
        self.segments = lots.slot_names(params)
        self.nodes: dict[str, int] = {}
        self.origins: dict[str, int] = {}
        self._flows: list[np.ndarray] = []  # rows: replication, year, slot, origin, src, dst
        self._flow_mass: list[np.ndarray] = []
        self._stocks: list[np.ndarray] = []  # rows: replication, year, node, slot
        self._stock_mass: list[np.ndarray] = []
        self._element_flows: list[np.ndarray] = []  # rows: replication, year, origin, src, dst, element
        self._element_mass: list[np.ndarray] = []
        self._kpis: list[dict[str, np.ndarray]] = []  # KPI columns of each replication: one table at the end
        self._grades: list[np.ndarray] = []  # rows: replication, year, slot, grade
        self._grade_mass: list[np.ndarray] = []  # demand, delivered, shortage [t] of each row
        self.table_replications = 0

    def _code(self, table: dict[str, int], label: str) -> int:
        return table.setdefault(label, len(table))

    def add(self, record: Record) -> None:
        params = self.params
        if self.tables and (params.output.replication_tables == "all" or record.replication == 0):
            self._add_flows(record)
            self._add_element_flows(record)
            self._add_stocks(record)
            self.table_replications += 1
        if self.tables:
            self._add_grades(record)
        columns = kpi_module.compute(params, record.graph, record.flows, record.stocks, record.metrics,
                                     record.element_flows)
        self._kpis.append({"replication": np.full(len(columns["year"]), record.replication), **columns})

    def _add_flows(self, record: Record) -> None:
        n_segments = len(self.params.segment_names)
        for (src, dst, origin), sums in record.flows.items():
            years, slots = np.nonzero(sums)
            if origin == "recycled":  # origin by slot: a segment's post-consumer scrap, or swarf
                origins = np.where(lots.is_post_consumer(slots, n_segments), self._code(self.origins, "post_consumer"),
                                   self._code(self.origins, "pre_consumer"))
            else:
                origins = np.full(slots.shape, self._code(self.origins, origin))
            rows = np.empty((slots.size, 6), dtype=np.int32)
            rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = record.replication, years, slots, origins
            rows[:, 4], rows[:, 5] = self._code(self.nodes, src), self._code(self.nodes, dst)
            self._flows.append(rows)
            self._flow_mass.append(sums[years, slots] / 1e3)

    def _add_element_flows(self, record: Record) -> None:
        n_segments = len(self.params.segment_names)
        for (src, dst, origin), sums in record.element_flows.items():
            if origin == "recycled":  # origin by slot: segments are post-consumer, `all` pre-consumer
                parts = {"post_consumer": sums[:, :n_segments].sum(axis=1), "pre_consumer": sums[:, n_segments]}
            else:
                parts = {origin: sums.sum(axis=1)}
            for label, by_element in parts.items():
                years, elements = np.nonzero(by_element)
                rows = np.empty((years.size, 6), dtype=np.int32)
                rows[:, 0], rows[:, 1], rows[:, 2] = record.replication, years, self._code(self.origins, label)
                rows[:, 3], rows[:, 4], rows[:, 5] = self._code(self.nodes, src), self._code(self.nodes, dst), elements
                self._element_flows.append(rows)
                self._element_mass.append(by_element[years, elements] / 1e3)

    def _add_stocks(self, record: Record) -> None:
        n_segments = len(self.params.segment_names)
        stocks = dict(record.stocks)
        for sink in record.graph.sinks:  # a sink's stock is what it has received
            received = [a for (_, d, _), a in record.flows.items() if d == sink]
            if received:
                received = np.sum(received, axis=0)
                stocks[sink] = np.vstack([np.zeros((1, n_segments + 1)), np.cumsum(received, axis=0)])
        n_rows = self.params.end_year + 2 - self.params.start_year
        for node, levels in stocks.items():  # every year of each slot the node ever holds
            slots = np.nonzero(np.abs(levels).max(axis=0) > 0)[0]
            if not slots.size:
                continue  # a node that never holds anything has no rows (nor a code)
            rows = np.empty((n_rows * slots.size, 4), dtype=np.int32)
            rows[:, 0], rows[:, 1] = record.replication, np.tile(np.arange(n_rows), slots.size)
            rows[:, 2], rows[:, 3] = self._code(self.nodes, node), np.repeat(slots, n_rows)
            self._stocks.append(rows)
            self._stock_mass.append(levels[:, slots].T.ravel() / 1e3)

    def _add_grades(self, record: Record) -> None:
        """Demand, deliveries and shortage by year, slot and grade, rows with demand only."""
        demand, delivered = record.metrics["demand_by_grade"], record.metrics["delivered_by_grade"]
        years, slots, grades = np.nonzero(demand > 0)
        rows = np.empty((years.size, 4), dtype=np.int32)
        rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = record.replication, years, slots, grades
        wanted, got = demand[years, slots, grades] / 1e3, delivered[years, slots, grades] / 1e3
        self._grades.append(rows)
        self._grade_mass.append(np.column_stack([wanted, got, np.maximum(wanted - got, 0.0)]))

    def held_arrays(self) -> list[np.ndarray]:
        """The arrays of flow and stock rows held so far (what grows with replications)."""
        return [*self._flows, *self._flow_mass, *self._stocks, *self._stock_mass]

    def kpi_columns(self) -> dict[str, np.ndarray]:
        """The KPI table's columns: one entry per replication and year, in the order the
        replications were added."""
        if len(self._kpis) == 1:
            return dict(self._kpis[0])
        return {name: np.concatenate([columns[name] for columns in self._kpis]) for name in self._kpis[0]}

    def kpi_table(self) -> pd.DataFrame:
        """One row per replication and year, in the order the replications were added."""
        return pd.DataFrame(self.kpi_columns())

    def build(self) -> Result:
        kpis = self.kpi_table()
        # each label list validated once, not for every column that holds it
        nodes, origins = pd.CategoricalDtype(list(self.nodes)), pd.CategoricalDtype(list(self.origins))
        segments = pd.CategoricalDtype(self.segments)
        flows = self._frame(self._flows, self._flow_mass, self.FLOW_COLUMNS, {
            "year": self.params.start_year, "segment": segments, "origin": origins,
            "from_node": nodes, "to_node": nodes})
        stocks = self._frame(self._stocks, self._stock_mass, self.STOCK_COLUMNS, {
            "year": self.params.start_year - 1, "node": nodes, "segment": segments})
        element_flows = self._frame(self._element_flows, self._element_mass, self.ELEMENT_FLOW_COLUMNS, {
            "year": self.params.start_year, "origin": origins, "from_node": nodes, "to_node": nodes,
            "element": pd.CategoricalDtype(list(ELEMENTS))})
        grades = self._frame(self._grades, self._grade_mass, self.GRADE_COLUMNS, {
            "year": self.params.start_year, "segment": segments,
            "grade": pd.CategoricalDtype([g.name for g in self.params.grades])}, n_values=3)
        return Result(self.params, flows, stocks, kpis, quantiles(kpis), max(self.table_replications, 1),
                      element_flows, grades)

    @staticmethod
    def _frame(rows: list[np.ndarray], mass: list[np.ndarray], columns: list[str], labels: dict,
               n_values: int = 1) -> pd.DataFrame:
        """The table of integer-coded rows and their values (the last n_values columns; mass arrays
        [row] for one, [row, value] for more): labels give a key column's categories (a
        CategoricalDtype) or the offset added to its codes (the first year); other key columns are
        the codes themselves."""
        keys = columns[:-n_values]
        codes = np.concatenate(rows) if rows else np.zeros((0, len(keys)), dtype=np.int32)
        values = np.concatenate(mass).reshape(-1, n_values) if mass else np.zeros((0, n_values))
        # rows sorted by the key columns in order, as DataFrame.sort_values sorts them (categories by
        # code, stably), on the integer codes before any column is made
        order = np.lexsort(codes.T[::-1])
        codes, values = codes[order], values[order]
        data = {}
        for i, column in enumerate(keys):
            label = labels.get(column)
            if isinstance(label, pd.CategoricalDtype):
                data[column] = pd.Categorical.from_codes(codes[:, i], dtype=label)
            else:
                data[column] = codes[:, i].astype(np.int64) + (label or 0)
        for i, column in enumerate(columns[-n_values:]):
            data[column] = values[:, i]
        return pd.DataFrame(data)


def quantiles(kpis: pd.DataFrame) -> pd.DataFrame:
    """Mean and P5/P50/P95 of every numeric KPI over replications, per year (long format)."""
    if kpis["replication"].nunique() > 1:
        return grouped_quantiles(kpis)
    # one replication: every statistic is the value itself, so no grouping is needed (the table
    # grouped_quantiles makes, in a tenth of its time)
    numeric = _numeric_kpis(kpis)
    years = kpis["year"].to_numpy()
    order = np.argsort(years, kind="stable")
    values = kpis[numeric].to_numpy(dtype=np.float64)[order]
    return _long(years[order], numeric, dict.fromkeys(STATS, values))


def grouped_quantiles(kpis: pd.DataFrame) -> pd.DataFrame:
    """The table of `quantiles` for any number of replications, from the KPIs grouped by year."""
    numeric = _numeric_kpis(kpis)
    grouped = kpis.groupby("year")[numeric]
    mean = grouped.mean()
    parts = {"mean": mean.to_numpy(dtype=np.float64)}
    for q in QUANTILES:
        parts[f"p{round(q * 100)}"] = grouped.quantile(q).to_numpy(dtype=np.float64)
    return _long(mean.index.to_numpy(), numeric, parts)


def _long(years: np.ndarray, numeric: list[str], parts: dict[str, np.ndarray]) -> pd.DataFrame:
    """The long table: a row per year and KPI (by year, then KPI in column order), a column per
    statistic from its array [year, kpi]."""
    table = {"year": np.repeat(years, len(numeric)), "kpi": np.tile(np.array(numeric, dtype=object), len(years))}
    return pd.DataFrame({**table, **{stat: parts[stat].ravel() for stat in STATS}})


def _numeric_kpis(kpis: pd.DataFrame) -> list[str]:
    """The KPI columns quantiles summarise: numbers, not flags."""
    return [c for c, dtype in kpis.dtypes.items() if c not in ("replication", "year")
            and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)]
