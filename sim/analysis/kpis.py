"""Key performance indicators per replication and year, derived from the ledger's flows alone."""

from __future__ import annotations

import numpy as np

from ..config.parameters import Params
from ..config.values import ELEMENTS, ORIGINS
from ..model import graph as g
from ..model import lots
from ..model.simulation import REPORTED_ELEMENTS

RECYCLED_ORIGINS = ("post_consumer", "pre_consumer")
BINDING = ("feed", "collection", "liberation", "export", "capacity")
#: KPI columns that hold a name rather than a number (a table of means takes the most frequent)
NAMED_KPIS = ("binding_constraint", "binding_element")
#: share of a shortage that may fall on magnets without Dy or Tb while the heavy rare earths are
#: still what binds (rounding of whole units)
HEAVY_CONFINED = 1e-3
#: utilisation at or above which plant capacity is what limits recycled supply
CAPACITY_BOUND = 0.95
#: elements with KPIs of their own (the rest, B and FeCo, are in flows_by_element)
KPI_ELEMENTS = REPORTED_ELEMENTS
#: the loss sink of each stage that can keep material from the plants (a binding constraint)
LOSS_OF_STAGE = {"collection": g.UNCOLLECTED, "liberation": g.SHREDDER_LOSS, "export": g.SCRAP_EXPORT}


def loss_kpi(sink: str) -> str:
    """The KPI column of the mass a loss sink receives per year [t]."""
    return f"{sink}_t"


def meets(value, share):
    """Whether a recycled content (a number or an array) reaches a target share; the one rule
    for `target_met`, `mandate_met`, the summary and the sweep table (rounding is forgiven). No
    target (share None) is never met."""
    if share is None:
        return np.zeros_like(value, dtype=bool) if isinstance(value, np.ndarray) else False
    return value >= share - 1e-12


def _sum(flows, src=None, dst=None, origins=None) -> np.ndarray:
    """Sum [year, slot] of the flows matching src / dst (a node name, or a plant template for all
    its plants)."""
    total = None
    for (s, d, o), sums in flows.items():
        if _match(s, src) and _match(d, dst) and (origins is None or o in origins):
            total = sums.copy() if total is None else total + sums
    return total


def _match(node: str, pattern: str | g.PlantNode | None) -> bool:
    if isinstance(pattern, g.PlantNode):
        return pattern.owns(node)
    return pattern is None or node == pattern


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(den > 0, num / den, 0.0)


def compute(params: Params, graph: g.FlowGraph, flows, stocks, metrics,
            element_flows) -> dict[str, np.ndarray]:
    """KPI columns for one replication, one value per year of params.years.

    flows : [year, slot] kg; element_flows : the same flows [year, slot, element] kg
    stocks : end-of-year stocks of the stages and stores [year (opening stock first), slot] kg
    """
    n_years = len(params.years)
    zeros = np.zeros((n_years, lots.n_slots(params)))

    def flow(src=None, dst=None, origins=None):
        found = _sum(flows, src, dst, origins)
        return zeros if found is None else found

    scope = np.array([s.in_target_scope for s in params.segments] + [False])
    uses = graph.receivers(g.MARKET)  # deliveries: products in use, other uses
    delivered = sum(flow(g.MARKET, d) for d in uses)
    recycled = sum(flow(g.MARKET, d, RECYCLED_ORIGINS) for d in uses)
    post = sum(flow(g.MARKET, d, ("post_consumer",)) for d in uses)
    kpi: dict[str, np.ndarray] = {"year": np.array(params.years)}
    kpi["demand_t"] = metrics["demand"] / 1e3
    kpi["delivered_t"] = delivered.sum(axis=1) / 1e3
    kpi["primary_supply_t"] = (delivered - recycled).sum(axis=1) / 1e3
    kpi["recycled_supply_t"] = recycled.sum(axis=1) / 1e3
    kpi["shortage_t"] = np.maximum(metrics["shortage"], 0.0) / 1e3  # a year of catching up has none
    kpi["recycled_content"] = _ratio(recycled.sum(axis=1), delivered.sum(axis=1))
    kpi["recycled_content_post_consumer"] = _ratio(post.sum(axis=1), delivered.sum(axis=1))
    kpi["recycled_content_pre_consumer"] = kpi["recycled_content"] - kpi["recycled_content_post_consumer"]
    elements = element_kpis(graph, element_flows, metrics, n_years)
    for element in REPORTED_ELEMENTS:  # per element, as the CRMA's disclosure of post-consumer shares
        kpi[f"recycled_content_post_consumer_{element}"] = elements.pop(f"post_consumer_share_{element}")
    region_made = flow(g.MAGNET_MAKING, g.MARKET) + flow(g.BONDED_MAKING, g.MARKET)
    region_recycled = sum(flow(node, g.MARKET, ("recycled",)) for node in (g.MAGNET_MAKING, g.BONDED_MAKING))
    kpi["recycled_content_region_made"] = _ratio(region_recycled.sum(axis=1), region_made.sum(axis=1))
    kpi["recycled_content_target_scope"] = _ratio(recycled[:, scope].sum(axis=1), delivered[:, scope].sum(axis=1))
    kpi["recycled_content_target_scope_post_consumer"] = _ratio(post[:, scope].sum(axis=1),
                                                                delivered[:, scope].sum(axis=1))
    kpi["target_scope_delivered_t"] = delivered[:, scope].sum(axis=1) / 1e3  # the scope shares' denominator
    kpi["target_share"] = np.full(n_years, np.nan if params.target.share is None else params.target.share)
    kpi["target_met"] = meets(kpi[params.target.metric], params.target.share)
    mandate = params.policy.mandate_share
    if mandate is not None:  # a magnet-specific minimum recycled content for the target scope
        applies = kpi["year"] >= params.policy.mandate_from
        kpi["mandate_share"] = np.where(applies, mandate, 0.0)
        kpi["mandate_met"] = ~applies | meets(kpi["recycled_content_target_scope"], mandate)

    kpi["eol_arising_t"] = flow(g.IN_USE, g.END_OF_LIFE).sum(axis=1) / 1e3
    kpi["discarded_t"] = flow(g.END_OF_LIFE, g.COLLECTION).sum(axis=1) / 1e3
    kpi["collected_t"] = flow(g.COLLECTION, g.DISMANTLING).sum(axis=1) / 1e3
    kpi["liberated_t"] = flow(g.DISMANTLING, g.SCRAP_STORE).sum(axis=1) / 1e3
    lost = {sink: flow(dst=sink).sum(axis=1) for sink in graph.losses}
    for sink, mass in lost.items():
        kpi[loss_kpi(sink)] = mass / 1e3
    losses = {stage: lost[sink] for stage, sink in LOSS_OF_STAGE.items()}

    kpi["region_made_t"] = region_made.sum(axis=1) / 1e3
    kpi["bonded_made_t"] = flow(g.BONDED_MAKING, g.MARKET).sum(axis=1) / 1e3
    kpi["imported_magnets_t"] = flow(g.MAGNET_IMPORTS, g.MARKET).sum(axis=1) / 1e3
    kpi["imported_products_t"] = flow(g.PRODUCT_IMPORTS, g.MARKET).sum(axis=1) / 1e3
    kpi["magnet_making_utilisation"] = _ratio(flow(g.MAGNET_MAKING, g.MARKET).sum(axis=1),
                                              metrics["capacity:magnet_making"])
    kpi["swarf_traded_t"] = flow(g.MAGNET_MAKING, g.SCRAP_STORE).sum(axis=1) / 1e3
    kpi["swarf_in_house_t"] = metrics["in_house_swarf"] / 1e3
    kpi["separated_t"] = flow(g.LONG_LOOP, g.METAL_ALLOY_MAKING).sum(axis=1) / 1e3
    kpi["alloy_t"] = flow(g.METAL_ALLOY_MAKING, g.MAGNET_MAKING).sum(axis=1) / 1e3
    kpi["oxide_import_t"] = flow(g.OXIDE_IMPORT, g.METAL_ALLOY_MAKING).sum(axis=1) / 1e3
    kpi["unabsorbed_t"] = (stocks[g.MAGNET_MAKING][1:] + stocks[g.BONDED_MAKING][1:]).sum(axis=1) / 1e3

    feed_total, capacity_total = np.zeros(n_years), np.zeros(n_years)
    for route, template in g.PLANT_NODES.items():
        feed, capacity = np.zeros(n_years), np.zeros(n_years)
        for plant in params.plants:
            if plant.route != route:
                continue
            node = template.name(plant.name)
            plant_feed = flow(g.SCRAP_STORE, node).sum(axis=1)
            plant_capacity = metrics[f"capacity:{node}"]
            kpi[f"capacity_t:{plant.name}"] = plant_capacity / 1e3
            kpi[f"utilisation:{plant.name}"] = _ratio(plant_feed, plant_capacity)
            feed, capacity = feed + plant_feed, capacity + plant_capacity
        kpi[f"{route}_feed_t"] = feed / 1e3
        kpi[f"{route}_capacity_t"] = capacity / 1e3
        kpi[f"{route}_utilisation"] = _ratio(feed, capacity)
        feed_total, capacity_total = feed_total + feed, capacity_total + capacity
    # CRMA capacity benchmark: rare earths the plants could recover at full capacity over the rare
    # earths in annual magnet consumption (generic composition on both sides, so in magnet mass)
    output_capacity = np.zeros(n_years)
    for plant in params.plants:
        output_capacity += metrics[f"capacity:{g.plant_node(plant)}"] * plant.process_yield
    kpi["recycling_output_capacity_t"] = output_capacity / 1e3
    kpi["capacity_benchmark"] = _ratio(output_capacity, metrics["demand"])
    kpi["recycled_output_t"] = region_recycled.sum(axis=1) / 1e3  # recycled material in region-made magnets
    kpi["scrap_inventory_t"] = stocks[g.SCRAP_STORE][1:].sum(axis=1) / 1e3
    kpi.update(elements)
    kpi["binding_constraint"] = binding_constraint(feed_total, capacity_total, losses)
    kpi.update(grade_kpis(params, metrics, kpi))
    return kpi


def element_kpis(graph: g.FlowGraph, element_flows, metrics, n_years: int) -> dict[str, np.ndarray]:
    """Per element of KPI_ELEMENTS: demand, deliveries, recycled deliveries and their share; and
    Dy + Tb in the recycled magnets delivered. Element masses are those the lots carried, so
    recycled magnets count with the composition of the material they were made from."""
    zeros = np.zeros((n_years, len(ELEMENTS)))

    def flow(src=None, dst=None, origins=None):
        found = _sum(element_flows, src, dst, origins)
        return zeros if found is None else found.sum(axis=1)

    uses = graph.receivers(g.MARKET)
    delivered = sum(flow(g.MARKET, d) for d in uses)
    recycled = sum(flow(g.MARKET, d, RECYCLED_ORIGINS) for d in uses)
    post = sum(flow(g.MARKET, d, ("post_consumer",)) for d in uses)
    kpi = {}
    for element in KPI_ELEMENTS:
        i, name = ELEMENTS.index(element), element.lower()
        kpi[f"{name}_demand_t"] = metrics["demand_elements"][:, i] / 1e3
        kpi[f"{name}_delivered_t"] = delivered[:, i] / 1e3
        kpi[f"{name}_recycled_t"] = recycled[:, i] / 1e3
        kpi[f"recycled_share_{element}"] = _ratio(recycled[:, i], delivered[:, i])
        kpi[f"post_consumer_share_{element}"] = _ratio(post[:, i], delivered[:, i])
    heavy = [ELEMENTS.index(e) for e in lots.HEAVY_RARE_EARTHS]
    kpi["dy_tb_recovered_t"] = recycled[:, heavy].sum(axis=1) / 1e3
    for element in lots.HEAVY_RARE_EARTHS:  # where the region's Dy and Tb come from
        i, name = ELEMENTS.index(element), element.lower()
        for origin in ORIGINS:
            kpi[f"{name}_supply_{origin}_t"] = flow(g.ORIGIN_NODES[origin])[:, i] / 1e3
        demand = metrics["demand_elements"][:, i]
        kpi[f"self_sufficiency_{element}"] = _ratio(flow(g.REST_OF_WORLD)[:, i] + recycled[:, i], demand)
        kpi[f"stockpile_cover_months_{element}"] = _ratio(metrics[f"stockpile:{element}"], demand / 12)
    return kpi


def grade_kpis(params: Params, metrics, kpi: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Shortage of the grades that need Dy or Tb and of the target scope, and the binding element:
    `none` without a shortage; the heavy rare earth (Dy or Tb) delivered in the smaller share of
    its demand when the shortage falls on magnets that need Dy or Tb while everything without them
    arrived in full; `magnets` otherwise."""
    scope = np.array([s.in_target_scope for s in params.segments] + [False])
    missing = np.maximum(metrics["demand_by_grade"] - metrics["delivered_by_grade"], 0.0)  # [year, slot, grade]
    out = {"shortage_dy_tb_grades_t": np.maximum(metrics["heavy_shortage"], 0.0) / 1e3,
           "shortage_target_scope_t": missing[:, scope].sum(axis=(1, 2)) / 1e3}
    served = np.vstack([_ratio(kpi[f"{e.lower()}_delivered_t"], kpi[f"{e.lower()}_demand_t"])
                        + (kpi[f"{e.lower()}_demand_t"] <= 0) for e in lots.HEAVY_RARE_EARTHS])
    element = np.array(lots.HEAVY_RARE_EARTHS)[np.argmin(served, axis=0)]
    shortage = np.maximum(metrics["shortage"], 0.0)
    confined = np.maximum(metrics["element_shortage"], 0.0) >= (1.0 - HEAVY_CONFINED) * shortage
    out["binding_element"] = np.where(shortage <= 0, "none", np.where(confined, element, "magnets"))
    return out


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
