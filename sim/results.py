"""Results of a run: the tidy tables of the output contract, built from the replications' records."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import kpis as kpi_module
from .ledger import SINKS
from .model import Record
from .parameters import Params

QUANTILES = (0.05, 0.5, 0.95)


@dataclass
class Result:
    """Tables of one run (all replications). Masses in tonnes, years as calendar years.

    flows : replication, year, segment, origin, from_node, to_node, mass_t (annual sums)
    stocks : replication, year, node, segment, mass_t (end of year; year start_year - 1 is the
        opening stock, the installed base and hoarded products that history left)
    kpis : one row per replication and year
    kpi_quantiles : year, kpi, mean, p5, p50, p95 over replications
    """

    params: Params
    flows: pd.DataFrame
    stocks: pd.DataFrame
    kpis: pd.DataFrame
    kpi_quantiles: pd.DataFrame
    records: list[Record] = field(default_factory=list, repr=False)


class ResultBuilder:
    """Collects replications one by one (tables are compact arrays until build())."""

    def __init__(self, params: Params, keep_records: bool = False):
        self.params = params
        self.slots = np.array([*params.segment_names, "all"])
        self.keep_records = keep_records
        self._flows: list[dict[str, np.ndarray]] = []
        self._stocks: list[dict[str, np.ndarray]] = []
        self._kpis: list[pd.DataFrame] = []
        self.records: list[Record] = []

    def add(self, record: Record) -> None:
        params = self.params
        n_segments = len(params.segment_names)
        stocks = dict(record.stocks)
        for sink in SINKS:  # a sink's stock is what it has received
            received = [a for (_, d, _), a in record.flows.items() if d == sink]
            if received:
                received = np.sum(received, axis=0)
                stocks[sink] = np.vstack([np.zeros((1, n_segments + 1)), np.cumsum(received, axis=0)])
        self._flows.append(self._tidy_flows(record))
        self._stocks.append(self._tidy_stocks(record.replication, stocks))
        columns = kpi_module.compute(params, record.flows, stocks, record.metrics)
        frame = pd.DataFrame(columns)
        frame.insert(0, "replication", record.replication)
        self._kpis.append(frame)
        if self.keep_records:
            self.records.append(record)

    def _tidy_flows(self, record: Record) -> dict[str, np.ndarray]:
        parts = []
        n_segments = len(self.params.segment_names)
        for (src, dst, origin), sums in record.flows.items():
            years, slots = np.nonzero(sums)
            if origin == "recycled":
                origins = np.where(slots < n_segments, "post_consumer", "pre_consumer")
            else:
                origins = np.full(slots.shape, origin)
            parts.append({"year": years + self.params.start_year, "segment": self.slots[slots],
                          "origin": origins, "from_node": np.full(slots.shape, src),
                          "to_node": np.full(slots.shape, dst), "mass_t": sums[years, slots] / 1e3})
        return _concat(parts, record.replication)

    def _tidy_stocks(self, replication: int, stocks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        parts = []
        years = np.arange(self.params.start_year - 1, self.params.end_year + 1)
        for node, levels in stocks.items():
            held = np.nonzero(np.abs(levels).max(axis=0) > 0)[0]
            for slot in held:
                parts.append({"year": years, "node": np.full(years.shape, node),
                              "segment": np.full(years.shape, self.slots[slot]), "mass_t": levels[:, slot] / 1e3})
        return _concat(parts, replication)

    def build(self) -> Result:
        kpis = pd.concat(self._kpis, ignore_index=True)
        flows = _frame(self._flows, ["replication", "year", "segment", "origin", "from_node", "to_node", "mass_t"])
        stocks = _frame(self._stocks, ["replication", "year", "node", "segment", "mass_t"])
        return Result(self.params, flows, stocks, kpis, quantiles(kpis), self.records)


def _concat(parts: list[dict[str, np.ndarray]], replication: int) -> dict[str, np.ndarray]:
    if not parts:
        return {}
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    out["replication"] = np.full(out["year"].shape, replication)
    return out


def _frame(parts: list[dict[str, np.ndarray]], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if p]
    if not parts:
        return pd.DataFrame(columns=columns)
    data = {c: np.concatenate([p[c] for p in parts]) for c in columns}
    frame = pd.DataFrame(data, columns=columns)
    for column in columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame.sort_values([c for c in columns if c != "mass_t"], ignore_index=True)


def quantiles(kpis: pd.DataFrame) -> pd.DataFrame:
    """Mean and P5/P50/P95 of every numeric KPI over replications, per year (long format)."""
    numeric = [c for c in kpis.columns if c not in ("replication", "year")
               and pd.api.types.is_numeric_dtype(kpis[c]) and not pd.api.types.is_bool_dtype(kpis[c])]
    grouped = kpis.groupby("year")[numeric]
    parts = {"mean": grouped.mean()}
    for q in QUANTILES:
        parts[f"p{round(q * 100)}"] = grouped.quantile(q)
    frame = pd.concat(parts, axis=1)
    frame.columns.names = ["stat", "kpi"]
    long = frame.stack("kpi", future_stack=True).reset_index()
    return long[["year", "kpi", "mean", *[f"p{round(q * 100)}" for q in QUANTILES]]]
