"""Small scenarios of the recycling chain and a mass-balance check that reads the output tables only."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

SOURCES = {"china", "rest_of_world", "scrap_import", "oxide_import"}
SINKS = {"uncollected", "shredder_loss", "scrap_export", "process_loss", "recycled_export", "other_uses",
         "oxide_export"}
STOCK_NODES = {"in_use", "end_of_life", "collection", "dismantling", "scrap_store", "metal_alloy_making",
               "magnet_making", "bonded_making", "market", "stockpile", "primary_supply", "magnet_imports",
               "product_imports"}
PLANT_PREFIXES = ("hpms:", "long_loop:")

#: one pint year is 365.25 d, so an 8 h HPMS cycle is 8 / 8766 yr
HOURS_PER_YEAR = 365.25 * 24


def merged(base: dict, changes: dict) -> dict:
    """A deep copy of `base` with the nested mapping `changes` written over it (a distribution,
    a mapping with 'distribution', replaces the old one whole)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "distribution" not in value:
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def small_config(**changes) -> dict:
    """One segment, one HPMS plant, magnet making, 2020-2030: the smallest scenario that runs the
    whole chain."""
    base = {
        "start_year": 2020, "end_year": 2030, "history_start": 2000, "mode": "expected",
        "segments": {"a": {"placed_on_market": 1000, "magnet_per_unit": "1 kg",
                           "lifetime": {"distribution": "fixed", "mean": "5 yr"},
                           "collection_rate": 0.5, "liberation_rate": 0.5, "in_target_scope": True}},
        "plants": {"p": {"route": "hpms", "capacity": "100 t/yr", "vessels": 2, "batch_size": "400 kg",
                         "cycle_time": "8 h", "availability": 1.0}},
        "industry": {"magnet_making": {"capacity": "100 t/yr"}},  # takes every recycled input
        "target": {"year": 2025},
        "output": {"sankey_year": 2025},
    }
    return merged(base, changes)


def full_feature_config(mode: str = "expected", replications: int = 1) -> dict:
    """Every feature of the chain on at once, small enough to run in well under a second.

    Hoarding, dismantling capacity, rate changes, export with a ban year, grades for the long
    loop, an HPMS and a long-loop plant (with breakdowns in stochastic mode), a primary-supply
    shock, imported scrap, magnet making (sintered and bonded, with in-house swarf), metal and alloy
    making, magnets in imported products, other uses and preferential allocation.
    """
    return {
        "start_year": 2018, "end_year": 2028, "history_start": 2005, "mode": mode,
        "replications": replications, "seed": 7,
        "segments": {
            "motor": {"placed_on_market": {2005: 2000, 2020: 5000, 2028: 8000}, "magnet_per_unit": "1.5 kg",
                      "lifetime": {"distribution": "weibull", "shape": 3.0, "scale": "8 yr"},
                      "collection_rate": 0.7, "liberation_rate": {2018: 0.3, 2024: 0.7},
                      "dismantling_capacity": "2 t/yr", "in_target_scope": True,
                      "imported_product_share": {2018: 0.2, 2025: 0.4}},
            "drive": {"placed_on_market": 20000, "magnet_per_unit": "20 g",
                      "lifetime": {"distribution": "lognormal", "mean": "5 yr", "std": "2 yr"},
                      "hoarding": {"distribution": "lognormal", "mean": "2 yr", "std": "1 yr"},
                      "collection_rate": 0.4, "liberation_rate": 0.5, "short_loop_share": 0.6},
            "generator": {"placed_on_market": 10, "magnet_per_unit": "650 kg/MW", "magnet_share": 0.5,
                          "lifetime": {"distribution": "normal", "mean": "9 yr", "std": "2 yr"},
                          "collection_rate": 0.95, "liberation_rate": 0.8, "in_target_scope": True},
        },
        "plants": {
            "short": {"route": "hpms", "capacity": {2019: "0 t/yr", 2020: "6 t/yr"}, "vessels": 2,
                      "batch_size": "200 kg", "cycle_time": "8 h", "availability": 0.9,
                      "mtbf": "0.05 yr", "mttr": "0.005 yr"},
            "bond": {"route": "hpms", "capacity": "1 t/yr", "batch_size": "100 kg", "product": "bonded"},
            "hydro": {"route": "long_loop", "capacity": "3 t/yr", "accepts": ["long_loop_only", "short_loop"],
                      "yield": 0.8},
        },
        "market": {"other_uses": "5 t/yr"},
        "industry": {"magnet_making": {"capacity": {2018: "2 t/yr", 2024: "4 t/yr"}, "in_house_share": 0.3},
                     "metal_alloy_making": {"capacity": "0.5 t/yr"}, "bonded_making": {"capacity": "0.5 t/yr"}},
        "scrap_store": {"export_share": 0.5, "imported_scrap": "1 t/yr", "swarf_short_loop_share": 0.3},
        "policy": {"allocation": "preferential", "export_ban_year": 2023,
                   "rate_changes": [{"year": 2026, "segment": "drive", "key": "collection_rate", "value": 0.6}],
                   "supply_shocks": [{"start": 2025.5, "end": 2026.25, "availability": 0.25}]},
        "target": {"year": 2025},
        "output": {"sankey_year": 2025, "figures": False},
    }


def node_kind(node: str) -> str:
    """'source', 'sink' or 'stock' for a node name of the output contract; raises on an unknown name."""
    if node in SOURCES:
        return "source"
    if node in SINKS:
        return "sink"
    if node in STOCK_NODES or node.startswith(PLANT_PREFIXES):
        return "stock"
    raise AssertionError(f"node {node!r} is not a node of the output contract")


def balance_residuals(flows: pd.DataFrame, stocks: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """Per replication, node and year: inflow - outflow - change of stock [t], from the tables alone.

    A node with no row in `stocks` holds nothing (a pass-through). Sources hold no stock and are
    left out. Columns: replication, node, year, inflow, outflow, change, residual, scale (the
    node's throughput plus its stock levels, for a relative tolerance).
    """
    flows = flows.astype({"from_node": str, "to_node": str})
    stocks = stocks.astype({"node": str})
    replications = sorted(set(flows["replication"]) | set(stocks["replication"]))
    nodes = sorted(set(flows["from_node"]) | set(flows["to_node"]) | set(stocks["node"]))
    years = np.arange(start_year, end_year + 1)
    inflow = flows.groupby(["replication", "to_node", "year"])["mass_t"].sum()
    outflow = flows.groupby(["replication", "from_node", "year"])["mass_t"].sum()
    level = stocks.groupby(["replication", "node", "year"])["mass_t"].sum()
    rows = []
    for replication in replications:
        for node in nodes:
            if node_kind(node) == "source":
                continue
            index = [(replication, node, y) for y in years]
            opening = [(replication, node, y) for y in np.arange(start_year - 1, end_year + 1)]
            into = inflow.reindex(index, fill_value=0.0).to_numpy()
            out = outflow.reindex(index, fill_value=0.0).to_numpy()
            held = level.reindex(opening, fill_value=0.0).to_numpy()
            change = np.diff(held)
            rows.append(pd.DataFrame({
                "replication": replication, "node": node, "year": years, "inflow": into, "outflow": out,
                "change": change, "residual": into - out - change,
                "scale": into + out + np.abs(held[1:]) + np.abs(held[:-1])}))
    columns = ["replication", "node", "year", "inflow", "outflow", "change", "residual", "scale"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns, dtype=float)


def assert_balanced(result, rel_tol: float = 1e-9, abs_tol_t: float = 1e-9) -> pd.DataFrame:
    """Assert every node's balance in every replication and year holds in the tables; return them."""
    params = result.params
    residuals = balance_residuals(result.flows, result.stocks, params.start_year, params.end_year)
    bad = residuals[~(residuals["residual"].abs() <= abs_tol_t + rel_tol * residuals["scale"])]  # NaN fails
    assert bad.empty, f"mass balance broken in the tables:\n{bad.head(10).to_string()}"
    return residuals


def assert_sources_match_holdings(result, rel_tol: float = 1e-9) -> None:
    """All mass that entered through the sources is held by some node or sink at the end."""
    params = result.params
    flows, stocks = result.flows, result.stocks
    for replication, rep_flows in flows.groupby("replication", observed=True):
        entered = rep_flows[rep_flows["from_node"].astype(str).isin(SOURCES)]["mass_t"].sum()
        rep_stocks = stocks[stocks["replication"] == replication]
        closing = rep_stocks[rep_stocks["year"] == params.end_year]["mass_t"].sum()
        opening = rep_stocks[rep_stocks["year"] == params.start_year - 1]["mass_t"].sum()
        assert closing - opening == pytest.approx(entered, rel=rel_tol, abs=1e-9)

