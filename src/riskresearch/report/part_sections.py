"""Sections of the model document after the scorecard: stability and the monitoring baseline,
reject inference, and each business part the release carries (anti-fraud, lease terms,
collections, behaviour score, partners), each opening with a two-sentence summary. A part the
release skipped says so, with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskresearch.arrears import roll_rate_plot, vintage_plot
from riskresearch.messages import reason_text, t
from riskresearch.report import figures
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.cover import part_title, sample_name
from riskresearch.report.fmt import Heading, Section, Text
from riskresearch.report.stats import psi, score_psi


def _skipped(ctx: Context, sec: Section, part: str) -> Section:
    title = part_title(part, ctx.title(part))
    return sec.add(Text(t("parts.skipped", part=title, reason=ctx.reason(part))))


def _drop_empty(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.dropna(axis=1, how="all")


# ------------------------------------------------------------------------------------------
# 7. stability and monitoring baseline
# ------------------------------------------------------------------------------------------
def _feature_csi(ctx: Context) -> pd.DataFrame:
    """CSI of every scorecard feature between development and test rows, over its bins
    (the points a row gets identify its bin)."""
    dev, test = ctx.samples
    points_dev = ctx.samples.scorer.feature_points(dev.frame)
    points_test = ctx.samples.scorer.feature_points(test.frame)
    rows = []
    for feat in points_dev.columns:
        a, b = points_dev[feat].dropna(), points_test[feat].dropna()
        bins = np.union1d(a.unique(), b.unique())
        ca = a.value_counts().reindex(bins, fill_value=0).to_numpy()
        cb = b.value_counts().reindex(bins, fill_value=0).to_numpy()
        rows.append({"feature": feat, "bins": len(bins), "csi": psi(ca, cb)})
    return pd.DataFrame(rows).sort_values("csi", ascending=False, ignore_index=True)


def stability(ctx: Context) -> Section:
    cfg = ctx.cfg
    sec = Section("stability", t("stability.title"))
    dev, test = ctx.samples
    value, bands = score_psi(dev.score, test.score)
    csi = _feature_csi(ctx)
    level = "stable" if value < 0.1 else ("moderate" if value < 0.25 else "large")
    sec.add(
        Text(
            t(
                "stability.text",
                sample=sample_name(ctx, ctx.test_name),
                psi=f.num(value, 4),
                level=t(f"stability.level_{level}"),
                feature=csi["feature"].iloc[0],
                csi=f.num(csi["csi"].iloc[0], 4),
            )
            + (
                t("stability.baseline_follows")
                if ctx.included("monitoring")
                else t("stability.monitoring_skipped", reason=ctx.reason("monitoring"))
            )
        ),
        f.table(
            bands.rename(columns={"test_share": f"{ctx.test_name}_share"}),
            caption=t("stability.bands_caption"),
            collapse=False,
        ),
        f.table(csi, caption=t("stability.csi_caption"), collapse=False),
    )
    if not ctx.included("monitoring"):
        return sec
    base = ctx.json("monitoring_baseline.json") or {}
    alerts = ctx.json("monitoring_alerts.json") or {}
    d = base.get("development", {})
    mon = sec.sub("baseline", t("stability.baseline"))
    mon.add(
        Text(
            t("stability.baseline_text", first=d.get("first_month"), last=d.get("last_month"))
            + (
                t(
                    "stability.monitored",
                    first=alerts["monitored"]["first"],
                    last=alerts["monitored"]["last"],
                    red=alerts.get("red", 0),
                    amber=alerts.get("amber", 0),
                    severity=severity_word(alerts.get("severity")),
                )
                if alerts.get("monitored")
                else t("stability.not_monitored")
            )
        )
    )
    grades = base.get("grades", {}).get("rows", [])
    if grades:
        frame = pd.DataFrame(
            [
                {
                    "grade": g["grade"],
                    "min_score": g.get("min_score"),
                    "max_score": g.get("max_score"),
                    "mean_pd": g.get("mean_pd"),
                    **{
                        f"{o}_rows": v["rows"]
                        for o, v in g.get("outcomes", {}).items()
                        if o == cfg.data.target
                    },
                    **{f"{o}_rate": v["rate"] for o, v in g.get("outcomes", {}).items()},
                }
                for g in grades
            ]
        )
        mon.add(f.table(frame, caption=t("stability.grades_caption"), collapse=False))
    stab = ctx.csv("monitoring_stability.csv")
    if stab is not None and len(stab):
        m = cfg.monitoring
        fig = figures.monitoring_psi(stab, m.psi_amber, m.psi_red)
        mon.add(f.image(fig, t("stability.psi_alt")))
    if alerts.get("alerts"):
        table = pd.DataFrame(alerts["alerts"])[["severity", "kind", "subject", "since", "message"]]
        table["severity"] = table["severity"].map(severity_word)
        mon.add(f.table(table, caption=t("stability.alerts_caption"), css="wrap"))
    perf = ctx.csv("monitoring_performance.csv")
    if perf is not None and len(perf):
        mon.add(f.table(perf, caption=t("stability.performance_caption")))
    comparison = ctx.csv("champion_comparison.csv")
    if comparison is not None:
        mon.add(Heading(t("stability.champion")), f.table(comparison, collapse=False))
    return sec


def severity_word(severity) -> str:
    """A monitoring severity (green, amber, red) in the report's language."""
    if severity in ("green", "amber", "red"):
        return t(f"status.{severity}")
    return str(severity)


# ------------------------------------------------------------------------------------------
# 8. reject inference
# ------------------------------------------------------------------------------------------
def reject_inference(ctx: Context) -> Section:
    ri = ctx.cfg.reject_inference
    sec = Section("reject-inference", t("reject.title"))
    report = ctx.metrics.get("reject_inference_report") or {}
    used = ctx.metrics.get("reject_inference") or {}
    if ri.method == "none":
        sec.add(Text(t("reject.none")))
    else:
        implied = used.get("declined_implied_bad_rate")
        sec.add(
            Text(
                t(
                    "reject.used",
                    method=ri.method,
                    accepted=f.count(used.get("accepted_rows")),
                    declined=f.count(used.get("declined_rows")),
                    implied=t("reject.implied", rate=f.pct(implied)) if implied is not None else "",
                )
            )
        )
    if report.get("skipped"):
        sec.add(Text(t("reject.comparison_skipped", reason=reason_text(report["skipped"]))))
    methods = ctx.csv("reject_inference.csv")
    if methods is not None and len(methods):
        if ctx.oracle:
            sec.add(Text(t("reject.oracle")))
        if sample := report.get("compare_rows"):
            sec.add(
                Text(
                    t("reject.sample", sampled=f.count(sample["sampled"]), of=f.count(sample["of"]))
                )
            )
        sec.add(f.table(_drop_empty(methods), caption=t("reject.methods"), collapse=False))
    diag = report.get("diagnostics")
    if diag:
        sec.add(
            Text(
                t(
                    "reject.diagnostics",
                    psi=f.num(diag.get("psi_declined_vs_accepted"), 3),
                    declined=f.num(diag.get("declined_mean_score"), 1),
                    accepted=f.num(diag.get("accepted_mean_score"), 1),
                )
            )
        )
        shift = ctx.csv("reject_shift.csv")
        if shift is not None:
            sec.add(f.table(shift, caption=t("reject.shift")))
    return sec


# ------------------------------------------------------------------------------------------
# 9. business parts
# ------------------------------------------------------------------------------------------
def business(ctx: Context) -> Section:
    sec = Section("parts", t("parts.title"))
    sec.add(Text(t("parts.text")))
    for builder in (fraud, strategy, arrears, behavior, partners):
        sec.subsections.append(builder(ctx))
    return sec


def fraud(ctx: Context) -> Section:
    sec = Section("parts-fraud", t("part.fraud"))
    if not ctx.included("fraud"):
        return _skipped(ctx, sec, "fraud")
    m = ctx.metrics.get("fraud") or {}
    rate = ctx.cfg.fraud.review_rates[1] if len(ctx.cfg.fraud.review_rates) > 1 else 0.02
    key = f"recall_at_{rate:g}"
    sec.add(
        Text(
            t(
                "fraud.text",
                method=m.get("method"),
                rows=f.count(m.get("test_rows")),
                rate=f.pct(m.get("fraud_rate")),
                review=f.pct(rate, 0),
                caught=f.pct(m.get(key)),
                oracle=t("fraud.oracle") if ctx.oracle else "",
            )
        )
    )
    methods = ctx.csv("fraud_methods.csv")
    if methods is not None:
        sec.add(f.table(methods, caption=t("fraud.methods"), collapse=False))
    rings = ctx.csv("fraud_rings.csv")
    if rings is not None:
        counts = rings["key"].value_counts().rename_axis("linked by").reset_index()
        sec.add(f.table(counts, caption=t("fraud.rings"), collapse=False))
    return sec


def strategy(ctx: Context) -> Section:
    sec = Section("parts-strategy", t("part.strategy"))
    if not ctx.included("strategy"):
        return _skipped(ctx, sec, "strategy")
    doc = ctx.json("strategy.json") or {}
    exp = doc.get("expected", {})
    c = ctx.cfg.strategy
    sec.add(
        Text(
            t(
                "strategy.text",
                cutoff=f.num(doc.get("cutoff"), 0),
                approval=f.pct(exp.get("approval_rate")),
                bad_rate=f.pct(exp.get("bad_rate")),
                max_bad=f.pct(c.max_bad_rate),
                min_approval=f.pct(c.min_approval_rate),
                profit=f.money(exp.get("profit_per_application")),
                flat=f.money(exp.get("flat_profit_per_application")),
            )
        ),
        Text(f.html_t("strategy.profit_formula"), note=True),
    )
    terms = ctx.csv("strategy_terms.csv")
    if terms is not None:
        sec.add(f.table(terms, caption=t("strategy.terms"), collapse=False))
    grades = ctx.csv("strategy_grades.csv")
    if grades is not None:
        by = grades.groupby("sample", sort=False) if "sample" in grades else [("", grades)]
        for sample, part in by:
            sec.add(
                f.table(
                    part.drop(columns=["sample"], errors="ignore"),
                    caption=t("strategy.grades_on", sample=sample_name(ctx, sample))
                    if sample
                    else t("strategy.grades"),
                    collapse=False,
                )
            )
    tradeoff = ctx.csv("strategy_tradeoff.csv")
    if tradeoff is not None and exp:
        fig = figures.tradeoff(tradeoff, exp, c.max_bad_rate, c.min_approval_rate)
        sec.add(f.image(fig, t("strategy.tradeoff_alt")))
    comparison = ctx.csv("strategy_comparison.csv")
    if comparison is not None:
        sec.add(f.table(comparison, caption=t("strategy.comparison"), collapse=False))
    pricing = doc.get("pricing") or {}
    sensitivity = ctx.csv("strategy_sensitivity.csv")
    if sensitivity is not None:
        sec.add(
            Text(
                t(
                    "strategy.elasticity",
                    price=f.num(pricing.get("price_elasticity"), 2),
                    deposit=f.num(pricing.get("deposit_elasticity"), 2),
                    implied=f.num(pricing.get("implied_price_elasticity"), 2),
                )
            ),
            f.table(sensitivity, caption=t("strategy.sensitivity"), collapse=False),
        )
    limits = ctx.csv("strategy_limits.csv")
    if limits is not None:
        sec.add(f.table(limits, caption=t("strategy.limits"), collapse=False))
    swap = ctx.csv("strategy_swap_set.csv")
    if swap is not None:
        if len(swap) == 1 and swap["rows"].iloc[0] == 0 and "note" in swap.columns:
            sec.add(Text(t("strategy.swap_note", note=reason_text(swap["note"].iloc[0]))))
        else:
            sec.add(f.table(swap, caption=t("strategy.swap")))
    fr = doc.get("fraud") or {}
    if fr:
        sec.add(
            Text(
                t(
                    "strategy.fraud_rules",
                    decline=f.num(fr.get("decline_score"), 4),
                    review=f.num(fr.get("review_score"), 4),
                    keys=f.words(fr.get("ring_keys", []), "or"),
                )
            )
        )
    return sec


def arrears(ctx: Context) -> Section:
    sec = Section("parts-arrears", t("part.arrears"))
    if not ctx.included("arrears"):
        return _skipped(ctx, sec, "arrears")
    m = ctx.json("arrears_metrics.json") or {}
    cs = m.get("collection_score", {})
    lgd = m.get("lgd", {})
    sec.add(
        Text(
            t(
                "arrears.text",
                leases=f.count(m.get("leases")),
                as_of=f.date(m.get("as_of")),
                ever60=f.pct(m.get("ever_60_mob6")),
                cure=f.pct((m.get("cure_rates") or {}).get("60-89")),
                auc=f.num(cs.get("oot_auc")),
                lgd=f.pct(lgd.get("lgd")),
            )
        )
    )
    vint = ctx.csv("vintages.csv")
    if vint is not None and len(vint):
        vint["cohort"] = pd.to_datetime(vint["cohort"])
        for by in ("count", "amount"):
            fig = vintage_plot(vint, dpd=60, by=by)
            sec.add(f.image(fig, t(f"arrears.vintage_alt_{by}")))
    rolls = ctx.csv("roll_rates.csv")
    if rolls is not None:
        by_count = rolls[rolls["by"] == "count"] if "by" in rolls else rolls
        sec.add(f.image(roll_rate_plot(by_count), t("arrears.roll_alt")))
    for name, caption in (
        ("cure_rates.csv", "arrears.cures"),
        ("collection_score_bands.csv", "arrears.score_bands"),
        ("ladder_comparison.csv", "arrears.ladder"),
        ("device_returns.csv", "arrears.returns"),
        ("lgd.csv", "arrears.lgd"),
    ):
        frame = ctx.csv(name)
        if frame is not None:
            sec.add(f.table(_drop_empty(frame), caption=t(caption), collapse=False))
    sec.add(Text(f.html_t("arrears.lgd_formula"), note=True))
    return sec


def behavior(ctx: Context) -> Section:
    sec = Section("parts-behavior", t("part.behavior"))
    if not ctx.included("behavior"):
        return _skipped(ctx, sec, "behavior")
    m = ctx.metrics.get("behavior") or {}
    sec.add(
        Text(
            t(
                "behavior.text",
                dpd=m.get("bad_dpd", 30),
                months=m.get("window_months", 3),
                train_start=m.get("train_start"),
                train_end=m.get("train_end"),
                train_n=f.count(m.get("train_n")),
                oot_start=m.get("oot_start"),
                oot_end=m.get("oot_end"),
                oot_n=f.count(m.get("oot_n")),
                oot_auc=f.num(m.get("oot_auc")),
                oot_ks=f.num(m.get("oot_ks")),
                train_auc=f.num(m.get("train_auc")),
                train_ks=f.num(m.get("train_ks")),
            )
        )
    )
    for name, caption in (
        ("behavior_bands.csv", t("behavior.bands")),
        ("behavior_points.csv", t("behavior.points")),
    ):
        frame = ctx.csv(name)
        if frame is not None:
            if "bin" in frame.columns:
                frame["bin"] = frame["bin"].map(f.bin_label)
            sec.add(f.table(frame, caption=caption))
    return sec


def partners(ctx: Context) -> Section:
    sec = Section("parts-partners", t("part.partners"))
    if not ctx.included("partners"):
        return _skipped(ctx, sec, "partners")
    doc = ctx.json("partners.json") or {}
    q = doc.get("qualification", {})
    a = doc.get("actions", {})
    sec.add(
        Text(
            t(
                "partners.text",
                partners=f.count(doc.get("partners")),
                approve=q.get("approve", 0),
                review=q.get("review", 0),
                decline=q.get("decline", 0),
                suspend=a.get("suspend", 0),
                restrict=a.get("restrict", 0),
                watch=a.get("watch", 0),
            )
        )
    )
    ranked = ctx.csv("partners.csv")
    if ranked is not None:
        flagged = ranked[ranked["action"] != "ok"]
        sec.add(f.table(flagged, caption=t("partners.flagged"), css="wrap"))
    qual = ctx.csv("partner_qualification.csv")
    if qual is not None:
        sec.add(f.table(qual, caption=t("partners.qualification"), css="wrap"))
    det = doc.get("detection")
    if ctx.oracle and det:
        sec.add(
            Text(
                t(
                    "partners.oracle",
                    recall=f.pct(det.get("recall_bad"), 0),
                    precision=f.pct(det.get("precision_bad"), 0),
                )
            )
        )
    return sec
