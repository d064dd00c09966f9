"""The pieces of the model document: formatted numbers, tables, figures and text blocks.

Every number reaches the page through this module, so the whole document formats alike:
counts as integers with thousands separators (``12,432``), money without exponent
(``-16,200,584``), rates as percentages (``8.48%``), other numbers with a fixed number of
decimals per column. Text is escaped; only the literal HTML of this package's own templates
and :func:`html` (which escapes every value it is given) reaches the page unescaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from riskresearch.messages import column, figure_texts, reason_text, t, translate_figure
from riskresearch.messages import template as message

#: Tables with more rows than this are collapsed into ``<details>`` (click to open).
COLLAPSE_ROWS = 25
#: Resolution of the embedded PNG figures.
DPI = 100
DASH = "–"


# ------------------------------------------------------------------------------------------
# numbers
# ------------------------------------------------------------------------------------------
def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float | np.floating) and math.isnan(x))
    except TypeError:
        return False


def count(x: Any) -> str:
    """An integer count with thousands separators (a weighted count is rounded)."""
    if _missing(x):
        return DASH
    if math.isinf(float(x)):
        return "∞" if x > 0 else "−∞"
    return f"{round(float(x)):,}"


def num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals and thousands separators."""
    if _missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:,.{digits}f}"
    return text.lstrip("-") if not text.strip("-0.,") else text  # no "-0.000"


def sig(x: Any, digits: int = 4) -> str:
    """A number to ``digits`` significant digits, never an exponent, for columns whose rows
    differ in scale (``0.0213``, ``14,086``, ``6,787,340``)."""
    if _missing(x):
        return DASH
    x = float(x)
    if x == 0 or math.isinf(x):
        return num(x, 0)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = num(x, decimals)
    return text.rstrip("0").rstrip(".") if decimals else text


def money(x: Any) -> str:
    """An amount of money: whole units with thousands separators, never an exponent."""
    return num(x, 0)


def pct(x: Any, digits: int = 2) -> str:
    """A share or rate in [0, 1] as a percentage."""
    if _missing(x):
        return DASH
    return f"{100 * float(x):.{digits}f}%"


def month(x: Any) -> str:
    """A date as its month in the report's language: ``2025-03``, ``2025年3月``."""
    if _missing(x):
        return DASH
    stamp = pd.Timestamp(x)
    return t("format.month", year=stamp.year, month=stamp.month)


def date(x: Any) -> str:
    """A day in the report's language: ``2025-12-07``, ``2025年12月7日``."""
    if _missing(x):
        return DASH
    stamp = pd.Timestamp(x)
    return t("format.date", year=stamp.year, month=stamp.month, day=stamp.day)


def yes_no(x: Any) -> str:
    """A truth value as a word of the report's language."""
    return DASH if _missing(x) else t("format.word_yes" if x else "format.word_no")


def plain_number(x: float) -> str:
    """A number in full, as written by hand: thousands separators, no exponent, every digit
    of its shortest repr (``1.64981e+06`` -> ``1,649,810``, ``0.0586625`` -> ``0.0586625``,
    ``-inf`` -> ``−∞``)."""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    whole, _, frac = np.format_float_positional(float(x), trim="-").partition(".")
    whole = f"{int(whole):,}" if whole not in ("-0", "0") else whole.lstrip("-")
    return f"{'-' if x < 0 and whole == '0' else ''}{whole}{'.' + frac if frac else ''}"


_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])\s*$")


def bin_label(label: Any) -> str:
    """A numeric bin's interval label without exponents: ``[22324.5, 1.64981e+06)`` ->
    ``[22,324.5 to 1,649,810)``; other labels (categories, Special, Missing) as they are."""
    text = str(label)
    m = _INTERVAL.match(text)
    if not m:
        return text
    try:
        lo, hi = float(m.group(2)), float(m.group(3))
    except ValueError:
        return text
    span = t("format.range", low=plain_number(lo), high=plain_number(hi))
    return f"{m.group(1)}{span}{m.group(4)}"


def interval(est: float, lo: float, hi: float, digits: int = 3) -> str:
    """``0.812 (0.805 to 0.819)``."""
    if _missing(est):
        return DASH
    if _missing(lo) or _missing(hi):
        return num(est, digits)
    return t("format.interval", value=num(est, digits), low=num(lo, digits), high=num(hi, digits))


def signed(x: Any, digits: int = 3) -> str:
    """A difference with its sign, ``+0.012``."""
    if _missing(x):
        return DASH
    return f"{float(x):+,.{digits}f}"


#: Column names (or their last word) that hold counts.
_COUNT_WORDS = {
    "n",
    "rows",
    "count",
    "bads",
    "goods",
    "good",
    "bad",
    "events",
    "episodes",
    "defaults",
    "applications",
    "approved",
    "leases",
    "contracts",
    "transitions",
    "cures",
    "cured",
    "written_off",
    "write_offs",
    "removed",
    "distinct",
    "accepted",
    "declined",
    "splits",
    "n_bins",
    "step",
    "rank",
    "band",
    "severity",
    "months",
    "term_ends",
    "bought_out",
    "returned",
    "returned_late",
    "overdue",
    "recovered_devices",
    "unseen_rows",
    "observed_rows",
    "redefaulted",
    "cures_followed",
    "test_rows",
    "train_rows",
    "n_accepted",
    "n_declined",
}
#: Column names (or parts) that hold money.
_MONEY_WORDS = (
    "ead",
    "loss",
    "cash",
    "recovered",
    "resale",
    "cost",
    "net",
    "outstanding",
    "balance",
    "profit",
    "price",
    "value",
    "contract_value",
    "income",
    "revenue",
    "capital",
)
_RATE = re.compile(
    r"(^|_)(rate|share|pct|recall|precision|pd|lgd|declined|approved|cure)(_|$)|_rate_|^cum_|_to_"
)


def column_format(name: str, values: pd.Series) -> Callable[[Any], str]:
    """The formatter a column gets by its name and values (see the module docstring)."""
    s = values.dropna()
    if pd.api.types.is_bool_dtype(values) or (
        len(s) and all(isinstance(v, bool | np.bool_) for v in s)
    ):
        return yes_no
    if pd.api.types.is_datetime64_any_dtype(values):
        days = s.dt.day.eq(1).all() if len(s) else True
        return month if days else date
    numeric = pd.to_numeric(s, errors="coerce") if s.dtype == object else s
    if not len(s) or not pd.api.types.is_numeric_dtype(numeric) or numeric.isna().any():
        # text: as it is, but the words our own modules write in English (a role, a reason)
        # in the report's language (catalogue section 'reason'); data values stay as they are
        return lambda v: DASH if _missing(v) else reason_text(str(v))
    key = name.lower()
    last = key.split("_")[-1]
    x = numeric.to_numpy(dtype=float)
    finite = x[np.isfinite(x)]
    whole = bool(len(finite)) and bool(np.all(np.abs(finite - np.round(finite)) < 1e-6))
    if key in _COUNT_WORDS or last in {"n", "rows", "count", "bads", "goods", "episodes"}:
        return count if whole or key in _COUNT_WORDS else (lambda v: num(v, 1))
    if _RATE.search(key) and len(finite) and np.nanmax(np.abs(finite)) <= 1.0 + 1e-9:
        return pct
    if any(w == key or key.startswith(w + "_") or key.endswith("_" + w) for w in _MONEY_WORDS):
        big = len(finite) and np.nanmax(np.abs(finite)) >= 100
        return money if big else (lambda v: num(v, 3))
    if whole and key not in {"coefficient", "woe", "iv"}:
        return count
    biggest = float(np.nanmax(np.abs(finite))) if len(finite) else 0.0
    if biggest >= 1000:
        return money
    if biggest >= 100:
        return lambda v: num(v, 1)
    return lambda v: num(v, 4 if key in {"iv", "coefficient", "psi", "csi"} else 3)


# ------------------------------------------------------------------------------------------
# blocks of the document
# ------------------------------------------------------------------------------------------
def html(template: str, *args: Any, **kwargs: Any) -> Markup:
    """Literal HTML with every value escaped: ``html("<code>{}</code>", name)``."""
    return Markup(template).format(*args, **kwargs)


def html_t(key: str, /, **values: Any) -> Markup:
    """A catalogue message holding literal HTML, every value escaped."""
    return html(message(key), **values)


@dataclass
class Text:
    """A paragraph (``note`` ones are smaller and grey)."""

    body: Markup | str
    note: bool = False
    kind: str = "text"


@dataclass
class Items:
    """A bulleted list."""

    items: list[Markup | str]
    kind: str = "items"


@dataclass
class Facts:
    """Label / value pairs (the cover's fact sheet)."""

    items: list[tuple[str, Markup | str]]
    kind: str = "facts"


@dataclass
class Code:
    """Commands a reader types (monospace, copied as they are)."""

    text: str
    collapsed: bool = False
    summary: str = ""
    kind: str = "code"


@dataclass
class Heading:
    """A heading inside a section (not numbered, no contents entry)."""

    text: str
    kind: str = "heading"


@dataclass
class Table:
    """A formatted table: every cell is already text."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    caption: str | None = None
    collapsed: bool = False
    summary: str = ""
    css: str = ""
    ident: str | None = None
    kind: str = "table"


@dataclass
class Image:
    """An embedded PNG figure."""

    uri: str
    alt: str
    caption: str | None = None
    ident: str | None = None
    texts: list[str] = field(default_factory=list)
    kind: str = "image"


@dataclass
class Section:
    """A numbered section of the document and its subsections."""

    ident: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    number: str = ""

    def add(self, *blocks: Any) -> Section:
        self.blocks.extend(b for b in blocks if b is not None)
        return self

    def sub(self, ident: str, title: str, *blocks: Any) -> Section:
        child = Section(f"{self.ident}-{ident}", title, [b for b in blocks if b is not None])
        self.subsections.append(child)
        return child


def number_sections(sections: Sequence[Section], prefix: str = "") -> None:
    """Give every section its number (``3``, ``3.2``) in document order."""
    for i, s in enumerate(sections, start=1):
        s.number = f"{prefix}{i}"
        number_sections(s.subsections, f"{s.number}.")


def table(
    frame: pd.DataFrame,
    caption: str | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    labels: Mapping[str, str] | None = None,
    collapse: bool | None = None,
    summary: str | None = None,
    css: str = "",
    ident: str | None = None,
) -> Table:
    """A DataFrame as a formatted :class:`Table` (its index is dropped: reset it first to keep
    it). Long tables (more than :data:`COLLAPSE_ROWS` rows) are collapsed unless ``collapse``
    says otherwise."""
    formats = dict(formats or {})
    labels = dict(labels or {})
    columns = [str(c) for c in frame.columns]
    fmts = [formats.get(c) or column_format(c, frame[c]) for c in frame.columns]
    rows = [[f(v) for f, v in zip(fmts, row)] for row in frame.itertuples(index=False, name=None)]
    numeric = []
    for c in frame.columns:
        s = frame[c].dropna()
        numeric.append(
            bool(len(s)) and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        )
    collapsed = len(rows) > COLLAPSE_ROWS if collapse is None else collapse
    return Table(
        columns=[column(labels.get(c, c.replace("_", " "))) for c in columns],
        rows=rows,
        numeric=numeric,
        caption=caption,
        collapsed=collapsed,
        summary=summary
        or (
            t("format.caption_rows", caption=caption, n=count(len(rows)))
            if caption
            else t("format.rows", n=count(len(rows)))
        ),
        css=css,
        ident=ident,
    )


def image(fig, alt: str, caption: str | None = None, ident: str | None = None) -> Image:
    """A matplotlib Figure as an embedded PNG (nothing is shown or left open), its titles,
    axis labels and legend in the report's language (kept in ``texts``)."""
    translate_figure(fig)
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return Image(uri=uri, alt=alt, caption=caption, ident=ident, texts=figure_texts(fig))


def today() -> str:
    """The build date (UTC), ``2025-12-07``."""
    return dt.datetime.now(dt.UTC).date().isoformat()


def words(values: Sequence[Any], last: str = "and") -> str:
    """``a, b and c`` (``last``: ``"and"`` or ``"or"``), in the report's language."""
    values = [str(v) for v in values]
    if len(values) <= 1:
        return "".join(values)
    head = t("format.separator").join(values[:-1])
    return t(f"format.list_{last}", head=head, last=values[-1])


def plain(value: Any) -> str:
    """A config value as a reader writes it: ``true``, ``consumer``, ``[0.5, 0.7]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(plain(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = [
    "Code",
    "Facts",
    "Heading",
    "Image",
    "Items",
    "Section",
    "Table",
    "Text",
    "count",
    "date",
    "escape",
    "html",
    "html_t",
    "image",
    "interval",
    "money",
    "num",
    "number_sections",
    "pct",
    "plain",
    "sig",
    "signed",
    "table",
    "today",
    "words",
    "yes_no",
]
