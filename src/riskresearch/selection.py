"""Feature selection on WoE features, with a recorded reason for every dropped feature.

Steps, in order:

1. filters: information value (``min_iv``: a number, or ``"auto"``: at least 0.02, or bins
   whose bad rates differ significantly, so a weak driver of a large table stays; ``max_iv``),
   pairwise WoE correlation (``max_corr``, the lower-IV feature of a pair goes) and variance
   inflation (``max_vif``); each works with any number of features, none included. Without the
   search (``forward=False``) the filtered features, highest IV first, are the result;
2. cross-validation folds on the rows (``cv``): stratified k-fold by default, or any splitter,
   e.g. :class:`TimeOrderedFolds` for an out-of-time design (its groups, the date of each row,
   are passed to ``fit`` as ``groups=``). In each fold the WoE of every bin (every distinct
   WoE value of a column) is recounted on the fold's training rows, so that no validation row
   scores with a WoE its own outcome helped to set;
3. the strength of the L2 penalty of the logistic regression (``Cs``), chosen on those folds
   by the mean validation log-loss of the model with the filtered features;
4. a stepwise search on those folds: each step adds the candidate with the best mean validation
   AUC (among the few with the largest score statistic), then removes the feature with the
   smallest Wald statistic when the model without it is at least as good on the folds. A
   candidate is not added when it would give any coefficient the wrong sign (more WoE = more
   risk), or break ``max_corr`` or ``max_vif`` with the features already selected (so a
   feature the filters of step 1 barred for a stronger one comes back when that one is not
   selected). The search runs to ``max_features`` (or out of candidates), recording the path;
5. the model kept is the largest one on the path whose fold-by-fold AUC is within
   ``tolerance`` standard errors of the best model's (on the paired fold differences: models
   the folds cannot tell apart count as equal). A feature is thus dropped when the folds show
   that it does not help, never for a difference within the fold-to-fold noise; the path
   (:attr:`FeatureSelector.cv_path_`) shows where and why the search stopped.

Sample weights (e.g. from reject inference) count in every step: the IV, the weighted
correlation and VIF, the regressions and the validation AUC and log-loss. Integer weights
equal duplicated rows in every step but the fold assignment, which draws rows, not weight.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import chi2
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from riskresearch.errors import ConfigError, DataError
from riskresearch.metrics import auc_unchecked
from riskresearch.woe import as_frame, check_columns, check_target

#: Candidates the folds judge at each step of the stepwise search: those with the largest score
#: statistic on every row (a cheap, close proxy of the gain; fitting every candidate on every
#: fold would cost several times more for the same choice in nearly every step).
_SHORTLIST = 5

#: Level of the test ``min_iv="auto"`` drops a feature by (see :class:`FeatureSelector`).
IV_LEVEL = 0.001
#: The IV from which ``min_iv="auto"`` keeps a feature without the test.
AUTO_MIN_IV = 0.02

#: Columns of :attr:`FeatureSelector.cv_path_`.
PATH_COLUMNS = [
    "step",
    "action",
    "feature",
    "n_features",
    "cv_auc",
    "cv_auc_std",
    "diff_to_best",
    "diff_se",
    "within_tolerance",
    "selected",
]


class TimeOrderedFolds:
    """Cross-validation folds that respect time: each fold validates on a later period than
    it trains on (an expanding window).

    The rows' periods (``groups`` of :meth:`split`: a date, a month or any sortable value) are
    cut into ``n_splits + 1`` consecutive blocks of whole periods holding about equal numbers
    of rows; fold ``i`` trains on blocks ``0 .. i - 1`` and validates on block ``i``. Rows of
    one period never sit on both sides, and no fold learns from the future it is validated on:
    the folds mimic an out-of-time test.

    Parameters
    ----------
    n_splits : int, default 5
        Folds; fewer when there are not enough distinct periods (at least 2 are needed).

    Examples
    --------
    >>> folds = TimeOrderedFolds(n_splits=2)
    >>> [(tr.tolist(), va.tolist()) for tr, va in folds.split(None, groups=[1, 1, 2, 3, 3, 3])]
    [([0, 1], [2]), ([0, 1, 2], [3, 4, 5])]
    """

    def __init__(self, n_splits=5):
        self.n_splits = n_splits

    def __repr__(self) -> str:
        return f"TimeOrderedFolds(n_splits={self.n_splits!r})"

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Folds asked for (:meth:`split` may yield fewer when periods are few)."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, validation)`` row positions, earliest fold first.

        Parameters
        ----------
        X : ignored
        y : ignored
        groups : array-like of shape (n_rows,)
            The period (date) of each row; required.
        """
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 1:
            raise ConfigError(
                "The 'n_splits' parameter of TimeOrderedFolds must be an integer >= 1. "
                f"Got {self.n_splits!r} instead."
            )
        if groups is None:
            raise DataError(
                "TimeOrderedFolds.split needs groups: the date or period of each row. Pass "
                "them to fit as groups=..."
            )
        periods, code, counts = np.unique(
            np.asarray(groups), return_inverse=True, return_counts=True
        )
        if len(periods) < 2:
            raise DataError(
                f"TimeOrderedFolds needs rows from at least 2 periods; got {len(periods)}. Use "
                "stratified folds (cv=5) for rows without a time order."
            )
        blocks = min(self.n_splits + 1, len(periods))
        # each period goes to the block its middle row falls in (blocks of about equal rows)
        middle = (np.cumsum(counts) - counts / 2) / counts.sum()
        block = np.minimum((middle * blocks).astype(int), blocks - 1)[code.ravel()]
        rows = np.arange(len(block))
        for b in range(1, blocks):
            train, valid = rows[block < b], rows[block == b]
            if len(train) and len(valid):
                yield train, valid


class FeatureSelector(TransformerMixin, BaseEstimator):
    """Select scorecard features from a WoE table by filters and cross-validated stepwise
    search.

    Parameters
    ----------
    min_iv : float or "auto", default "auto"
        Features with a lower information value are dropped ("not predictive"). ``"auto"``
        drops a feature whose IV is below :data:`AUTO_MIN_IV` (0.02) *and* whose bins show no
        significant difference in bad rate: a G-test (likelihood ratio) of the bins' bad rates
        against one common rate, with the bins less one degrees of freedom, at level
        :data:`IV_LEVEL` (0.1%; strict, as the bins were chosen to make the rates differ:
        noise passes about 1-2% of the time). A fixed 0.02 drops real but weak drivers of a
        large table (IV 0.014 on 40,000 rows is a difference no chance gives); the test lets
        them through to the cross-validated search, which judges them like any other. On
        small tables the 0.02 floor stays: a stricter pre-filter there costs the search
        features it would have kept (measured on real data, ``bench_realdata.py``). Weights
        are scaled to the number of rows for the test.
    max_iv : float or None, default None
        Features with a higher IV are dropped as suspicious (leakage); None keeps them.
    max_corr : float, default 0.7
        Of two features whose WoE correlate more than this (absolute Pearson), the one with the
        lower IV is dropped.
    max_vif : float, default 5.0
        Features are dropped one at a time, highest VIF first, until every VIF is at most this.
    forward : bool, default True
        Run the cross-validated stepwise search after the filters. False keeps the filtered
        features, highest IV first, up to ``max_features`` (no folds, no penalty choice).
    max_features : int, default 15
        Most features kept.
    cv : int, cross-validation splitter or list of (train, validation) pairs, default 5
        Folds of the stepwise search and of the choice of ``C``: an integer gives stratified
        k-fold (shuffled with ``random_state``; fewer folds when there are fewer bads or goods),
        a splitter (an object with ``split(X, y, groups)``, e.g. :class:`TimeOrderedFolds`)
        gives its own folds, with the ``groups`` passed to :meth:`fit`; a list gives the row
        positions of each fold (as in scikit-learn). The splitter is the scikit-learn way to
        pass a time order without changing the estimator's contract: the order travels as
        ``groups`` at fit time, not as a column of the WoE table.
    Cs : int, float or sequence of float, default 10
        Inverse L2 penalty strengths tried: an integer ``n`` tries ``n`` values on a log scale
        between 1e-4 and 1e4 (as ``LogisticRegressionCV``), a number fixes ``C``.
    tolerance : float, default 1.0
        Standard errors of the paired fold-by-fold AUC difference within which a model on the
        path counts as good as the best; the largest such model is kept (0 keeps the best).
    random_state : int, default 0
        Seed of the stratified folds.
    pos_label : label, optional
        The bad class of ``y`` in ``fit``. Default: the larger of the two sorted labels
        (scikit-learn's convention: 1 of 0/1, True of booleans); text labels such as
        ``'bad'`` / ``'good'`` need it.

    Attributes
    ----------
    selected_ : list of str
        Kept features, in the order the search added them (IV order without the search).
    report_ : pandas.DataFrame
        One row per candidate: ``feature, iv, selected, step, reason``.
    C_ : float or None
        Inverse L2 penalty strength chosen by the folds (None without the search): the
        regression of the kept features should use it (:class:`~riskresearch.scorecard.
        Scorecard` does).
    cv_path_ : pandas.DataFrame
        The stepwise path, one row per step (columns :data:`PATH_COLUMNS`): the feature added
        or removed, the number of features, the mean validation AUC over the folds and its
        fold-to-fold standard deviation, the mean paired difference to the best model on the
        path and its standard error, whether that is within ``tolerance``, and the step kept
        (``selected``). Empty without the search.
    cv_auc_ : float or None
        Mean validation AUC of the kept model over the folds.
    n_splits_ : int
        Folds used (0 without the search).
    iv_p_values_ : dict of str to float
        With ``min_iv="auto"``, the G-test p-value of each feature tested (those with an IV
        below :data:`AUTO_MIN_IV`; empty otherwise).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> sel = FeatureSelector(max_features=10).fit(W, y)   # doctest: +SKIP
    >>> sel.report_                                        # doctest: +SKIP
    >>> sel.cv_path_                                       # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        min_iv="auto",
        max_iv=None,
        max_corr=0.7,
        max_vif=5.0,
        forward=True,
        max_features=15,
        cv=5,
        Cs=10,
        tolerance=1.0,
        random_state=0,
        pos_label=None,
    ):
        self.min_iv = min_iv
        self.max_iv = max_iv
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.forward = forward
        self.max_features = max_features
        self.cv = cv
        self.Cs = Cs
        self.tolerance = tolerance
        self.random_state = random_state
        self.pos_label = pos_label

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # a supervised transformer of a binary target (bad / good): checks fit it on two labels
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def _check_params(self) -> None:
        def real(v) -> bool:
            return isinstance(v, numbers.Real) and not isinstance(v, bool)

        def integer(v, low) -> bool:
            return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= low

        cs = self.Cs
        cs_ok = (
            integer(cs, 1)
            or (real(cs) and cs > 0)
            or (
                isinstance(cs, list | tuple | np.ndarray)
                and len(cs) > 0
                and all(real(c) and c > 0 for c in cs)
            )
        )
        cv_ok = (
            integer(self.cv, 2)
            or (not isinstance(self.cv, numbers.Number | str) and hasattr(self.cv, "split"))
            or (
                isinstance(self.cv, list | tuple)
                and all(isinstance(f, list | tuple) and len(f) == 2 for f in self.cv)
            )
        )
        checks = {
            "min_iv": (
                self.min_iv == "auto" or (real(self.min_iv) and self.min_iv >= 0),
                "a number >= 0 or 'auto'",
            ),
            "max_iv": (self.max_iv is None or real(self.max_iv), "a number or None"),
            "max_corr": (real(self.max_corr) and 0 < self.max_corr <= 1, "a number in (0, 1]"),
            "max_vif": (real(self.max_vif) and self.max_vif >= 1, "a number >= 1"),
            "max_features": (integer(self.max_features, 1), "an integer >= 1"),
            "cv": (
                cv_ok,
                "an integer >= 2, a splitter with a split method or a list of (train, "
                "validation) index pairs",
            ),
            "Cs": (cs_ok, "a positive integer, a positive number or a list of them"),
            "tolerance": (real(self.tolerance) and self.tolerance >= 0, "a number >= 0"),
        }
        for name, (ok, expected) in checks.items():
            if not ok:
                raise ConfigError(
                    f"The '{name}' parameter of FeatureSelector must be {expected}. "
                    f"Got {getattr(self, name)!r} instead."
                )

    def fit(self, W, y, iv=None, sample_weight=None, groups=None):
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
        groups : array, optional
            Passed to the splitter of ``cv`` (e.g. the date of each row for
            :class:`TimeOrderedFolds`); unused by stratified folds.

        Returns
        -------
        self : FeatureSelector
        """
        self._check_params()
        W = _woe_table(W, "FeatureSelector.fit")
        y, w = check_target(y, len(W), "FeatureSelector.fit", sample_weight, self.pos_label)
        if groups is not None and len(groups) != len(W):
            raise DataError(
                f"FeatureSelector.fit: groups has {len(groups)} values but X has {len(W)} "
                "rows. Pass one group (date) per row."
            )
        iv = pd.Series(iv if iv is not None else _iv_from_woe(W, y, w), dtype=float)
        reasons: dict[str, str] = {}
        kept = []
        self.iv_p_values_ = {}
        for f in sorted(W.columns, key=lambda c: -iv.get(c, 0.0)):
            v = iv.get(f, 0.0)
            if W[f].nunique() < 2:
                reasons[f] = "constant WoE (a single bin)"
                continue
            if self.min_iv == "auto":
                if v < AUTO_MIN_IV:
                    p = self.iv_p_values_[f] = _bins_p_value(W[f].to_numpy(), y, w)
                    if p >= IV_LEVEL:
                        reasons[f] = (
                            f"IV {v:.4f} < {AUTO_MIN_IV} and the bad rates of its bins do not "
                            f"differ significantly (G-test p {p:.2g} >= {IV_LEVEL})"
                        )
            elif v < self.min_iv:
                reasons[f] = f"IV {v:.4f} < min_iv {self.min_iv}"
            if f in reasons:
                continue
            if self.max_iv is not None and v > self.max_iv:
                reasons[f] = f"IV {v:.3f} > max_iv {self.max_iv}: check for leakage"
            else:
                kept.append(f)
        uniform = w.min() == w.max()  # unequal weights (e.g. reject inference) count in both
        corr = np.nan_to_num(_corr_of(W, kept, None if uniform else w))
        filtered: dict[str, str] = {}
        survivors = self._filter_correlated(kept, corr, filtered)
        self.C_, self.cv_auc_, self.n_splits_ = None, None, 0
        self.cv_path_ = pd.DataFrame(columns=PATH_COLUMNS)
        steps: dict[str, int] = {}
        folds = self._folds(y, groups) if self.forward and survivors else []
        if len(folds) >= 2:
            # the correlation and VIF limits bind against the features the search selects, so
            # a feature barred by a stronger one comes back when that one is not selected;
            # thousands of small BLAS calls: one thread each is several times faster than
            # threads waiting for each other
            with threadpool_limits(limits=1, user_api="blas"):
                order, steps = self._stepwise(W[kept], y, w, folds, reasons, corr, survivors)
        else:
            reasons.update(filtered)
            order = survivors[: self.max_features]
            for f in survivors[self.max_features :]:
                reasons[f] = f"beyond max_features {self.max_features}"
            steps = {f: i for i, f in enumerate(order, start=1)}
        chosen = "selected"
        if self.forward and survivors and len(folds) < 2:
            chosen = "selected by IV: too few bads or goods for cross-validation"
        self.selected_ = order
        self.report_ = pd.DataFrame(
            [
                {
                    "feature": f,
                    "iv": float(iv.get(f, 0.0)),
                    "selected": f in order,
                    "step": steps.get(f),
                    "reason": chosen if f in order else reasons.get(f, ""),
                }
                for f in W.columns
            ]
        ).sort_values(["selected", "iv"], ascending=[False, False], ignore_index=True)
        self.n_features_in_ = W.shape[1]
        self.feature_names_in_ = np.asarray(W.columns, dtype=object)
        return self

    def _filter_correlated(self, kept, corr, reasons) -> list[str]:
        """Correlation then VIF filters on ``kept`` (highest IV first; ``corr`` their WoE
        correlations); 0, 1 or many."""
        pos = {f: i for i, f in enumerate(kept)}
        survivors: list[str] = []
        for f in kept:  # keep the higher-IV feature of each correlated pair
            clash = [g for g in survivors if abs(corr[pos[f], pos[g]]) > self.max_corr]
            if clash:
                g = max(clash, key=lambda c: abs(corr[pos[f], pos[c]]))
                reasons[f] = (
                    f"WoE correlation {abs(corr[pos[f], pos[g]]):.2f} > {self.max_corr} with "
                    f"'{g}' (higher IV)"
                )
            else:
                survivors.append(f)
        while len(survivors) >= 2:  # variance inflation, from the survivors' correlations
            at = [pos[f] for f in survivors]
            vif = _vif_from_corr(corr[np.ix_(at, at)])
            worst = int(np.argmax(vif))
            if vif[worst] <= self.max_vif:
                break
            reasons[survivors[worst]] = f"VIF {vif[worst]:.1f} > max_vif {self.max_vif}"
            survivors.pop(worst)
        return survivors

    def _folds(self, y, groups) -> list[tuple[np.ndarray, np.ndarray]]:
        """Train/validation row positions of the usable folds (both classes on each side)."""
        if isinstance(self.cv, numbers.Integral):
            k = min(int(self.cv), int(np.bincount(y, minlength=2).min()))
            if k < 2:
                return []
            splitter = StratifiedKFold(k, shuffle=True, random_state=self.random_state % 2**32)
            pairs = splitter.split(np.zeros((len(y), 1)), y)
        elif hasattr(self.cv, "split"):
            pairs = self.cv.split(np.zeros((len(y), 1)), y, groups)
        else:
            pairs = self.cv
        return [
            (np.asarray(tr), np.asarray(va))
            for tr, va in pairs
            if len(np.unique(y[tr])) == 2 and len(np.unique(y[va])) == 2
        ]

    def _stepwise(self, W, y, w, folds, reasons, corr, prefiltered):
        """The cross-validated stepwise search over the columns of ``W`` (the IV survivors,
        highest IV first); ``corr`` is their WoE correlation matrix and
        ``prefiltered`` those the correlation and VIF filters keep (the C is chosen on them).
        Returns the kept features in the order they were added and their path steps."""
        names = list(W.columns)
        search = _Search(W.to_numpy(dtype=float), y, w, folds)
        search.C = C = search.choose_c(_c_grid(self.Cs), [names.index(f) for f in prefiltered])
        k = len(folds)
        chosen: list[int] = []
        removed: dict[int, str] = {}
        wrong_sign: dict[int, str] = {}
        states: list[tuple[str, int, tuple[int, ...], np.ndarray]] = []
        added_at: dict[int, int] = {}

        def clash(j: int, cols) -> str | None:
            """Why ``j`` may not join ``cols``: a WoE correlation or a VIF over the limits."""
            if not cols:
                return None
            g = max(cols, key=lambda c: abs(corr[j, c]))
            if abs(corr[j, g]) > self.max_corr:
                return f"WoE correlation {abs(corr[j, g]):.2f} > {self.max_corr} with '{names[g]}'"
            both = [*cols, j]
            vif = _vif_from_corr(corr[np.ix_(both, both)])
            if vif.max() > self.max_vif:
                return f"VIF {vif.max():.1f} > max_vif {self.max_vif} with the selected features"
            return None

        while len(chosen) < self.max_features:
            candidates = [
                j
                for j in range(len(names))
                if j not in chosen and j not in removed and clash(j, chosen) is None
            ]
            if not candidates:
                break
            shortlist = search.screen(chosen, candidates, _SHORTLIST)
            scores = {j: search.aucs([*chosen, j]) for j in shortlist}
            best = None
            # best mean AUC first (ties: higher IV); a candidate turning a sign is passed over
            for j in sorted(scores, key=lambda j: (-scores[j].mean(), j)):
                bad = search.wrong_sign([*chosen, j])
                if bad is None:
                    best = j
                    break
                other, coef = bad
                wrong_sign[j] = (
                    f"wrong sign: with the selected features its coefficient is {coef:+.3f} "
                    "(more WoE = more risk); not added"
                    if other == j
                    else f"not added: it turns the coefficient of '{names[other]}' to the "
                    f"wrong sign ({coef:+.3f})"
                )
            if best is None:
                break
            wrong_sign.pop(best, None)
            chosen.append(best)
            added_at[best] = len(states) + 1
            states.append(("add", best, tuple(chosen), scores[best]))
            if len(chosen) >= 3:  # remove the weakest feature when the others make it redundant
                g = search.weakest(chosen)
                without = [c for c in chosen if c != g]
                if g != best:
                    trial = search.aucs(without)
                    current = scores[best]
                    if trial.mean() >= current.mean() and search.wrong_sign(without) is None:
                        chosen.remove(g)
                        removed[g] = (
                            f"stepwise: removed at step {len(states) + 1}; without it the mean "
                            f"CV AUC is {trial.mean():.4f}, with it {current.mean():.4f}"
                        )
                        states.append(("remove", g, tuple(chosen), trial))
        aucs = np.array([s[3] for s in states])
        best_i = int(np.argmax(aucs.mean(axis=1)))
        diff = aucs - aucs[best_i]
        diff_mean = diff.mean(axis=1)
        diff_se = diff.std(axis=1, ddof=1) / np.sqrt(k)
        within = diff_mean >= -self.tolerance * diff_se - 1e-12
        sizes = np.array([len(s[2]) for s in states])
        # the largest model the folds cannot tell from the best: a feature goes only when the
        # folds show that it hurts, not when they cannot show that it helps
        pick = max(np.flatnonzero(within), key=lambda i: (sizes[i], diff_mean[i], -i))
        final = list(states[pick][2])
        self.C_, self.cv_auc_, self.n_splits_ = C, float(aucs[pick].mean()), k
        self.cv_path_ = pd.DataFrame(
            {
                "step": np.arange(1, len(states) + 1),
                "action": [s[0] for s in states],
                "feature": [names[s[1]] for s in states],
                "n_features": sizes,
                "cv_auc": aucs.mean(axis=1),
                "cv_auc_std": aucs.std(axis=1, ddof=1),
                "diff_to_best": diff_mean,
                "diff_se": diff_se,
                "within_tolerance": within,
                "selected": np.arange(len(states)) == pick,
            },
            columns=PATH_COLUMNS,
        )
        for j, name in enumerate(names):
            if j in final:
                continue
            why = clash(j, final)
            if why is not None:
                reasons[name] = why + (" (selected)" if why.startswith("WoE") else "")
            elif removed.get(j):
                reasons[name] = removed[j]
            elif j in added_at:
                reasons[name] = (
                    f"stepwise: added at step {added_at[j]}; the model kept (step {pick + 1}, "
                    f"{len(final)} features) is the largest within {self.tolerance:g} SE of "
                    f"the best mean CV AUC ({aucs[best_i].mean():.4f}, step {best_i + 1})"
                )
            elif j in wrong_sign:
                reasons[name] = wrong_sign[j]
            else:
                reasons[name] = f"beyond max_features {self.max_features}"
        # order: as the search added them; the step is the path step of that addition
        steps = {names[j]: added_at[j] for j in final}
        order = sorted((names[j] for j in final), key=lambda f: steps[f])
        return order, steps

    def transform(self, W):
        """Keep the selected columns of a WoE table (validated like in ``fit``).

        Parameters
        ----------
        W : DataFrame
            WoE-transformed features with at least the selected columns.

        Returns
        -------
        DataFrame
            The selected columns, in :attr:`selected_` order.
        """
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
        """Names of the selected features.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "selected_")
        return np.asarray(self.selected_, dtype=object)


def _fold_woe(code: np.ndarray, y: np.ndarray, w: np.ndarray, n_bins: int) -> np.ndarray:
    """WoE, ln(%good / %bad), of each bin counted on a fold's training rows; half a row is
    added to every cell so that a bin with no bad or no good (or none of the rows) stays
    finite. The rows validated on never count in their own WoE: a WoE from every row would
    leak their outcomes into the validation (strongly so for categories with few rows)."""
    bad = np.bincount(code, weights=w * y, minlength=n_bins) + 0.5
    good = np.bincount(code, weights=w * (1 - y), minlength=n_bins) + 0.5
    return np.log(good / good.sum()) - np.log(bad / bad.sum())


def _c_grid(Cs) -> list[float]:
    if isinstance(Cs, numbers.Integral):
        return [float(c) for c in np.logspace(-4, 4, int(Cs))] if Cs > 1 else [1.0]
    if isinstance(Cs, numbers.Real):
        return [float(Cs)]
    return [float(c) for c in Cs]


class _Search:
    """Penalised logistic regressions of column subsets of ``X`` on the folds and on every
    row, cached by subset (the stepwise search asks for the same subsets again)."""

    def __init__(self, X, y, w, folds, C=1.0):
        self.X, self.y, self.w, self.C = X, y, w, C
        codes = [np.unique(X[:, j], return_inverse=True)[1].ravel() for j in range(X.shape[1])]
        # each fold's rows, copied once: (X_train, y_train, w_train, X_valid, y_valid, w_valid)
        # with the WoE of every bin recounted on the fold's training rows
        self.folds = []
        for tr, va in folds:
            woe = [_fold_woe(c[tr], y[tr], w[tr], c.max() + 1) for c in codes]
            Xt = np.column_stack([v[c[tr]] for v, c in zip(woe, codes, strict=True)])
            Xv = np.column_stack([v[c[va]] for v, c in zip(woe, codes, strict=True)])
            self.folds.append((Xt, y[tr], w[tr], Xv, y[va], w[va]))
        self._aucs: dict[tuple, np.ndarray] = {}
        self._betas: dict[tuple, list[np.ndarray]] = {}
        self._full: dict[tuple, np.ndarray] = {}

    def _start(self, cols: list[int], fits: dict) -> list[np.ndarray] | None:
        """Starting coefficients from a cached fit of the same columns less one (zero for a
        new column): the model before an addition, or the model before a removal."""
        key = tuple(cols)
        prev = fits.get(key[:-1])
        if prev is not None:
            return [np.r_[b, 0.0] for b in prev]
        for bigger, betas in fits.items():
            if len(bigger) == len(key) + 1 and set(key) < set(bigger):
                keep = [0] + [1 + bigger.index(c) for c in key]
                return [b[keep] for b in betas]
        return None

    def aucs(self, cols: list[int]) -> np.ndarray:
        """Validation AUC of each fold."""
        key = tuple(cols)
        if key not in self._aucs:
            start = self._start(cols, self._betas) or [None] * len(self.folds)
            out, betas = [], []
            for (Xt, yt, wt, Xv, yv, wv), b0 in zip(self.folds, start, strict=True):
                beta = _logit_newton(Xt[:, cols], yt, wt, self.C, beta0=b0)
                out.append(auc_unchecked(yv, beta[0] + Xv[:, cols] @ beta[1:], wv))
                betas.append(beta)
            self._aucs[key], self._betas[key] = np.array(out), betas
        return self._aucs[key]

    def full(self, cols: list[int]) -> np.ndarray:
        """Intercept and coefficients of the regression on every row."""
        key = tuple(cols)
        if key not in self._full:
            start = self._start(cols, {k: [b] for k, b in self._full.items()})
            b0 = None if start is None else start[0]
            self._full[key] = _logit_newton(self.X[:, cols], self.y, self.w, self.C, beta0=b0)
        return self._full[key]

    def _information(self, cols: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fitted probabilities, Newton weights and the penalised information matrix of the
        regression of ``cols`` on every row."""
        beta = self.full(cols)
        A = np.column_stack([np.ones(len(self.y)), self.X[:, cols]])
        p = expit(A @ beta)
        v = self.w * p * (1.0 - p)
        info = (A * v[:, None]).T @ A + np.diag(np.r_[0.0, np.full(len(cols), 1.0 / self.C)])
        return p, v, info

    def wrong_sign(self, cols: list[int]) -> tuple[int, float] | None:
        """``(column, coefficient)`` of the most positive coefficient of the regression on
        every row, when any is positive (more WoE = more risk); else None."""
        coef = self.full(cols)[1:]
        i = int(np.argmax(coef))
        return (cols[i], float(coef[i])) if coef[i] > 0 else None

    def screen(self, cols: list[int], candidates: list[int], n: int) -> list[int]:
        """The ``n`` candidates with the largest score (Rao) statistic for adding them to the
        regression of ``cols`` on every row: what one Newton step from the current model
        would gain, without fitting each (the folds then judge these few)."""
        if len(candidates) <= n:
            return candidates
        p, v, info = self._information(cols)
        A = np.column_stack([np.ones(len(self.y)), self.X[:, cols]])
        Xc = self.X[:, candidates]
        score = Xc.T @ (self.w * (self.y - p))
        cross = A.T @ (Xc * v[:, None])
        rest = np.einsum("ij,ij->j", cross, np.linalg.solve(info, cross))
        stat = score**2 / np.maximum(v @ Xc**2 + 1.0 / self.C - rest, 1e-300)
        order = np.argsort(-stat, kind="stable")[:n]
        return [candidates[i] for i in order]

    def weakest(self, cols: list[int]) -> int:
        """The column with the smallest Wald statistic (coefficient / standard error) in the
        regression of ``cols`` on every row: the one to try removing."""
        beta = self.full(cols)
        _, _, info = self._information(cols)
        se = np.sqrt(np.diag(np.linalg.inv(info)))[1:]
        return cols[int(np.argmin(np.abs(beta[1:]) / se))]

    def choose_c(self, grid: list[float], cols: list[int]) -> float:
        """The C of ``grid`` with the lowest mean validation log-loss (ties: the larger C)."""
        if len(grid) == 1:
            return grid[0]
        losses = {}
        start = [None] * len(self.folds)
        for C in sorted(grid, reverse=True):  # strong penalties start from weaker ones' fits
            total = 0.0
            for i, (Xt, yt, wt, Xv, yv, wv) in enumerate(self.folds):
                start[i] = _logit_newton(Xt[:, cols], yt, wt, C, beta0=start[i])
                eta = start[i][0] + Xv[:, cols] @ start[i][1:]
                loss = np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta))) - yv * eta
                total += float(np.average(loss, weights=wv))
            losses[C] = total / len(self.folds)
        best = min(losses.values())
        return max(C for C, loss in losses.items() if loss <= best + 1e-12)


def _logit_newton(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    C: float = 1.0,
    beta0: np.ndarray | None = None,
) -> np.ndarray:
    """Intercept and coefficients of scikit-learn's ``LogisticRegression(C=C)`` (L2 penalty on
    the coefficients, not the intercept, weighted log-loss), by Newton's method.

    The stepwise search fits thousands of these small models; Newton's method converges to
    machine precision in a handful of steps on a few WoE columns, where lbfgs stops at its
    tolerance after many more (sklearn's fit is the test's independent check). ``beta0``
    (intercept first) starts it from a nearby fit, e.g. the model without the last column.
    """
    n, d = X.shape
    A = np.column_stack([np.ones(n), X])
    ridge = np.r_[0.0, np.full(d, 1.0 / C)]
    if beta0 is None:
        ybar = np.average(y, weights=w)
        beta = np.zeros(d + 1)
        beta[0] = np.log(ybar / (1 - ybar))
    else:
        beta = np.asarray(beta0, dtype=float).copy()

    def objective(eta: np.ndarray, b: np.ndarray) -> float:
        softplus = np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))  # ln(1 + e^eta)
        return float(w @ (softplus - y * eta) + 0.5 * ridge @ (b * b))

    eta = A @ beta
    current = objective(eta, beta)
    for _ in range(100):
        p = expit(eta)
        grad = A.T @ (w * (p - y)) + ridge * beta
        hess = (A * (w * p * (1.0 - p))[:, None]).T @ A + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:  # step halving keeps every step a descent step
            trial = beta - t * step
            eta_trial = A @ trial
            value = objective(eta_trial, trial)
            # next to the optimum a full step can "raise" the sum by its rounding error:
            # that is no reason to halve the step 27 times
            if value <= current + 1e-12 * abs(current) or t < 1e-8:
                break
            t /= 2
        beta, eta, current = trial, eta_trial, value
        # on the step, not the objective's change: from a warm start the first change is tiny
        # while the coefficients still move. Newton's method converges quadratically, so after
        # a step below 1e-6 the coefficients are within ~1e-12 of the optimum
        if np.max(np.abs(t * step)) < 1e-6:
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


#: Rows per chunk of :func:`_corr_of`'s cross-products (a chunk of the columns is copied).
CORR_CHUNK_ROWS = 65_536


def _corr_of(W: pd.DataFrame, columns: list[str], w: np.ndarray | None) -> np.ndarray:
    """Pearson correlation matrix of the ``columns`` of ``W``, ``(k, k)`` for any ``k``, under
    frequency weights ``w`` (a row of weight 2 counts like two copies; None: unweighted).
    A constant column gives NaN.

    The centred cross-products are summed over chunks of :data:`CORR_CHUNK_ROWS` rows, so
    only a chunk of the columns is ever copied; ``np.corrcoef`` and ``np.cov`` centre a copy
    of the whole matrix (a WoE matrix of millions of rows, beside the frame itself).
    """
    k, n = len(columns), len(W)
    if k == 0:
        return np.empty((0, 0))
    cols = [W[c].to_numpy(dtype=float) for c in columns]
    mean = np.array([np.average(c, weights=w) for c in cols])
    gram = np.zeros((k, k))
    chunk = np.empty((min(CORR_CHUNK_ROWS, n), k))
    for start in range(0, n, CORR_CHUNK_ROWS):
        part = chunk[: min(CORR_CHUNK_ROWS, n - start)]
        rows = slice(start, start + len(part))
        for j, c in enumerate(cols):
            np.subtract(c[rows], mean[j], out=part[:, j])
        gram += part.T @ (part if w is None else part * w[rows, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.diag(gram))
        corr = gram / np.outer(sd, sd)
    return np.clip(corr, -1, 1, out=corr)


def _vif_from_corr(corr: np.ndarray) -> np.ndarray:
    """Variance inflation factors, 1 / (1 - R²) of each column on the others (1 for a lone
    column, none for none), from their correlation matrix (:func:`_corr_of`, weighted or
    not). A pseudo-inverse keeps exact linear combinations (R² = 1) finite in the algebra,
    and they come out as an infinite VIF."""
    k = corr.shape[0]
    vif = np.ones(k)
    for j in range(k if k > 1 else 0):
        rest = np.delete(np.arange(k), j)
        r = corr[rest, j]
        r2 = float(r @ np.linalg.pinv(corr[np.ix_(rest, rest)]) @ r)
        vif[j] = np.inf if r2 >= 1 - 1e-10 else 1 / (1 - r2)
    return vif


def _bins_p_value(woe: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """p-value of the G-test that every bin (distinct WoE) has the same bad rate."""
    w = w * (len(w) / w.sum())  # weights scaled to the number of rows
    _, code = np.unique(woe, return_inverse=True)
    n = np.bincount(code, weights=w)
    bad = np.bincount(code, weights=w * (y == 1))
    good = n - bad
    rate = bad.sum() / n.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(bad > 0, bad * np.log(bad / (n * rate)), 0.0) + np.where(
            good > 0, good * np.log(good / (n * (1 - rate))), 0.0
        )
    return float(chi2.sf(max(0.0, 2.0 * terms.sum()), n.size - 1))


def _iv_from_woe(W: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> dict[str, float]:
    out = {}
    for f in W.columns:
        g = pd.DataFrame({"v": W[f].to_numpy(), "bad": w * (y == 1), "good": w * (y == 0)})
        t = g.groupby("v")[["bad", "good"]].sum()
        out[f] = float(((t.good / t.good.sum() - t.bad / t.bad.sum()) * t.index.to_numpy()).sum())
    return out
