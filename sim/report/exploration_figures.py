"""Figures of an exploration: the spread of an outcome under each lever against the target, and
the sensitivity indices of that outcome."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def draw(directory: Path, outcome: str, experiments: pd.DataFrame, outcomes: pd.DataFrame,
         sensitivity: pd.DataFrame, target: dict) -> list[Path]:
    """robustness.png (outcome by lever, with the target share when the outcome is the target
    metric) and sensitivity.png (indices of the outcome, by lever); needs matplotlib."""
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no display

    directory = Path(directory)
    written = []
    frame = experiments[["lever"]].join(outcomes[[outcome, "status"]])
    frame = frame[frame["status"] == "ok"]
    levers = list(dict.fromkeys(frame["lever"].astype(str)))
    fig = Figure(figsize=(max(5, 1.4 * len(levers)), 4))
    ax = fig.subplots()
    ax.boxplot([frame.loc[frame["lever"] == lever, outcome].dropna() for lever in levers], whis=(10, 90))
    ax.set_xticks(range(1, len(levers) + 1), levers)
    ax.set_ylabel(outcome)
    ax.set_title(f"{outcome} over the futures (whiskers P10-P90)")
    if target["share"] is not None and (outcome.startswith("recycled_content") or "content" in outcome):
        ax.axhline(target["share"], color="tab:red", linestyle="--", label=f"target {target['share']:g}")
        ax.legend()
    fig.tight_layout()
    written.append(directory / "robustness.png")
    fig.savefig(written[-1], dpi=120)

    rows = sensitivity[sensitivity["outcome"] == outcome]
    if len(rows):
        column = "ST" if rows["ST"].notna().any() else "S1"
        table = rows.pivot(index="uncertainty", columns="lever", values=column).fillna(0.0)
        table = table.loc[table.mean(axis=1).sort_values().index]
        fig = Figure(figsize=(7, 0.4 * len(table) + 1.5))
        ax = fig.subplots()
        table.plot.barh(ax=ax)
        ax.set_xlabel(f"{column} of {outcome}")
        fig.tight_layout()
        written.append(directory / "sensitivity.png")
        fig.savefig(written[-1], dpi=120)
    return written
