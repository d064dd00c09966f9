"""The bin editor's JupyterLab front end: ipywidgets over :class:`BinEditor`'s operations.

Every button calls one editor method and redraws; a refused edit shows the editor's one-line
message under the controls. Nothing here computes bins or statistics.
"""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as w

from riskresearch.bineditor import view
from riskresearch.errors import RiskResearchError
from riskresearch.release import display_path
from riskresearch.woe import CATEGORICAL

OWN_BIN = ("its own bin", -1)  # the Missing/Special pickers' choice of no assignment


class BinEditorUI:
    """The widget of a :class:`~riskresearch.bineditor.BinEditor` (``editor.ui()``).

    Displaying it in JupyterLab shows: a feature picker (highest IV first; ★ = in the
    scorecard, ✎ = overridden), the feature's and the refitted scorecard's figures, the bins
    table and chart, the edit controls (merge, split or move a category; where the Missing and
    Special values go; reset), the override's reason and a button that saves the overrides
    into the config file. The controls are attributes, so the UI can be driven from Python.

    Parameters
    ----------
    editor : BinEditor
    """

    def __init__(self, editor):
        self.editor = editor
        self._busy = False
        layout = w.Layout(width="auto", align_self="flex-start")
        self.feature = w.Dropdown(description="Feature", layout=w.Layout(width="520px"))
        self.info = w.HTML()
        self.model = w.HTML()
        self.table = w.HTML(layout=w.Layout(flex="0 0 auto", margin="0 24px 0 0"))
        # full width at most, never stretched: a chart to read, not a thumbnail
        self.chart = w.Image(
            format="png",
            layout=w.Layout(max_width="100%", height="auto", object_fit="contain"),
        )
        self.bin = w.Dropdown(description="Bin", layout=w.Layout(width="330px"))
        self.merge = w.Button(description="Merge with next bin", layout=layout)
        self.split_at = w.Text(
            description="Split at", placeholder="a value inside the range", continuous_update=False
        )
        self.split = w.Button(description="Split", layout=layout)
        self.category = w.Dropdown(description="Category", layout=w.Layout(width="330px"))
        self.group = w.Dropdown(description="to group", layout=w.Layout(width="330px"))
        self.move = w.Button(description="Move", layout=layout)
        self.missing_to = w.Dropdown(description="Missing →", layout=w.Layout(width="330px"))
        self.special_to = w.Dropdown(description="Special →", layout=w.Layout(width="330px"))
        self.reset = w.Button(description="Reset to optimal", layout=layout)
        self.reselect = w.Button(
            description="Select features again",
            tooltip="the config's selection on the current bins (a few seconds)",
            layout=layout,
        )
        self.reason = w.Textarea(
            description="Reason",
            placeholder="why this override (saved with it in the config and binning.json)",
            continuous_update=False,
            layout=w.Layout(width="520px", height="56px"),
        )
        self.save = w.Button(
            description="Save overrides to config", button_style="primary", layout=layout
        )
        self.status = w.HTML()
        self.numeric_row = w.VBox(
            [w.HBox([self.bin, self.merge]), w.HBox([self.split_at, self.split])]
        )
        self.category_row = w.VBox([self.category, w.HBox([self.group, self.move])])
        controls = w.VBox(
            [
                self.numeric_row,
                self.category_row,
                w.HBox([self.missing_to, self.special_to]),
                w.HBox([self.reset, self.reselect]),
                self.reason,
                self.save,
                self.status,
            ],
            layout=w.Layout(flex="1 1 420px", min_width="420px"),
        )
        self.widget = w.VBox(
            [
                w.HBox([self.feature, self.info]),
                self.model,
                self.chart,
                w.HBox(
                    [self.table, controls],
                    layout=w.Layout(flex_flow="row wrap", align_items="flex-start"),
                ),
            ]
        )
        self.feature.observe(self._on_feature, names="value")
        self.merge.on_click(lambda _: self._edit(self._merge))
        self.split.on_click(lambda _: self._edit(self._split))
        self.move.on_click(lambda _: self._edit(self._move))
        self.reset.on_click(lambda _: self._edit(lambda f: self.editor.reset(f)))
        self.reselect.on_click(lambda _: self._edit(lambda f: self.editor.reselect()))
        self.missing_to.observe(lambda ch: self._assign("missing", ch), names="value")
        self.special_to.observe(lambda ch: self._assign("special", ch), names="value")
        self.reason.observe(self._on_reason, names="value")
        self.save.on_click(lambda _: self._save())
        self._fill_features()
        self._show()

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- actions ---------------------------------------------------------------------------
    def _merge(self, feature: str) -> None:
        b = self.bin.value
        self.editor.merge(feature, b, b + 1)

    def _split(self, feature: str) -> None:
        self.editor.split(feature, self.split_at.value.strip())

    def _move(self, feature: str) -> None:
        self.editor.move(feature, self.category.value, self.group.value)

    def _edit(self, action) -> None:
        feature = self.feature.value
        start = time.perf_counter()
        try:
            action(feature)
        except RiskResearchError as exc:
            self._say(str(exc), error=True)
            return
        self._fill_features()
        self._show()
        self._say(f"Updated in {time.perf_counter() - start:.2f} s.")

    def _assign(self, which: str, change) -> None:
        if self._busy:
            return
        value = None if change["new"] == OWN_BIN[1] else change["new"]
        self._edit(lambda f: self.editor.assign(f, which, value))

    def _on_reason(self, change) -> None:
        if self._busy:
            return
        try:
            self.editor.set_reason(self.feature.value, change["new"])
        except RiskResearchError as exc:
            self._say(str(exc), error=True)
            return
        self._say("Reason noted; save to write it into the config.")

    def _save(self) -> None:
        try:
            path = self.editor.save()
        except RiskResearchError as exc:
            self._say(str(exc), error=True)
            return
        n = len(self.editor.to_overrides())
        shown = display_path(path, self.editor.cfg)  # relative to the project, like notebooks
        self._say(f"Saved {n} override{'s' if n != 1 else ''} to {shown}.")

    def _on_feature(self, change) -> None:
        if not self._busy:
            self._show()
            self._say("")

    # -- drawing ---------------------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        color = "#b00020" if error else "#333"
        self.status.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _fill_features(self) -> None:
        rows = self.editor.features()
        options = [
            (
                f"{'★' if r.selected else '  '} {r.feature}  ·  IV {r.iv:.3f}"
                + ("  ✎" if r.source == "override" else ""),
                r.feature,
            )
            for r in rows.itertuples()
        ]
        current = self.feature.value
        self._busy = True
        try:
            self.feature.options = options
            self.feature.value = current if current in rows.feature.values else options[0][1]
        finally:
            self._busy = False

    def _show(self) -> None:
        ed, feature = self.editor, self.feature.value
        fb = ed.bins[feature]
        summary = ed.summary(feature)
        self._busy = True
        try:
            trend = "" if fb.dtype == CATEGORICAL else f" · {summary['monotonic']}"
            self.info.value = (
                f"<b>IV {summary['iv']:.4f}</b> · {summary['n_bins']} bins{trend} · "
                f"{summary['source']}" + (" · in the scorecard" if summary["selected"] else "")
            )
            self.model.value = _model_html(ed.model)
            table = ed.table(feature)
            self.table.value = view.table_html(table)
            fig = ed.chart(feature)
            self.chart.value = view.png(fig)
            self.chart.layout.width = f"{round(fig.get_figwidth() * fig.dpi)}px"  # its own size
            regular = [(f"{i}: {table.loc[i, 'bin']}", i) for i in range(fb.n_regular)]
            numeric = fb.dtype != CATEGORICAL
            self.numeric_row.layout.display = None if numeric else "none"
            self.category_row.layout.display = "none" if numeric else None
            if numeric:
                _refill(self.bin, regular[:-1] or regular)
                self.merge.disabled = fb.n_regular < 2
            else:
                cats = ed.categories(feature)
                where = {c: i for i, g in enumerate(fb.groups) for c in g}
                _refill(self.category, [(f"{c} (group {where.get(c)})", c) for c in cats])
                _refill(self.group, [*regular, (f"{fb.n_regular}: a new group", fb.n_regular)])
            self.missing_to.options = [OWN_BIN, *regular]
            self.missing_to.value = OWN_BIN[1] if fb.missing_bin is None else fb.missing_bin
            self.special_to.options = [OWN_BIN, *regular]
            self.special_to.value = OWN_BIN[1] if fb.special_bin is None else fb.special_bin
            self.special_to.disabled = not fb.special_codes
            self.reset.disabled = fb.source != "override"
            self.reason.value = fb.reason or ""
            self.reason.disabled = fb.source != "override"
        finally:
            self._busy = False


def _refill(dropdown: w.Dropdown, options: list[tuple[str, Any]]) -> None:
    """New options; the picked value stays when it is still offered, else the first one."""
    picked = dropdown.value
    dropdown.options = options
    values = [v for _, v in options]
    if values:
        dropdown.value = picked if picked in values else values[0]


def _model_html(model: dict) -> str:
    def delta(now, then) -> str:
        return "" if now is None or then is None else f" ({now - then:+.4f} since opened)"

    text = (
        f"Scorecard refitted on these bins ({len(model['features'])} features): "
        f"development AUC <b>{model['auc']:.4f}</b>{delta(model['auc'], model['auc_at_open'])}"
    )
    if model.get("auc_test") is not None:
        text += (
            f" · test AUC <b>{model['auc_test']:.4f}</b>"
            f"{delta(model['auc_test'], model['auc_test_at_open'])}"
        )
    if model["wrong_sign"]:
        text += (
            ' · <span style="color:#b00020">wrong sign (a release drops it): '
            f"{html.escape(', '.join(model['wrong_sign']))}</span>"
        )
    return text
