"""Key performance indicators per replication and year, derived from the ledger's flows alone."""

from __future__ import annotations

import numpy as np

from ..config.parameters import Params, generic_composition
from ..config.values import ELEMENTS

RECYCLED_ORIGINS = ("post_consumer", "pre_consumer")
BINDING = ("feed", "collection", "liberation", "export", "capacity")
#: utilisation at or above which plant capacity is what limits recycled supply
CAPACITY_BOUND = 0.95


def meets(value, share):
    """Whether a recycled content (a number or an array) reaches a target share; the one rule
    for `target_met`, `mandate_met`, the summary and the sweep table (rounding is forgiven)."""
    return value >= share - 1e-12


def _sum(flows, src=None, dst=None, origins=None) -> np.ndarray:
    """Sum [year, slot] of the flows matching src / dst (a name, or a prefix ending in ':')."""
    total = None
    for (s, d, o), sums in flows.items():
        if _match(s, src) and _match(d, dst) and (origins is None or o in origins):
            total = sums.copy() if total is None else total + sums
    return total


def _match(node: str, pattern: str | None) -> bool:
    return pattern is None or node == pattern or (pattern.endswith(":") and node.startswith(pattern))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(den > 0, num / den, 0.0)


def compute(params: Params, flows, stocks, metrics) -> dict[str, np.ndarray]:
    """KPI columns for one replication, one value per year of params.years."""
    n_years = len(params.years)
    zeros = np.zeros((n_years, len(params.segments) + 1))

    def flow(src=None, dst=None, origins=None):
        found = _sum(flows, src, dst, origins)
        return zeros if found is None else found

    scope = np.array([s.in_target_scope for s in params.segments] + [False])
    delivered = flow("market", "in_use") + flow("market", "other_uses")
    recycled = sum(flow("market", d, RECYCLED_ORIGINS) for d in ("in_use", "other_uses"))
    post = sum(flow("market", d, ("post_consumer",)) for d in ("in_use", "other_uses"))
    kpi: dict[str, np.ndarray] = {"year": np.array(params.years)}
    kpi["demand_t"] = metrics["demand"] / 1e3
    kpi["delivered_t"] = delivered.sum(axis=1) / 1e3
    kpi["primary_supply_t"] = flow("primary_supply", "market").sum(axis=1) / 1e3
    kpi["recycled_supply_t"] = recycled.sum(axis=1) / 1e3
    kpi["shortage_t"] = metrics["shortage"] / 1e3
    kpi["recycled_content"] = _ratio(recycled.sum(axis=1), delivered.sum(axis=1))
    kpi["recycled_content_post_consumer"] = _ratio(post.sum(axis=1), delivered.sum(axis=1))
    kpi["recycled_content_pre_consumer"] = kpi["recycled_content"] - kpi["recycled_content_post_consumer"]
    kpi["recycled_content_target_scope"] = _ratio(recycled[:, scope].sum(axis=1), delivered[:, scope].sum(axis=1))
    kpi["recycled_content_target_scope_post_consumer"] = _ratio(post[:, scope].sum(axis=1),
                                                                delivered[:, scope].sum(axis=1))
    kpi["target_share"] = np.full(n_years, params.target.share)
    kpi["target_met"] = meets(kpi[params.target.metric], params.target.share)
    mandate = params.policy.mandate_share
    if mandate is not None:  # a magnet-specific minimum recycled content for the target scope
        applies = kpi["year"] >= params.policy.mandate_from
        kpi["mandate_share"] = np.where(applies, mandate, 0.0)
        kpi["mandate_met"] = ~applies | meets(kpi["recycled_content_target_scope"], mandate)

    kpi["eol_arising_t"] = flow("in_use", "end_of_life").sum(axis=1) / 1e3
    kpi["discarded_t"] = flow("end_of_life", "collection").sum(axis=1) / 1e3
    kpi["collected_t"] = flow("collection", "dismantling").sum(axis=1) / 1e3
    kpi["liberated_t"] = flow("dismantling", "scrap_store").sum(axis=1) / 1e3
    losses = {"collection": flow("collection", "uncollected").sum(axis=1),
              "liberation": flow("dismantling", "shredder_loss").sum(axis=1),
              "export": flow("scrap_store", "scrap_export").sum(axis=1)}
    kpi["uncollected_t"] = losses["collection"] / 1e3
    kpi["shredder_loss_t"] = losses["liberation"] / 1e3
    kpi["scrap_export_t"] = losses["export"] / 1e3
    kpi["process_loss_t"] = flow(dst="process_loss").sum(axis=1) / 1e3

    feed_total, capacity_total = np.zeros(n_years), np.zeros(n_years)
    for route in ("hpms", "long_loop"):
        feed, capacity = np.zeros(n_years), np.zeros(n_years)
        for plant in params.plants:
            if plant.node.split(":")[0] != route:
                continue
            plant_feed = flow("scrap_store", plant.node).sum(axis=1)
            plant_capacity = metrics[f"capacity:{plant.node}"]
            kpi[f"capacity_t:{plant.name}"] = plant_capacity / 1e3
            kpi[f"utilisation:{plant.name}"] = _ratio(plant_feed, plant_capacity)
            feed, capacity = feed + plant_feed, capacity + plant_capacity
        kpi[f"{route}_feed_t"] = feed / 1e3
        kpi[f"{route}_capacity_t"] = capacity / 1e3
        kpi[f"{route}_utilisation"] = _ratio(feed, capacity)
        feed_total, capacity_total = feed_total + feed, capacity_total + capacity
    # CRMA-style capacity benchmark: magnets the plants could make at full capacity / consumption
    output_capacity = np.zeros(n_years)
    for plant in params.plants:
        per_feed = plant.process_yield * (params.sintering.process_yield if plant.route == "hpms" else 1.0)
        output_capacity += metrics[f"capacity:{plant.node}"] * per_feed
    kpi["recycling_output_capacity_t"] = output_capacity / 1e3
    kpi["capacity_benchmark"] = _ratio(output_capacity, metrics["demand"])
    produced = flow("sintering", "market") + flow("long_loop:", "market")
    kpi["recycled_output_t"] = produced.sum(axis=1) / 1e3
    kpi["scrap_inventory_t"] = stocks["scrap_store"][1:].sum(axis=1) / 1e3
    composition = np.array([s.composition for s in params.segments] + [generic_composition()])
    heavy = composition[:, [ELEMENTS.index("Dy"), ELEMENTS.index("Tb")]].sum(axis=1)
    kpi["dy_tb_recovered_t"] = produced @ heavy / 1e3
    kpi["binding_constraint"] = binding_constraint(feed_total, capacity_total, losses)
    return kpi


def binding_constraint(feed: np.ndarray, capacity: np.ndarray, losses: dict[str, np.ndarray]) -> np.ndarray:
    """What limited recycled supply each year.

    `capacity` when the plants ran at CAPACITY_BOUND or more of their capacity (or there was none);
    otherwise the largest of: the material each stage kept from the plants (`collection`:
    uncollected; `liberation`: lost in shredding; `export`: scrap exported) and `feed`, the unused
    capacity that even perfect collection, liberation and no exports could not have filled.
    """
    unused = np.maximum(capacity - feed, 0.0)
    lost = losses["collection"] + losses["liberation"] + losses["export"]
    candidates = np.vstack([np.maximum(unused - lost, 0.0), losses["collection"], losses["liberation"],
                            losses["export"]])
    names = np.array(BINDING[:4])[np.argmax(candidates, axis=0)]
    full = (capacity <= 0) | (feed >= CAPACITY_BOUND * capacity)
    return np.where(full, "capacity", names)
