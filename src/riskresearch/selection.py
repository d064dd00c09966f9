"""Feature selection on WoE features, with a recorded reason for every dropped feature.

Steps, in order: information-value threshold, pairwise correlation, variance inflation factor,
then forward selection by a validation metric (AUC of a logistic regression on the kept WoE
features, measured on a held-out stratified part of the training rows).

Sample weights (e.g. from reject inference) count in every step: the IV, the weighted
correlation and VIF, and the forward selection's regressions and validation AUC. Integer weights
equal duplicated rows in every step but the forward selection's random hold-out split, which
draws rows, not weight.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from riskresearch.errors import ConfigError, DataError
from riskresearch.metrics import _auc
from riskresearch.woe import as_frame, check_columns, check_target


class FeatureSelector(TransformerMixin, BaseEstimator):
    """Select scorecard features from a WoE table.

    Parameters
    ----------
    min_iv : float, default 0.02
        Features with a lower information value are dropped ("not predictive").
    max_iv : float or None, default None
        Features with a higher IV are dropped as suspicious (leakage); None keeps them.
    max_corr : float, default 0.7
        Of two features whose WoE correlate more than this (absolute Pearson), the one with the
        lower IV is dropped.
    max_vif : float, default 5.0
        Features are dropped one at a time, highest VIF first, until every VIF is at most this.
    forward : bool, default True
        Run forward selection by validation AUC after the filters.
    max_features : int, default 15
        Most features forward selection keeps.
    min_gain : float, default 0.0005
        Forward selection stops when the best candidate adds less validation AUC than this.
    valid_size : float, default 0.3
        Share of the rows held out for forward selection.
    random_state : int, default 0
        Seed of the hold-out split.

    Attributes
    ----------
    selected_ : list of str
        Kept features, in the order forward selection added them.
    report_ : pandas.DataFrame
        One row per candidate: ``feature, iv, selected, step, reason``.
    """

    def __init__(
        self,
        min_iv=0.02,
        max_iv=None,
        max_corr=0.7,
        max_vif=5.0,
        forward=True,
        max_features=15,
        min_gain=0.0005,
        valid_size=0.3,
        random_state=0,
    ):
        self.min_iv = min_iv
        self.max_iv = max_iv
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.forward = forward
        self.max_features = max_features
        self.min_gain = min_gain
        self.valid_size = valid_size
        self.random_state = random_state

    def _check_params(self) -> None:
        def real(v) -> bool:
            return isinstance(v, numbers.Real) and not isinstance(v, bool)

        checks = {
            "min_iv": (real(self.min_iv) and self.min_iv >= 0, "a number >= 0"),
            "max_iv": (self.max_iv is None or real(self.max_iv), "a number or None"),
            "max_corr": (real(self.max_corr) and 0 < self.max_corr <= 1, "a number in (0, 1]"),
            "max_vif": (real(self.max_vif) and self.max_vif >= 1, "a number >= 1"),
            "max_features": (
                isinstance(self.max_features, numbers.Integral) and self.max_features >= 1,
                "an integer >= 1",
            ),
            "min_gain": (real(self.min_gain), "a number"),
            "valid_size": (real(self.valid_size) and 0 < self.valid_size < 1, "a share in (0, 1)"),
        }
        for name, (ok, expected) in checks.items():
            if not ok:
                raise ConfigError(
                    f"The '{name}' parameter of FeatureSelector must be {expected}. "
                    f"Got {getattr(self, name)!r} instead."
                )

    def fit(self, W, y, iv=None, sample_weight=None):
        """Choose features.

        Parameters
        ----------
        W : DataFrame
            WoE-transformed features.
        y : array of 0 (good) and 1 (bad)
        iv : dict or Series, optional
            Information value per feature (from ``WoeBinner.iv_summary``); computed from ``W``
            and ``y`` when omitted.
        sample_weight : array, optional
        """
        self._check_params()
        W = _woe_table(W, "FeatureSelector.fit")
        y, w = check_target(y, len(W), "FeatureSelector.fit", sample_weight)
        iv = pd.Series(iv if iv is not None else _iv_from_woe(W, y, w), dtype=float)
        reasons: dict[str, str] = {}
        kept = []
        for f in sorted(W.columns, key=lambda c: -iv.get(c, 0.0)):
            v = iv.get(f, 0.0)
            if W[f].nunique() < 2:
                reasons[f] = "constant WoE (a single bin)"
            elif v < self.min_iv:
                reasons[f] = f"IV {v:.4f} < min_iv {self.min_iv}"
            elif self.max_iv is not None and v > self.max_iv:
                reasons[f] = f"IV {v:.3f} > max_iv {self.max_iv}: check for leakage"
            else:
                kept.append(f)
        # correlation: keep the higher-IV feature of each correlated pair
        uniform = w.min() == w.max()  # unequal weights (e.g. reject inference) count in both
        if not kept:
            corr = pd.DataFrame()
        elif uniform:
            corr = W[kept].corr().abs()
        else:
            corr = pd.DataFrame(_weighted_corr(W[kept].to_numpy(), w), index=kept, columns=kept)
            corr = corr.abs()
        survivors: list[str] = []
        for f in kept:
            clash = [g for g in survivors if corr.loc[f, g] > self.max_corr]
            if clash:
                g = max(clash, key=lambda c: corr.loc[f, c])
                reasons[f] = (
                    f"WoE correlation {corr.loc[f, g]:.2f} > {self.max_corr} with '{g}' (higher IV)"
                )
            else:
                survivors.append(f)
        # variance inflation
        while len(survivors) > 2:
            vif = _vif(W[survivors].to_numpy(), None if uniform else w)
            worst = int(np.argmax(vif))
            if vif[worst] <= self.max_vif:
                break
            reasons[survivors[worst]] = f"VIF {vif[worst]:.1f} > max_vif {self.max_vif}"
            survivors.pop(worst)
        steps: dict[str, int] = {}
        if self.forward and len(survivors) > 1:
            order = self._forward(W[survivors], y, w, reasons)
        else:
            order = survivors[: self.max_features]
            for f in survivors[self.max_features :]:
                reasons[f] = f"beyond max_features {self.max_features}"
        for i, f in enumerate(order, start=1):
            steps[f] = i
        self.selected_ = order
        self.report_ = pd.DataFrame(
            [
                {
                    "feature": f,
                    "iv": float(iv.get(f, 0.0)),
                    "selected": f in steps,
                    "step": steps.get(f),
                    "reason": "selected" if f in steps else reasons.get(f, ""),
                }
                for f in W.columns
            ]
        ).sort_values(["selected", "iv"], ascending=[False, False], ignore_index=True)
        self.n_features_in_ = W.shape[1]
        self.feature_names_in_ = np.asarray(W.columns, dtype=object)
        return self

    def _forward(self, W, y, w, reasons) -> list[str]:
        idx = np.arange(len(W))
        tr, va = train_test_split(
            idx, test_size=self.valid_size, stratify=y, random_state=self.random_state
        )
        X = W.to_numpy(dtype=float)
        X_tr, X_va, y_tr, y_va, w_tr, w_va = X[tr], X[va], y[tr], y[va], w[tr], w[va]
        pos = {f: i for i, f in enumerate(W.columns)}
        chosen: list[str] = []
        best_auc = 0.5
        candidates = list(W.columns)
        while candidates and len(chosen) < self.max_features:
            scores = {}
            for f in candidates:
                cols = [pos[c] for c in (*chosen, f)]
                coef = _logit_newton(X_tr[:, cols], y_tr, w_tr)
                p = coef[0] + X_va[:, cols] @ coef[1:]
                scores[f] = _auc(y_va, p, w_va)
            f_best = max(scores, key=scores.get)
            gain = scores[f_best] - best_auc
            if gain < self.min_gain:
                for f in candidates:
                    reasons[f] = (
                        f"forward selection: adds {scores[f] - best_auc:+.4f} validation AUC "
                        f"(< min_gain {self.min_gain})"
                    )
                break
            chosen.append(f_best)
            candidates.remove(f_best)
            best_auc = scores[f_best]
        for f in candidates:
            reasons.setdefault(f, f"beyond max_features {self.max_features}")
        self.valid_auc_ = best_auc
        return chosen

    def transform(self, W):
        """Keep the selected columns of a WoE table (validated like in ``fit``)."""
        check_is_fitted(self, "selected_")
        frame = _woe_table(W, "FeatureSelector.transform")
        if not isinstance(W, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"FeatureSelector.transform: X has {frame.shape[1]} columns but the selector was "
                f"fitted on {self.n_features_in_}. Pass the same columns."
            )
        check_columns(frame, self.selected_, "FeatureSelector.transform")
        return frame[self.selected_]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "selected_")
        return np.asarray(self.selected_, dtype=object)


def _logit_newton(X: np.ndarray, y: np.ndarray, w: np.ndarray, C: float = 1.0) -> np.ndarray:
    """Intercept and coefficients of scikit-learn's ``LogisticRegression(C=C)`` (L2 penalty on
    the coefficients, not the intercept, weighted log-loss), by Newton's method.

    The forward selection fits hundreds of these small models; Newton's method converges to
    machine precision in a handful of steps on a few WoE columns, where lbfgs stops at its
    tolerance after many more (sklearn's fit is the test's independent check).
    """
    n, d = X.shape
    A = np.column_stack([np.ones(n), X])
    ridge = np.r_[0.0, np.full(d, 1.0 / C)]
    ybar = np.average(y, weights=w)
    beta = np.zeros(d + 1)
    beta[0] = np.log(ybar / (1 - ybar))

    def objective(b: np.ndarray) -> float:
        eta = A @ b
        return float(w @ (np.logaddexp(0.0, eta) - y * eta) + 0.5 * ridge @ (b * b))

    current = objective(beta)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(A @ beta)))
        grad = A.T @ (w * (p - y)) + ridge * beta
        hess = (A * (w * p * (1.0 - p))[:, None]).T @ A + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:  # step halving keeps every step a descent step
            trial = beta - t * step
            value = objective(trial)
            if value <= current or t < 1e-8:
                break
            t /= 2
        beta, improvement, current = trial, current - value, value
        if np.max(np.abs(t * step)) < 1e-10 or improvement < 1e-12 * max(1.0, abs(current)):
            break
    return beta


def _woe_table(W, owner: str) -> pd.DataFrame:
    """A WoE table: numeric and finite everywhere (WoE is never NaN or infinite)."""
    W = as_frame(W, owner)
    for name in W.columns:
        col = pd.to_numeric(W[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(col)
        if bad.any():
            raise DataError(
                f"{owner}: column '{name}' holds {int(bad.sum())} value(s) that are not finite "
                f"numbers (first at row {W.index[bad][0]!r}). Pass WoE from WoeBinner.transform, "
                "which is never NaN or infinite."
            )
    return W.astype(float)


def _weighted_corr(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix of the columns of ``X`` under frequency weights ``w``
    (a row of weight 2 counts like two copies; a constant column gives NaN, as unweighted)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.cov(X, rowvar=False, aweights=w)
        sd = np.sqrt(np.diag(cov))
        return cov / np.outer(sd, sd)


def _vif(X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Variance inflation factors, 1 / (1 - R²) of each column on the others.

    R² comes from the (weighted, with ``w``) correlation matrix; a pseudo-inverse keeps exact
    linear combinations (R² = 1) finite in the algebra, and they come out as an infinite VIF.
    """
    corr = np.corrcoef(X, rowvar=False) if w is None else _weighted_corr(X, w)
    k = corr.shape[0]
    vif = np.empty(k)
    for j in range(k):
        rest = np.delete(np.arange(k), j)
        r = corr[rest, j]
        r2 = float(r @ np.linalg.pinv(corr[np.ix_(rest, rest)]) @ r)
        vif[j] = np.inf if r2 >= 1 - 1e-10 else 1 / (1 - r2)
    return vif


def _iv_from_woe(W: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> dict[str, float]:
    out = {}
    for f in W.columns:
        g = pd.DataFrame({"v": W[f].to_numpy(), "bad": w * (y == 1), "good": w * (y == 0)})
        t = g.groupby("v")[["bad", "good"]].sum()
        out[f] = float(((t.good / t.good.sum() - t.bad / t.bad.sum()) * t.index.to_numpy()).sum())
    return out
