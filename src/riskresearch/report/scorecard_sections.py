"""The scorecard sections of the model document: data and sample, binning, selection and
the model (scaling, coefficients with standard errors, points)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskresearch import development
from riskresearch.plots import selection_path_plot
from riskresearch.report import figures
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.cover import row_flow, sample_table
from riskresearch.report.fmt import Items, Section, Text, html
from riskresearch.report.rows import coefficients


# ------------------------------------------------------------------------------------------
# 2. data and sample
# ------------------------------------------------------------------------------------------
def data(ctx: Context) -> Section:
    cfg = ctx.cfg
    sec = Section("data", "Data and sample")
    src = [
        html(
            "Modeling table <code>{}</code>: one row per application, read through the "
            "config (data.table).",
            cfg.data.table.name,
        )
    ]
    if cfg.data.warehouse is not None:
        src.append(
            html(
                "Warehouse <code>{}</code>: the raw tables (applications, orders, instalments, "
                "payments, collection actions, partners) of the business parts.",
                cfg.data.warehouse.name,
            )
        )
    if ctx.oracle:
        src.append(
            html(
                "Simulated data: the simulator's true default probabilities (<code>{}</code>) "
                "are read only to measure the models, never to fit them.",
                cfg.data.oracle.name,
            )
        )
    sec.sub("sources", "Sources", Items(src))
    flow = row_flow(ctx)
    sec.sub(
        "flow",
        "Filters and the rows each removed",
        f.table(flow, labels={"removed": "rows removed", "rows": "rows left"}, collapse=False),
    )
    split = {
        "oot": (
            f"Out of time: the latest {cfg.oot_months} months of {cfg.data.date_column} are "
            "the out-of-time rows"
            if cfg.oot_months
            else f"Out of time: rows from {cfg.split.oot_from} on are the out-of-time rows"
        ),
        "column": f"By the column {cfg.split.column}: {f.plain(cfg.split.train_value)} = "
        f"development, {f.plain(cfg.split.test_value)} = test",
        "random": f"At random: {f.pct(cfg.split.test_size, 0)} of the rows, stratified by the "
        f"target and drawn with seed {cfg.seed}, are test rows",
    }[cfg.split_mode]
    sec.sub("split", "Development and test rows", Text(split + "."), f.table(sample_table(ctx)))
    monthly = development.monthly_bad_rate(
        cfg, ctx.samples.development.frame, ctx.samples.test.frame
    )
    month = sec.sub("months", "Bad rate by month")
    if isinstance(monthly, pd.DataFrame):
        monthly["sample"] = monthly["sample"].replace({"out-of-time": ctx.test_name})
        month.add(
            f.image(figures.bad_rate_by_month(monthly), "applications and bad rate by month"),
            f.table(monthly, caption="Rows and bad rate by month", collapse=len(monthly) > 30),
        )
    else:
        month.add(Text(f"Skipped: {monthly.reason}."))
    profile = development.profile(cfg, ctx.samples.development.frame)
    sec.sub(
        "columns",
        "Columns: role and type",
        Text(
            "Every column of the table, what the config makes of it and why (on the "
            "development rows); 'override' names the config key that changes it."
        ),
        f.table(
            profile,
            caption="Columns of the table",
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
            out[name] = reason or "no reason recorded"
    return out


def binning(ctx: Context) -> Section:
    cfg, b = ctx.cfg, ctx.cfg.binning
    sec = Section("binning", "Binning")
    tables = ctx.csv("binning_tables.csv")
    iv = ctx.csv("iv.csv")
    if tables is None or iv is None:
        return sec.add(Text("The release has no binning tables (binning_tables.csv, iv.csv)."))
    overrides = _overrides(ctx)
    selected = _selected(ctx)
    sec.add(
        Text(
            f"Every candidate feature is cut into at most {b.max_n_bins} bins of at least "
            f"{f.pct(b.min_bin_size, 0)} of the development rows by optimal binning "
            f"(monotonic trend {b.monotonic_trend}), with separate bins for missing values and "
            f"special codes; a category never seen in development scores as '{b.unseen}'. "
            "WoE = ln(share of goods / share of bads): a positive WoE means lower risk. "
            f"{len(iv)} candidate features were binned, {len(overrides)} of them by a modeler's "
            "override."
            + (
                " With segments, each segment's scorecard bins its own rows: the points table "
                "(section 5) shows those bins; the tables here are those of all development rows."
                if ctx.cfg.segments
                else ""
            )
        )
    )
    iv = iv.assign(
        selected=iv["feature"].isin(selected),
        source=[
            "override: " + overrides[x] if x in overrides else s
            for x, s in zip(iv["feature"], iv["source"])
        ],
    )
    iv = iv.drop(columns=[c for c in ("reason",) if c in iv.columns])
    sec.sub(
        "iv",
        "Information value of every candidate",
        f.table(iv, caption="Information value", formats={"iv": lambda v: f.num(v, 4)}),
    )
    charts = sec.sub(
        "woe",
        "WoE of every selected feature",
        Text(
            "Bars: WoE of each bin (blue lower risk, red higher); line: the bin's bad rate. "
            "Empty bins are not drawn."
        ),
    )
    for feat in selected:
        if feat not in set(tables["feature"]):
            continue
        mark = " (override)" if feat in overrides else ""
        charts.add(
            f.image(
                figures.woe_chart(tables, feat, mark),
                f"WoE by bin of {feat}",
                ident=f"woe-{feat}",
            )
        )
    full = sec.sub("tables", "Binning tables of every candidate feature")
    n_bins = dict(zip(iv["feature"], iv["n_bins"]))
    for feat in iv["feature"]:
        rows = tables[tables["feature"] == feat].drop(columns=["feature"])
        rows["bin"] = rows["bin"].map(f.bin_label)
        tag = " · override: " + overrides[feat] if feat in overrides else ""
        tag += " · selected" if feat in selected else ""
        full.add(
            f.table(
                rows,
                caption=feat,
                ident=f"binning-{feat}",
                summary=f"{feat}: {n_bins[feat]} bins plus Special and Missing, IV "
                f"{f.num(rows['iv'].iloc[-1], 4)}{tag}",
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
    sec = Section("selection", "Feature selection")
    sel = ctx.csv("selection.csv")
    if sel is None:
        return sec.add(Text("The release has no selection report (selection.csv)."))
    sec.add(
        Text(
            f"Candidates with an IV below {f.num(s.min_iv, 2)}"
            + (f" or above {f.num(s.max_iv, 2)}" if s.max_iv is not None else "")
            + f" are dropped; of two features correlated above {f.num(s.max_corr, 2)} the "
            f"weaker goes, as does any feature with a variance inflation factor above "
            f"{f.num(s.max_vif, 1)}; "
            + (
                f"a stepwise search on {s.cv_folds} cross-validation folds of the development "
                "rows (time-ordered with a date column, else stratified; each fold recounts the "
                "WoE on its own training rows, and the L2 strength is chosen on the same folds) "
                "adds and removes features, no feature entering with a wrong sign; the model "
                f"kept is the largest on the path within {f.num(s.tolerance, 1)} standard "
                f"errors of the best, up to {s.max_features} features (the path is below). "
                if s.forward
                else f"up to {s.max_features} features are kept by IV. "
            )
            + "A feature whose coefficient has the wrong sign (more WoE, more risk) is "
            f"{'dropped' if ctx.cfg.scorecard.sign_check == 'drop' else 'flagged'}. "
            f"{int((sel['selected'].astype(str).str.lower() == 'true').sum())} of {len(sel)} "
            "candidates are in the model."
        ),
        f.table(
            sel,
            caption="Every candidate and why it was kept or dropped",
            ident="selection-table",
            formats={"iv": lambda v: f.num(v, 4), "coefficient": lambda v: f.num(v, 4)},
            css="wrap",
        ),
    )
    path = ctx.csv("selection_path.csv")
    if path is not None and not path.empty:
        sec.add(
            f.image(selection_path_plot(path), "cross-validated AUC along the selection path"),
            f.table(path, caption="The cross-validated selection path", css="wrap"),
        )
    return sec


# ------------------------------------------------------------------------------------------
# 5. model
# ------------------------------------------------------------------------------------------
def model(ctx: Context) -> Section:
    cfg, sc = ctx.cfg, ctx.cfg.scorecard
    sec = Section("model", "Model")
    card = ctx.json("scorecard.json") or {}
    scaling = card.get("scaling") or card.get("segments", [{}])[0].get("scorecard", {}).get(
        "scaling", {}
    )
    factor = scaling.get("factor", sc.pdo / math.log(2))
    offset = scaling.get("offset", sc.base_score - factor * math.log(sc.base_odds))
    sec.sub(
        "scaling",
        "Score scaling",
        Text(
            html(
                "Score = offset + factor &times; ln(good:bad odds), with factor = pdo / ln 2 = "
                "{} / 0.6931 = {} and offset = base score &minus; factor &times; ln(base odds) "
                "= {} &minus; {} &times; ln {} = {}. A score of {} means odds of {}:1; every {} "
                "points double the odds. Each feature's points are &minus;factor &times; "
                "coefficient &times; WoE of its bin + (offset &minus; factor &times; intercept) "
                "/ number of features{}; the score is their sum and "
                "PD = 1 / (1 + exp((score &minus; offset) / factor)).",
                f.num(sc.pdo, 0),
                f.num(factor, 4),
                f.num(sc.base_score, 0),
                f.num(factor, 4),
                f.num(sc.base_odds, 0),
                f.num(offset, 4),
                f.num(sc.base_score, 0),
                f.num(sc.base_odds, 0),
                f.num(sc.pdo, 0),
                ", rounded to whole points" if sc.rounding else "",
            )
        ),
    )
    coef = sec.sub("coefficients", "Coefficients and standard errors")
    for c in coefficients(cfg, ctx.folder, ctx.samples):
        title = f"Segment {c.segment}: " if c.segment else ""
        coef.add(
            f.table(
                c.table,
                caption=f"{title}coefficients",
                formats={
                    k: (lambda v: f.num(v, 4))
                    for k in ("coefficient", "std_error", "z", "ci_low", "ci_high")
                }
                | {"p_value": lambda v: "< 0.0001" if v < 1e-4 else f.num(v, 4)},
                labels={"ci_low": "95% low", "ci_high": "95% high", "std_error": "std. error"},
                collapse=False,
            ),
            Text(
                f"Fitted on {c.note} ({f.count(c.rows)} rows). Standard errors are the square "
                "roots of the diagonal of the inverse Hessian of the log-likelihood at the "
                "fitted coefficients (the WoE design, computed in the report step); z = "
                "coefficient / standard error. The regression carries an L2 penalty "
                + (
                    f"of 1/C = {f.num(1 / sc.C, 2)} per coefficient"
                    if sc.C is not None
                    else "whose strength was chosen on the selection's cross-validation folds"
                )
                + ", which these standard errors leave out. A negative coefficient means a "
                "higher WoE (a safer bin) lowers the PD, as it should.",
                note=True,
            ),
        )
    points = ctx.csv("points.csv")
    pts = sec.sub("points", "Points table")
    if points is None:
        pts.add(Text("The release has no points table (points.csv)."))
        return sec
    pts.add(_recount_note(ctx, points))
    points["bin"] = points["bin"].map(f.bin_label)
    pts.add(
        f.table(
            points,
            caption="Points of every bin",
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
        return Text(
            "Counts, bad rates and WoE are those of the development rows (section 3).",
            note=True,
        )
    ri = ctx.cfg.reject_inference
    if ri.applies("scorecard"):
        why = (
            f"the scorecard was fitted on the development sample augmented by reject "
            f"inference ({ri.method}: accepted plus weighted declined applications), and the "
            "reviewed bins' WoE were recounted on it"
        )
    elif ctx.cfg.segments:
        why = "each segment's scorecard counts its own rows"
    else:
        why = "the scorecard was fitted on other rows than the binning"
    return Text(
        f"Counts here ({f.count(counted)} weighted rows for {first}) differ from the binning "
        f"tables of section 3 ({f.count(binned.iloc[0])} accepted development rows) because "
        f"{why}; the IVs of the selection report are those of this sample too.",
        note=True,
    )
