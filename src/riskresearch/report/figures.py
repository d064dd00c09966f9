"""Figures of the model document, drawn from the rows scored in the report step and from the
release's tables. Legends sit outside the data or where the curves leave room; money axes show
plain thousands (``1,500,000``), never an offset such as ``1e7``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter
from sklearn.metrics import roc_curve

from riskresearch import plots
from riskresearch.plots import Figure
from riskresearch.report.fmt import bin_label
from riskresearch.report.rows import Sample, Samples

SAMPLE_COLORS = ("tab:blue", "tab:orange")
THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")


def _figure(width: float, height: float, ncols: int = 1):
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def roc_samples(samples: Samples) -> Figure:
    """ROC curves of the scorecard on the development and test rows, one axes."""
    fig, (ax,) = _figure(5.6, 5.2)
    for s, color in zip(samples, SAMPLE_COLORS):
        if not s.both_classes:
            continue
        fpr, tpr, _ = roc_curve(s.y, s.pd, sample_weight=s.weight)
        auc = np.trapezoid(tpr, fpr)
        ax.plot(fpr, tpr, color=color, label=f"{s.name} (AUC {auc:.3f}, Gini {2 * auc - 1:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="random ranking")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="Share of goods declined (false positive rate)",
        ylabel="Share of bads declined (true positive rate)",
        title="ROC curve",
    )
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=9)
    return fig


def ks_samples(samples: Samples) -> Figure:
    """Cumulative score distributions of goods and bads with the KS, one panel per sample."""
    fig, axes = _figure(11, 4.4, 2)
    for ax, s in zip(axes, samples):
        if s.both_classes:
            plots.ks_plot(s.y, score=s.score, ax=ax)
            ax.set_title(f"KS, {s.name} rows")
        else:
            ax.set_axis_off()
    return fig


def score_distribution_samples(samples: Samples) -> Figure:
    """Score histograms of goods and bads, one panel per sample, on shared bins."""
    fig, axes = _figure(11, 4.2, 2)
    both = np.r_[samples.development.score, samples.test.score]
    edges = np.histogram_bin_edges(both, bins=30)
    for ax, s in zip(axes, samples):
        if s.both_classes:
            plots.score_distribution_plot(s.score, s.y, bins=edges, ax=ax)
            ax.set_title(f"Score distribution, {s.name} rows")
        else:
            ax.set_axis_off()
    return fig


def calibration_samples(samples: Samples) -> Figure:
    """Observed bad rate against mean predicted PD by PD decile, one panel per sample."""
    fig, axes = _figure(11, 5.0, 2)
    for ax, s in zip(axes, samples):
        if s.both_classes:
            plots.calibration_plot(s.y, s.pd, bands=10, ax=ax)
            ax.set_title(f"Calibration, {s.name} rows")
            ax.legend(loc="upper left", fontsize=8)
        else:
            ax.set_axis_off()
    return fig


def auc_by_month(table: pd.DataFrame) -> Figure:
    """AUC per month with its 95% interval (``month``, ``auc``, ``auc_low``, ``auc_high``,
    ``sample``)."""
    fig, (ax,) = _figure(8, 3.8)
    months = list(table["month"])
    x = np.arange(len(months))
    for (name, part), color in zip(table.groupby("sample", sort=False), SAMPLE_COLORS):
        i = x[table["sample"].to_numpy() == name]
        ax.errorbar(
            i,
            part["auc"],
            yerr=[part["auc"] - part["auc_low"], part["auc_high"] - part["auc"]],
            fmt="o-",
            capsize=3,
            color=color,
            label=f"{name} rows",
        )
    ax.set_xticks(x, [pd.Timestamp(m).strftime("%Y-%m") for m in months], rotation=45, ha="right")
    ax.set(ylabel="AUC (95% interval)", title="Discrimination by month")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return fig


def models_roc(sample: Sample, label: str) -> Figure:
    """ROC of the scorecard and the GBM challenger on the same rows."""
    fig = plots.roc_plot(sample.y, {"scorecard": sample.pd, "gbm challenger": sample.gbm_pd})
    fig.axes[0].set_title(f"Scorecard vs GBM challenger, {label} rows")
    return fig


def _short(label: str, width: int = 26) -> str:
    """A long category group's label cut to ``width`` characters (the full groups are in the
    binning table)."""
    return label if len(label) <= width else label[: width - 1].rsplit(", ", 1)[0] + ", …"


def woe_chart(binning: pd.DataFrame, feature: str, marked: str = "") -> Figure:
    """WoE by bin (bars) with the bad rate (line) of one feature, legend below the axes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = binning[(binning["feature"] == feature) & (binning["bin"].astype(str) != "Total")]
    rows = rows[rows["count"] > 0].copy()  # empty Special / Missing bins carry nothing to show
    rows["bin"] = rows["bin"].map(bin_label).map(_short)
    fig = Figure(figsize=(max(6.0, 0.8 * len(rows) + 2.5), 4.0), layout="constrained")
    ax = fig.add_subplot()
    plots.woe_plot(rows, feature=feature, ax=ax)
    ax.set_title(f"{feature}{marked}")
    ax.margins(y=0.15)  # room for the count above (and below) every bar
    rate_ax = fig.axes[-1]
    rate_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if rate_ax.get_legend() is not None:
        rate_ax.get_legend().remove()
    handles = [
        Patch(color=plots.GOOD_COLOR, alpha=0.8, label="WoE > 0 (lower risk)"),
        Patch(color=plots.BAD_COLOR, alpha=0.8, label="WoE < 0 (higher risk)"),
        Line2D([], [], color="black", marker="o", label="bad rate (right axis)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9)
    return fig


def bad_rate_by_month(monthly: pd.DataFrame) -> Figure:
    """Applications and bad rate per month, legend below the axes."""
    fig = plots.bad_rate_plot(monthly)
    ax, rate_ax = fig.axes[0], fig.axes[-1]
    rate_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(THOUSANDS)
    legend = rate_ax.get_legend()
    if legend is not None:
        handles = ax.get_legend_handles_labels()[0] + rate_ax.get_legend_handles_labels()[0]
        labels = ax.get_legend_handles_labels()[1] + rate_ax.get_legend_handles_labels()[1]
        legend.remove()
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=9)
    return fig


def tradeoff(table: pd.DataFrame, chosen: dict, max_bad_rate: float, min_approval: float):
    """Approval rate against bad rate and expected profit of every cut-off
    (``strategy_tradeoff.csv``), the constraints and the chosen policy."""
    fig, (left, right) = _figure(11, 4.2, 2)
    t = table.sort_values("approval_rate")
    left.plot(t["approval_rate"], t["bad_rate"], color="tab:red", label="predicted bad rate")
    if t["observed_bad_rate"].notna().any():
        left.plot(
            t["approval_rate"], t["observed_bad_rate"], ":", color="tab:red", label="observed"
        )
    left.axhline(max_bad_rate, color="grey", ls="--", lw=1, label="max bad rate")
    left.axvline(min_approval, color="grey", ls="-.", lw=1, label="min approval rate")
    left.scatter([chosen["approval_rate"]], [chosen["bad_rate"]], color="black", zorder=3)
    left.set(xlabel="Approval rate", ylabel="Bad rate of approved", title="Approval vs bad rate")
    right.plot(t["approval_rate"], t["profit_graded"], color="tab:green", label="graded terms")
    right.plot(t["approval_rate"], t["profit_flat"], color="tab:blue", label="flat cut-off")
    right.scatter(
        [chosen["approval_rate"]],
        [chosen["profit_per_application"]],
        color="black",
        zorder=3,
        label="chosen policy",
    )
    right.yaxis.set_major_formatter(THOUSANDS)
    right.set(
        xlabel="Approval rate",
        ylabel="Expected profit per application",
        title="Approval vs expected profit",
    )
    for ax in (left, right):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, fontsize=8)
    left.yaxis.set_major_formatter(PercentFormatter(1.0))
    return fig


def monitoring_psi(stability: pd.DataFrame, amber: float, red: float) -> Figure:
    """PSI of the score and CSI of every scorecard feature per monitored month."""
    fig, (ax,) = _figure(9, 4.2)
    months = sorted(stability["month"].unique())
    pos = {m: i for i, m in enumerate(months)}
    for name, part in stability.groupby("variable", sort=True):
        x = part["month"].map(pos)
        if name == "score":
            ax.plot(x, part["psi"], "o-", color="black", lw=2.2, label="score (PSI)", zorder=3)
        else:
            ax.plot(x, part["psi"], lw=1, alpha=0.8, label=str(name))
    ax.axhline(amber, color="tab:orange", ls="--", lw=1, label=f"amber {amber:g}")
    ax.axhline(red, color="tab:red", ls="--", lw=1, label=f"red {red:g}")
    ax.set_xticks(range(len(months)), months, rotation=45, ha="right")
    ax.set(ylabel="PSI / CSI against development", title="Stability by month", ylim=(0, None))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig
