"""What a coupled run writes: the tables with a `region` column, the trade and China tables, and
summary.md with the bloc's answer by year (how much of what China withholds its recycling covers)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from ..analysis.world import WorldResult
from .summary import pct, tonnes

TABLES = ("kpis", "flows", "stocks", "trade", "china")


def cover_table(result: WorldResult) -> pd.DataFrame:
    """The bloc by year (means over replications): China's magnets asked and delivered (the pool's
    allotment less what the destinations' licences held back), what is withheld, the bloc's
    shortage and recycled supply, and the share of the withheld magnets and of demand that
    recycling covers."""
    china = result.china.groupby(["replication", "year"])[["asked_t", "licensed_t"]].sum().groupby("year").mean()
    china = china.rename(columns={"licensed_t": "delivered_t"})  # what arrived: the allotment its licences passed
    bloc = result.kpis[result.kpis["region"] == "bloc"].groupby("year")[
        ["demand_t", "shortage_t", "recycled_supply_t"]].mean()
    table = china.join(bloc)
    table["withheld_t"] = table["asked_t"] - table["delivered_t"]
    table["recycled_over_withheld"] = table["recycled_supply_t"] / table["withheld_t"].where(table["withheld_t"] > 1e-6)
    table["recycled_over_demand"] = table["recycled_supply_t"] / table["demand_t"].where(table["demand_t"] > 0)
    return table.reset_index()


def render(result: WorldResult) -> str:
    world, pool = result.world, result.world.pool
    names = ", ".join(p.region.name for p in world.regions.values())
    cut = (f"China cuts its exports to the bloc by {pct(pool.cut_share)} from {pool.cut_from}"
           if pool.cut_share > 0 else "no cut of China's exports")
    lines = [f"# {world.name}: {names}; {cut}", ""]
    licensed = [f"{code} ({', '.join(dict.fromkeys(e for lic in p.policy.licences for e in lic.elements))})"
                for code, p in world.regions.items() if p.policy.licences]
    if licensed:
        lines += [f"China's export licences (each region's policy.licences): {'; '.join(licensed)}. They cut "
                  "the controlled lots of the pool's allotment: `China delivered` below is what they let "
                  "through.", ""]
    table = cover_table(result)
    first = next(iter(world.regions.values()))
    years = sorted({*range(first.start_year, first.end_year + 1, 5), first.end_year,
                    *([pool.cut_from] if first.start_year <= pool.cut_from <= first.end_year else [])})
    lines += ["## What the bloc's recycling covers", "",
              "| year | China asked | China delivered | withheld | bloc shortage | bloc recycled supply | "
              "recycled / withheld | recycled / demand |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for _, row in table[table["year"].isin(years)].iterrows():
        over = "-" if pd.isna(row["recycled_over_withheld"]) else pct(row["recycled_over_withheld"])
        lines.append(f"| {int(row['year'])} | {tonnes(row['asked_t'])} | {tonnes(row['delivered_t'])} | "
                     f"{tonnes(row['withheld_t'])} | {tonnes(row['shortage_t'])} | "
                     f"{tonnes(row['recycled_supply_t'])} | "
                     f"{over} | {pct(row['recycled_over_demand'])} |")
    lines += ["", "China asked: each region's China share of the magnets it needs; withheld: what the pool did "
              "not deliver or the licences held back; recycled / withheld: the bloc's recycled magnets over what "
              "China withheld.", ""]
    kpis = result.kpis.groupby(["region", "year"], sort=False).mean(numeric_only=True)
    lines += ["## By region", "", "| region | year | demand | shortage | recycled supply | post-consumer content |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for code in [*world.regions, "bloc"]:
        for year in years:
            row = kpis.loc[(code, year)]
            content = row.get("recycled_content_post_consumer")
            lines.append(f"| {code} | {year} | {tonnes(row['demand_t'])} | {tonnes(row['shortage_t'])} | "
                         f"{tonnes(row['recycled_supply_t'])} | {'-' if pd.isna(content) else pct(content)} |")
    runs = max(result.trade["replication"].nunique(), 1)
    traded = {m: float(result.trade.loc[result.trade["material"] == m, "mass_t"].sum()) / runs
              for m in ("scrap", "oxide")}
    lines += ["", f"Traded between the regions over the run: {tonnes(traded['scrap'])} of scrap, "
              f"{tonnes(traded['oxide'])} of separated oxide.", "",
              "Tables: kpis.csv (a `region` column; `bloc` is their sum), flows.csv, stocks.csv, trade.csv, "
              "china.csv.", ""]
    return "\n".join(lines)


def write_world(result: WorldResult, directory: Path) -> list[Path]:
    """The tables and summary.md, written into a hidden folder beside `directory` first and moved
    into place, so a failed write leaves no partial result."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    home = directory.resolve()
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.writing-", dir=home.parent))
    try:
        names = []
        for name in TABLES:
            getattr(result, name).to_csv(staging / f"{name}.csv", index=False)
            names.append(f"{name}.csv")
        (staging / "summary.md").write_text(render(result))
        names.append("summary.md")
        for name in names:
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [directory / name for name in names]
