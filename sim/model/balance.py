"""The balance checks: for every node and year, inflows - outflows = change of stock, for the
mass and for each element on its own."""

from __future__ import annotations

import numpy as np

from ..config.values import ELEMENTS
from .graph import FlowGraph


class MassBalanceError(RuntimeError):
    """A node lost or gained material that no recorded flow explains: a bug, not a user mistake."""


def node_balance(flows: dict[tuple[str, str, str], np.ndarray], node: str,
                 n_years: int) -> tuple[np.ndarray, np.ndarray]:
    """(inflow, outflow) of `node` per year [kg], summed over origins and slots."""
    inflow, outflow = np.zeros(n_years), np.zeros(n_years)
    for (src, dst, _), sums in flows.items():
        if dst == node:
            inflow += sums.sum(axis=1)
        if src == node:
            outflow += sums.sum(axis=1)
    return inflow, outflow


def element_balance(flows: dict[tuple[str, str, str], np.ndarray], node: str,
                    n_years: int) -> tuple[np.ndarray, np.ndarray]:
    """(inflow, outflow) of `node` [year, element] in kg, from flows [year, slot, element]."""
    inflow, outflow = np.zeros((n_years, len(ELEMENTS))), np.zeros((n_years, len(ELEMENTS)))
    for (src, dst, _), sums in flows.items():
        if dst == node:
            inflow += sums.sum(axis=1)
        if src == node:
            outflow += sums.sum(axis=1)
    return inflow, outflow


def _require_nodes(graph: FlowGraph, flows, stocks: dict[str, np.ndarray]) -> None:
    for node in graph.balanced:
        if node not in stocks:
            raise MassBalanceError(f"node {node!r} of the flow graph has no recorded stock")
    for node in stocks:
        if node not in graph or not graph[node].balanced:
            raise MassBalanceError(f"stock recorded for {node!r}, which is not a stage or store of the flow graph")
    for src, dst, _ in flows:
        for node in (src, dst):
            if node not in graph:
                raise MassBalanceError(f"flow names node {node!r}, which the flow graph does not declare")


def _first_break(inflow, outflow, level, rel_tol, abs_tol):
    """(index, error, change) of the first year [row, or row and column] whose balance fails, or None."""
    change = np.diff(level, axis=0)
    error = inflow - outflow - change
    scale = inflow + outflow + np.abs(level[1:]) + np.abs(level[:-1])
    bad = np.argwhere(~(np.abs(error) <= abs_tol + rel_tol * scale))  # NaN fails too
    if not bad.size:
        return None
    index = tuple(bad[0])
    return index, error[index], change[index]


def check(graph: FlowGraph, flows, stocks: dict[str, np.ndarray], n_years: int, replication: int = 0,
          rel_tol: float = 1e-9, abs_tol: float = 1e-6) -> None:
    """Raise MassBalanceError naming the first node and year whose mass balance fails.

    Every stage and store of the graph must balance; sources and sinks are the system's boundary.
    flows : (src, dst, origin) -> [n_years, slots] kg
    stocks : node -> [n_years + 1, slots] end-of-year stocks, row 0 the opening stock
    The tolerance is abs_tol [kg] plus rel_tol times the node's throughput and stock that year.
    """
    _require_nodes(graph, flows, stocks)
    for node, stock in stocks.items():
        inflow, outflow = node_balance(flows, node, n_years)
        broken = _first_break(inflow, outflow, stock.sum(axis=1), rel_tol, abs_tol)
        if broken:
            (i,), _, change = broken
            raise MassBalanceError(
                f"mass balance broken at node {node!r}, replication {replication}, year index {i}: "
                f"inflow {inflow[i]:.6g} kg - outflow {outflow[i]:.6g} kg != change of stock {change:.6g} kg")


def check_elements(graph: FlowGraph, flows, stocks: dict[str, np.ndarray], n_years: int,
                   replication: int = 0, rel_tol: float = 1e-9, abs_tol: float = 1e-6) -> None:
    """Raise MassBalanceError naming the first node, element and year whose element balance fails.

    flows : (src, dst, origin) -> [n_years, slots, element] kg
    stocks : node -> [n_years + 1, element] end-of-year element stocks, row 0 the opening stock
    Each element must balance on its own, with the tolerance of `check` per element.
    """
    _require_nodes(graph, flows, stocks)
    for node, stock in stocks.items():
        inflow, outflow = element_balance(flows, node, n_years)
        broken = _first_break(inflow, outflow, stock, rel_tol, abs_tol)
        if broken:
            (i, e), _, change = broken
            raise MassBalanceError(
                f"{ELEMENTS[e]} balance broken at node {node!r}, replication {replication}, year index {i}: "
                f"inflow {inflow[i, e]:.6g} kg - outflow {outflow[i, e]:.6g} kg != change of stock {change:.6g} kg")
