"""Logistic scorecards on WoE features: scaling to points, sign checks, reason codes, segments.

Score = offset + factor * ln(good:bad odds), factor = pdo / ln 2, offset = base_score -
factor * ln(base_odds); defaults 600 points at 50:1 odds and 20 points to double the odds.
A higher score means lower risk. ``y == 1`` is bad.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from riskresearch import textfmt
from riskresearch.binning import WoeBinner
from riskresearch.errors import ConfigError, DataError
from riskresearch.scoring import SCORECARD_FORMAT, SEGMENTED_FORMAT, Scorer, scaling
from riskresearch.selection import FeatureSelector
from riskresearch.woe import as_frame, binary_target, positive_index


class Scorecard(ClassifierMixin, BaseEstimator):
    """WOE-binned logistic scorecard.

    Parameters
    ----------
    binner : WoeBinner, optional
        Binning to fit (cloned). Default ``WoeBinner()``.
    selector : FeatureSelector or None, optional
        Feature selection on the WoE features (cloned). Default ``FeatureSelector()``; None
        keeps every feature with more than one bin.
    C : float, default 1.0
        Inverse L2 regularisation strength of the logistic regression, used when the selector
        chooses none (``selector=None`` or ``forward=False``); a cross-validating selector's
        ``C_`` takes its place.
    pdo, base_score, base_odds : float, default 20, 600, 50
        Points to double the odds; score at ``base_odds`` good:bad odds.
    rounding : bool, default False
        Round each bin's points to an integer (the score is then a sum of integers).
    sign_check : {"drop", "flag"}, default "drop"
        A feature whose coefficient has the wrong sign (more WoE = more risk) is dropped and the
        model refitted, or only flagged in ``selection_report_``. With several offenders the
        one with the lowest IV goes first: a wrong sign comes from overlap with stronger
        features, and the refit often sets the others right, so the most informative feature
        is never dropped while a weaker offender is left. (The default selector never adds a
        feature that turns a sign, so this is a safety net.)
    n_reason_codes : int, default 4
        Reason codes returned by :meth:`reason_codes` by default.
    fit_binner : bool, default True
        False uses ``binner`` as given, already fitted (e.g. a reviewed binning loaded with
        ``WoeBinner.from_json``), instead of fitting a clone.
    pos_label : label, optional
        The bad class of ``y`` in ``fit``. Default: the larger of the two sorted labels
        (scikit-learn's convention: 1 of 0/1, True of booleans); text labels such as
        ``'bad'`` / ``'good'`` need it.

    Attributes
    ----------
    binner_ : WoeBinner
    features_ : list of str
        Features in the final model.
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    C_ : float
        Inverse L2 strength of the fitted regression (the selector's ``C_`` or ``C``).
    classes_ : ndarray
        The two labels of ``y``, sorted (``predict_proba``'s columns, ``predict``'s labels).
    points_ : dict of str to ndarray
        Points of every bin (regular bins, Special, Missing) of every feature.
    selection_report_ : pandas.DataFrame
        Every candidate feature with its IV and why it was kept or dropped.
    selection_path_ : pandas.DataFrame
        The selector's cross-validated stepwise path (``FeatureSelector.cv_path_``: mean
        validation AUC and its spread per step); empty without one.

    Examples
    --------
    >>> sc = Scorecard(rounding=True).fit(X_train, y_train)   # doctest: +SKIP
    >>> sc.points_table()                                      # doctest: +SKIP
    >>> sc.predict_score(X_test)                               # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        binner=None,
        selector="default",
        C=1.0,
        pdo=20.0,
        base_score=600.0,
        base_odds=50.0,
        rounding=False,
        sign_check="drop",
        n_reason_codes=4,
        fit_binner=True,
        pos_label=None,
    ):
        self.binner = binner
        self.selector = selector
        self.C = C
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.rounding = rounding
        self.sign_check = sign_check
        self.n_reason_codes = n_reason_codes
        self.fit_binner = fit_binner
        self.pos_label = pos_label

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # y == 1 is bad: binary targets only
        tags.input_tags.allow_nan = True  # NaN scores as the Missing bin
        return tags

    def _check_params(self) -> None:
        for name in ("pdo", "base_odds", "C"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ConfigError(
                    f"The '{name}' parameter of Scorecard must be a positive number. "
                    f"Got {value!r} instead."
                )
        if not isinstance(self.base_score, int | float) or isinstance(self.base_score, bool):
            raise ConfigError(
                f"The 'base_score' parameter of Scorecard must be a number. "
                f"Got {self.base_score!r} instead."
            )
        if self.sign_check not in ("drop", "flag"):
            raise ConfigError(
                "The 'sign_check' parameter of Scorecard must be 'drop' or 'flag'. "
                f"Got {self.sign_check!r} instead."
            )

    def fit(self, X, y, sample_weight=None, groups=None):
        """Bin, select, fit the logistic regression and scale it to points.

        Parameters
        ----------
        X : DataFrame
        y : array of 0 (good) and 1 (bad)
        sample_weight : array, optional
            Honoured by the binning, the selection and the regression.
        groups : array, optional
            Passed to the selector's folds (e.g. the date of each row for
            ``FeatureSelector(cv=TimeOrderedFolds())``).

        Returns
        -------
        self : Scorecard
        """
        self._check_params()
        frame = as_frame(X, "Scorecard.fit")
        y_arr, w, classes = binary_target(
            y, len(frame), "Scorecard.fit", sample_weight, self.pos_label
        )
        if self.fit_binner:
            self.binner_ = clone(self.binner) if self.binner is not None else WoeBinner()
            self.binner_.fit(frame, y_arr, sample_weight=w)
        else:
            if self.binner is None or not hasattr(self.binner, "bins_"):
                raise ConfigError(
                    "Scorecard(fit_binner=False) needs a fitted 'binner' (e.g. "
                    "WoeBinner.from_json(...)). Got an unfitted one."
                )
            self.binner_ = self.binner
        W = self.binner_.transform(frame)
        iv = self.binner_.iv_summary().set_index("feature")["iv"]
        selector = FeatureSelector() if isinstance(self.selector, str) else self.selector
        C, path = self.C, pd.DataFrame()
        if selector is not None:
            extra = {} if groups is None else {"groups": groups}
            self.selector_ = clone(selector).fit(W, y_arr, iv=iv, sample_weight=w, **extra)
            report = self.selector_.report_.copy()
            features = list(self.selector_.selected_)
            C = getattr(self.selector_, "C_", None) or self.C
            path = getattr(self.selector_, "cv_path_", path)
        else:
            features = [f for f in W.columns if W[f].nunique() > 1]
            report = pd.DataFrame(
                {
                    "feature": list(W.columns),
                    "iv": [float(iv[f]) for f in W.columns],
                    "selected": [f in features for f in W.columns],
                    "step": None,
                    "reason": ["selected" if f in features else "constant WoE" for f in W.columns],
                }
            )
        if not features:
            raise DataError(
                "Scorecard.fit: no feature survived selection (no feature's bins differ "
                "significantly, or every IV is below min_iv). Lower the selector's thresholds or "
                "add predictive features."
            )
        report["coefficient"] = np.nan
        report["sign_ok"] = pd.NA
        # every feature's WoE goes: the regression needs the selected ones, in the C order it
        # fits on (W[features] would be copied, and that copy again by scikit-learn)
        del W
        X = self.binner_.woe_array(frame, features, order="C")
        while True:
            lr = LogisticRegression(C=C, max_iter=2000)
            lr.fit(X, y_arr, sample_weight=w)
            coef = lr.coef_[0]
            wrong = [(float(iv[f]), f, c) for f, c in zip(features, coef) if c > 0]
            if not wrong or self.sign_check == "flag" or len(features) == 1:
                break
            _, weakest, c = min(wrong)  # the lowest-IV offender
            row = report.feature == weakest
            report.loc[row, ["selected", "reason"]] = [
                False,
                f"wrong sign: coefficient {c:+.3f} (more WoE = more risk); dropped as the "
                "lowest-IV offender",
            ]
            X = np.delete(X, features.index(weakest), axis=1)  # still C-ordered
            features.remove(weakest)
        for f, c in zip(features, coef):
            row = report.feature == f
            report.loc[row, "coefficient"] = float(c)
            report.loc[row, "sign_ok"] = bool(c <= 0)
            if c > 0:
                report.loc[row, "reason"] = f"selected; wrong sign flagged ({c:+.3f})"
        self.selection_report_ = report
        self.selection_path_ = path
        self.C_ = C
        self.features_ = features
        self.coef_ = lr.coef_
        self.intercept_ = lr.intercept_
        self.classes_ = classes
        self.offset_, self.factor_ = scaling(self.pdo, self.base_score, self.base_odds)
        self.points_ = self._bin_points()
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        return self

    def _bin_points(self) -> dict[str, np.ndarray]:
        k = len(self.features_)
        shift = (self.offset_ - self.factor_ * self.intercept_[0]) / k
        out = {}
        for f, b in zip(self.features_, self.coef_[0]):
            pts = -self.factor_ * b * self.binner_.bins_[f].woe() + shift
            out[f] = np.round(pts) if self.rounding else pts
        return out

    # -- prediction ---------------------------------------------------------------------------
    def _frame(self, X) -> pd.DataFrame:
        check_is_fitted(self, "points_")
        frame = as_frame(X, "Scorecard")
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"Scorecard: X has {frame.shape[1]} features, but Scorecard is expecting "
                f"{self.n_features_in_} features as input. Pass the same columns (a DataFrame may "
                "hold more)."
            )
        return frame

    def predict_score(self, X) -> np.ndarray:
        """Score of every row (higher = lower risk)."""
        frame = self._frame(X)
        if self.rounding:
            return self.scorer().score(frame).to_numpy()
        W = self.binner_.woe_frame(frame, self.features_)
        log_odds_good = -(self.intercept_[0] + W[self.features_].to_numpy() @ self.coef_[0])
        return self.offset_ + self.factor_ * log_odds_good

    def _log_odds_bad(self, X) -> np.ndarray:
        return -(self.predict_score(X) - self.offset_) / self.factor_

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of ``classes_[1]`` implied by the score (of bad, unless ``pos_label``
        names ``classes_[0]``)."""
        z = self._log_odds_bad(X)  # checks that the scorecard is fitted first
        return z if positive_index(self.classes_, self.pos_label) == 1 else -z

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class of ``classes_`` implied by the score (bad: column 1
        unless ``pos_label`` names ``classes_[0]``)."""
        p_bad = 1.0 / (1.0 + np.exp(-self._log_odds_bad(X)))
        proba = np.column_stack([1 - p_bad, p_bad])
        return proba if positive_index(self.classes_, self.pos_label) == 1 else proba[:, ::-1]

    def predict(self, X) -> np.ndarray:
        """The likelier class of ``classes_`` (bad where its probability is above 0.5, as
        ``decision_function`` > 0 gives ``classes_[1]``)."""
        p_bad = 1.0 / (1.0 + np.exp(-self._log_odds_bad(X)))  # checks it is fitted first
        k = positive_index(self.classes_, self.pos_label)
        return self.classes_[np.where(p_bad > 0.5, k, 1 - k)]

    def reason_codes(self, X, n: int | None = None) -> pd.DataFrame:
        """The ``n`` features that cost each applicant the most points vs. their best bin."""
        return self.scorer().reason_codes(X, n or self.n_reason_codes)

    # -- review and export --------------------------------------------------------------------
    def points_table(self) -> pd.DataFrame:
        """Feature, bin, count, event rate, WoE, coefficient and points of every bin."""
        check_is_fitted(self, "points_")
        rows = []
        for f, b in zip(self.features_, self.coef_[0]):
            tab = self.binner_.bins_[f].table().iloc[:-1]
            tab = tab[["feature", "bin", "count", "event_rate", "woe"]].copy()
            tab["coefficient"] = b
            tab["points"] = self.points_[f]
            rows.append(tab)
        return pd.concat(rows, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """The scorecard as plain data (binning, coefficients and points)."""
        check_is_fitted(self, "points_")
        features = {}
        for f, b in zip(self.features_, self.coef_[0]):
            d = self.binner_.bins_[f].to_dict()
            d["coefficient"] = float(b)
            d["points"] = [float(p) for p in self.points_[f]]
            d["unseen_points"] = float(self._unseen_points(f))
            features[f] = d
        return {
            "format": SCORECARD_FORMAT,
            "scaling": {
                "pdo": float(self.pdo),
                "base_score": float(self.base_score),
                "base_odds": float(self.base_odds),
                "offset": self.offset_,
                "factor": self.factor_,
                "rounding": bool(self.rounding),
            },
            "intercept": float(self.intercept_[0]),
            "features": features,
        }

    def _unseen_points(self, f: str) -> float:
        fb = self.binner_.bins_[f]
        b = self.coef_[0][self.features_.index(f)]
        shift = (self.offset_ - self.factor_ * self.intercept_[0]) / len(self.features_)
        pts = -self.factor_ * b * fb.unseen_woe() + shift
        return round(pts) if self.rounding else pts

    def to_json(self, path: str | Path | None = None) -> str:
        """The scorecard as JSON text, floats at :data:`~riskresearch.textfmt.SIGNIFICANT_DIGITS`
        significant digits (written to ``path`` when given)."""
        text = textfmt.json_text(self.to_dict())
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    def scorer(self) -> Scorer:
        """The dependency-light scorer of this scorecard."""
        return Scorer(self.to_dict())

    def to_sql(self) -> str:
        """A single SQL expression (DuckDB) that computes the score from the raw columns."""
        return self.scorer().to_sql()


class SegmentedScorecard(BaseEstimator):
    """One scorecard per segment (consumer thick/thin file, enterprise ...).

    Parameters
    ----------
    segments : dict
        ``{name: {column: value, ...}}``: a row belongs to the first segment all of whose
        column values it matches, e.g. ``{"enterprise": {"segment": "enterprise"},
        "consumer_thick": {"segment": "consumer", "bureau_hit": True},
        "consumer_thin": {"segment": "consumer", "bureau_hit": False}}``.
    scorecard : Scorecard, optional
        Template fitted (cloned) on every segment.
    scorecards : dict, optional
        Per-segment templates overriding ``scorecard``.
    min_rows, min_bads : int, default 500, 50
        A segment with fewer rows or bads cannot get a scorecard of its own (error).
    pos_label : label, optional
        The bad class of ``y`` in ``fit``. Default: the larger of the two sorted labels
        (scikit-learn's convention: 1 of 0/1, True of booleans); text labels such as
        ``'bad'`` / ``'good'`` need it.
    """

    def __init__(
        self,
        *,
        segments=None,
        scorecard=None,
        scorecards=None,
        min_rows=500,
        min_bads=50,
        pos_label=None,
    ):
        self.segments = segments
        self.scorecard = scorecard
        self.scorecards = scorecards
        self.min_rows = min_rows
        self.min_bads = min_bads
        self.pos_label = pos_label

    def assign(self, X) -> pd.Series:
        """Segment name of every row (NA where no segment matches)."""
        frame = as_frame(X, "SegmentedScorecard")
        return Scorer.assign_segments(
            frame, [{"name": n, "when": w} for n, w in (self.segments or {}).items()]
        )

    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one scorecard per segment.

        Parameters
        ----------
        X : DataFrame
            Features and the segment columns.
        y : array of 0 (good) and 1 (bad)
        sample_weight : array, optional
        groups : array, optional
            Passed, segment by segment, to each scorecard's selector (e.g. dates).

        Returns
        -------
        self : SegmentedScorecard
        """
        if not isinstance(self.segments, dict) or not self.segments:
            raise ConfigError(
                "The 'segments' parameter of SegmentedScorecard must be a non-empty dict "
                f"{{name: {{column: value}}}}. Got {self.segments!r} instead."
            )
        frame = as_frame(X, "SegmentedScorecard.fit")
        y_arr, w, classes = binary_target(
            y, len(frame), "SegmentedScorecard.fit", sample_weight, self.pos_label
        )
        seg = self.assign(frame)
        if seg.isna().any():
            first = seg.index[seg.isna()][0]
            raise DataError(
                f"SegmentedScorecard.fit: {int(seg.isna().sum())} row(s) match no segment "
                f"(first: row {first!r}). Add a segment that covers them."
            )
        self.scorecards_ = {}
        for name in self.segments:
            rows = (seg == name).to_numpy()
            n_bad = int(y_arr[rows].sum())
            if rows.sum() < self.min_rows or n_bad < self.min_bads:
                raise DataError(
                    f"Segment '{name}' has {int(rows.sum())} rows and {n_bad} bads; a scorecard "
                    f"needs at least {self.min_rows} rows and {self.min_bads} bads. Merge it "
                    "with another segment."
                )
            template = (self.scorecards or {}).get(name, self.scorecard) or Scorecard()
            extra = {} if groups is None else {"groups": np.asarray(groups)[rows]}
            self.scorecards_[name] = clone(template).fit(
                frame[rows], y_arr[rows], sample_weight=w[rows], **extra
            )
        self.classes_ = classes
        return self

    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, "scorecards_")
        return {
            "format": SEGMENTED_FORMAT,
            "segments": [
                {"name": n, "when": self.segments[n], "scorecard": sc.to_dict()}
                for n, sc in self.scorecards_.items()
            ],
        }

    def scorer(self) -> Scorer:
        return Scorer(self.to_dict())

    def predict_score(self, X) -> np.ndarray:
        check_is_fitted(self, "scorecards_")
        frame = as_frame(X, "SegmentedScorecard")
        seg = self.assign(frame)
        out = np.full(len(frame), np.nan)
        for name, sc in self.scorecards_.items():
            rows = (seg == name).to_numpy()
            if rows.any():
                out[rows] = sc.predict_score(frame[rows])
        return out

    def predict_proba(self, X) -> np.ndarray:
        """Probability of good and bad, each row on its own segment's points scale."""
        check_is_fitted(self, "scorecards_")
        frame = as_frame(X, "SegmentedScorecard")
        seg = self.assign(frame)
        out = np.full((len(frame), 2), np.nan)
        for name, sc in self.scorecards_.items():
            rows = (seg == name).to_numpy()
            if rows.any():
                out[rows] = sc.predict_proba(frame[rows])  # columns: good, bad
        return out if positive_index(self.classes_, self.pos_label) == 1 else out[:, ::-1]
