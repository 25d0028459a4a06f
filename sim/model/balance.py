"""The mass-balance check: for every node and year, inflows - outflows = change of stock."""

from __future__ import annotations

import numpy as np

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


def check(graph: FlowGraph, flows, stocks: dict[str, np.ndarray], n_years: int, replication: int = 0,
          rel_tol: float = 1e-9, abs_tol: float = 1e-6) -> None:
    """Raise MassBalanceError naming the first node and year whose balance fails.

    Every stage and store of the graph must balance; sources and sinks are the system's boundary.
    stocks : node -> [n_years + 1, slots] end-of-year stocks, row 0 the opening stock
    The tolerance is abs_tol [kg] plus rel_tol times the node's throughput and stock that year.
    """
    for node in graph.balanced:
        if node not in stocks:
            raise MassBalanceError(f"node {node!r} of the flow graph has no recorded stock")
    for node, stock in stocks.items():
        if node not in graph or not graph[node].balanced:
            raise MassBalanceError(f"stock recorded for {node!r}, which is not a stage or store of the flow graph")
        level = stock.sum(axis=1)
        change = np.diff(level)
        inflow, outflow = node_balance(flows, node, n_years)
        error = inflow - outflow - change
        scale = inflow + outflow + np.abs(level[1:]) + np.abs(level[:-1])
        bad = np.nonzero(~(np.abs(error) <= abs_tol + rel_tol * scale))[0]  # NaN fails too
        if bad.size:
            i = bad[0]
            raise MassBalanceError(
                f"mass balance broken at node {node!r}, replication {replication}, year index {i}: "
                f"inflow {inflow[i]:.6g} kg - outflow {outflow[i]:.6g} kg != change of stock {change[i]:.6g} kg")
    for src, dst, _ in flows:
        for node in (src, dst):
            if node not in graph:
                raise MassBalanceError(f"flow names node {node!r}, which the flow graph does not declare")
