"""The balance checks: for every node and year, inflows - outflows = change of stock, for the
mass and for each element on its own."""

from __future__ import annotations

import numpy as np

from ..config.values import ELEMENTS
from .graph import FlowGraph


class MassBalanceError(RuntimeError):
    """A node lost or gained material that no recorded flow explains: a bug, not a user mistake."""


def node_balances(flows: dict[tuple[str, str, str], np.ndarray], levels: dict[str, np.ndarray],
                  n_years: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(inflow, outflow) [kg] of each node of `levels` (its stocks [n_years + 1, ...]), summed over
    origins and slots: per year from flows [year, slot], or per year and element from flows [year,
    slot, element]. One pass over the flows, each summed over its slots once."""
    inflow = {node: np.zeros((n_years, *level.shape[1:])) for node, level in levels.items()}
    outflow = {node: np.zeros((n_years, *level.shape[1:])) for node, level in levels.items()}
    for (src, dst, _), sums in flows.items():
        if dst in inflow or src in outflow:
            by_year = sums.sum(axis=1)
            if dst in inflow:
                inflow[dst] += by_year
            if src in outflow:
                outflow[src] += by_year
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
    levels = {node: stock.sum(axis=1) for node, stock in stocks.items()}
    _check(graph, flows, levels, n_years, replication, rel_tol, abs_tol, lambda index: "mass")


def check_elements(graph: FlowGraph, flows, stocks: dict[str, np.ndarray], n_years: int,
                   replication: int = 0, rel_tol: float = 1e-9, abs_tol: float = 1e-6) -> None:
    """Raise MassBalanceError naming the first node, element and year whose element balance fails.

    flows : (src, dst, origin) -> [n_years, slots, element] kg
    stocks : node -> [n_years + 1, element] end-of-year element stocks, row 0 the opening stock
    Each element must balance on its own, with the tolerance of `check` per element.
    """
    _check(graph, flows, stocks, n_years, replication, rel_tol, abs_tol, lambda index: ELEMENTS[index[1]])


def _check(graph: FlowGraph, flows, levels: dict[str, np.ndarray], n_years: int, replication: int,
           rel_tol: float, abs_tol: float, balance) -> None:
    """The one loop of both checks: levels are the end-of-year stocks [n_years + 1, ...] of each node,
    balance(index) names what broke at index (year, ...) of a node's balance (mass, or an element)."""
    _require_nodes(graph, flows, levels)
    inflows, outflows = node_balances(flows, levels, n_years)
    for node, level in levels.items():
        inflow, outflow = inflows[node], outflows[node]
        broken = _first_break(inflow, outflow, level, rel_tol, abs_tol)
        if broken:
            index, _, change = broken
            raise MassBalanceError(
                f"{balance(index)} balance broken at node {node!r}, replication {replication}, year index "
                f"{index[0]}: inflow {inflow[index]:.6g} kg - outflow {outflow[index]:.6g} kg != change of stock "
                f"{change:.6g} kg")
