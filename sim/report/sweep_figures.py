"""Figures of sweeps: a heatmap of a KPI over two swept parameters with the target contour, and the
frontier table of a goal-seek (for each value of one parameter, the least of the other)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..config.units import ureg
from .figures import spans

#: cells are labelled with their values up to this many rows or columns
ANNOTATE_UP_TO = 12
#: columns of the sweep table that are shares (drawn in percent)
SHARE_COLUMNS = ("recycled_content", "recycled_content_post_consumer", "recycled_content_target_scope",
                 "target_share")
#: shares that a target share is measured against (the contour and the centre of the colour scale)
TARGET_COMPARABLE = SHARE_COLUMNS[:3]


def axis_values(values: pd.Series) -> np.ndarray | None:
    """Numbers that order a swept column: plain numbers, or quantities such as '1000 t/yr' in the
    unit of the first one; None when the column is categorical."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    try:
        quantities = [ureg.Quantity(v) for v in values]
        return np.array([q.to(quantities[0].units).magnitude for q in quantities], dtype=float)
    except Exception:
        return None


def varying(frame: pd.DataFrame) -> list[str]:
    """Swept columns (between `job` and `status`) that take more than one value."""
    swept = list(frame.columns[1:list(frame.columns).index("status")])
    return [c for c in swept if frame[c].astype(str).nunique() > 1]


def heatmap(frame: pd.DataFrame, sweep_dir: Path, x: str | None = None, y: str | None = None,
            kpi: str | None = None) -> Path:
    """heatmap_<kpi>.png in the sweep directory: the KPI over the (x, y) grid, failed points blank,
    the target share as a contour line; one panel per combination of any other swept columns."""
    # plots are optional; only this figure needs matplotlib
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    ok = frame[frame["status"] == "ok"]
    if ok.empty:
        raise ValueError("no successful job to draw")
    swept = varying(frame)
    x = x or (swept[0] if swept else None)
    y = y or next((c for c in swept if c != x), None)
    for axis, name in (("x", x), ("y", y)):
        if name is None or name not in frame.columns:
            raise ValueError(f"--{axis}: expected a swept column, one of {', '.join(swept) or '(none varies)'}")
    kpi = kpi or str(ok["target_metric"].iloc[0])
    if kpi not in frame.columns:
        raise ValueError(f"--kpi {kpi}: not a column of the sweep table")
    share = float(ok["target_share"].iloc[0])
    percent = kpi in SHARE_COLUMNS  # shares are drawn in percent, with the target in the colour scale
    scale = 100.0 if percent else 1.0
    values_all = ok[kpi].astype(float) * scale
    target = share * scale if kpi in TARGET_COMPARABLE and share == share else None  # NaN: no target
    low, high = colour_range(values_all, target)
    # red below the target, blue above
    norm = TwoSlopeNorm(vcenter=target, vmin=low, vmax=high) if target is not None else None
    others = [c for c in swept if c not in (x, y)]
    panels = list(ok.groupby(others, sort=False)) if others else [((), ok)]
    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(5.5 * columns, 4.5 * rows), layout="constrained")
    for index, (key, panel) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        grid = panel.pivot_table(index=y, columns=x, values=kpi, aggfunc="first", sort=False)
        grid = grid.reindex(index=_sorted(frame[y].dropna()), columns=_sorted(frame[x].dropna()))
        values = grid.to_numpy(dtype=float) * scale
        image = axes.imshow(values, origin="lower", aspect="auto", cmap="RdBu" if norm else "viridis", norm=norm,
                            vmin=None if norm else low, vmax=None if norm else high)
        axes.set_xticks(range(len(grid.columns)), [_label(v) for v in grid.columns], rotation=45, ha="right")
        axes.set_yticks(range(len(grid.index)), [_label(v) for v in grid.index])
        ordered = axis_values(pd.Series(grid.columns)) is not None and axis_values(pd.Series(grid.index)) is not None
        if (target is not None and ordered and min(values.shape) >= 2
                and np.nanmin(values) < target <= np.nanmax(values)):
            # in cell coordinates: the axes are evenly spaced in the order of the swept values
            contour = axes.contour(np.arange(values.shape[1]), np.arange(values.shape[0]), values,
                                   levels=[target], colors="black", linewidths=2)
            axes.clabel(contour, fmt=lambda _: f"target {target:g}{' %' if percent else ''}", fontsize=8)
        if max(values.shape) <= ANNOTATE_UP_TO:
            for (row, column), value in np.ndenumerate(values):
                if np.isfinite(value):
                    dark = norm is not None and abs(norm(value) - 0.5) > 0.3
                    axes.text(column, row, f"{value:.1f}" if percent else f"{value:.3g}", ha="center",
                              va="center", fontsize=7, color="white" if dark else "black")
        axes.set_xlabel(x)
        axes.set_ylabel(y)
        key = key if isinstance(key, tuple) else (key,)
        if others:
            axes.set_title(", ".join(f"{c}={v}" for c, v in zip(others, key)), fontsize=9)
        bar = figure.colorbar(image, ax=axes, label=f"{kpi} [%]" if percent else kpi)
        if target is not None:
            bar.ax.axhline(target, color="black", linewidth=2)
    figure.suptitle(heatmap_title(ok, kpi))
    path = Path(sweep_dir) / f"heatmap_{kpi}.png"
    figure.savefig(path, dpi=120)
    return path


def colour_range(values: pd.Series, target: float | None) -> tuple[float, float]:
    """The colour scale's limits: the values' range, widened to hold the target with a margin."""
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if target is None:
        return low, high
    low, high = min(low, target), max(high, target)
    pad = 0.05 * (high - low) if high > low else max(abs(target) * 0.05, 0.5)
    return min(low, target - pad), max(high, target + pad)


def heatmap_title(ok: pd.DataFrame, kpi: str) -> str:
    """'<kpi> in <year>' from the jobs' own target year, or 'in the target year' when it is swept."""
    years = sorted({int(v) for v in ok["target_year"]})
    when = f"in {years[0]}" if len(years) == 1 else f"in the target year (target.year swept: {spans(years)})"
    if kpi not in TARGET_COMPARABLE:
        return f"{kpi} {when}"
    share = float(ok["target_share"].iloc[0])
    if share != share:  # NaN: the scenarios have no target
        return f"{kpi} {when}, percent; no target"
    return f"{kpi} {when}, percent; target {100 * share:g} % (black contour)"


def _sorted(values: pd.Series) -> list:
    """Distinct values in numeric order when the column is numeric (or quantities), else as first seen."""
    distinct = list(dict.fromkeys(values))
    numbers = axis_values(pd.Series(distinct))
    return distinct if numbers is None else [distinct[i] for i in np.argsort(numbers, kind="stable")]


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def frontier_markdown(frontier: pd.DataFrame) -> str:
    """The frontier as a Markdown table: for each value of the outer parameter, the least value of
    the sought one that meets the target, or 'unreachable' with what binds at the top of its range."""
    outer, sought = frontier.attrs["over"], frontier.attrs["parameter"]
    lines = [f"| {outer} | least {sought} | {frontier.attrs['metric']} at it | binding at the top of the range |",
             "| ---: | ---: | ---: | --- |"]
    for _, row in frontier.iterrows():
        if row["reachable"]:
            least, metric = f"{row['value']:.4g}", f"{row['kpi_at_value']:.4f}"
        else:
            least, metric = "unreachable", f"{row['kpi_at_high']:.4f} at {row['high']:g}"
        lines.append(f"| {_label(row[outer])} | {least} | {metric} | {row['binding_at_high']} |")
    return "\n".join(lines) + "\n"
