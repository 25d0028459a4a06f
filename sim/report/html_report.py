"""report.html: one self-contained page (summary, interactive figures, tables, provenance) for a run,
a comparison, a sweep or an exploration. plotly.js is inlined once per page, so it opens offline."""

from __future__ import annotations

import html
import importlib.util
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

NAME = "report.html"
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 1.5em 3em; color: #222; line-height: 1.45; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: .5em 0; }
nav a { margin-right: 1.2em; color: #2c5d8f; text-decoration: none; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-bottom: 1px solid #eee; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; } th { background: #f4f4f4; }
th, td { text-align: left; } table.numbers td { text-align: right; } table.numbers td:first-child { text-align: left; }
.figure { width: 100%; min-height: 420px; margin: 1em 0; }
.scroll { overflow-x: auto; } details pre { font-size: .8em; background: #f8f8f8; padding: 1em; }
"""


@dataclass
class Section:
    """A part of the page: a heading, HTML (text or tables) and plotly figures ({"data", "layout"})."""

    title: str
    html: str = ""
    figures: Sequence[Mapping] = field(default_factory=list)


def plotly_js() -> str | None:
    """plotly.js as shipped with the plotly package, read without importing plotly (fast); None
    without the `plots` extra."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    script = Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"
    return script.read_text(encoding="utf-8") if script.exists() else None


def markdown_html(text: str) -> str:
    """Markdown (summary.md, compare.md) as HTML; as preformatted text without the markdown package."""
    if importlib.util.find_spec("markdown") is None:
        return f"<pre>{html.escape(text)}</pre>"
    import markdown

    return markdown.markdown(text, extensions=["tables"])


def table_html(frame: pd.DataFrame, float_format: str = "{:,.4g}") -> str:
    """A table as HTML; numbers formatted, in a horizontally scrolling box."""
    body = frame.to_html(index=False, border=0, na_rep="", escape=True, classes="numbers",
                         float_format=lambda v: float_format.format(v))
    return f'<div class="scroll">{body}</div>'


def provenance_html(provenance: Mapping[str, object]) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in provenance.items() if k != "config")
    text = f"<table>{rows}</table>"
    if "config" in provenance:
        config = json.dumps(provenance["config"], indent=2, default=str)
        text += f"<details><summary>resolved config</summary><pre>{html.escape(config)}</pre></details>"
    return text


def _json(value) -> str:
    """JSON for an inline script: NaN as null, and no '</' that would close the script element."""
    return json.dumps(_finite(value), default=str).replace("</", "<\\/")


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _finite(value.item())
    return value


def write_page(path: Path, title: str, sections: Sequence[Section], provenance: Mapping[str, object],
               shared_script: Path | None = None) -> Path | None:
    """Write the page (atomically); None, and nothing written, without plotly.js.

    shared_script: instead of inlining plotly.js, write it once to this file (if it is not there
    yet) and load it by its relative path: for the many pages of one sweep, which then stay
    offline as long as they are kept together.
    """
    script = plotly_js()
    if script is None:
        return None
    path = Path(path)
    if shared_script is not None:
        shared_script = Path(shared_script)
        if not shared_script.is_file():
            _write_atomically(shared_script, script)
        relative = os.path.relpath(shared_script, path.parent).replace(os.sep, "/")
        loader = f'<script src="{html.escape(relative)}"></script>'
    else:
        loader = f"<script>{script}</script>"
    sections = [*sections, Section("Provenance", provenance_html(provenance))]
    nav = "".join(f'<a href="#s{i}">{html.escape(s.title)}</a>' for i, s in enumerate(sections))
    parts, plots = [], []
    for i, section in enumerate(sections):
        parts.append(f'<section id="s{i}"><h2>{html.escape(section.title)}</h2>{section.html}')
        for figure in section.figures:
            div = f"figure{len(plots)}"
            parts.append(f'<div class="figure" id="{div}"></div>')
            plots.append({"id": div, "data": figure["data"], "layout": figure.get("layout", {})})
        parts.append("</section>")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>\n{loader}</head>\n"
            f"<body><h1>{html.escape(title)}</h1><nav>{nav}</nav>\n" + "\n".join(parts) + "\n"
            f"<script>for (const p of {_json(plots)}) "
            "Plotly.newPlot(p.id, p.data, p.layout, {responsive: true, displaylogo: false});</script>\n"
            "</body></html>\n")
    _write_atomically(path, page)
    return path


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file of this process, so that concurrent writers never leave a
    partial file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
