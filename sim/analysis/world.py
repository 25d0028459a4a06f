"""The `run_world` API: a coupled run of several regions, each region's balance checked as in a
single-region run and the world's too (trade leaves one region exactly as it reaches another);
tables with a `region` column, KPIs per region and for the bloc."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config.world import World
from ..model.balance import check, check_elements
from ..model.graph import SCRAP_IMPORT, SCRAP_STORE
from ..model.world import CoupledRecord, simulate_world
from .results import Result, ResultBuilder, quantiles

#: mass KPIs [t/yr] that add up over regions to the bloc's
BLOC_MASSES = ("demand_t", "delivered_t", "recycled_supply_t", "primary_supply_t", "shortage_t",
               "eol_arising_t", "imported_magnets_t", "imported_products_t", "region_made_t", "scrap_export_t")
#: shares recomputed for the bloc from its sums: (kpi, numerator, denominator)
BLOC_SHARES = (("recycled_content", "recycled_supply_t", "delivered_t"),
               ("recycled_cover", "recycled_supply_t", "demand_t"))
#: shares of the magnets delivered: for the bloc, the regions' shares weighted by what each delivered
BLOC_DELIVERED_SHARES = ("recycled_content_post_consumer", "recycled_content_pre_consumer")


@dataclass
class WorldResult:
    """Tables of a coupled run (all replications); each region's own Result as well.

    kpis : region (a region code, or `bloc` for their sum), replication, year, KPIs
    flows, stocks : the regions' tables with a `region` column
    trade : replication, year, from_region, to_region, mass_t (scrap sent between the regions)
    china : replication, year, region, asked_t, delivered_t (China's magnets asked and let through)
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
        trade += [{"replication": replication, "year": first.start_year + i, "from_region": e, "to_region": d,
                   "mass_t": kg / 1e3} for (e, d), sums in record.trade.items() for i, kg in enumerate(sums)]
        china += [{"replication": replication, "year": first.start_year + i, "region": code,
                   "asked_t": record.asked[code][i] / 1e3, "delivered_t": record.delivered[code][i] / 1e3}
                  for code in world.regions for i in range(len(record.pool))]
    regions = {code: builder.build() for code, builder in builders.items()}
    kpis = pd.concat([result.kpis.assign(region=code) for code, result in regions.items()], ignore_index=True)
    kpis = pd.concat([kpis, bloc_kpis(kpis)], ignore_index=True)
    kpis = kpis[["region", *[c for c in kpis.columns if c != "region"]]]
    tagged = {name: pd.concat([getattr(r, name).assign(region=code) for code, r in regions.items()], ignore_index=True)
              for name in ("flows", "stocks")}
    trade_columns = ["replication", "year", "from_region", "to_region", "mass_t"]
    return WorldResult(world, regions, kpis, tagged["flows"], tagged["stocks"],
                       pd.DataFrame(trade, columns=trade_columns), pd.DataFrame(china))


def bloc_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """The bloc's KPIs per replication and year: masses summed over regions, shares from the sums."""
    if "recycled_cover" not in kpis:
        kpis = kpis.assign(recycled_cover=kpis["recycled_supply_t"] / kpis["demand_t"].where(kpis["demand_t"] > 0))
    masses = [c for c in BLOC_MASSES if c in kpis.columns]
    bloc = kpis.groupby(["replication", "year"], as_index=False)[masses].sum()
    for name, numerator, denominator in BLOC_SHARES:
        bloc[name] = bloc[numerator] / bloc[denominator].where(bloc[denominator] > 0)
    shares = [c for c in BLOC_DELIVERED_SHARES if c in kpis.columns]
    weighted = kpis[["replication", "year"]].assign(**{c: kpis[c].fillna(0) * kpis["delivered_t"] for c in shares})
    weighted = bloc[["replication", "year"]].merge(weighted.groupby(["replication", "year"], as_index=False).sum())
    for name in shares:
        bloc[name] = weighted[name] / bloc["delivered_t"].where(bloc["delivered_t"] > 0)
    return bloc.assign(region="bloc")


def check_world(world: World, record: CoupledRecord, replication: int) -> None:
    """Every region balances node by node, in mass and element by element, as a single-region run
    is checked, and every tonne of scrap traded leaves a region exactly as it arrives in another."""
    for code, params in world.regions.items():
        region = record.regions[code]
        n_years = params.end_year + 1 - params.start_year
        check(region.graph, region.flows, region.stocks, n_years, replication)
        check_elements(region.graph, region.element_flows, region.element_stocks, n_years, replication)
    for code in world.regions:
        sent_in = sum((sums for (_, d), sums in record.trade.items() if d == code), np.zeros(len(record.pool)))
        imported = record.regions[code].flows.get((SCRAP_IMPORT, SCRAP_STORE, "recycled"))
        arrived = imported.sum(axis=1) if imported is not None else np.zeros(len(record.pool))
        if not np.allclose(sent_in, arrived, rtol=1e-9, atol=1e-6):
            year = int(np.argmax(np.abs(sent_in - arrived)))
            raise AssertionError(f"world balance broken (replication {replication}): scrap sent to {code} in year "
                                 f"{year} of the run is {sent_in[year]:.6g} kg, arrived {arrived[year]:.6g} kg")
