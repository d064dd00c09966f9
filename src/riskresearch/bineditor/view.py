"""What the bin editor draws: the bar (share) and line (bad rate) chart of a feature's bins,
and its bins table as HTML. Figures use matplotlib's object API (no pyplot, headless)."""

from __future__ import annotations

import html
import io

import numpy as np
import pandas as pd

from riskresearch.plots import Figure
from riskresearch.woe import FeatureBins

SHARE_COLOR, OTHER_COLOR, RATE_COLOR = "tab:blue", "tab:gray", "tab:red"


def bin_chart(fb: FeatureBins, table: pd.DataFrame, title: str) -> Figure:
    """Share of rows per bin as bars (Special and Missing in grey) and the bad rate as a line
    on the right axis; each bar labelled with its share and count.

    Parameters
    ----------
    fb : FeatureBins
    table : DataFrame
        :meth:`BinEditor.table` of the feature (the ``Total`` row is left out).
    title : str
    """
    tab = table.drop(index="Total", errors="ignore")
    n = len(tab)
    wide = n > 6  # long labels: slanted
    width = max(7.0, 0.95 * n) + (0.6 if wide else 0.0)
    fig = Figure(figsize=(width, 3.9 if wide else 3.3), dpi=100)
    # fixed margins: a constrained layout would take longer than the refit itself
    left = (1.4 if wide else 0.75) / width
    fig.subplots_adjust(left=left, right=1 - 0.75 / width, top=0.9, bottom=0.3 if wide else 0.12)
    ax = fig.add_subplot()
    pos = np.arange(n)
    share = tab["share"].to_numpy(dtype=float)
    count = tab["count"].to_numpy(dtype=float)
    colors = [SHARE_COLOR] * fb.n_regular + [OTHER_COLOR] * (n - fb.n_regular)
    bars = ax.bar(pos, share, color=colors, alpha=0.75)
    ax.bar_label(
        bars, labels=[f"{s:.0%}\nn={c:,.0f}" if c else "" for s, c in zip(share, count)], fontsize=8
    )
    ax.set_ylabel("share of rows (bars)", color=SHARE_COLOR)
    ax.set_ylim(0, max(0.05, float(share.max()) * 1.3))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    labels = [
        f"{i}: {_short(lab)}" if isinstance(i, int | np.integer) else f"{lab} {note}".strip()
        for i, lab, note in zip(tab.index, tab["bin"], tab["note"])
    ]
    ax.set_xticks(
        pos,
        labels,
        rotation=25 if wide else 0,
        ha="right" if wide else "center",
        rotation_mode="anchor" if wide else "default",
    )
    ax.tick_params(axis="x", labelsize=8)
    rate = ax.twinx()
    shown = count > 0
    rate.plot(
        pos[shown],
        tab["bad_rate"].to_numpy(dtype=float)[shown],
        color=RATE_COLOR,
        marker="o",
    )
    rate.set_ylabel("bad rate (line)", color=RATE_COLOR)
    rate.set_ylim(bottom=0)
    rate.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_title(title, fontsize=10, loc="left")  # the axis labels say bars and line: no legend
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def table_html(table: pd.DataFrame) -> str:
    """The bins table as a compact HTML table (shares and bad rates in %, Special, Missing
    and Total rows in grey)."""
    head = ["bin", "range / categories", "count", "share", "bad rate", "WoE", "IV", ""]
    style = "padding:2px 8px;text-align:right;border-bottom:1px solid #ddd;white-space:nowrap"
    rows = []
    for i, r in table.iterrows():
        grey = "" if isinstance(i, int | np.integer) else "color:#666;"
        cells = [
            str(i),
            html.escape(_short(str(r["bin"]), 60)),
            f"{r['count']:,.0f}",
            f"{r['share']:.1%}",
            "" if pd.isna(r["bad_rate"]) else f"{r['bad_rate']:.2%}",
            "" if pd.isna(r["woe"]) else f"{r['woe']:+.3f}",
            f"{r['iv'] + 0.0:.4f}",  # + 0.0: an empty bin's -0.0 shows as 0.0000
            html.escape(str(r["note"])),
        ]
        rows.append(
            "<tr>"
            + "".join(
                f'<td style="{style};{grey}{"text-align:left" if k == 1 else ""}">{c}</td>'
                for k, c in enumerate(cells)
            )
            + "</tr>"
        )
    header = "".join(f'<th style="{style}">{h}</th>' for h in head)
    return (
        '<table style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
