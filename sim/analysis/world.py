"""The `run_world` API: a coupled run of several regions, each region's balance checked as in a
single-region run and the world's too (trade leaves one region exactly as it reaches another);
tables with a `region` column, KPIs per region and for the bloc."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config.values import ELEMENTS
from ..config.world import World
from ..model.balance import check, check_elements
from ..model.graph import METAL_ALLOY_MAKING, OXIDE_EXPORT, OXIDE_IMPORT, SCRAP_IMPORT, SCRAP_STORE
from ..model.lots import HEAVY_RARE_EARTHS
from ..model.world import CoupledRecord, simulate_world
from . import kpi_table
from .kpis import KPI_ELEMENTS
from .results import Result, ResultBuilder, quantiles

#: shares recomputed for the bloc from its summed masses: (kpi, numerator, denominator), each a
#: mass column [t/yr] of the regions' rows or a sum of them
BLOC_SHARES = (
    ("recycled_content", "recycled_supply_t", "delivered_t"),
    ("recycled_cover", "recycled_supply_t", "demand_t"),
    ("recycled_content_region_made", "recycled_output_t", "region_made_t"),
    *((f"recycled_share_{e}", f"{e.lower()}_recycled_t", f"{e.lower()}_delivered_t") for e in KPI_ELEMENTS),
    *((f"self_sufficiency_{e}", (f"{e.lower()}_supply_rest_of_world_t", f"{e.lower()}_recycled_t"),
       f"{e.lower()}_demand_t") for e in HEAVY_RARE_EARTHS),
    ("capacity_benchmark", "recycling_output_capacity_t", "demand_t"),
    ("hpms_utilisation", "hpms_feed_t", "hpms_capacity_t"),
    ("long_loop_utilisation", "long_loop_feed_t", "long_loop_capacity_t"),
)
#: shares whose numerator mass is no column of its own: (kpi, denominator); each region's
#: numerator is its share x its denominator (exact: a region's share is numerator / denominator)
BLOC_WEIGHTED = (
    ("recycled_content_post_consumer", "delivered_t"),
    *((f"recycled_content_post_consumer_{e}", f"{e.lower()}_delivered_t") for e in KPI_ELEMENTS),
    ("recycled_content_target_scope", "target_scope_delivered_t"),
    ("recycled_content_target_scope_post_consumer", "target_scope_delivered_t"),
)
#: every KPI the bloc has: the shares above and every mass of the KPI table (summed over the regions)
BLOC_METRICS = (*(name for name, _, _ in BLOC_SHARES), *(name for name, _ in BLOC_WEIGHTED),
                "recycled_content_pre_consumer",
                *(row.column for row in kpi_table.columns()
                  if row.unit in ("t/yr", "t") and not row.column.endswith(kpi_table.WILDCARD)))


@dataclass
class WorldResult:
    """Tables of a coupled run (all replications); each region's own Result as well.

    kpis : region (a region code, or `bloc` for their sum), replication, year, KPIs
    flows, stocks : the regions' tables with a `region` column
    trade : replication, year, material (scrap, or oxide: separated rare earths of the long loop),
        from_region, to_region, mass_t (sent between the regions)
    china : replication, year, region, asked_t, delivered_t, licensed_t (China's magnets asked, allotted
        by the pool, and of those let through by the region's licences)
    """

    world: World
    regions: dict[str, Result]
    kpis: pd.DataFrame
    flows: pd.DataFrame
    stocks: pd.DataFrame
    trade: pd.DataFrame
    china: pd.DataFrame

    @property
    def kpi_quantiles(self) -> pd.DataFrame:
        return pd.concat([quantiles(part.drop(columns="region")).assign(region=code)
                          for code, part in self.kpis.groupby("region", sort=False)], ignore_index=True)


def run_world(world: World) -> WorldResult:
    """Simulate every replication of a coupled run (in this process) and check every balance."""
    first = next(iter(world.regions.values()))
    builders = {code: ResultBuilder(params) for code, params in world.regions.items()}
    trade, china = [], []
    replications = first.replications if first.mode == "stochastic" else 1
    for replication in range(replications):
        record = simulate_world(world, replication)
        check_world(world, record, replication)
        for code, builder in builders.items():
            builder.add(record.regions[code])
        trade += [{"replication": replication, "year": first.start_year + i, "material": material,
                   "from_region": e, "to_region": d, "mass_t": kg / 1e3}
                  for material, table in (("scrap", record.trade), ("oxide", record.oxide_trade))
                  for (e, d), sums in table.items() for i, kg in enumerate(sums)]
        china += [{"replication": replication, "year": first.start_year + i, "region": code,
                   "asked_t": record.asked[code][i] / 1e3, "delivered_t": record.delivered[code][i] / 1e3,
                   "licensed_t": record.licensed[code][i] / 1e3}
                  for code in world.regions for i in range(len(record.pool))]
    regions = {code: builder.build() for code, builder in builders.items()}
    kpis = pd.concat([result.kpis.assign(region=code) for code, result in regions.items()], ignore_index=True)
    kpis = pd.concat([kpis, bloc_kpis(kpis)], ignore_index=True)
    kpis = kpis[["region", *[c for c in kpis.columns if c != "region"]]]
    tagged = {name: pd.concat([getattr(r, name).assign(region=code) for code, r in regions.items()], ignore_index=True)
              for name in ("flows", "stocks")}
    trade_columns = ["replication", "year", "material", "from_region", "to_region", "mass_t"]
    return WorldResult(world, regions, kpis, tagged["flows"], tagged["stocks"],
                       pd.DataFrame(trade, columns=trade_columns), pd.DataFrame(china))


def bloc_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """The bloc's KPIs per replication and year: every mass [t/yr, t] summed over the regions,
    every share recomputed from the summed masses (never an average of the regions' shares);
    per-plant columns, targets and labels are the regions' own and stay empty."""
    if "recycled_cover" not in kpis:
        kpis = kpis.assign(recycled_cover=_ratio(kpis["recycled_supply_t"], kpis["demand_t"]))
    weighted = {f"{name}:mass": kpis[name] * kpis[denominator]
                for name, denominator in BLOC_WEIGHTED if name in kpis}
    kpis = kpis.assign(**weighted)
    masses = [c for c in kpis.columns if c.endswith("_t") and ":" not in c] + list(weighted)
    bloc = kpis.groupby(["replication", "year"], as_index=False)[masses].sum()
    for name, numerator, denominator in BLOC_SHARES:
        parts = (numerator,) if isinstance(numerator, str) else numerator
        if all(c in bloc for c in (*parts, denominator)):
            bloc[name] = _ratio(sum(bloc[c] for c in parts), bloc[denominator])
    for name, denominator in BLOC_WEIGHTED:
        if name in kpis:
            bloc[name] = _ratio(bloc.pop(f"{name}:mass"), bloc[denominator])
    if "recycled_content_post_consumer" in bloc:
        bloc["recycled_content_pre_consumer"] = bloc["recycled_content"] - bloc["recycled_content_post_consumer"]
    return bloc.assign(region="bloc")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, 0 where the denominator is 0 (as a region's shares are)."""
    return (numerator / denominator.where(denominator > 0)).fillna(0.0)


def check_world(world: World, record: CoupledRecord, replication: int) -> None:
    """Every region balances node by node, in mass and element by element, as a single-region run
    is checked; every tonne of scrap and oxide traded leaves a region exactly as it arrives in
    another, and the separated oxide the regions sold, element by element, is what they bought."""
    for code, params in world.regions.items():
        region = record.regions[code]
        n_years = params.end_year + 1 - params.start_year
        check(region.graph, region.flows, region.stocks, n_years, replication)
        check_elements(region.graph, region.element_flows, region.element_stocks, n_years, replication)
    n_years = len(record.pool)
    for material, table, into in (("scrap", record.trade, (SCRAP_IMPORT, SCRAP_STORE)),
                                  ("oxide", record.oxide_trade, (OXIDE_IMPORT, METAL_ALLOY_MAKING))):
        for code in world.regions:
            sent_in = sum((sums for (_, d), sums in table.items() if d == code), np.zeros(n_years))
            imported = record.regions[code].flows.get((*into, "recycled"))
            arrived = imported.sum(axis=1) if imported is not None else np.zeros(n_years)
            _same(sent_in, arrived, f"{material} sent to {code}", replication)
    for code in world.regions:  # all the oxide a region sells goes to the others (its scrap, also elsewhere)
        sent_out = sum((sums for (e, _), sums in record.oxide_trade.items() if e == code), np.zeros(n_years))
        sold = record.regions[code].flows.get((METAL_ALLOY_MAKING, OXIDE_EXPORT, "recycled"))
        _same(sent_out, sold.sum(axis=1) if sold is not None else np.zeros(n_years), f"oxide sold by {code}",
              replication)
    n_elements = len(ELEMENTS)
    bought, sold = np.zeros((n_years, n_elements)), np.zeros((n_years, n_elements))
    for region in record.regions.values():
        for total, key in ((bought, (OXIDE_IMPORT, METAL_ALLOY_MAKING, "recycled")),
                           (sold, (METAL_ALLOY_MAKING, OXIDE_EXPORT, "recycled"))):
            if key in region.element_flows:
                total += region.element_flows[key].sum(axis=1)
    for i, element in enumerate(ELEMENTS):
        _same(sold[:, i], bought[:, i], f"{element} in oxide sold by the regions (bought: second)", replication)


def _same(expected: np.ndarray, found: np.ndarray, what: str, replication: int) -> None:
    if not np.allclose(expected, found, rtol=1e-9, atol=1e-6):
        year = int(np.argmax(np.abs(expected - found)))
        raise AssertionError(f"world balance broken (replication {replication}): {what} in year {year} of the "
                             f"run is {expected[year]:.6g} kg, arrived {found[year]:.6g} kg")
