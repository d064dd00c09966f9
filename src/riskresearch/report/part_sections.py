"""Sections of the model document after the scorecard: stability and the monitoring baseline,
reject inference, and each business part the release carries (anti-fraud, lease terms,
collections, behaviour score, partners), each opening with a two-sentence summary. A part the
release skipped says so, with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskresearch.arrears import roll_rate_plot, vintage_plot
from riskresearch.report import figures
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.fmt import Heading, Section, Text
from riskresearch.report.stats import psi, score_psi


def _skipped(ctx: Context, sec: Section, part: str) -> Section:
    return sec.add(Text(f"Not in this release: {ctx.title(part)} was skipped, {ctx.reason(part)}."))


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
    sec = Section("stability", "Stability and monitoring baseline")
    dev, test = ctx.samples
    value, bands = score_psi(dev.score, test.score)
    csi = _feature_csi(ctx)
    level = "stable" if value < 0.1 else ("a moderate shift" if value < 0.25 else "a large shift")
    sec.add(
        Text(
            f"The score's population stability index between the development and "
            f"{ctx.test_name} rows is {f.num(value, 4)} ({level}; 0.1 and 0.25 are the usual "
            "amber and red levels), and the largest feature shift is "
            f"{csi['feature'].iloc[0]} with a CSI of {f.num(csi['csi'].iloc[0], 4)}. "
            + (
                "The monitoring baseline of this release fixes what later months are compared "
                "with; its checks on the months after development follow."
                if ctx.included("monitoring")
                else f"Monitoring was skipped: {ctx.reason('monitoring')}."
            )
        ),
        f.table(
            bands.rename(columns={"test_share": f"{ctx.test_name}_share"}),
            caption="Score bands (development deciles)",
            collapse=False,
        ),
        f.table(csi, caption="CSI of each scorecard feature", collapse=False),
    )
    if not ctx.included("monitoring"):
        return sec
    base = ctx.json("monitoring_baseline.json") or {}
    alerts = ctx.json("monitoring_alerts.json") or {}
    d = base.get("development", {})
    mon = sec.sub("baseline", "Monitoring baseline and the months after development")
    mon.add(
        Text(
            f"The baseline (monitoring_baseline.json) is the development window "
            f"{d.get('first_month')} to {d.get('last_month')}: the score over fixed bands, "
            "each scorecard feature over its bins with its month-to-month noise floor, and the "
            "expected rate of each outcome per grade. "
            + (
                f"The monitored months {alerts['monitored']['first']} to "
                f"{alerts['monitored']['last']} end with {alerts.get('red', 0)} red and "
                f"{alerts.get('amber', 0)} amber alerts (overall: {alerts.get('severity')})."
                if alerts.get("monitored")
                else "No month after the development window was monitored."
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
        mon.add(f.table(frame, caption="Expected rates per grade (development)", collapse=False))
    stab = ctx.csv("monitoring_stability.csv")
    if stab is not None and len(stab):
        m = cfg.monitoring
        mon.add(f.image(figures.monitoring_psi(stab, m.psi_amber, m.psi_red), "PSI by month"))
    if alerts.get("alerts"):
        table = pd.DataFrame(alerts["alerts"])[["severity", "kind", "subject", "since", "message"]]
        mon.add(f.table(table, caption="Alerts", css="wrap"))
    perf = ctx.csv("monitoring_performance.csv")
    if perf is not None and len(perf):
        mon.add(f.table(perf, caption="Performance of the monitored months"))
    comparison = ctx.csv("champion_comparison.csv")
    if comparison is not None:
        mon.add(Heading("Champion and challenger"), f.table(comparison, collapse=False))
    return sec


# ------------------------------------------------------------------------------------------
# 8. reject inference
# ------------------------------------------------------------------------------------------
def reject_inference(ctx: Context) -> Section:
    ri = ctx.cfg.reject_inference
    sec = Section("reject-inference", "Reject inference")
    report = ctx.metrics.get("reject_inference_report") or {}
    used = ctx.metrics.get("reject_inference") or {}
    if ri.method == "none":
        sec.add(
            Text(
                "The scorecard is fitted on accepted applications only "
                "(reject_inference.method: none): declined applicants have no outcome, so "
                "the model learns the risk of the applicants the old policy accepted."
            )
        )
    else:
        sec.add(
            Text(
                f"The scorecard is fitted on the development sample augmented by "
                f"{ri.method} (reject_inference.method): "
                f"{f.count(used.get('accepted_rows'))} accepted and "
                f"{f.count(used.get('declined_rows'))} declined development applications"
                + (
                    f", the declines with an implied bad rate of "
                    f"{f.pct(used['declined_implied_bad_rate'])}"
                    if used.get("declined_implied_bad_rate") is not None
                    else ""
                )
                + ". Performance in section 6 is measured on accepted rows only, whose outcome "
                "is observed."
            )
        )
    if report.get("skipped"):
        sec.add(Text(f"The method comparison was skipped: {report['skipped']}."))
    methods = ctx.csv("reject_inference.csv")
    if methods is not None and len(methods):
        if ctx.oracle:
            sec.add(
                Text(
                    "On the simulated data each method is measured out of time on the "
                    "through-the-door rows (accepted and declined), the declined applicants' "
                    "outcomes coming from the simulator's truth: 'ttd' columns are on all "
                    "applicants, 'accepts' columns on the accepted ones."
                )
            )
        sec.add(f.table(_drop_empty(methods), caption="Reject-inference methods", collapse=False))
    diag = report.get("diagnostics")
    if diag:
        sec.add(
            Text(
                f"What the data alone shows: the declined applicants' scores sit away from the "
                f"accepted ones' (PSI {f.num(diag.get('psi_declined_vs_accepted'), 3)}; mean "
                f"score {f.num(diag.get('declined_mean_score'), 1)} vs "
                f"{f.num(diag.get('accepted_mean_score'), 1)}), so an accepts-only model "
                "extrapolates to them; their outcomes cannot be checked without data the "
                "business never sees."
            )
        )
        shift = ctx.csv("reject_shift.csv")
        if shift is not None:
            sec.add(f.table(shift, caption="Accepted and declined by score band"))
    return sec


# ------------------------------------------------------------------------------------------
# 9. business parts
# ------------------------------------------------------------------------------------------
def business(ctx: Context) -> Section:
    sec = Section("parts", "Business parts of the release")
    sec.add(
        Text(
            "Each part below runs on the same release; the parts the data cannot feed are "
            "listed with the reason they were skipped."
        )
    )
    for builder in (fraud, strategy, arrears, behavior, partners):
        sec.subsections.append(builder(ctx))
    return sec


def fraud(ctx: Context) -> Section:
    sec = Section("parts-fraud", "Anti-fraud model")
    if not ctx.included("fraud"):
        return _skipped(ctx, sec, "fraud")
    m = ctx.metrics.get("fraud") or {}
    rate = ctx.cfg.fraud.review_rates[1] if len(ctx.cfg.fraud.review_rates) > 1 else 0.02
    key = f"recall_at_{rate:g}"
    sec.add(
        Text(
            f"A LightGBM model ({m.get('method')}) scores every application for fraud from "
            "point-in-time features of the raw tables (linked devices, phones and addresses, "
            "velocity, identity age); it is measured out of time on "
            f"{f.count(m.get('test_rows'))} applications with a fraud rate of "
            f"{f.pct(m.get('fraud_rate'))}. Reviewing the top {f.pct(rate, 0)} of scores "
            f"catches {f.pct(m.get(key))} of the fraud"
            + (" (measured against the simulator's true fraud)" if ctx.oracle else "")
            + "."
        )
    )
    methods = ctx.csv("fraud_methods.csv")
    if methods is not None:
        sec.add(f.table(methods, caption="Fraud methods compared out of time", collapse=False))
    rings = ctx.csv("fraud_rings.csv")
    if rings is not None:
        counts = rings["key"].value_counts().rename_axis("linked by").reset_index()
        sec.add(f.table(counts, caption="Identifiers on the fraud-ring list", collapse=False))
    return sec


def strategy(ctx: Context) -> Section:
    sec = Section("parts-strategy", "Lease terms and decision rules")
    if not ctx.included("strategy"):
        return _skipped(ctx, sec, "strategy")
    doc = ctx.json("strategy.json") or {}
    exp = doc.get("expected", {})
    c = ctx.cfg.strategy
    sec.add(
        Text(
            f"The score is cut into credit grades at a cut-off of {f.num(doc.get('cutoff'), 0)} "
            f"points, approving {f.pct(exp.get('approval_rate'))} of applications at a predicted "
            f"bad rate of {f.pct(exp.get('bad_rate'))} (constraints: at most "
            f"{f.pct(c.max_bad_rate)} bad, at least {f.pct(c.min_approval_rate)} approved). "
            f"Grade-dependent terms earn {f.money(exp.get('profit_per_application'))} expected "
            "profit per application against "
            f"{f.money(exp.get('flat_profit_per_application'))} for one flat cut-off."
        ),
        Text(
            f.html(
                "Expected profit of an application = take-up &times; [(1 &minus; PD) &times; "
                "margin of a performing lease &minus; PD &times; loss at default], the take-up "
                "falling with the deposit and the price, the loss net of the deposit and of the "
                "recovered device's resale value."
            ),
            note=True,
        ),
    )
    terms = ctx.csv("strategy_terms.csv")
    if terms is not None:
        sec.add(f.table(terms, caption="Terms per grade", collapse=False))
    grades = ctx.csv("strategy_grades.csv")
    if grades is not None:
        by = grades.groupby("sample", sort=False) if "sample" in grades else [("", grades)]
        for sample, part in by:
            sec.add(
                f.table(
                    part.drop(columns=["sample"], errors="ignore"),
                    caption=f"Grades on the {sample} rows" if sample else "Grades",
                    collapse=False,
                )
            )
    tradeoff = ctx.csv("strategy_tradeoff.csv")
    if tradeoff is not None and exp:
        fig = figures.tradeoff(tradeoff, exp, c.max_bad_rate, c.min_approval_rate)
        sec.add(f.image(fig, "approval rate against bad rate and profit"))
    comparison = ctx.csv("strategy_comparison.csv")
    if comparison is not None:
        sec.add(f.table(comparison, caption="Graded vs flat policy", collapse=False))
    pricing = doc.get("pricing") or {}
    sensitivity = ctx.csv("strategy_sensitivity.csv")
    if sensitivity is not None:
        sec.add(
            Text(
                "The take-up elasticities are assumptions of the config (strategy.economics: "
                f"price elasticity {f.num(pricing.get('price_elasticity'), 2)}, deposit "
                f"elasticity {f.num(pricing.get('deposit_elasticity'), 2)}), not measurements; "
                "the quoted rents are the most profitable price for the approved book at a "
                f"price elasticity of {f.num(pricing.get('implied_price_elasticity'), 2)}. "
                "The policy re-optimised at half and twice the price elasticity:"
            ),
            f.table(sensitivity, caption="Prices under other price elasticities", collapse=False),
        )
    limits = ctx.csv("strategy_limits.csv")
    if limits is not None:
        sec.add(f.table(limits, caption="Limits by platform history", collapse=False))
    swap = ctx.csv("strategy_swap_set.csv")
    if swap is not None:
        if len(swap) == 1 and swap["rows"].iloc[0] == 0 and "note" in swap.columns:
            sec.add(Text(f"Swap set against the previous release: {swap['note'].iloc[0]}."))
        else:
            sec.add(f.table(swap, caption="Swap set against the previous release"))
    fr = doc.get("fraud") or {}
    if fr:
        sec.add(
            Text(
                f"Fraud rules of the decision engine: decline at a fraud score of "
                f"{f.num(fr.get('decline_score'), 4)} or more, review from "
                f"{f.num(fr.get('review_score'), 4)}, decline any application sharing "
                f"{f.words(fr.get('ring_keys', []), 'or')} with a confirmed fraud ring."
            )
        )
    return sec


def arrears(ctx: Context) -> Section:
    sec = Section("parts-arrears", "Post-lease management and collections")
    if not ctx.included("arrears"):
        return _skipped(ctx, sec, "arrears")
    m = ctx.json("arrears_metrics.json") or {}
    cs = m.get("collection_score", {})
    lgd = m.get("lgd", {})
    sec.add(
        Text(
            f"Of {f.count(m.get('leases'))} leases observed to {m.get('as_of')}, "
            f"{f.pct(m.get('ever_60_mob6'))} reached 60+ days past due within 6 months on "
            f"book, and {f.pct((m.get('cure_rates') or {}).get('60-89'))} of the accounts "
            "entering 60-89 days cure, which is why bad = ever 60+ days past due. The "
            f"collection score ranks accounts entering arrears by their chance to cure "
            f"(out-of-time AUC {f.num(cs.get('oot_auc'))}), and written-off leases lose "
            f"{f.pct(lgd.get('lgd'))} of their outstanding rent (loss given default)."
        )
    )
    vint = ctx.csv("vintages.csv")
    if vint is not None and len(vint):
        vint["cohort"] = pd.to_datetime(vint["cohort"])
        for by in ("count", "amount"):
            fig = vintage_plot(vint, dpd=60, by=by)
            sec.add(f.image(fig, f"vintage curves, ever 60+ days past due by {by}"))
    rolls = ctx.csv("roll_rates.csv")
    if rolls is not None:
        by_count = rolls[rolls["by"] == "count"] if "by" in rolls else rolls
        sec.add(f.image(roll_rate_plot(by_count), "roll rates"))
    for name, caption in (
        ("cure_rates.csv", "Cure and re-default rates by bucket entered"),
        ("collection_score_bands.csv", "Collection score: gains table (out of time)"),
        ("ladder_comparison.csv", "Collection ladder: history vs recommended policy"),
        ("device_returns.csv", "Device returns at the term end"),
        ("lgd.csv", "Loss given default by device and months on book"),
    ):
        frame = ctx.csv(name)
        if frame is not None:
            sec.add(f.table(_drop_empty(frame), caption=caption, collapse=False))
    sec.add(
        Text(
            f.html(
                "LGD = loss / outstanding rent at the write-off; loss = outstanding rent "
                "&minus; deposit &minus; partial payments &minus; net resale of a recovered "
                "device + collection cost, at least 0 per lease: a device resold for more than "
                "the rent still owed (a short lease that defaults late) recovers the exposure "
                "in full and has no loss, never a negative one."
            ),
            note=True,
        )
    )
    return sec


def behavior(ctx: Context) -> Section:
    sec = Section("parts-behavior", "Behaviour score")
    if not ctx.included("behavior"):
        return _skipped(ctx, sec, "behavior")
    m = ctx.metrics.get("behavior") or {}
    sec.add(
        Text(
            f"Every active lease gets a behaviour score at each month end from its payment "
            f"history up to that day, predicting {m.get('bad_dpd', 30)}+ days past due in the "
            f"next {m.get('window_months', 3)} months; it is fitted on the snapshots "
            f"{m.get('train_start')} to {m.get('train_end')} "
            f"({f.count(m.get('train_n'))} rows) and evaluated on {m.get('oot_start')} to "
            f"{m.get('oot_end')} ({f.count(m.get('oot_n'))} rows). Out of time it reaches an "
            f"AUC of {f.num(m.get('oot_auc'))} and a KS of {f.num(m.get('oot_ks'))} "
            f"(development {f.num(m.get('train_auc'))} and {f.num(m.get('train_ks'))})."
        )
    )
    for name, caption in (
        ("behavior_bands.csv", "Behaviour score: gains table (out of time)"),
        ("behavior_points.csv", "Behaviour score: points table"),
    ):
        frame = ctx.csv(name)
        if frame is not None:
            if "bin" in frame.columns:
                frame["bin"] = frame["bin"].map(f.bin_label)
            sec.add(f.table(frame, caption=caption))
    return sec


def partners(ctx: Context) -> Section:
    sec = Section("parts-partners", "Partners")
    if not ctx.included("partners"):
        return _skipped(ctx, sec, "partners")
    doc = ctx.json("partners.json") or {}
    q = doc.get("qualification", {})
    a = doc.get("actions", {})
    sec.add(
        Text(
            f"Of {f.count(doc.get('partners'))} partners, the qualification score and knock-out "
            f"rules approve {q.get('approve', 0)}, send {q.get('review', 0)} to review and "
            f"decline {q.get('decline', 0)}. Monitored against the outcomes their customers' "
            f"scores predict, {a.get('suspend', 0)} are flagged for suspension, "
            f"{a.get('restrict', 0)} for restriction and {a.get('watch', 0)} to watch."
        )
    )
    ranked = ctx.csv("partners.csv")
    if ranked is not None:
        flagged = ranked[ranked["action"] != "ok"]
        sec.add(f.table(flagged, caption="Partners flagged, riskiest first", css="wrap"))
    qual = ctx.csv("partner_qualification.csv")
    if qual is not None:
        sec.add(f.table(qual, caption="Qualification of every partner", css="wrap"))
    det = doc.get("detection")
    if ctx.oracle and det:
        sec.add(
            Text(
                f"Against the simulator's hidden partner quality (evaluation only): the "
                f"flags find {f.pct(det.get('recall_bad'), 0)} of the bad partners with a "
                f"precision of {f.pct(det.get('precision_bad'), 0)}."
            )
        )
    return sec
