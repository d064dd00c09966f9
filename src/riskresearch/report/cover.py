"""The cover of the model document and its first section (purpose and scope), with the
facts both show: population, row flow, data window, samples, headline metrics, champion and
status."""

from __future__ import annotations

import pandas as pd

from riskresearch import development
from riskresearch.messages import reason_text, t
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
        t("cover.population_and").join(f"{k} = {f.plain(v)}" for k, v in keys.items())
        if keys
        else t("cover.population_all")
    )
    if ctx.cfg.segments:
        text += t("cover.population_segments", segments=f.words(list(ctx.cfg.segments)))
    return text


def sample_name(ctx: Context, name: str) -> str:
    """A sample's name in the report's language (development, out-of-time, test)."""
    key = {"development": "development", "out-of-time": "oot", "test": "test"}.get(name)
    return t(f"sample.{key}") if key else name


def row_flow(ctx: Context) -> pd.DataFrame:
    """The table's rows, each filter's removals, the split and the two samples."""
    if "row_flow" not in ctx.cache:
        flow = development.row_flow(ctx.cfg)
        labels = [t("cover.flow_table", table=ctx.cfg.data.table.name)]
        labels += [
            t("cover.flow_keep", key=k, value=f.plain(v)) for k, v in ctx.cfg.data.filter.items()
        ]
        labels += [
            {
                "oot": t("cover.flow_oot", column=ctx.cfg.data.date_column),
                "column": t("cover.flow_column", column=ctx.cfg.split.column),
                "random": t("cover.flow_random"),
            }[ctx.cfg.split_mode],
            t("cover.flow_rows", sample=sample_name(ctx, "development")),
            t("cover.flow_rows", sample=sample_name(ctx, ctx.test_name)),
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
        parts.append(
            t(
                "cover.window_sample",
                sample=sample_name(ctx, s.name),
                first=f.month(first),
                last=f.month(last),
                months=n,
            )
        )
    if parts:
        return t("format.semicolon").join(parts)
    if ctx.cfg.split_mode == "random":
        return t("cover.window_random", share=f.pct(ctx.cfg.split.test_size, 0), seed=ctx.cfg.seed)
    return t("cover.window_column", column=ctx.cfg.split.column)


def sample_table(ctx: Context) -> pd.DataFrame:
    rows = []
    for s in ctx.samples:
        rows.append(
            {
                "sample": sample_name(ctx, s.name),
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
            row[sample_name(ctx, s.name)] = f.interval(*ctx.headline[s.name][key])
        rows.append(row)
    return pd.DataFrame(rows)


def champion(ctx: Context) -> tuple[str, pd.DataFrame | None]:
    """The champion this release replaces, in words, and the comparison table."""
    comparison = ctx.json("champion_comparison.json")
    if not comparison:
        if ctx.cfg.monitoring.champion is None:
            return t("cover.champion_none"), None
        return t("cover.champion_skipped"), None
    frame = pd.DataFrame(comparison)
    champ = frame[frame["model"] != "challenger"].iloc[0]
    new = frame[frame["model"] == "challenger"].iloc[0]
    text = t(
        "cover.champion",
        champion=champ["champion"],
        n=f.count(new["n"]),
        sample=sample_name(ctx, ctx.test_name),
        auc_old=f.num(champ["auc"]),
        auc_new=f.num(new["auc"]),
        auc_change=f.signed(new["auc"] - champ["auc"]),
        ks_old=f.num(champ["ks"]),
        ks_new=f.num(new["ks"]),
        ks_change=f.signed(new["ks"] - champ["ks"]),
    )
    shown = frame[["model", "n", "auc", "gini", "ks", "mean_pd", "bad_rate"]]
    return text, shown


def status(ctx: Context) -> str:
    promotion = (ctx.manifest or {}).get("promotion")
    if promotion:
        verb = "promoted" if promotion.get("decision") == "promote" else "rejected"
        note = t("cover.status_note", note=promotion["note"]) if promotion.get("note") else ""
        return t(
            f"cover.status_{verb}",
            built=f.date(ctx.built),
            by=promotion.get("by"),
            at=promotion.get("at"),
            note=note,
        )
    return t("cover.status_open", built=f.date(ctx.built))


def describe_target(cfg) -> str:
    """The target definition in words: the config's ``data.target_description`` as written,
    else a sentence of the report's language built from the target column and its bad
    value."""
    d = cfg.data
    if d.target_description and d.target_description.strip():
        return d.describe_target()
    if d.bad_value is None:
        return t("cover.target_binary", target=d.target)
    return t("cover.target_value", target=d.target, value=repr(d.bad_value))


def part_title(name: str, title: str) -> str:
    """A business part's title in the report's language."""
    return t(f"part.{name}")


# ------------------------------------------------------------------------------------------
# cover
# ------------------------------------------------------------------------------------------
def cover(ctx: Context) -> list:
    cfg = ctx.cfg
    flow = row_flow(ctx)
    filters = flow.iloc[1 : 1 + len(cfg.data.filter)]
    exclusions = (
        t("format.semicolon").join(
            t("cover.excluded", step=r.step, n=f.count(r.removed)) for r in filters.itertuples()
        )
        if len(filters)
        else t("cover.excluded_none")
    )
    left_out = flow.iloc[1 + len(cfg.data.filter)]
    if left_out.removed:
        exclusions += t("format.semicolon") + t(
            "cover.left_out", step=left_out.step, n=f.count(left_out.removed)
        )
    text, _ = champion(ctx)
    fingerprint, _ = ctx.fingerprint
    facts = Facts(
        [
            (t("cover.model"), t("cover.model_value", model=cfg.model, version=ctx.version)),
            (t("cover.segment"), population(ctx)),
            (t("cover.date_built"), f.date(ctx.built)),
            (t("cover.data_window"), window(ctx)),
            (t("cover.target"), describe_target(cfg)),
            (t("cover.exclusions"), exclusions),
            (t("cover.champion_replaced"), text),
            (t("cover.status"), status(ctx)),
            (t("cover.fingerprint"), html("<code>{}</code>", fingerprint)),
        ]
    )
    blocks: list = []
    if cfg.description:
        blocks.append(Text(" ".join(cfg.description.split())))
    blocks += [
        facts,
        Heading(t("cover.rows_per_sample")),
        f.table(sample_table(ctx)),
        Heading(t("cover.headline")),
        f.table(headline_table(ctx)),
        Text(t("cover.headline_note", seed=cfg.seed), note=True),
        Heading(t("cover.signoff")),
        f.table(
            pd.DataFrame(
                {
                    "role": [t("cover.developer"), t("cover.validator"), t("cover.approver")],
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
    sec = Section("purpose", t("purpose.title"))
    scope = (
        t("purpose.scope_population", population=population(ctx))
        if cfg.data.filter or cfg.segments
        else ""
    )
    sec.add(
        Text(
            t(
                "purpose.text",
                version=ctx.version,
                model=cfg.model,
                scope=scope,
                target=describe_target(cfg),
            )
        )
    )
    rows = [
        {
            "part": part_title(p.part.name, p.part.title),
            "status": t("purpose.built") if p.included else t("purpose.skipped"),
            "reason": reason_text(p.reason) or "",
        }
        for p in ctx.planned
    ]
    sec.add(
        Heading(t("purpose.carries")),
        f.table(pd.DataFrame(rows), collapse=False),
        Text(t("purpose.carries_note"), note=True),
    )
    return sec
