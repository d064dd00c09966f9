"""Section 6 of the model document: performance of the scorecard on the development and
test rows (recomputed in the report step), by segment and month, and against the GBM
challenger."""

from __future__ import annotations

import re

import pandas as pd

from riskresearch import metrics
from riskresearch.report import figures
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
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
                "sample": s.name,
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
    sec = Section("performance", "Performance")
    sec.add(
        Text(
            "Every figure of this section is recomputed in the report step: the development "
            f"and {ctx.test_name} rows are loaded from the config's table and scored with the "
            "release's scorecard.json"
            + (" (and the GBM challenger with gbm.txt)" if ctx.samples.gbm is not None else "")
            + ". Metrics use the rows with an observed outcome."
        ),
        f.table(_summary_rows(ctx), collapse=False),
    )
    sec.sub("roc", "Discrimination: ROC and KS").add(
        f.image(figures.roc_samples(samples), "ROC curves of development and test rows"),
        f.image(figures.ks_samples(samples), "KS of development and test rows"),
    )
    sec.sub("distribution", "Score distributions").add(
        f.image(figures.score_distribution_samples(samples), "score distributions")
    )
    cal = sec.sub("calibration", "Calibration")
    cal.add(f.image(figures.calibration_samples(samples), "calibration by PD decile"))
    for s in samples:
        if not s.both_classes:
            continue
        t = metrics.calibration_table(s.y, s.pd, bands=10)
        t["label"] = t["label"].map(_pct_label).str.replace("<=", "≤").str.replace(">=", "≥")
        t["pd_in_ci"] = t["pd_in_ci"].astype(bool)
        cal.add(
            f.table(
                t.rename(columns={"label": "PD band", "pd_in_ci": "mean PD inside interval"}),
                caption=f"Calibration by PD decile, {s.name} rows",
                labels={"ci_low": "bad rate 95% low", "ci_high": "bad rate 95% high"},
                formats={"ci_low": f.pct, "ci_high": f.pct, "mean_pd": f.pct},
                collapse=False,
            )
        )
    gains = sec.sub(
        "gains",
        "Gains and lift",
        Text(
            "Score deciles from the riskiest (band 1): the share of all bads captured at or "
            "below each band, the KS there and the lift (band bad rate / overall bad rate)."
        ),
    )
    for s in samples:
        if s.both_classes:
            gains.add(
                f.table(
                    _gains(s.y, s.score),
                    caption=f"Gains table, {s.name} rows",
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
            "Against the simulator's truth",
            Text(
                f"On the simulated data the true default probability ranks the {ctx.test_name} "
                f"rows with an AUC of {f.num(o['oracle_auc'])}; the scorecard reaches "
                f"{f.num(o['model_auc'])}, {f.pct(o['ratio'], 1)} of the best achievable."
            ),
        )
    return sec


def _by_segment(ctx: Context) -> Section:
    sec = Section("performance-segments", "By segment and by month")
    rows = []
    for s in ctx.samples:
        for name in pd.unique(s.segment):
            m = (s.segment == name).to_numpy()
            if m.sum() and 0 < s.y[m].sum() < m.sum():
                auc = auc_interval(s.y[m], s.pd[m])
                rows.append(
                    {
                        "sample": s.name,
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
        sec.add(f.table(pd.DataFrame(rows), caption="Performance by segment", collapse=False))
    else:
        sec.add(
            Text(
                "One scorecard serves the whole population (no segments in the config), so "
                "the segment split is the table above; below, the months."
            )
        )
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
                        "sample": s.name,
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
            f.image(figures.auc_by_month(frame), "AUC by month"),
            f.table(
                frame,
                caption="Performance by month",
                labels={"auc": "AUC", "auc_low": "AUC 95% low", "auc_high": "AUC 95% high"},
            ),
        )
    else:
        sec.add(Text("The table has no date column, so no performance by month."))
    return sec


def _challenger(ctx: Context) -> Section:
    sec = Section("performance-challenger", "Challenger and swap sets")
    if not ctx.included("gbm"):
        return sec.add(Text(f"No GBM challenger: skipped, {ctx.reason('gbm')}."))
    table = ctx.csv("champion_challenger.csv")
    test = ctx.samples.test
    blocks: list = [
        Text(
            "A LightGBM model fitted on the same development rows (gbm.txt) challenges the "
            f"scorecard on the same {ctx.test_name} rows: the tables compare their "
            "discrimination and, at each approval rate, the bad rate of the approved and the "
            "share of bads declined."
        )
    ]
    if test.gbm_pd is not None and test.both_classes:
        blocks.append(f.image(figures.models_roc(test, ctx.test_name), "ROC scorecard vs GBM"))
    if table is not None:
        blocks.append(f.table(table, caption="Champion (scorecard) vs challenger (GBM)"))
    swaps = ctx.csv("swap_set.csv")
    if swaps is not None:
        blocks.append(
            Text(
                "Swap sets: at each approval rate, the rows one model approves and the other "
                "declines. The challenger is better where the rows only it approves are safer "
                "than those only the scorecard approves."
            )
        )
        blocks.append(f.table(swaps, caption="Swap sets", collapse=False))
    imp = ctx.csv("gbm_importance.csv")
    if imp is not None:
        blocks.append(f.table(imp, caption="GBM feature importance (mean |SHAP|, gain share)"))
    es = (ctx.metrics.get("gbm") or {}).get("early_stopping")
    if es:
        blocks.append(
            Text(
                f"Early stopping chose {es['rounds']} trees (validation AUC "
                f"{f.num(es['valid_auc'])} on "
                f"{f.words(es.get('valid_months') or ['a share of the development rows'])}).",
                note=True,
            )
        )
    return sec.add(*blocks)


def _fairness(ctx: Context) -> Section:
    """Outcomes by protected group (``fairness.csv``) and the prohibited features."""
    sec = Section("performance-fairness", "Fairness and personal information")
    fair = ctx.cfg.fairness
    banned = ", ".join(fair.prohibited) if fair.prohibited else "none listed"
    sec.add(
        Text(
            f"Prohibited features (fairness.prohibited): {banned}. A release refuses to use "
            "them, and leaves out every candidate associated with one present in the table at "
            f"{f.num(fair.proxy_threshold, 2)} or more (Cramér's V) as its proxy; section 2 "
            "lists any such exclusion."
        )
    )
    path = ctx.folder / "fairness.csv"
    if not path.is_file():
        return sec.add(
            Text(
                "No protected group is configured (fairness.protected), so outcomes by group "
                "are not reported."
            )
        )
    table = pd.read_csv(path)
    sec.add(
        Text(
            f"Approval at the score approving {f.pct(fair.approval_rate, 0)} of the "
            f"{ctx.test_name} rows; the adverse-impact ratio is a group's approval rate over "
            "the highest group's in the same attribute (below 0.80 fails the four-fifths rule). "
            "Bad rates use the rows with an observed outcome."
        ),
        f.table(
            table,
            caption=f"Outcomes by protected group, {ctx.test_name} rows",
            formats={
                "share": f.pct,
                "approval_rate": f.pct,
                "bad_rate": f.pct,
                "approved_bad_rate": f.pct,
                "adverse_impact_ratio": lambda v: f.num(v, 2),
                "four_fifths": lambda v: "passes" if bool(v) else "fails",
            },
            labels={"four_fifths": "four-fifths rule", "adverse_impact_ratio": "AIR"},
            collapse=False,
        ),
    )
    return sec
