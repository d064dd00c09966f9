"""The cover of the model document and its first section (purpose and scope), with the
facts both show: population, row flow, data window, samples, headline metrics, champion and
status."""

from __future__ import annotations

import pandas as pd

from riskresearch import development
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.fmt import Facts, Heading, Section, Text, html


# ------------------------------------------------------------------------------------------
# facts shared by the cover and the sections
# ------------------------------------------------------------------------------------------
def population(ctx: Context) -> str:
    """Which rows the scorecard is for, in words."""
    keys = {k: v for k, v in ctx.cfg.data.filter.items() if not str(k).endswith("_mature")}
    text = (
        " and ".join(f"{k} = {f.plain(v)}" for k, v in keys.items())
        if keys
        else "every row of the table"
    )
    if ctx.cfg.segments:
        text += f"; one scorecard per segment: {f.words(list(ctx.cfg.segments))}"
    return text


def row_flow(ctx: Context) -> pd.DataFrame:
    """The table's rows, each filter's removals, the split and the two samples."""
    if "row_flow" not in ctx.cache:
        flow = development.row_flow(ctx.cfg)
        labels = [f"rows of the table {ctx.cfg.data.table.name}"]
        labels += [f"keep {k} = {f.plain(v)}" for k, v in ctx.cfg.data.filter.items()]
        labels += [
            {
                "oot": f"out-of-time split on {ctx.cfg.data.date_column}",
                "column": f"split by the column {ctx.cfg.split.column} (other values left out)",
                "random": "random split (stratified by the target)",
            }[ctx.cfg.split_mode],
            "development rows",
            f"{ctx.test_name} rows",
        ]
        flow["step"] = labels
        ctx.cache["row_flow"] = flow
    return ctx.cache["row_flow"].copy()


def window(ctx: Context) -> str:
    """The development and test months, or how test rows were drawn without dates."""
    parts = []
    for s in ctx.samples:
        if s.month is None or not len(s):
            continue
        first, last = s.month.min(), s.month.max()
        n = len(pd.period_range(first, last, freq="M"))
        parts.append(f"{s.name} {f.month(first)} to {f.month(last)} ({n} months)")
    if parts:
        return "; ".join(parts)
    if ctx.cfg.split_mode == "random":
        return (
            f"no date column: {f.pct(ctx.cfg.split.test_size, 0)} of the rows are test rows, "
            f"drawn at random (stratified by the target, seed {ctx.cfg.seed})"
        )
    return f"no date column: the column {ctx.cfg.split.column} says which rows are test rows"


def sample_table(ctx: Context) -> pd.DataFrame:
    rows = []
    for s in ctx.samples:
        rows.append(
            {
                "sample": s.name,
                "rows": len(s),
                "bads": int(s.y.sum()),
                "bad_rate": float(s.y.mean()) if len(s) else float("nan"),
                "first_month": s.month.min() if s.month is not None and len(s) else None,
                "last_month": s.month.max() if s.month is not None and len(s) else None,
            }
        )
    frame = pd.DataFrame(rows)
    if ctx.cfg.data.date_column is None:
        frame = frame.drop(columns=["first_month", "last_month"])
    return frame


def headline_table(ctx: Context) -> pd.DataFrame:
    rows = []
    for key, label in (("auc", "AUC"), ("gini", "Gini"), ("ks", "KS")):
        row = {"metric": label}
        for s in ctx.samples:
            row[s.name] = f.interval(*ctx.headline[s.name][key])
        rows.append(row)
    return pd.DataFrame(rows)


def champion(ctx: Context) -> tuple[str, pd.DataFrame | None]:
    """The champion this release replaces, in words, and the comparison table."""
    comparison = ctx.json("champion_comparison.json")
    if not comparison:
        if ctx.cfg.monitoring.champion is None:
            return "none named (monitoring.champion is not set: no release is replaced)", None
        return "named, but no comparison was written (monitoring is skipped)", None
    frame = pd.DataFrame(comparison)
    champ = frame[frame["model"] != "challenger"].iloc[0]
    new = frame[frame["model"] == "challenger"].iloc[0]
    text = (
        f"{champ['champion']}: on the same {f.count(new['n'])} {ctx.test_name} rows the AUC "
        f"goes from {f.num(champ['auc'])} to {f.num(new['auc'])} "
        f"({f.signed(new['auc'] - champ['auc'])}), the KS from {f.num(champ['ks'])} to "
        f"{f.num(new['ks'])} ({f.signed(new['ks'] - champ['ks'])})"
    )
    shown = frame[["model", "n", "auc", "gini", "ks", "mean_pd", "bad_rate"]]
    return text, shown


def status(ctx: Context) -> str:
    promotion = (ctx.manifest or {}).get("promotion")
    if promotion:
        verb = "promoted" if promotion.get("decision") == "promote" else "rejected"
        note = f" ({promotion['note']})" if promotion.get("note") else ""
        return f"built {ctx.built}; {verb} by {promotion.get('by')} on {promotion.get('at')}{note}"
    return (
        f"built {ctx.built}, not yet reviewed; the decision on it is recorded in the release's "
        "manifest.json by 'riskresearch promote RELEASE --by NAME'"
    )


# ------------------------------------------------------------------------------------------
# cover
# ------------------------------------------------------------------------------------------
def cover(ctx: Context) -> list:
    cfg = ctx.cfg
    flow = row_flow(ctx)
    filters = flow.iloc[1 : 1 + len(cfg.data.filter)]
    exclusions = (
        "; ".join(f"{r.step}: {f.count(r.removed)} rows removed" for r in filters.itertuples())
        if len(filters)
        else "none (every row of the table is used)"
    )
    left_out = flow.iloc[1 + len(cfg.data.filter)]
    if left_out.removed:
        exclusions += f"; {left_out.step}: {f.count(left_out.removed)} rows in neither sample"
    text, _ = champion(ctx)
    fingerprint, _ = ctx.fingerprint
    facts = Facts(
        [
            ("Model", f"{cfg.model} scorecard, version {ctx.version}"),
            ("Segment", population(ctx)),
            ("Date built", ctx.built),
            ("Data window", window(ctx)),
            ("Target (bad)", cfg.data.describe_target()),
            ("Exclusions", exclusions),
            ("Champion replaced", text),
            ("Status", status(ctx)),
            ("Release fingerprint", html("<code>{}</code>", fingerprint)),
        ]
    )
    blocks: list = []
    if cfg.description:
        blocks.append(Text(" ".join(cfg.description.split())))
    blocks += [
        facts,
        Heading("Rows and bads per sample"),
        f.table(sample_table(ctx)),
        Heading("Headline metrics, with 95% intervals"),
        f.table(headline_table(ctx)),
        Text(
            "AUC and Gini intervals by DeLong's method, KS intervals by 200 bootstrap "
            f"resamples drawn with the config's seed ({cfg.seed}). The release fingerprint is "
            "the sha256 of the model artifacts' sorted sha256 lines and equals the "
            "'fingerprint' of manifest.json (section 11 shows how to check it).",
            note=True,
        ),
        Heading("Sign-off"),
        f.table(
            pd.DataFrame(
                {
                    "role": ["Model developer", "Independent validator", "Approver"],
                    "name": ["", "", ""],
                    "date": ["", "", ""],
                    "decision and signature": ["", "", ""],
                }
            ),
            css="signoff",
        ),
    ]
    return blocks


# ------------------------------------------------------------------------------------------
# 1. purpose and scope
# ------------------------------------------------------------------------------------------
def purpose(ctx: Context) -> Section:
    cfg = ctx.cfg
    sec = Section("purpose", "Purpose and scope")
    sec.add(
        Text(
            f"This document describes release {ctx.version} of the {cfg.model} scorecard: a "
            "WOE-binned logistic regression that scores each application"
            + (f" of the population {population(ctx)}" if cfg.data.filter or cfg.segments else "")
            + "; a higher score means a lower risk of the bad outcome "
            f"({cfg.data.describe_target()}). It is built from the release folder's artifacts "
            "and from the config's data, recomputed when the release was built, so every "
            "figure here matches the files a validator receives."
        )
    )
    rows = [
        {
            "part": p.part.title,
            "status": "built" if p.included else "skipped",
            "reason": p.reason or "",
        }
        for p in ctx.planned
    ]
    sec.add(
        Heading("What this release carries"),
        f.table(pd.DataFrame(rows), collapse=False),
        Text(
            "A part is skipped when it is switched off or the data lacks what it needs; the "
            "reason is its config key or the missing input.",
            note=True,
        ),
    )
    return sec
