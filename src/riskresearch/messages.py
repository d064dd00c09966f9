"""The message catalogue of the reports: every fixed word of the model document and of the
standalone reports (monitoring, post-lease portfolio, partners) in English and in Chinese.

The catalogues are YAML files shipped with the package (``report/templates/messages-en.yaml``
and ``messages-zh-CN.yaml``), one per language, with the same keys and the same
``{placeholders}``:

- ``t(key, **values)``: a section title, a table caption, a fixed or generated sentence (numbers
  arrive already formatted, as placeholders), a status word;
- ``column(label)``: the header of a table column (the English label is the key; a label the
  catalogue lacks is shown as it is, as are feature names and data values);
- ``figure_text(text)``: a chart's title, axis label or legend entry. The ``figure`` section of
  a catalogue maps the English text a chart is drawn with (a template with placeholders, e.g.
  ``"KS, {sample} rows"``) to the language's; :func:`translate_figure` rewrites every text of
  a figure, so the plotting functions stay in one language;
- ``reason_text(text)``: why a part or a step was skipped, written in English by the module
  that decides it (``"needs the column partner_id"``); the ``reason`` section maps it (or its
  template) like ``figure``.

The language is chosen per report with :func:`language` (``report.language`` of a config,
``--language`` on the command line); English is the default.

Examples
--------
>>> from riskresearch.messages import language, t
>>> with language("zh-CN"):
...     t("document.contents")
'目录'
>>> t("document.contents")
'Contents'
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from riskresearch.errors import ConfigError

#: The report languages, English first (the default).
LANGUAGES = ("en", "zh-CN")
DEFAULT = "en"
_FOLDER = Path(__file__).parent / "report" / "templates"
_current: ContextVar[str] = ContextVar("riskresearch_report_language", default=DEFAULT)
#: Catalogue sections keyed by the English text rather than by a dotted key.
_BY_TEXT = ("columns", "figure", "reason")


def check_language(lang: Any, key: str = "report language") -> str:
    """``lang`` if it is a report language, else a one-line :class:`ConfigError`."""
    if lang not in LANGUAGES:
        raise ConfigError(
            f"The {key} must be one of {', '.join(repr(x) for x in LANGUAGES)}. Got {lang!r} "
            "instead."
        )
    return lang


def path(lang: str) -> Path:
    """The catalogue file of a language."""
    return _FOLDER / f"messages-{check_language(lang)}.yaml"


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tree.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict) and name not in _BY_TEXT:
            out.update(_flatten(v, name + "."))
        else:
            out[name] = v
    return out


@cache
def catalogue(lang: str) -> dict[str, Any]:
    """The messages of a language: dotted keys to texts; ``columns`` and ``figure`` map an
    English label or chart text to the language's."""
    tree = yaml.safe_load(path(lang).read_text(encoding="utf-8")) or {}
    flat = _flatten(tree)
    for section in _BY_TEXT:
        flat.setdefault(section, {})
    return flat


def current() -> str:
    """The language reports are written in now."""
    return _current.get()


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Write the reports of the ``with`` block in ``lang`` (None keeps the current one)."""
    token = _current.set(check_language(lang) if lang is not None else current())
    try:
        yield current()
    finally:
        _current.reset(token)


def template(key: str) -> str:
    """The raw text of a message (with its ``{placeholders}``) in the current language."""
    table = catalogue(current())
    try:
        text = table[key]
    except KeyError:
        raise KeyError(f"The message {key!r} is not in the {current()} catalogue.") from None
    if not isinstance(text, str):
        raise KeyError(f"The message {key!r} is a section of the catalogue, not a text.")
    return text


def t(key: str, /, **values: Any) -> str:
    """A message of the current language with its placeholders filled in."""
    text = template(key)
    return text.format(**values) if values else text


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` of a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def column(label: str) -> str:
    """A table column's header in the current language (the English label when the catalogue
    has none: feature names, data values)."""
    return catalogue(current())["columns"].get(label, label)


@cache
def _patterns(lang: str, section: str) -> list[tuple[re.Pattern, str]]:
    out = []
    for en, other in catalogue(lang)[section].items():
        if not placeholders(en):
            continue
        regex = ""
        for literal, name, _, _ in string.Formatter().parse(en):
            regex += re.escape(literal)
            if name is not None:
                regex += f"(?P<{name}>.+?)"
        out.append((len(re.sub(r"\{\w*\}", "", en)), re.compile(f"^{regex}$", re.S), other))
    # the most specific template first: "KS, {sample} rows" before "{sample} rows"
    out.sort(key=lambda x: -x[0])
    return [(regex, other) for _, regex, other in out]


def figure_text(text: str) -> str:
    """A chart text (title, axis label, legend entry) in the current language: the
    catalogue's translation of the English text, or of the English template it matches (the
    values in its placeholders kept, themselves translated when they are catalogue texts);
    other texts (feature names, tick values) as they are."""
    return _by_text("figure", text)


def reason_text(text: str | None) -> str | None:
    """Why a part or step was skipped, in the current language (the ``reason`` section of the
    catalogue; a reason it lacks stays as it is)."""
    return text if text is None else _by_text("reason", str(text))


def _by_text(section: str, text: str) -> str:
    lang = current()
    if lang == DEFAULT or not text:
        return text
    fixed = catalogue(lang)[section]
    if text in fixed and not placeholders(text):
        return fixed[text]
    for regex, other in _patterns(lang, section):
        m = regex.match(text)
        if m:
            return other.format(**{k: _by_text(section, v) for k, v in m.groupdict().items()})
    return text


def translate_figure(fig):
    """Rewrite every text of a matplotlib figure (titles, axis labels, legend entries) in the
    current language (:func:`figure_text`); returns the figure."""
    if current() == DEFAULT:
        return fig
    from matplotlib.text import Text

    for artist in fig.findobj(Text):
        text = artist.get_text()
        new = figure_text(text)
        if new != text:
            artist.set_text(new)
    return fig


def figure_texts(fig) -> list[str]:
    """Titles, axis labels and legend entries of a figure (what a reader reads on it; tick
    labels left out)."""
    out = [fig.get_suptitle()]
    for ax in fig.get_axes():
        out += [ax.get_title(loc) for loc in ("left", "center", "right")]
        out += [ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            out += [x.get_text() for x in legend.get_texts()]
    for legend in getattr(fig, "legends", []):
        out += [x.get_text() for x in legend.get_texts()]
    return [x for x in out if x]


__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "catalogue",
    "check_language",
    "column",
    "current",
    "figure_text",
    "figure_texts",
    "language",
    "placeholders",
    "reason_text",
    "t",
    "template",
    "translate_figure",
]
