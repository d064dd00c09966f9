"""The scorecard sections of the model document: data and sample, binning, selection and
the model (scaling, coefficients with standard errors, points)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskresearch import development
from riskresearch.binsolver import SMALL_BIN_SHARE
from riskresearch.messages import reason_text, t
from riskresearch.plots import selection_path_plot
from riskresearch.report import figures
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.cover import row_flow, sample_name, sample_table
from riskresearch.report.fmt import Items, Section, Text, html_t
from riskresearch.report.rows import coefficients


# ------------------------------------------------------------------------------------------
# 2. data and sample
# ------------------------------------------------------------------------------------------
def data(ctx: Context) -> Section:
    cfg = ctx.cfg
    sec = Section("data", t("data.title"))
    src = [html_t("data.source_table", name=cfg.data.table.name)]
    if cfg.data.warehouse is not None:
        src.append(html_t("data.source_warehouse", name=cfg.data.warehouse.name))
    if ctx.oracle:
        src.append(html_t("data.source_oracle", name=cfg.data.oracle.name))
    sec.sub("sources", t("data.sources"), Items(src))
    flow = row_flow(ctx)
    sec.sub(
        "flow",
        t("data.flow"),
        f.table(flow, labels={"removed": "rows removed", "rows": "rows left"}, collapse=False),
    )
    mode = cfg.split_mode
    split = {
        "oot": (
            t("data.split_oot_months", months=cfg.oot_months, column=cfg.data.date_column)
            if cfg.oot_months
            else t("data.split_oot_from", start=cfg.split.oot_from)
        )
        if mode == "oot"
        else "",
        "column": t(
            "data.split_column",
            column=cfg.split.column,
            train=f.plain(cfg.split.train_value),
            test=f.plain(cfg.split.test_value),
        )
        if mode == "column"
        else "",
        "random": t("data.split_random", share=f.pct(cfg.split.test_size, 0), seed=cfg.seed)
        if mode == "random"
        else "",
    }[mode]
    sec.sub("split", t("data.split"), Text(split), f.table(sample_table(ctx)))
    monthly = development.monthly_bad_rate(
        cfg, ctx.samples.development.frame, ctx.samples.test.frame
    )
    month = sec.sub("months", t("data.months"))
    if isinstance(monthly, pd.DataFrame):
        monthly["sample"] = monthly["sample"].replace({"out-of-time": ctx.test_name})
        monthly["sample"] = monthly["sample"].map(lambda x: sample_name(ctx, x))
        month.add(
            f.image(figures.bad_rate_by_month(monthly), t("data.months_alt")),
            f.table(monthly, caption=t("data.months_caption"), collapse=len(monthly) > 30),
        )
    else:
        month.add(Text(t("data.skipped", reason=reason_text(monthly.reason))))
    profile = development.profile(cfg, ctx.samples.development.frame)
    sec.sub(
        "columns",
        t("data.columns"),
        Text(t("data.columns_text")),
        f.table(
            profile,
            caption=t("data.columns_caption"),
            collapse=True,
            formats={"min": f.sig, "median": f.sig, "max": f.sig},
            css="wrap",
        ),
    )
    return sec


# ------------------------------------------------------------------------------------------
# 3. binning and 4. selection
# ------------------------------------------------------------------------------------------
def _overrides(ctx: Context) -> dict[str, str]:
    """Overridden features and the modeler's reason (binning.json, else the config)."""
    doc = ctx.json("binning.json") or {"features": {}}
    out = {}
    for name, d in doc.get("features", {}).items():
        if d.get("source") == "override":
            spec = ctx.cfg.binning.overrides.get(name) or {}
            reason = d.get("reason") or (spec.get("reason") if isinstance(spec, dict) else None)
            out[name] = reason or t("binning.no_reason")
    return out


def trend_words(trend: str | None) -> str:
    """The binning trend as the document says it (the config key's value otherwise)."""
    return t("binning.trend_auto_unimodal") if trend == "auto_unimodal" else str(trend)


def small_bin_floor(b) -> str:
    """The smallest share a bin of categories may hold under ``binning.small_bins``."""
    return f.pct(b.min_bin_size * SMALL_BIN_SHARE, 1)


def _turns(ctx: Context) -> str:
    """The sentence naming the features whose bins turn once, with the test's p-value."""
    doc = ctx.json("binning.json") or {"features": {}}
    items = [
        t(
            "binning.turn_item",
            feature=name,
            shape=t(f"binning.{d['turn']}"),
            p="< 0.0001" if d.get("turn_p_value", 1.0) < 1e-4 else f.sig(d["turn_p_value"], 2),
        )
        for name, d in doc.get("features", {}).items()
        if d.get("turn") in ("peak", "valley")
    ]
    return t("binning.turned", n=len(items), features=f.words(items)) if items else ""


def binning(ctx: Context) -> Section:
    cfg, b = ctx.cfg, ctx.cfg.binning
    sec = Section("binning", t("binning.title"))
    tables = ctx.csv("binning_tables.csv")
    iv = ctx.csv("iv.csv")
    if tables is None or iv is None:
        return sec.add(Text(t("binning.missing")))
    overrides = _overrides(ctx)
    selected = _selected(ctx)
    sec.add(
        Text(
            t(
                "binning.text",
                max_bins=b.max_n_bins,
                min_size=f.pct(b.min_bin_size, 0),
                trend=trend_words(b.monotonic_trend),
                unseen=b.unseen,
                candidates=len(iv),
                overrides=len(overrides),
            )
            + _turns(ctx)
            + (t("binning.small_bins", floor=small_bin_floor(b)) if b.small_bins else "")
            + (t("binning.segments") if ctx.cfg.segments else "")
        )
    )
    iv = iv.assign(
        selected=iv["feature"].isin(selected),
        source=[
            t("binning.override", reason=overrides[x]) if x in overrides else s
            for x, s in zip(iv["feature"], iv["source"])
        ],
    )
    iv = iv.drop(columns=[c for c in ("reason",) if c in iv.columns])
    sec.sub(
        "iv",
        t("binning.iv"),
        f.table(iv, caption=t("binning.iv_caption"), formats={"iv": lambda v: f.num(v, 4)}),
    )
    charts = sec.sub("woe", t("binning.woe"), Text(t("binning.woe_text")))
    for feat in selected:
        if feat not in set(tables["feature"]):
            continue
        mark = t("binning.override_mark") if feat in overrides else ""
        charts.add(
            f.image(
                figures.woe_chart(tables, feat, mark),
                t("binning.woe_alt", feature=feat),
                ident=f"woe-{feat}",
            )
        )
    full = sec.sub("tables", t("binning.tables"))
    n_bins = dict(zip(iv["feature"], iv["n_bins"]))
    for feat in iv["feature"]:
        rows = tables[tables["feature"] == feat].drop(columns=["feature"])
        rows["bin"] = rows["bin"].map(f.bin_label)
        tag = t("binning.tag_override", reason=overrides[feat]) if feat in overrides else ""
        tag += t("binning.tag_selected") if feat in selected else ""
        full.add(
            f.table(
                rows,
                caption=feat,
                ident=f"binning-{feat}",
                summary=t(
                    "binning.summary",
                    feature=feat,
                    bins=n_bins[feat],
                    iv=f.num(rows["iv"].iloc[-1], 4),
                    tag=tag,
                ),
                collapse=True,
                formats={
                    "count": f.count,
                    "good": f.count,
                    "bad": f.count,
                    "woe": lambda v: f.num(v, 4),
                    "iv": lambda v: f.num(v, 4),
                },
            )
        )
    del cfg
    return sec


def _selected(ctx: Context) -> list[str]:
    sel = ctx.csv("selection.csv")
    if sel is None:
        return []
    sel = sel[sel["selected"].astype(str).str.lower() == "true"]
    return list(dict.fromkeys(sel["feature"]))


def selection(ctx: Context) -> Section:
    s = ctx.cfg.selection
    sec = Section("selection", t("selection.title"))
    sel = ctx.csv("selection.csv")
    if sel is None:
        return sec.add(Text(t("selection.missing")))
    sec.add(
        Text(
            (
                t(
                    "selection.filters_auto",
                    max_iv=t("selection.max_iv_auto", max_iv=f.num(s.max_iv, 2))
                    if s.max_iv is not None
                    else "",
                    max_corr=f.num(s.max_corr, 2),
                    max_vif=f.num(s.max_vif, 1),
                )
                if s.min_iv == "auto"
                else t(
                    "selection.filters",
                    min_iv=f.num(s.min_iv, 2),
                    max_iv=t("selection.max_iv", max_iv=f.num(s.max_iv, 2))
                    if s.max_iv is not None
                    else "",
                    max_corr=f.num(s.max_corr, 2),
                    max_vif=f.num(s.max_vif, 1),
                )
            )
            + (
                t(
                    "selection.stepwise",
                    folds=s.cv_folds,
                    tolerance=f.num(s.tolerance, 1),
                    max_features=s.max_features,
                )
                if s.forward
                else t("selection.by_iv", max_features=s.max_features)
            )
            + t(
                "selection.sign_dropped"
                if ctx.cfg.scorecard.sign_check == "drop"
                else "selection.sign_flagged"
            )
            + t(
                "selection.kept",
                kept=int((sel["selected"].astype(str).str.lower() == "true").sum()),
                candidates=len(sel),
            )
        ),
        f.table(
            sel,
            caption=t("selection.caption"),
            ident="selection-table",
            formats={"iv": lambda v: f.num(v, 4), "coefficient": lambda v: f.num(v, 4)},
            css="wrap",
        ),
    )
    path = ctx.csv("selection_path.csv")
    if path is not None and not path.empty:
        sec.add(
            f.image(selection_path_plot(path), t("selection.path_alt")),
            f.table(path, caption=t("selection.path_caption"), css="wrap"),
        )
    return sec


# ------------------------------------------------------------------------------------------
# 5. model
# ------------------------------------------------------------------------------------------
def model(ctx: Context) -> Section:
    cfg, sc = ctx.cfg, ctx.cfg.scorecard
    sec = Section("model", t("model.title"))
    card = ctx.json("scorecard.json") or {}
    scaling = card.get("scaling") or card.get("segments", [{}])[0].get("scorecard", {}).get(
        "scaling", {}
    )
    factor = scaling.get("factor", sc.pdo / math.log(2))
    offset = scaling.get("offset", sc.base_score - factor * math.log(sc.base_odds))
    sec.sub(
        "scaling",
        t("model.scaling"),
        Text(
            html_t(
                "model.scaling_text",
                pdo=f.num(sc.pdo, 0),
                factor=f.num(factor, 4),
                base_score=f.num(sc.base_score, 0),
                base_odds=f.num(sc.base_odds, 0),
                offset=f.num(offset, 4),
                rounded=t("model.rounded") if sc.rounding else "",
            )
        ),
    )
    coef = sec.sub("coefficients", t("model.coefficients"))
    for c in coefficients(cfg, ctx.folder, ctx.samples):
        coef.add(
            f.table(
                c.table,
                caption=t("model.segment_coefficients", segment=c.segment)
                if c.segment
                else t("model.coefficients_caption"),
                formats={
                    k: (lambda v: f.num(v, 4))
                    for k in ("coefficient", "std_error", "z", "ci_low", "ci_high")
                }
                | {"p_value": lambda v: "< 0.0001" if v < 1e-4 else f.num(v, 4)},
                labels={"ci_low": "95% low", "ci_high": "95% high", "std_error": "std. error"},
                collapse=False,
            ),
            Text(
                t(
                    "model.coefficients_note",
                    fitted_on=c.note,
                    rows=f.count(c.rows),
                    penalty=t("model.penalty_fixed", value=f.num(1 / sc.C, 2))
                    if sc.C is not None
                    else t("model.penalty_cv"),
                ),
                note=True,
            ),
        )
    points = ctx.csv("points.csv")
    pts = sec.sub("points", t("model.points"))
    if points is None:
        pts.add(Text(t("model.points_missing")))
        return sec
    pts.add(_recount_note(ctx, points))
    points["bin"] = points["bin"].map(f.bin_label)
    pts.add(
        f.table(
            points,
            caption=t("model.points_caption"),
            ident="points-table",
            formats={
                "count": f.count,
                "woe": lambda v: f.num(v, 4),
                "coefficient": lambda v: f.num(v, 4),
                "points": lambda v: f.num(v, 0 if sc.rounding else 2),
                "event_rate": f.pct,
            },
            css="points",
        )
    )
    return sec


def _recount_note(ctx: Context, points: pd.DataFrame) -> Text | None:
    """Why the points table's counts differ from the binning tables', in one sentence."""
    tables = ctx.csv("binning_tables.csv")
    if tables is None or not len(points):
        return None
    first = points["feature"].iloc[0]
    binned = tables[(tables["feature"] == first) & (tables["bin"] == "Total")]["count"]
    counted = points[points["feature"] == first]["count"].sum()
    if not len(binned) or np.isclose(float(binned.iloc[0]), counted, rtol=1e-6):
        return Text(t("model.recount_same"), note=True)
    ri = ctx.cfg.reject_inference
    if ri.applies("scorecard"):
        why = t("model.recount_ri", method=ri.method)
    elif ctx.cfg.segments:
        why = t("model.recount_segments")
    else:
        why = t("model.recount_other")
    return Text(
        t(
            "model.recount",
            counted=f.count(counted),
            feature=first,
            binned=f.count(binned.iloc[0]),
            why=why,
        ),
        note=True,
    )
