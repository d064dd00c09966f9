"""Section 6 of the model document: performance of the scorecard on the development and
test rows (recomputed in the report step), by segment and month, and against the GBM
challenger."""

from __future__ import annotations

import re

import pandas as pd

from riskresearch import metrics
from riskresearch.messages import t
from riskresearch.report import figures
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.cover import sample_name
from riskresearch.report.fmt import Section, Text
from riskresearch.report.stats import auc_interval

# ------------------------------------------------------------------------------------------
# 6. performance
# ------------------------------------------------------------------------------------------
_FLOAT = re.compile(r"-?\d+\.\d+|-?\d+(?:e-?\d+)")


def _pct_label(label: str) -> str:
    return _FLOAT.sub(lambda m: f.pct(float(m.group()), 1), str(label))


def _summary_rows(ctx: Context) -> pd.DataFrame:
    rows = []
    for s in ctx.samples:
        h = ctx.headline[s.name]
        rows.append(
            {
                "sample": sample_name(ctx, s.name),
                "rows": len(s),
                "bads": int(s.y.sum()),
                "bad_rate": s.y.mean(),
                "mean_pd": s.pd.mean(),
                "AUC (95% interval)": f.interval(*h["auc"]),
                "Gini (95% interval)": f.interval(*h["gini"]),
                "KS (95% interval)": f.interval(*h["ks"]),
            }
        )
    return pd.DataFrame(rows)


def _gains(y, score) -> pd.DataFrame:
    t = metrics.band_table(y, score=score, bands=10)
    t["label"] = t["label"].astype(str).str.replace(">=", "≥").str.replace("<=", "≤")
    return t[
        [
            "band",
            "label",
            "count",
            "bads",
            "bad_rate",
            "cum_count_share",
            "cum_bad_share",
            "cum_good_share",
            "ks",
            "lift",
            "cum_lift",
        ]
    ].rename(columns={"label": "score"})


def performance(ctx: Context) -> Section:
    samples = ctx.samples
    sec = Section("performance", t("performance.title"))
    sec.add(
        Text(
            t(
                "performance.text",
                sample=sample_name(ctx, ctx.test_name),
                gbm=t("performance.text_gbm") if ctx.samples.gbm is not None else "",
            )
        ),
        f.table(_summary_rows(ctx), collapse=False),
    )
    sec.sub("roc", t("performance.roc")).add(
        f.image(figures.roc_samples(samples), t("performance.roc_alt")),
        f.image(figures.ks_samples(samples), t("performance.ks_alt")),
    )
    sec.sub("distribution", t("performance.distribution")).add(
        f.image(figures.score_distribution_samples(samples), t("performance.distribution_alt"))
    )
    cal = sec.sub("calibration", t("performance.calibration"))
    cal.add(f.image(figures.calibration_samples(samples), t("performance.calibration_alt")))
    for s in samples:
        if not s.both_classes:
            continue
        table = metrics.calibration_table(s.y, s.pd, bands=10)
        table["label"] = (
            table["label"].map(_pct_label).str.replace("<=", "≤").str.replace(">=", "≥")
        )
        table["pd_in_ci"] = table["pd_in_ci"].astype(bool)
        cal.add(
            f.table(
                table.rename(columns={"label": "PD band", "pd_in_ci": "mean PD inside interval"}),
                caption=t("performance.calibration_caption", sample=sample_name(ctx, s.name)),
                labels={"ci_low": "bad rate 95% low", "ci_high": "bad rate 95% high"},
                formats={"ci_low": f.pct, "ci_high": f.pct, "mean_pd": f.pct},
                collapse=False,
            )
        )
    gains = sec.sub("gains", t("performance.gains"), Text(t("performance.gains_text")))
    for s in samples:
        if s.both_classes:
            gains.add(
                f.table(
                    _gains(s.y, s.score),
                    caption=t("performance.gains_caption", sample=sample_name(ctx, s.name)),
                    collapse=False,
                    formats={"ks": lambda v: f.num(v, 3), "lift": lambda v: f.num(v, 2)}
                    | {"cum_lift": lambda v: f.num(v, 2)},
                )
            )
    sec.subsections.append(_by_segment(ctx))
    sec.subsections.append(_challenger(ctx))
    sec.subsections.append(_fairness(ctx))
    if ctx.oracle and "oracle" in ctx.metrics:
        o = ctx.metrics["oracle"]
        sec.sub(
            "oracle",
            t("performance.oracle"),
            Text(
                t(
                    "performance.oracle_text",
                    sample=sample_name(ctx, ctx.test_name),
                    oracle=f.num(o["oracle_auc"]),
                    model=f.num(o["model_auc"]),
                    ratio=f.pct(o["ratio"], 1),
                )
            ),
        )
    return sec


def _by_segment(ctx: Context) -> Section:
    sec = Section("performance-segments", t("performance.segments"))
    rows = []
    for s in ctx.samples:
        for name in pd.unique(s.segment):
            m = (s.segment == name).to_numpy()
            if m.sum() and 0 < s.y[m].sum() < m.sum():
                auc = auc_interval(s.y[m], s.pd[m])
                rows.append(
                    {
                        "sample": sample_name(ctx, s.name),
                        "segment": name,
                        "rows": int(m.sum()),
                        "bads": int(s.y[m].sum()),
                        "bad_rate": s.y[m].mean(),
                        "mean_pd": s.pd[m].mean(),
                        "AUC (95% interval)": f.interval(*auc),
                        "KS": metrics.ks(s.y[m], s.pd[m]),
                    }
                )
    if ctx.cfg.segments:
        sec.add(f.table(pd.DataFrame(rows), caption=t("performance.by_segment"), collapse=False))
    else:
        sec.add(Text(t("performance.one_segment")))
    months = []
    for s in ctx.samples:
        if s.month is None:
            continue
        for m_value, idx in s.frame.groupby(s.month.to_numpy()).indices.items():
            y, p = s.y[idx], s.pd[idx]
            if 0 < y.sum() < len(y):
                auc = auc_interval(y, p)
                months.append(
                    {
                        "month": pd.Timestamp(m_value),
                        "sample": sample_name(ctx, s.name),
                        "rows": len(y),
                        "bad_rate": y.mean(),
                        "mean_pd": p.mean(),
                        "auc": auc[0],
                        "auc_low": auc[1],
                        "auc_high": auc[2],
                    }
                )
    if months:
        frame = pd.DataFrame(months).sort_values("month", ignore_index=True)
        sec.add(
            f.image(figures.auc_by_month(frame), t("performance.auc_month_alt")),
            f.table(
                frame,
                caption=t("performance.by_month"),
                labels={"auc": "AUC", "auc_low": "AUC 95% low", "auc_high": "AUC 95% high"},
            ),
        )
    else:
        sec.add(Text(t("performance.no_months")))
    return sec


def _challenger(ctx: Context) -> Section:
    sec = Section("performance-challenger", t("performance.challenger"))
    if not ctx.included("gbm"):
        return sec.add(Text(t("performance.no_gbm", reason=ctx.reason("gbm"))))
    table = ctx.csv("champion_challenger.csv")
    test = ctx.samples.test
    test_label = sample_name(ctx, ctx.test_name)
    blocks: list = [Text(t("performance.challenger_text", sample=test_label))]
    if test.gbm_pd is not None and test.both_classes:
        blocks.append(f.image(figures.models_roc(test, test_label), t("performance.gbm_alt")))
    if table is not None:
        blocks.append(f.table(table, caption=t("performance.champion_challenger")))
    swaps = ctx.csv("swap_set.csv")
    if swaps is not None:
        blocks.append(Text(t("performance.swap_text")))
        blocks.append(f.table(swaps, caption=t("performance.swap_caption"), collapse=False))
    imp = ctx.csv("gbm_importance.csv")
    if imp is not None:
        blocks.append(f.table(imp, caption=t("performance.importance")))
        if shap := (ctx.metrics.get("gbm") or {}).get("importance_rows"):
            blocks.append(
                Text(
                    t(
                        "performance.importance_sample",
                        sampled=f.count(shap["sampled"]),
                        of=f.count(shap["of"]),
                        sample=test_label,
                    ),
                    note=True,
                )
            )
    es = (ctx.metrics.get("gbm") or {}).get("early_stopping")
    if es:
        blocks.append(
            Text(
                t(
                    "performance.early_stopping",
                    rounds=es["rounds"],
                    auc=f.num(es["valid_auc"]),
                    months=f.words(es.get("valid_months") or [t("performance.valid_share")]),
                ),
                note=True,
            )
        )
    return sec.add(*blocks)


def _fairness(ctx: Context) -> Section:
    """Outcomes by protected group (``fairness.csv``) and the prohibited features."""
    sec = Section("performance-fairness", t("fairness.title"))
    fair = ctx.cfg.fairness
    banned = t("format.separator").join(fair.prohibited) if fair.prohibited else t("fairness.none")
    sec.add(Text(t("fairness.prohibited", banned=banned, threshold=f.num(fair.proxy_threshold, 2))))
    path = ctx.folder / "fairness.csv"
    if not path.is_file():
        return sec.add(Text(t("fairness.no_groups")))
    table = pd.read_csv(path)
    test_label = sample_name(ctx, ctx.test_name)
    sec.add(
        Text(t("fairness.text", rate=f.pct(fair.approval_rate, 0), sample=test_label)),
        f.table(
            table,
            caption=t("fairness.caption", sample=test_label),
            formats={
                "share": f.pct,
                "approval_rate": f.pct,
                "bad_rate": f.pct,
                "approved_bad_rate": f.pct,
                "adverse_impact_ratio": lambda v: f.num(v, 2),
                "four_fifths": lambda v: t("fairness.passes" if bool(v) else "fairness.fails"),
            },
            labels={"four_fifths": "four-fifths rule", "adverse_impact_ratio": "AIR"},
            collapse=False,
        ),
    )
    return sec
