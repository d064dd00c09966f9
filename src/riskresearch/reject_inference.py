"""Reject inference: declined applicants in the development sample, measured against the truth.

An application scorecard is fitted on accepted applications, the only ones with an outcome,
but it scores the whole through-the-door population. Reject inference adds the declined
applicants (or reweights the accepted ones) so that the fitted sample resembles that
population. Three modules, one per layer (``docs/architecture.md``), all re-exported here:

- :mod:`riskresearch.reject_methods`: the methods (``reject_inference.method``: ``none``,
  ``fuzzy``, ``parceling``, ``hard_cutoff``, ``reweighting``) on arrays, :func:`augment`;
- :mod:`riskresearch.reject_sample`: the augmented development sample from a config,
  :func:`reject_sample`;
- this module: what the methods achieve, measured.

The final scorecard (binning, feature selection, logistic regression) and the GBM are fitted
on that weighted sample (:func:`riskresearch.development.develop`,
:func:`riskresearch.gbm_development.develop_gbm`).

Measuring: :func:`compare_methods` fits every method and scores the out-of-time
through-the-door rows (accepted and declined) against the simulator's oracle
(``oracle_applications``): only evaluation functions read it, never a fit. On real data (no
oracle) the benefit cannot be measured; :func:`no_oracle_diagnostics` shows what can be
shown: how the declines' scores differ from the accepts' and whether the accepted bad rate
bends ("kinks") where the old policy declined most.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import gbm_development, metrics, oracle, pipeline
from riskresearch.atomic import merge_metrics
from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError, DataError
from riskresearch.gbm import monotone_from_bins
from riskresearch.parts import Skipped
from riskresearch.reject_methods import (
    ACCEPTED,
    DECLINED_BAD,
    DECLINED_GOOD,
    METHODS,
    SOURCE,
    WEIGHT,
    approval_weights,
    augment,
    parceling_rates,
    score_band,
    score_band_edges,
)
from riskresearch.reject_sample import (
    RejectSample,
    accepts_only_model,
    approval_model,
    load_declines,
    no_declines,
    reject_sample,
)
from riskresearch.scorecard import Scorecard

NO_ORACLE_MESSAGE = (
    "Without outcomes for the declined applicants the benefit of reject inference cannot be "
    "measured: every method's effect on the through-the-door population rests on assumptions "
    "about the declines that the accepted rows cannot test. What can be shown is how far the "
    "declines' scores lie from the accepts' and whether the accepted bad rate bends where the "
    "old policy declined most."
)

__all__ = [
    "ACCEPTED",
    "DECLINED_BAD",
    "DECLINED_GOOD",
    "METHODS",
    "NO_ORACLE_MESSAGE",
    "SOURCE",
    "WEIGHT",
    "MethodComparison",
    "RejectDiagnostics",
    "RejectSample",
    "accepts_only_model",
    "approval_model",
    "approval_weights",
    "augment",
    "compare_methods",
    "evaluate_methods",
    "load_declines",
    "no_declines",
    "no_oracle_diagnostics",
    "parceling_rates",
    "reject_sample",
    "score_band",
    "score_band_edges",
    "write_report",
]


def _calibration_bands(pd_values, truth, bands: int) -> pd.DataFrame:
    """Mean predicted PD and mean ``truth`` (true PD or bad indicator) by band of predicted
    PD, riskiest band first."""
    x = np.asarray(pd_values, dtype=float)
    t = np.asarray(truth, dtype=float)
    w = np.ones(len(x))
    band, labels = metrics.assign_bands(x, w, bands, "pd", "compare_methods")
    k = len(labels)
    count = np.bincount(band, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pd = np.bincount(band, weights=x, minlength=k) / count
        mean_truth = np.bincount(band, weights=t, minlength=k) / count
    keep = count > 0
    return pd.DataFrame(
        {
            "band": np.arange(1, k + 1)[keep],
            "label": np.asarray(labels, dtype=object)[keep],
            "count": count[keep],
            "mean_pd": mean_pd[keep],
            "mean_true": mean_truth[keep],
        }
    )


def _calibration_error(table: pd.DataFrame) -> float:
    """Count-weighted mean |mean predicted PD - mean true PD| over the bands."""
    return float(np.average(np.abs(table.mean_pd - table.mean_true), weights=table["count"]))


@dataclass
class MethodComparison:
    """Every reject-inference method fitted and measured on the out-of-time rows.

    Attributes
    ----------
    summary : DataFrame
        One row per method and model: ``ttd_auc`` (AUC against the oracle's realised outcome
        on the through-the-door rows, accepted + declined), ``ttd_oracle_auc`` (the true PD's
        AUC on the same rows), ``ttd_cal_error`` (count-weighted mean absolute difference
        between mean predicted and mean true PD over predicted-PD bands), ``ttd_mean_pd`` and
        ``ttd_true_pd``, the same means on the declined rows alone (``declined_mean_pd``,
        ``declined_true_pd``), and ``accepts_auc`` / ``accepts_cal_error`` on the accepted
        rows (observed outcomes; calibration against the true PD when there is an oracle,
        else against the observed bad rate). Through-the-door columns are NaN without an
        oracle.
    calibration : DataFrame
        Band rows (``method, model, population, band, count, mean_pd, mean_true``) behind
        the calibration errors, for :func:`riskresearch.plots.reject_inference_plot`.
    message : str
        What was measured, or :data:`NO_ORACLE_MESSAGE`.
    rows : (int, int) or None
        ``(sampled, all)`` accepted development rows when the methods were fitted on a sample
        (``reject_inference.compare_rows``); None when on all of them.
    """

    summary: pd.DataFrame
    calibration: pd.DataFrame
    message: str
    samples: dict[str, RejectSample] = field(default_factory=dict, repr=False)
    rows: tuple[int, int] | None = None

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.message)}</p>" + self.summary.to_html(index=False)


def compare_methods(
    cfg: ModelConfig,
    methods: Sequence[str] = METHODS,
    models: Sequence[str] = ("scorecard",),
    bands: int = 10,
    binner: WoeBinner | None = None,
) -> MethodComparison | Skipped:
    """Fit every method (same binning settings) and measure it out of time.

    :class:`~riskresearch.parts.Skipped` when the table has no declined applications.

    Each method's scorecard (and GBM, with ``"gbm"`` in ``models``) is fitted on its
    augmented development sample, then scores the out-of-time through-the-door rows: the
    accepted rows of the out-of-time months (mature outcomes) and the declined rows of the
    same months, whose outcome comes from the simulator's ``oracle_applications`` (read here,
    after every fit, and nowhere else). Without ``data.oracle`` only the accepted rows can be
    measured and the message says so.

    Parameters
    ----------
    cfg : ModelConfig
        Its ``reject_inference`` parameters (factors, cut-off, clip) apply to every method.
    methods : sequence of str, default all
    models : sequence of {"scorecard", "gbm"}, default ("scorecard",)
    bands : int, default 10
        Predicted-PD bands of the calibration error.
    binner : WoeBinner, optional
        Reviewed bins (recounted on every method's sample), as in ``develop``.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(
            f"The 'methods' parameter of compare_methods names unknown method(s) {unknown}. "
            f"Use {list(METHODS)}."
        )
    bad_models = [m for m in models if m not in ("scorecard", "gbm")]
    if bad_models or not models:
        raise ConfigError(
            "The 'models' parameter of compare_methods must list 'scorecard' and/or 'gbm'. "
            f"Got {list(models)!r} instead."
        )
    if reason := no_declines(cfg):
        return Skipped(reason)
    table = pipeline.read_table(cfg, encode_target=False)  # read once: accepts and declines
    train, test = pipeline.load_split(cfg, table)
    if test.empty:
        raise DataError("compare_methods measures on test rows: check the split.")
    declines = load_declines(cfg, train, test, table)
    d_test = declines[1]
    n_train = len(train)
    limit = cfg.reject_inference.compare_rows
    if limit is not None and n_train > limit:  # the comparison is settled on a sample
        train, d_train = _comparison_sample(cfg, train, declines[0], limit / n_train)
        declines = (d_train, d_test)
    feats, categorical = pipeline.candidate_features(train, cfg)
    columns = pipeline.model_columns(cfg, feats)
    accepts_model = accepts_only_model(cfg, train, binner)
    target = cfg.data.target

    pds: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    samples: dict[str, RejectSample] = {}
    for method in methods:
        sample = reject_sample(
            cfg, train, test, binner, method=method, accepts_model=accepts_model, declines=declines
        )
        samples[method] = sample
        rows = sample.data
        y, w = rows[target].to_numpy(), rows[WEIGHT].to_numpy()
        if method == "none":
            card = accepts_model
        else:
            card = pipeline.build_estimator(cfg, categorical)
            if binner is not None:
                card.set_params(
                    binner=binner.recount(rows[binner.features_], y, sample_weight=w),
                    fit_binner=False,
                )
            card.fit(rows[columns], y, sample_weight=w, groups=pipeline.fold_groups(cfg, rows))
        if "scorecard" in models:
            scorer = card.scorer()
            pds[(method, "scorecard")] = (
                scorer.pd_(test).to_numpy(),
                scorer.pd_(d_test).to_numpy() if len(d_test) else np.empty(0),
            )
        if "gbm" in models:
            g_feats, g_cat = gbm_development.gbm_features(cfg, train)
            monotone = None
            if cfg.gbm.monotone == "woe":
                bins = (
                    card.binner_
                    if isinstance(card, Scorecard)
                    else pipeline.fit_binning(cfg, rows, sample_weight=w)
                )
                monotone = monotone_from_bins(bins.bins_, g_feats)
            weights = None if method == "none" and not cfg.data.weight_column else w
            model, _ = gbm_development.fit_gbm(cfg, rows, y, weights, g_feats, g_cat, monotone)
            scorer = model.scorer()
            pds[(method, "gbm")] = (
                scorer.pd_(test).to_numpy(),
                scorer.pd_(d_test).to_numpy() if len(d_test) else np.empty(0),
            )

    # ---- measurement (after every fit): the oracle is read here only
    y_acc = test[target].to_numpy(dtype=float)
    truth_rows = None
    if cfg.data.oracle is not None:
        id_col = cfg.data.id_column
        if not id_col or id_col not in test.columns:
            raise DataError(
                "Measuring against the oracle needs data.id_column (the application id)."
            )
        truth = oracle.read_applications(
            cfg.data.oracle, ("application_id", "true_pd", "true_bad")
        ).set_index("application_id")
        ids = np.r_[test[id_col].to_numpy(), d_test[id_col].to_numpy()]
        found = pd.Index(ids).isin(truth.index)
        if not found.all():
            raise DataError(
                f"{int((~found).sum())} out-of-time application(s) are missing from the oracle "
                f"'{cfg.data.oracle}'. Point data.oracle at the warehouse the table was built "
                "from."
            )
        truth_rows = truth.loc[ids]
    rows_out, cal_rows = [], []
    n_acc = len(test)
    for (method, model_name), (p_acc, p_dec) in pds.items():
        p_all = np.r_[p_acc, p_dec]
        row: dict[str, Any] = {"method": method, "model": model_name}
        if truth_rows is not None:
            true_pd = truth_rows.true_pd.to_numpy(dtype=float)
            true_bad = truth_rows.true_bad.to_numpy(dtype=float)
            ttd = _calibration_bands(p_all, true_pd, bands)
            acc = _calibration_bands(p_acc, true_pd[:n_acc], bands)
            row.update(
                ttd_auc=metrics.auc(true_bad, p_all),
                ttd_oracle_auc=metrics.auc(true_bad, true_pd),
                ttd_cal_error=_calibration_error(ttd),
                ttd_mean_pd=float(p_all.mean()),
                ttd_true_pd=float(true_pd.mean()),
                declined_mean_pd=float(p_dec.mean()) if len(p_dec) else math.nan,
                declined_true_pd=float(true_pd[n_acc:].mean()) if len(p_dec) else math.nan,
            )
            cal_rows.append(ttd.assign(method=method, model=model_name, population="ttd"))
        else:
            acc = _calibration_bands(p_acc, y_acc, bands)
            row.update(
                ttd_auc=math.nan,
                ttd_oracle_auc=math.nan,
                ttd_cal_error=math.nan,
                ttd_mean_pd=float(p_all.mean()),
                ttd_true_pd=math.nan,
                declined_mean_pd=float(p_dec.mean()) if len(p_dec) else math.nan,
                declined_true_pd=math.nan,
            )
        row.update(
            accepts_auc=metrics.auc(y_acc, p_acc),
            accepts_cal_error=_calibration_error(acc),
            accepts_mean_pd=float(p_acc.mean()),
            accepts_bad_rate=float(y_acc.mean()),
            n_accepted=n_acc,
            n_declined=len(p_dec),
        )
        rows_out.append(row)
        cal_rows.append(acc.assign(method=method, model=model_name, population="accepts"))
    calibration = pd.concat(cal_rows, ignore_index=True)[
        ["method", "model", "population", "band", "label", "count", "mean_pd", "mean_true"]
    ]
    message = (
        "Measured out of time on the through-the-door rows (accepted + declined); the declined "
        "applicants' outcomes come from the simulator's oracle, read only here."
        if truth_rows is not None
        else NO_ORACLE_MESSAGE
    )
    sampled = (len(train), n_train) if len(train) < n_train else None
    if sampled:
        message += (
            f" The methods were fitted on a seeded sample of {sampled[0]:,} of the {n_train:,} "
            "accepted development rows, stratified by outcome, with the declines in the same "
            "proportion (reject_inference.compare_rows); the released models use every row."
        )
    return MethodComparison(pd.DataFrame(rows_out), calibration, message, samples, sampled)


def _comparison_sample(
    cfg: ModelConfig, train: pd.DataFrame, d_train: pd.DataFrame, share: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``share`` of the accepted development rows, stratified by outcome, and of the declined
    ones, drawn with the config's seed, in their original order."""
    target = cfg.data.target
    accepts = train.groupby(train[target], group_keys=False, sort=True).sample(
        frac=share, random_state=cfg.seed
    )
    declines = d_train.sample(frac=share, random_state=cfg.seed)
    return accepts.sort_index(), declines.sort_index()


def evaluate_methods(cfg: ModelConfig, **kwargs) -> pd.DataFrame:
    """The summary table of :func:`compare_methods` (same arguments)."""
    return compare_methods(cfg, **kwargs).summary


# ------------------------------------------------------------------------------------------
# without an oracle: what can be shown
# ------------------------------------------------------------------------------------------
@dataclass
class RejectDiagnostics:
    """What real data (no outcomes for declines) can show about reject inference.

    Attributes
    ----------
    shift : DataFrame
        Per score band of the through-the-door population (lowest score first): accepted
        and declined rows, their shares, the decline rate and the PSI term of the declines'
        distribution against the accepts'.
    kink : DataFrame
        Per score band: accepted rows, bads, observed bad rate and log-odds, the accepts-only
        model's mean PD, the decline rate, and ``trend_log_odds`` / ``gap``: the observed
        log-odds against a straight line fitted (weighted by rows) on the bands where the old
        policy declined under half. A negative gap in high-decline bands means the accepts
        there are better than the trend: cherry-picked, so an accepts-only model understates
        the declines' risk.
    summary : dict
        Mean scores, PSI, the estimated old cut-off (lowest score band where the decline rate
        falls under one half), the log-odds slope per 100 points above and below it.
    message : str
        :data:`NO_ORACLE_MESSAGE`.
    """

    shift: pd.DataFrame
    kink: pd.DataFrame
    summary: dict[str, Any]
    message: str = NO_ORACLE_MESSAGE


def no_oracle_diagnostics(
    cfg: ModelConfig,
    binner: WoeBinner | None = None,
    bands: int | None = None,
    accepts_model=None,
) -> RejectDiagnostics | Skipped:
    """Score shift of the declines and kink-in-bad-rate diagnostics (no oracle needed).

    The accepts-only scorecard is fitted on the accepted development rows (unless
    ``accepts_model``, e.g. :attr:`riskresearch.development.Development.accepts_model`, is
    that fit already) and scores every accepted (development and out-of-time) and declined
    row of the accepted months. Bands are equal-count bands of the through-the-door scores
    (``bands``, default ``reject_inference.bands``). :class:`~riskresearch.parts.Skipped`
    when the table has no declined applications.
    """
    if reason := no_declines(cfg):
        return Skipped(reason)
    table = pipeline.read_table(cfg, encode_target=False)  # read once: accepts and declines
    train, test = pipeline.load_split(cfg, table)
    d_train, d_test = load_declines(cfg, train, test, table)
    model = accepts_model if accepts_model is not None else accepts_only_model(cfg, train, binner)
    scorer = model.scorer()
    accepts = pd.concat([train, test], ignore_index=True)
    declines = pd.concat([d_train, d_test], ignore_index=True)
    s_acc = scorer.score(accepts).to_numpy()
    s_dec = scorer.score(declines).to_numpy()
    p_acc = scorer.pd_(accepts).to_numpy()
    y = accepts[cfg.data.target].to_numpy(dtype=float)
    edges = score_band_edges(np.r_[s_acc, s_dec], bands or cfg.reject_inference.bands)
    k = len(edges) + 1
    b_acc, b_dec = score_band(s_acc, edges), score_band(s_dec, edges)
    n_acc = np.bincount(b_acc, minlength=k).astype(float)
    n_dec = np.bincount(b_dec, minlength=k).astype(float)
    bads = np.bincount(b_acc, weights=y, minlength=k)
    lo = np.r_[-np.inf, edges]
    hi = np.r_[edges, np.inf]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_acc, share_dec = n_acc / n_acc.sum(), n_dec / max(n_dec.sum(), 1)
        eps = 1e-4  # keeps PSI finite where one side is empty
        psi_term = (share_dec - share_acc) * np.log((share_dec + eps) / (share_acc + eps))
        decline_rate = n_dec / (n_acc + n_dec)
        bad_rate = bads / n_acc
        log_odds = np.log((bads + 0.5) / (n_acc - bads + 0.5))
        mean_pd = np.bincount(b_acc, weights=p_acc, minlength=k) / n_acc
        mean_score = np.bincount(b_acc, weights=s_acc, minlength=k) / n_acc
    shift = pd.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "score_from": lo,
            "score_to": hi,
            "accepted": n_acc.astype(np.int64),
            "declined": n_dec.astype(np.int64),
            "accepted_share": share_acc,
            "declined_share": share_dec,
            "decline_rate": decline_rate,
            "psi_term": psi_term,
        }
    )
    above = (decline_rate < 0.5) & (n_acc > 0)
    trend = np.full(k, np.nan)
    slope_above = slope_below = math.nan
    if above.sum() >= 2:
        coef = np.polyfit(mean_score[above], log_odds[above], 1, w=np.sqrt(n_acc[above]))
        trend = np.polyval(coef, mean_score)
        slope_above = float(coef[0] * 100)
    below = ~above & (n_acc > 0)
    if below.sum() >= 2:
        slope_below = float(
            np.polyfit(mean_score[below], log_odds[below], 1, w=np.sqrt(n_acc[below]))[0] * 100
        )
    kink = pd.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "mean_score": mean_score,
            "accepted": n_acc.astype(np.int64),
            "bads": bads,
            "bad_rate": bad_rate,
            "mean_pd": mean_pd,
            "log_odds": log_odds,
            "trend_log_odds": trend,
            "gap": log_odds - trend,
            "decline_rate": decline_rate,
        }
    )
    crossing = np.flatnonzero(decline_rate < 0.5)
    cutoff = float(lo[crossing[0]]) if len(crossing) and crossing[0] > 0 else None
    high = ~above & (n_acc > 0) & np.isfinite(trend)
    summary = {
        "accepted_rows": len(accepts),
        "declined_rows": len(declines),
        "accepted_mean_score": float(s_acc.mean()),
        "declined_mean_score": float(s_dec.mean()) if len(s_dec) else None,
        "psi_declined_vs_accepted": float(np.nansum(psi_term)),
        "estimated_cutoff_score": cutoff,
        "log_odds_slope_per_100_above": slope_above,
        "log_odds_slope_per_100_below": slope_below,
        "mean_gap_high_decline_bands": (
            float(np.average((log_odds - trend)[high], weights=n_acc[high])) if high.any() else None
        ),
    }
    return RejectDiagnostics(shift, kink, summary)


# ------------------------------------------------------------------------------------------
# artifacts
# ------------------------------------------------------------------------------------------
def write_report(
    out_dir: str | Path,
    comparison: MethodComparison | Skipped | None = None,
    diagnostics: RejectDiagnostics | Skipped | None = None,
) -> list[Path]:
    """Write the reject-inference report tables and add their headline to ``metrics.json``.

    Writes ``reject_inference.csv`` (the method comparison) and
    ``reject_inference_calibration.csv`` (its bands), ``reject_shift.csv`` and
    ``reject_kink.csv`` (the diagnostics), and merges ``reject_inference_report`` (message,
    per-method figures, diagnostics summary) into ``metrics.json`` in ``out_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    report: dict[str, Any] = {}
    for part in (comparison, diagnostics):
        if isinstance(part, Skipped):
            report["skipped"] = part.reason
    comparison = None if isinstance(comparison, Skipped) else comparison
    diagnostics = None if isinstance(diagnostics, Skipped) else diagnostics
    if comparison is not None:
        comparison.summary.to_csv(out / "reject_inference.csv", index=False)
        comparison.calibration.to_csv(out / "reject_inference_calibration.csv", index=False)
        written += [out / "reject_inference.csv", out / "reject_inference_calibration.csv"]
        report["message"] = comparison.message
        if comparison.rows is not None:
            report["compare_rows"] = {"sampled": comparison.rows[0], "of": comparison.rows[1]}
        report["methods"] = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in comparison.summary.to_dict("records")
        ]
    if diagnostics is not None:
        diagnostics.shift.to_csv(out / "reject_shift.csv", index=False)
        diagnostics.kink.to_csv(out / "reject_kink.csv", index=False)
        written += [out / "reject_shift.csv", out / "reject_kink.csv"]
        report["diagnostics"] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in diagnostics.summary.items()
        }
        report.setdefault("message", diagnostics.message)
    return [*written, merge_metrics(out, "reject_inference_report", report, default=_json)]


def _json(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
