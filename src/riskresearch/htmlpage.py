"""The pieces of the standalone HTML reports (arrears, monitoring, partners): one style sheet,
tables and embedded PNG figures. No Jupyter and no template engine needed."""

from __future__ import annotations

import base64
from io import BytesIO

import numpy as np
import pandas as pd

__all__ = ["CSS", "html_table", "png"]

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
    """A matplotlib figure as an ``<img>`` tag with the PNG embedded (base64)."""
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return (
        '<img alt="figure" src="data:image/png;base64,'
        + base64.b64encode(buf.getvalue()).decode("ascii")
        + '">'
    )


def html_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """``frame`` as an HTML table: numbers to ``digits`` decimals (thousands separated, whole
    from 1,000 on), dates as ``YYYY-MM-DD``, NaN blank, text escaped."""

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
    return shown.to_html(index=False, classes="data", border=0, escape=True)
