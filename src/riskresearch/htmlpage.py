"""The pieces of the standalone HTML reports (arrears, monitoring, partners): one style sheet,
tables, embedded PNG figures and catalogue paragraphs, in the report's language
(:mod:`riskresearch.messages`). No Jupyter and no template engine needed."""

from __future__ import annotations

import base64
import html
from io import BytesIO

import numpy as np
import pandas as pd

from riskresearch.messages import column, current, t, translate_figure

__all__ = ["CSS", "header", "heading", "html_table", "paragraph", "png"]

#: The style sheet every standalone report embeds.
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
table.data { border-collapse: collapse; font-size: 12px; margin: 0.6em 0 1.2em; }
table.data th, table.data td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
table.data th { background: #f0f0f0; } p.note { color: #555; font-size: 13px; }
img { max-width: 100%; }
"""


def png(fig) -> str:
    """A matplotlib figure as an ``<img>`` tag with the PNG embedded (base64); its titles, axis
    labels and legends in the report's language."""
    translate_figure(fig)
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return (
        '<img alt="figure" src="data:image/png;base64,'
        + base64.b64encode(buf.getvalue()).decode("ascii")
        + '">'
    )


def html_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """``frame`` as an HTML table: numbers to ``digits`` decimals (thousands separated, whole
    from 1,000 on), dates as ``YYYY-MM-DD``, NaN blank, text escaped, headers in the report's
    language."""

    def fmt(v):
        if isinstance(v, float | np.floating):
            if not np.isfinite(v):
                return "" if np.isnan(v) else ("inf" if v > 0 else "-inf")
            return f"{v:,.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return str(v)

    shown = frame.copy()
    for c in shown.columns:
        shown[c] = shown[c].map(fmt)
    if current() != "en":  # headers in the report's language (unknown ones as they are)
        shown.columns = [header(c) for c in shown.columns]
    return shown.to_html(index=False, classes="data", border=0, escape=True)


def header(name) -> str:
    """A column name as the report's language heads it (the name itself when unknown)."""
    label = str(name).replace("_", " ")
    shown = column(label)
    return str(name) if shown == label else shown


def paragraph(key: str, note: bool = True, **values) -> str:
    """A paragraph of the catalogue, escaped (``class='note'`` unless ``note`` is False)."""
    css = " class='note'" if note else ""
    return f"<p{css}>{html.escape(t(key, **values))}</p>"


def heading(level: int, key: str, **values) -> str:
    """A heading of the catalogue, escaped."""
    return f"<h{level}>{html.escape(t(key, **values))}</h{level}>"
