"""Partner performance per month and over the window, and the flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskresearch.config import PartnersConfig
from riskresearch.partners._common import (
    ACTIONS,
    APPLICATION_COLUMNS,
    OUTCOMES,
    check_frame,
    partners_config,
)
from riskresearch.partners.stats import ae_stats, calibrate


def monitor(
    applications: pd.DataFrame,
    pd_col: str | None = None,
    config: PartnersConfig | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Partner performance per month and over the whole window, actual vs expected.

    Parameters
    ----------
    applications : DataFrame
        :func:`load_partner_data`'s application rows (:data:`APPLICATION_COLUMNS` plus
        ``address_changed``, ``dpd30_3m``, ``dpd30_3m_mature``), optionally a PD column.
    pd_col : str, optional
        Column with each row's partner-neutral PD (:func:`expected_pd`, or any PD); without it
        the expected rates are the portfolio's per cohort month and segment (mix-unadjusted).
    config : PartnersConfig, optional

    Returns
    -------
    monthly : DataFrame
        One row per partner and cohort month: ``applications``, ``approval_rate``,
        ``leases``, then for each outcome of :data:`OUTCOMES` its mature count ``<o>_n``,
        ``<o>_actual``, ``<o>_expected`` and ``<o>_rate``; ``price_median``.
    summary : DataFrame
        One row per partner over the window with the same counts, plus ``<o>_ae``,
        ``<o>_ae_low``/``<o>_ae_high``/``<o>_z`` (interval at ``confidence``) and
        ``<o>_ae_low_flag`` (lower bound at ``flag_confidence``), ``price_median`` and
        ``price_anomaly_share`` (applications priced at ``price_ratio`` x retail or more).
    """
    cfg = partners_config(config)
    extra = ["address_changed", "dpd30_3m", "dpd30_3m_mature"] + ([pd_col] if pd_col else [])
    apps = check_frame(applications, [*APPLICATION_COLUMNS, *extra], "The applications frame")
    a = apps.assign(
        application_month=pd.to_datetime(apps["application_month"]).dt.strftime("%Y-%m"),
        approved=~apps["declined"].astype(bool),
        leases=apps["has_performance"].astype(bool),
        price_anomaly=apps["price_vs_retail"] >= cfg.price_ratio,
    )
    for target, mature, uses_pd in OUTCOMES:
        exp = calibrate(a, target, mature, pd_col if uses_pd else None, seed=seed)
        ok = exp.notna()
        a[f"{target}_y"] = pd.to_numeric(a[target], errors="coerce").where(ok)
        a[f"{target}_e"] = exp
        a[f"{target}_e2"] = exp**2
    agg: dict[str, tuple[str, str]] = {
        "applications": ("application_id", "size"),
        "approved": ("approved", "sum"),
        "leases": ("leases", "sum"),
        "price_median": ("price_vs_retail", "median"),
    }
    for target, _, _ in OUTCOMES:
        agg[f"{target}_n"] = (f"{target}_e", "count")
        agg[f"{target}_actual"] = (f"{target}_y", "sum")
        agg[f"{target}_expected"] = (f"{target}_e", "sum")
    monthly = a.groupby(["partner_id", "application_month"], sort=True).agg(**agg).reset_index()
    summary = (
        a.groupby("partner_id", sort=True)
        .agg(
            **agg,
            first_month=("application_month", "min"),
            months=("application_month", "nunique"),
            price_anomaly_share=("price_anomaly", "mean"),
            **{f"_{t}_s": (f"{t}_e2", "sum") for t, _, _ in OUTCOMES},
        )
        .reset_index()
    )
    for frame in (monthly, summary):
        frame["approval_rate"] = frame["approved"] / frame["applications"]
        for target, _, _ in OUTCOMES:
            n = frame[f"{target}_n"].replace(0, np.nan)
            frame[f"{target}_rate"] = frame[f"{target}_actual"] / n
    for target, _, _ in OUTCOMES:
        o, e, s = (summary[c] for c in (f"{target}_actual", f"{target}_expected", f"_{target}_s"))
        st = ae_stats(o, e, s, cfg.confidence)
        for c in st.columns:
            summary[f"{target}_{c}"] = st[c].to_numpy()
        summary[f"{target}_ae_low_flag"] = ae_stats(o, e, s, cfg.flag_confidence)["ae_low"]
    summary = summary.drop(columns=[f"_{t}_s" for t, _, _ in OUTCOMES])
    return monthly, summary


LABELS = {
    "bad": "bad rate (60+ dpd in 6 months)",
    "fpd30": "first-payment default",
    "dpd30_3m": "30+ dpd in the first 3 months",
    "fraud": "confirmed fraud",
    "address_changed": "delivery-address changes",
}


def flag_partners(
    summary: pd.DataFrame,
    qualification: pd.DataFrame | None = None,
    config: PartnersConfig | None = None,
) -> pd.DataFrame:
    """Watch / restrict / suspend recommendations with reasons, riskiest first.

    Rules (``r`` = actual/expected, ``low``/``low_flag`` = its lower bound at ``confidence`` /
    ``flag_confidence``):

    - bad rate: ``low_flag >= suspend_ratio`` suspends; ``low_flag > 1`` and
      ``r >= restrict_ratio`` restricts; ``low > 1`` watches;
    - early indicators (``fpd30``, ``dpd30_3m``): ``low_flag > 1`` and ``r >= restrict_ratio``
      restricts, ``low > 1`` watches (they see partners that started recently);
    - fraud: ``low_flag > 1`` and ``r >= fraud_ratio`` restricts, ``low > 1`` watches;
      delivery-address changes: ``low > 1`` watches;
    - price: median listed/retail price ``>= price_ratio`` (``min_applications`` or more)
      restricts;
    - qualification: a knock-out or a ``decline`` on today's data watches (re-vet).

    Returns
    -------
    DataFrame
        ``rank``, ``partner_id``, ``action``, ``reasons``, ``severity`` (index of ``action`` in
        :data:`ACTIONS`), ``max_z`` and the key figures, sorted by severity then ``max_z``.
    """
    cfg = partners_config(config)
    need = ["partner_id", "applications", "price_median"]
    for t, _, _ in OUTCOMES:
        need += [f"{t}_ae", f"{t}_ae_low", f"{t}_ae_low_flag", f"{t}_z"]
    s = check_frame(summary, need, "The partner summary").reset_index(drop=True)
    level = np.zeros(len(s), dtype=int)
    reasons: list[list[str]] = [[] for _ in range(len(s))]

    def hit(mask, severity: int, text) -> None:
        for i in np.flatnonzero(np.asarray(mask.fillna(False), dtype=bool)):
            level[i] = max(level[i], severity)
            reasons[i].append(text(i))

    def ae_text(t: str, tag: str):
        return lambda i: (
            f"{tag}: {LABELS[t]} {s.at[i, f'{t}_ae']:.2f}x expected "
            f"(CI low {s.at[i, f'{t}_ae_low']:.2f}, {s.at[i, f'{t}_actual']:.0f} vs "
            f"{s.at[i, f'{t}_expected']:.1f})"
        )

    for t in ("bad", "fpd30", "dpd30_3m", "fraud", "address_changed"):
        r, low, low_f = s[f"{t}_ae"], s[f"{t}_ae_low"], s[f"{t}_ae_low_flag"]
        if t == "bad":
            hit(low_f >= cfg.suspend_ratio, 3, ae_text(t, "suspend"))
        if t in ("bad", "fpd30", "dpd30_3m"):
            strong = (low_f > 1) & (r >= cfg.restrict_ratio)
        elif t == "fraud":
            strong = (low_f > 1) & (r >= cfg.fraud_ratio)
        else:
            strong = pd.Series(False, index=s.index)
        hit(strong & ~((t == "bad") & (low_f >= cfg.suspend_ratio)), 2, ae_text(t, "restrict"))
        hit((low > 1) & ~strong, 1, ae_text(t, "watch"))
    price = (s["price_median"] >= cfg.price_ratio) & (s["applications"] >= cfg.min_applications)
    hit(
        price,
        2,
        lambda i: f"restrict: median listed price {s.at[i, 'price_median']:.2f}x retail",
    )
    if qualification is not None:
        q = check_frame(qualification, ["partner_id", "decision", "knockouts"], "The qualification")
        q = q.set_index("partner_id")
        ko = s["partner_id"].map(q["knockouts"]).fillna("")
        ko = ko.str.replace("past_performance", "").str.strip(";")
        dec = s["partner_id"].map(q["decision"])
        hit(ko != "", 1, lambda i: f"watch: re-vet, knock-out {ko[i]}")
        hit((ko == "") & (dec == "decline"), 1, lambda i: "watch: re-vet, qualification score")
    zcols = [f"{t}_z" for t, _, _ in OUTCOMES if t != "address_changed"]
    out = pd.DataFrame(
        {
            "partner_id": s["partner_id"],
            "action": np.asarray(ACTIONS)[level],
            "severity": level,
            "max_z": s[zcols].max(axis=1, skipna=True),
            "reasons": ["; ".join(r) for r in reasons],
            "applications": s["applications"],
            "bad_ae": s["bad_ae"],
            "bad_ae_low": s["bad_ae_low"],
            "fpd30_ae": s["fpd30_ae"],
            "fraud_ae": s["fraud_ae"],
            "price_median": s["price_median"],
        }
    )
    out = out.sort_values(["severity", "max_z", "partner_id"], ascending=[False, False, True])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)
