"""Tests of riskresearch.plots: every function returns a Figure with the expected artists, draws
headless, and saves to PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score

from riskresearch.errors import ConfigError, DataError
from riskresearch.metrics import band_table, calibration_table, ks
from riskresearch.plots import (
    bad_rate_plot,
    calibration_plot,
    ks_plot,
    lift_plot,
    roc_plot,
    score_distribution_plot,
    woe_grid,
    woe_plot,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(42)
    logit = rng.normal(-2.0, 1.0, 3_000)
    true_pd = 1 / (1 + np.exp(-logit))
    y = (rng.random(true_pd.size) < true_pd).astype(int)
    noisy_pd = 1 / (1 + np.exp(-(logit + rng.normal(0, 1.0, true_pd.size))))
    score = 600 - 20 / np.log(2) * logit
    return y, true_pd, noisy_pd, score


@pytest.fixture
def woe_table():
    # shaped like WoeBinner.table(feature): regular bins, Missing, then a Total row
    return pd.DataFrame(
        {
            "feature": ["age"] * 5,
            "bin": ["(-inf, 25)", "[25, 40)", "[40, inf)", "Missing", "Total"],
            "count": [300, 500, 150, 50, 1000],
            "event_rate": [0.20, 0.10, 0.05, 0.12, 0.115],
            "woe": [-0.65, 0.16, 0.90, -0.05, np.nan],
        }
    )


def assert_png(fig: Figure, path) -> None:
    fig.savefig(path)
    data = path.read_bytes()
    assert len(data) > 1_000
    assert data.startswith(PNG_SIGNATURE)


def test_roc_plot_single_model(sample, tmp_path):
    y, true_pd, _, _ = sample
    fig = roc_plot(y, true_pd, label="oracle")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # the model and the diagonal
    curve = ax.lines[0]
    assert (curve.get_xdata()[0], curve.get_ydata()[0]) == (0, 0)
    assert (curve.get_xdata()[-1], curve.get_ydata()[-1]) == (1, 1)
    assert np.all(np.diff(curve.get_xdata()) >= 0) and np.all(np.diff(curve.get_ydata()) >= 0)
    # trapezoid area under the drawn curve is the AUC
    assert np.trapezoid(curve.get_ydata(), curve.get_xdata()) == pytest.approx(
        roc_auc_score(y, true_pd), abs=1e-9
    )
    expected_auc = f"{roc_auc_score(y, true_pd):.3f}"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith(f"oracle (AUC {expected_auc}")
    assert_png(fig, tmp_path / "roc.png")


def test_roc_plot_several_models(sample):
    y, true_pd, noisy_pd, score = sample
    fig = roc_plot(y, {"oracle": true_pd, "noisy": noisy_pd, "score": -score})
    ax = fig.axes[0]
    assert len(ax.lines) == 4
    assert [line.get_label().split(" ")[0] for line in ax.lines] == [
        "oracle",
        "noisy",
        "score",
        "random",
    ]


def test_roc_plot_refuses_label_with_dict(sample):
    y, true_pd, _, _ = sample
    with pytest.raises(ConfigError, match=r"'label' names a single model"):
        roc_plot(y, {"oracle": true_pd}, label="x")


def test_roc_plot_validates_each_model(sample):
    y, true_pd, _, _ = sample
    with pytest.raises(DataError, match=r"y_true has 3000 values but pd of 'short' has 2"):
        roc_plot(y, {"oracle": true_pd, "short": [0.1, 0.2]})


def test_ks_plot_marks_the_ks(sample, tmp_path):
    y, _, noisy_pd, _ = sample
    fig = ks_plot(y, noisy_pd)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # goods, bads, KS segment
    goods, bads, segment = ax.lines
    # both cumulative curves run from 0 to 1
    for line in (goods, bads):
        assert line.get_ydata()[0] == 0 and line.get_ydata()[-1] == pytest.approx(1.0)
    seg_x, seg_y = segment.get_xdata(), segment.get_ydata()
    assert seg_x[0] == seg_x[1]
    assert abs(seg_y[1] - seg_y[0]) == pytest.approx(ks(y, noisy_pd), abs=1e-12)
    # at the marked threshold, the share of bads with pd <= t is the lower end
    t = seg_x[0]
    assert min(seg_y) == pytest.approx(np.mean(noisy_pd[y == 1] <= t))
    assert max(seg_y) == pytest.approx(np.mean(noisy_pd[y == 0] <= t))
    assert_png(fig, tmp_path / "ks.png")


def test_ks_plot_of_a_score_shows_the_score(sample, tmp_path):
    """A score (higher = better) is drawn as itself, labelled as a score: not as a negated
    'Predicted PD'."""
    y, _, _, score = sample
    fig = ks_plot(y, score=score)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Score (threshold)"
    _, _, segment = ax.lines
    t = segment.get_xdata()[0]
    assert score.min() <= t <= score.max()
    assert abs(np.diff(segment.get_ydata())[0]) == pytest.approx(ks(y, -score), abs=1e-12)
    # below the threshold: more of the bads than of the goods
    assert max(segment.get_ydata()) == pytest.approx(np.mean(score[y == 1] <= t))
    assert f"at score = {t:.4g}" in ax.get_legend().get_texts()[-1].get_text()
    assert_png(fig, tmp_path / "ks_score.png")


@pytest.mark.parametrize("kwargs", [{}, {"pd": [0.1, 0.2], "score": [600, 500]}])
def test_ks_plot_needs_one_of_pd_and_score(kwargs):
    with pytest.raises(ConfigError, match=r"ks_plot needs exactly one of 'pd' or 'score'"):
        ks_plot([0, 1], **kwargs)


def test_score_distribution_plot_goods_and_bads(sample, tmp_path):
    y, _, _, score = sample
    fig = score_distribution_plot(score, y_true=y, bins=25)
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 25
    goods, bads = ax.patches[:25], ax.patches[25:]
    width = goods[0].get_width()
    # density histograms: each integrates to 1
    assert sum(p.get_height() for p in goods) * width == pytest.approx(1.0)
    assert sum(p.get_height() for p in bads) * width == pytest.approx(1.0)
    # goods and bads share bin edges
    assert [p.get_x() for p in goods] == [p.get_x() for p in bads]
    assert_png(fig, tmp_path / "dist.png")


def test_score_distribution_plot_without_target(sample):
    _, _, _, score = sample
    fig = score_distribution_plot(score, bins=10)
    ax = fig.axes[0]
    assert len(ax.patches) == 10
    assert sum(p.get_height() for p in ax.patches) == len(score)


def test_score_distribution_plot_rejects_nan():
    with pytest.raises(DataError, match=r"score holds NaN or infinite values in 1 row"):
        score_distribution_plot([600.0, np.nan, 650.0])


def test_calibration_plot(sample, tmp_path):
    y, true_pd, _, _ = sample
    fig = calibration_plot(y, true_pd, bands=8)
    ax = fig.axes[0]
    errorbars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(errorbars) == 1
    points = errorbars[0].lines[0]
    table = calibration_table(y, true_pd, bands=8)
    np.testing.assert_allclose(points.get_xdata(), table["mean_pd"])
    np.testing.assert_allclose(points.get_ydata(), table["bad_rate"])
    diagonal = [line for line in ax.lines if line.get_label() == "perfect calibration"]
    assert len(diagonal) == 1
    np.testing.assert_allclose(diagonal[0].get_xdata(), diagonal[0].get_ydata())
    assert_png(fig, tmp_path / "calibration.png")


def test_woe_plot(woe_table, tmp_path):
    fig = woe_plot(woe_table)
    assert len(fig.axes) == 2  # WoE bars and the twin event-rate axis
    bar_ax, rate_ax = fig.axes
    bars = [c for c in bar_ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 1 and len(bars[0]) == 4  # the Total row is left out
    assert [p.get_height() for p in bars[0]] == pytest.approx([-0.65, 0.16, 0.90, -0.05])
    assert len(rate_ax.lines) == 1
    assert list(rate_ax.lines[0].get_ydata()) == pytest.approx([0.20, 0.10, 0.05, 0.12])
    assert [t.get_text() for t in bar_ax.get_xticklabels()] == list(woe_table["bin"][:4])
    assert "age" in bar_ax.get_title()
    assert_png(fig, tmp_path / "woe.png")


def test_woe_plot_picks_a_feature(woe_table):
    other = woe_table.assign(feature="income", woe=woe_table["woe"] * 2)
    stacked = pd.concat([woe_table, other], ignore_index=True)
    fig = woe_plot(stacked, feature="income")
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx([-1.30, 0.32, 1.80, -0.10])
    with pytest.raises(DataError, match=r"holds 2 features .* Pass feature="):
        woe_plot(stacked)
    with pytest.raises(DataError, match=r"no rows for feature 'tenure'"):
        woe_plot(stacked, feature="tenure")


def test_woe_plot_names_missing_columns(woe_table):
    with pytest.raises(DataError, match=r"column\(s\) 'woe' missing from the table"):
        woe_plot(woe_table.drop(columns="woe"))


def test_lift_plot(sample, tmp_path):
    y, _, _, score = sample
    table = band_table(y, score=score, bands=5)
    fig = lift_plot(table)
    ax = fig.axes[0]
    assert len(ax.patches) == 5
    assert [p.get_height() for p in ax.patches] == pytest.approx(table["lift"].tolist())
    assert len(ax.lines) == 2  # cumulative lift and the reference at 1
    assert list(ax.lines[0].get_ydata()) == pytest.approx(table["cum_lift"].tolist())
    assert list(ax.lines[1].get_ydata()) == [1.0, 1.0]
    assert_png(fig, tmp_path / "lift.png")


def test_lift_plot_names_missing_columns():
    with pytest.raises(DataError, match=r"column\(s\) 'cum_lift' missing"):
        lift_plot(pd.DataFrame({"band": [1], "label": ["all"], "lift": [1.0]}))


def test_plots_draw_into_a_given_axes(sample, woe_table):
    y, true_pd, _, _ = sample
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert roc_plot(y, true_pd, ax=left) is fig
    assert woe_plot(woe_table, ax=right) is fig
    assert len(fig.axes) == 3  # two panels and the WoE twin axis
    assert len(left.lines) == 2


def test_plots_leave_no_pyplot_figures(sample, woe_table):
    plt.close("all")
    y, true_pd, noisy_pd, score = sample
    roc_plot(y, true_pd)
    ks_plot(y, noisy_pd)
    score_distribution_plot(score, y)
    calibration_plot(y, true_pd)
    woe_plot(woe_table)
    lift_plot(band_table(y, pd=noisy_pd))
    assert plt.get_fignums() == []


# ------------------------------------------------------------------------------------------
# woe_grid and bad_rate_plot
# ------------------------------------------------------------------------------------------
def _two_feature_table():
    rows = []
    for f, n_bins in (("a", 3), ("b", 4)):
        for i in range(n_bins):
            rows.append(
                {
                    "feature": f,
                    "bin": f"bin{i}",
                    "count": 100 + i,
                    "event_rate": 0.05 * (i + 1),
                    "woe": 0.5 - 0.3 * i,
                }
            )
        rows.append({"feature": f, "bin": "Total", "count": 999, "event_rate": 0.1, "woe": None})
    return pd.DataFrame(rows)


def test_woe_grid_draws_one_panel_per_feature_and_hides_spare_axes():
    fig = woe_grid(_two_feature_table(), ["b", "a"], ncols=3)
    assert isinstance(fig, Figure)
    main = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in main] == ["WoE by bin: b", "WoE by bin: a"]
    bars = [len(ax.containers[0]) for ax in main]
    assert bars == [4, 3]  # the Total row is not a bar


def test_woe_grid_bad_input():
    with pytest.raises(DataError, match="woe_grid got no features"):
        woe_grid(_two_feature_table(), [])
    with pytest.raises(DataError, match="no rows for feature 'zz'"):
        woe_grid(_two_feature_table(), ["zz"])
    with pytest.raises(ConfigError, match="'ncols' parameter of woe_grid"):
        woe_grid(_two_feature_table(), ["a"], ncols=0)


def test_bad_rate_plot_one_series_per_sample():
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    monthly = pd.DataFrame(
        {
            "month": months,
            "sample": ["development"] * 4 + ["out-of-time"] * 2,
            "rows": [100, 110, 120, 130, 90, 80],
            "bad_rate": [0.05, 0.06, 0.05, 0.07, 0.08, 0.09],
        }
    )
    fig = bad_rate_plot(monthly)
    ax, rate_ax = fig.axes
    lines = rate_ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "development: bad rate",
        "out-of-time: bad rate",
    ]
    assert list(lines[1].get_xdata()) == [4, 5]
    assert list(lines[1].get_ydata()) == [0.08, 0.09]
    assert sum(len(c) for c in ax.containers) == 6
    assert ax.get_xticklabels()[0].get_text() == "2024-01"
    with pytest.raises(DataError, match="'bad_rate'"):
        bad_rate_plot(monthly.drop(columns="bad_rate"))
