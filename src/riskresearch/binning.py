"""WOE binning: a scikit-learn transformer with bins as reviewable data.

The split points or category groups are found at fit time by an exact engine
(:mod:`riskresearch.binsolver`: optbinning's CART pre-binning reproduced in numpy, then a
dynamic programme for the IV-optimal partition) or, with ``solver="optbinning"``, by
optbinning's ``OptimalBinning`` (CP-SAT). The result is kept as plain data
(:class:`riskresearch.woe.FeatureBins`): split points or groups, and the weighted good/bad
counts of every bin, including a *Special* bin for special codes and a *Missing* bin.
Transforming applies those bins with numpy alone, so a binning loaded from JSON transforms
exactly like the fitted one, without optbinning installed.

WoE = ln(%good / %bad): a positive WoE means lower risk than average. ``y == 1`` is bad.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted

from riskresearch import binsolver, textfmt
from riskresearch.config import Trend
from riskresearch.errors import ConfigError, DataError
from riskresearch.woe import (
    CATEGORICAL,
    NUMERICAL,
    FeatureBins,
    as_frame,
    category_key,
    category_keys,
    check_columns,
    check_target,
    column_values,
)

FORMAT = "riskresearch.binning/1"
TRENDS = set(get_args(Trend))
UNSEEN_POLICIES = {"missing", "neutral", "worst"}
#: Keys an override may give besides its splits or groups: the regular bin (0 = first) that
#: missing values or special codes join, and the modeler's reason (kept in ``binning.json``).
OVERRIDE_EXTRAS = ("missing_bin", "special_bin", "reason")
SOLVERS = {"dp", "optbinning"}
#: optbinning's pre-binning: at most 20 CART leaves of at least 5% of the rows each (less when
#: ``min_bin_size`` is smaller, so that bins of ``min_bin_size`` can exist).
MAX_N_PREBINS, MIN_PREBIN_SIZE = 20, 0.05


# ------------------------------------------------------------------------------------------
# the transformer
# ------------------------------------------------------------------------------------------
class WoeBinner(TransformerMixin, BaseEstimator):
    """Optimal WOE binning of numerical and categorical features (scikit-learn transformer).

    Parameters
    ----------
    features : list of str, optional
        Features to bin. Default: every column of ``X``.
    categorical_features : list of str, optional
        Features binned as categories. Default: columns of text, category or object dtype.
    max_n_bins : int, default 8
        Maximum number of regular bins per feature.
    min_bin_size : float, default 0.05
        Minimum share of (weighted) observations in a regular bin, counted as optbinning does:
        at least ``ceil(min_bin_size * total weight)`` weighted rows, the total including the
        missing and special rows. Pre-bins hold at least ``min(0.05, min_bin_size)``.
    monotonic_trend : str, default "auto_unimodal"
        Event-rate trend imposed on numerical features (optbinning's ``monotonic_trend``).
        ``"ascending"``, ``"descending"``, ``"auto_asc_desc"`` (whichever of the two gives the
        higher IV), ``"auto_unimodal"`` (``"auto_asc_desc"`` unless ten equal-weight groups of
        the feature's values reject every monotone trend in favour of one turn at level
        :data:`riskresearch.binsolver.TURN_LEVEL`, then the best of monotone, ``"peak"`` and
        ``"valley"``: a U-shaped risk keeps its signal), ``"peak"``, ``"valley"`` and None (no
        trend) are solved exactly by the ``"dp"`` solver; ``"auto"``, ``"auto_heuristic"``,
        ``"convex"``, ``"concave"``,
        ``"peak_heuristic"`` and ``"valley_heuristic"`` always go to optbinning (its trend
        classifier, or constraints over every triple of bins, have no exact fast
        counterpart here). Categories are ordered by (weighted) event rate, ties by name, and
        binned ascending, as optbinning does.
    monotonic_trends : dict, optional
        Per-feature trend, overriding ``monotonic_trend``.
    special_codes : dict, optional
        ``{feature: [codes]}``: values that get a *Special* bin of their own (e.g. -999).
    overrides : dict, optional
        Bins fixed by the modeler, like SAS interactive grouping:
        ``{feature: {"splits": [..]}}`` for numerical features (strictly increasing, inside the
        observed range) or ``{feature: {"groups": [[..], [..]]}}`` for categorical ones (every
        category seen in training in exactly one group). Optional keys: ``"missing_bin"`` and
        ``"special_bin"``, the regular bin (0 = first) that missing values or special codes
        join, and ``"reason"``, the modeler's reason. Overridden features are recorded with
        ``source="override"`` and the reason.
    unseen : {"missing", "neutral", "worst"}, default "missing"
        WoE for a category never seen in training: that of the Missing bin, 0, or the riskiest
        bin's. A warning names the feature and categories.
    time_limit : float, default 20
        Seconds optbinning's CP-SAT solver may spend per feature (``solver="optbinning"`` and
        the trends only optbinning solves).
    min_bin_n_event : float, "sqrt" or None, default None
        Minimum (weighted) number of bads in every regular bin; ``"sqrt"``: the square root of
        the (weighted) bads of the rows fitted on (the square-root choice of histograms,
        applied to the bads: 100 bads give bins of at least 10, 10,000 bads of at least 100);
        None: no such rule. Keeps the WoE of a bin from resting on a handful of bads (its
        standard error is about ``sqrt(1 / bads + 1 / goods)``).
    small_bins : bool, default False
        Let a bin of categories hold fewer rows than ``min_bin_size`` asks, down to
        :data:`~riskresearch.binsolver.SMALL_BIN_SHARE` of it, where a G-test rejects, at level
        :data:`~riskresearch.binsolver.SMALL_BIN_LEVEL`, that its bad rate equals each
        neighbouring bin's (``min_bin_n_event`` still holds): a rare category whose risk stands
        apart (a denied mortgage insurance: 2% of applicants, 90% of them bad) keeps its bin,
        one that merely looks different is merged as before. Categorical features only, with
        the ``"dp"`` solver: on numeric features the same rule spends the ``max_n_bins``
        budget on thin extreme tails, whose WoE the information value rewards, and coarsens
        the bulk of the rows, which costs AUC on new rows (``benchmarks/bench_binning.py
        --small-bins``, docs/benchmarks.md).
    solver : {"dp", "optbinning"}, default "dp"
        ``"dp"``: the exact engine of :mod:`riskresearch.binsolver` (same pre-bins as
        optbinning, optimal partition by dynamic programming; its IV is at least
        optbinning's under the same constraints). ``"optbinning"``: optbinning's
        ``OptimalBinning`` with CP-SAT, the reference.
    pos_label : label, optional
        The bad class of ``y`` in ``fit``. Default: the larger of the two sorted labels
        (scikit-learn's convention: 1 of 0/1, True of booleans); text labels such as
        ``'bad'`` / ``'good'`` need it.

    Attributes
    ----------
    bins_ : dict of str to FeatureBins
        The fitted bins of every feature.
    min_bin_n_event_ : float or None
        The minimum number of bads per regular bin the fit used (``"sqrt"`` resolved).
    feature_names_in_ : ndarray of str
        Columns seen in ``fit``.
    n_features_in_ : int

    Examples
    --------
    >>> binner = WoeBinner(max_n_bins=5).fit(X, y)      # doctest: +SKIP
    >>> binner.table("platform_credit_score")           # doctest: +SKIP
    >>> woe = binner.transform(X)                       # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        features=None,
        categorical_features=None,
        max_n_bins=8,
        min_bin_size=0.05,
        monotonic_trend="auto_unimodal",
        monotonic_trends=None,
        special_codes=None,
        overrides=None,
        unseen="missing",
        time_limit=20,
        min_bin_n_event=None,
        small_bins=False,
        solver="dp",
        pos_label=None,
    ):
        self.features = features
        self.categorical_features = categorical_features
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.monotonic_trend = monotonic_trend
        self.monotonic_trends = monotonic_trends
        self.special_codes = special_codes
        self.overrides = overrides
        self.unseen = unseen
        self.time_limit = time_limit
        self.min_bin_n_event = min_bin_n_event
        self.small_bins = small_bins
        self.solver = solver
        self.pos_label = pos_label

    # -- fit ---------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if not isinstance(self.max_n_bins, int | np.integer) or self.max_n_bins < 2:
            raise ConfigError(
                "The 'max_n_bins' parameter of WoeBinner must be an integer >= 2. "
                f"Got {self.max_n_bins!r} instead."
            )
        if not isinstance(self.min_bin_size, float | int) or not 0 < self.min_bin_size <= 0.5:
            raise ConfigError(
                "The 'min_bin_size' parameter of WoeBinner must be a share in (0, 0.5]. "
                f"Got {self.min_bin_size!r} instead."
            )
        n_event = self.min_bin_n_event
        if (
            n_event is not None
            and n_event != "sqrt"
            and (
                isinstance(n_event, bool)
                or not isinstance(n_event, float | int | np.integer | np.floating)
                or not 0 < n_event < math.inf
            )
        ):
            raise ConfigError(
                "The 'min_bin_n_event' parameter of WoeBinner must be a positive number of bads, "
                f"'sqrt' or None. Got {n_event!r} instead."
            )
        if not isinstance(self.small_bins, bool | np.bool_):
            raise ConfigError(
                "The 'small_bins' parameter of WoeBinner must be True or False. "
                f"Got {self.small_bins!r} instead."
            )
        if self.solver not in SOLVERS:
            raise ConfigError(
                f"The 'solver' parameter of WoeBinner must be one of {sorted(SOLVERS)}. "
                f"Got {self.solver!r} instead."
            )
        trends = {
            "monotonic_trend": self.monotonic_trend,
            **{f"monotonic_trends['{k}']": v for k, v in (self.monotonic_trends or {}).items()},
        }
        for key, trend in trends.items():
            if trend is not None and trend not in TRENDS:
                raise ConfigError(
                    f"The '{key}' parameter of WoeBinner must be one of {sorted(TRENDS)}. "
                    f"Got {trend!r} instead."
                )
        if self.unseen not in UNSEEN_POLICIES:
            raise ConfigError(
                f"The 'unseen' parameter of WoeBinner must be one of {sorted(UNSEEN_POLICIES)}. "
                f"Got {self.unseen!r} instead."
            )

    def fit(self, X, y, sample_weight=None):
        """Find the bins of every feature.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
        y : array of 0 (good) and 1 (bad)
        sample_weight : array, optional
            Observation weights (e.g. from reject inference); honoured in the optimisation and
            in every count.
        """
        self._check_params()
        frame = as_frame(X, "WoeBinner.fit")
        y_arr, w = check_target(y, len(frame), "WoeBinner.fit", sample_weight, self.pos_label)
        features = list(frame.columns) if self.features is None else list(self.features)
        check_columns(frame, features, "WoeBinner.fit")
        if self.categorical_features is None:
            categorical = [
                c
                for c in features
                if not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool
            ]
        else:
            categorical = list(self.categorical_features)
        overrides = dict(self.overrides or {})
        unknown = sorted(set(overrides) - set(features))
        if unknown:
            raise ConfigError(
                f"The 'overrides' parameter of WoeBinner names unknown feature(s) {unknown}. "
                f"Use features being binned, e.g. {features[:3]}."
            )
        self.bins_ = {}
        # shared by every feature: which rows are bad, the total weight and whether the
        # weights are all 1 (then the engine sorts values without carrying weights)
        target = _Target(y_arr, w, sample_weight is None or bool((w == 1).all()))
        self.min_bin_n_event_ = (
            math.sqrt(target.bads) if self.min_bin_n_event == "sqrt" else self.min_bin_n_event
        )
        for name in features:
            dtype = CATEGORICAL if name in categorical else NUMERICAL
            stub = FeatureBins(
                name=name, dtype=dtype, special_codes=list((self.special_codes or {}).get(name, []))
            )
            values = column_values(frame, stub, "WoeBinner.fit")
            trend = (self.monotonic_trends or {}).get(name, self.monotonic_trend)
            if name in overrides:
                fb = self._override(stub, values, overrides[name])
            else:
                fb = self._optimal(stub, values, target, trend)
            fb.unseen = self.unseen
            self._count(fb, values, y_arr, w, target)
            fb.turn = _turn(fb) if fb.turn_p_value is not None else None
            if fb.turn is None:  # tested, not bent: monotone bins say it all
                fb.turn_p_value = None
            self.bins_[name] = fb
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.features_ = features
        return self

    def _optimal(self, fb, values, target: _Target, trend) -> FeatureBins:
        present = values.notna().to_numpy()
        if fb.dtype == NUMERICAL:
            x = values.to_numpy(dtype=float, na_value=np.nan)
            regular = present & ~np.isin(x, np.asarray(fb.special_codes, dtype=float))
        else:
            # categories as scoring reads them (31, 31.0 and '31' are one category '31')
            text = category_keys(values).to_numpy(dtype=object)
            x = np.where(present, text, np.nan)
            regular = present & ~np.isin(text, [category_key(c) for c in fb.special_codes])
        fb.source = "optimal"
        fb.monotonic_trend = trend if fb.dtype == NUMERICAL else None
        if not regular.any():  # only missing or special values: nothing to split
            fb.splits, fb.groups = [], []
            return fb
        exact = fb.dtype == CATEGORICAL or trend in binsolver.TRENDS
        if self.solver == "optbinning" or not exact:
            return self._optbinning(fb, x, present, regular, target, trend)
        rules = binsolver.Constraints.of(
            target.total,
            max_n_bins=self.max_n_bins,
            min_bin_size=self.min_bin_size,
            min_bin_n_event=self.min_bin_n_event_,
            trend=trend if fb.dtype == NUMERICAL else "ascending",
            max_n_prebins=MAX_N_PREBINS,
            min_prebin_size=self._min_prebin_size(),
            small_bins=bool(self.small_bins) and fb.dtype == CATEGORICAL,
        )
        everything = bool(regular.all())
        if fb.dtype == NUMERICAL:
            record: dict = {}
            fb.splits = binsolver.numerical_splits(
                x,
                target.bad,
                None if target.unit else target.w,
                rules,
                None if everything else regular,
                record,
            )
            fb.turn_p_value = record.get("turn_p_value")
            return fb
        bad = target.bad if everything else target.bad[regular]
        w = None if target.unit else (target.w if everything else target.w[regular])
        # categories in order of (weighted) event rate, ties by name, as optbinning orders them
        codes, names = pd.factorize(pd.Series(x[regular], dtype=object), sort=True)
        k = names.size
        if w is None:
            total = np.bincount(codes, minlength=k).astype(float)
            bads = np.bincount(codes[bad], minlength=k).astype(float)
        else:
            total = np.bincount(codes, weights=w, minlength=k)
            bads = np.bincount(codes[bad], weights=w[bad], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(total > 0, bads / total, 0.0)
        order = np.lexsort((np.arange(k), rate))  # names are sorted: ties by name
        groups = binsolver.ordered_groups(total[order] - bads[order], bads[order], rules)
        fb.groups = [sorted(str(names[order[i]]) for i in g) for g in groups]
        return fb

    def _min_prebin_size(self) -> float:
        return min(MIN_PREBIN_SIZE, float(self.min_bin_size))

    def _optbinning(self, fb, x, present, regular, target: _Target, trend) -> FeatureBins:
        from optbinning import OptimalBinning  # imported lazily: scoring never needs it

        y, w = target.y, target.w
        if fb.dtype == CATEGORICAL and not target.unit:
            return self._optimal_weighted_categories(fb, x, regular, y, w)
        trends = [trend if fb.dtype == NUMERICAL else "auto"]
        if trends == ["auto_unimodal"]:  # optbinning's shapes, chosen as the "dp" engine does
            rows = regular & np.isfinite(x)
            _, good, bad = binsolver.distinct_counts(
                x, target.bad, None if target.unit else w, rows
            )
            fb.turn_p_value = binsolver.turn_p_value(*binsolver.quantile_groups(good, bad))
            turned = fb.turn_p_value < binsolver.TURN_LEVEL
            trends = ["auto_asc_desc", "peak", "valley"] if turned else ["auto_asc_desc"]
        fits = []
        for shape in trends:
            ob = OptimalBinning(
                name=fb.name,
                dtype=fb.dtype,
                max_n_bins=self.max_n_bins,
                min_bin_size=self.min_bin_size,
                min_prebin_size=self._min_prebin_size(),
                min_bin_n_event=self._optbinning_n_event(),
                monotonic_trend=shape,
                special_codes=fb.special_codes or None,
                time_limit=self.time_limit,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # optbinning's own warnings on tiny inputs
                ob.fit(x, y, sample_weight=w)
            if len(trends) == 1:
                break
            ob.binning_table.build()
            fits.append((ob.binning_table.iv, -len(fits), ob))  # ties: the earlier shape
        if fits:
            ob = max(fits, key=lambda f: f[:2])[2]
        if fb.dtype == NUMERICAL:
            fb.splits = [float(s) for s in ob.splits]
        else:
            fb.groups = [sorted(str(c) for c in g) for g in ob.splits]
            seen = {c for g in fb.groups for c in g}
            rest = sorted(set(x[present]) - seen - {category_key(c) for c in fb.special_codes})
            if rest:  # categories optbinning left out still deserve a bin of their own
                fb.groups.append(rest)
        return fb

    def _optbinning_n_event(self) -> int | None:
        # optbinning counts whole bads (its weighted counts are truncated to integers)
        n = self.min_bin_n_event_
        return None if n is None else max(1, math.ceil(n))

    def _optimal_weighted_categories(self, fb, x, regular, y, w) -> FeatureBins:
        """Categorical binning under unequal weights.

        optbinning orders categories by their *unweighted* bad rate before it merges
        neighbours, so a weight (e.g. a declined applicant entering as bad with weight p and good
        with 1 - p) would be ignored in that ordering. Here the categories are ordered by their
        weighted bad rate (ties by name) and binned as an ordinal code with an ascending trend,
        which is what optbinning does for categories, with the weights honoured throughout.
        """
        from optbinning import OptimalBinning

        cats = x[regular].astype(str)
        frame = pd.DataFrame({"cat": cats, "wy": (w * y)[regular], "w": w[regular]})
        sums = frame.groupby("cat", sort=True)[["wy", "w"]].sum()
        rate = (sums.wy / sums.w.where(sums.w > 0)).fillna(0.0)
        order = sorted(sums.index, key=lambda c: (rate[c], c))
        code = {c: float(i) for i, c in enumerate(order)}
        coded = np.full(len(x), np.nan)
        coded[regular] = [code[c] for c in cats]
        special = ~regular & ~pd.isna(x)
        coded[special] = -1.0  # every special code shares the Special bin (counted later)
        ob = OptimalBinning(
            name=fb.name,
            dtype=NUMERICAL,
            max_n_bins=self.max_n_bins,
            min_bin_size=self.min_bin_size,
            min_prebin_size=self._min_prebin_size(),
            min_bin_n_event=self._optbinning_n_event(),
            monotonic_trend="ascending",
            special_codes=[-1.0] if special.any() else None,
            time_limit=self.time_limit,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ob.fit(coded, y, sample_weight=w)
        edges = [-np.inf, *[float(s) for s in ob.splits], np.inf]
        fb.groups = [
            sorted(c for c in order if lo < code[c] <= hi) for lo, hi in itertools.pairwise(edges)
        ]
        fb.groups = [g for g in fb.groups if g]
        return fb

    def recount(self, X, y, sample_weight=None) -> WoeBinner:
        """The same bins with their good/bad counts (and so WoE and IV) counted on other rows.

        Keeps a reviewed binning's split points and groups while the WoE comes from, e.g., a
        reject-inference sample. Returns a new fitted binner; this one is unchanged.

        Parameters
        ----------
        X : DataFrame
            Must hold every binned feature.
        y : array of 0 (good) and 1 (bad)
        sample_weight : array, optional
            Weights of the rows, honoured in every count.
        """
        check_is_fitted(self, "bins_")
        frame = as_frame(X, "WoeBinner.recount")
        y_arr, w = check_target(y, len(frame), "WoeBinner.recount", sample_weight, self.pos_label)
        check_columns(frame, self.features_, "WoeBinner.recount")
        out = WoeBinner.from_dict(self.to_dict())
        out.set_params(**self.get_params())
        for fb in out.bins_.values():
            self._count(fb, column_values(frame, fb, "WoeBinner.recount"), y_arr, w)
        return out

    def _override(self, fb, values, spec) -> FeatureBins:
        owner = f"The override of feature '{fb.name}'"
        if (
            not isinstance(spec, dict)
            or set(spec) - {"splits", "groups", *OVERRIDE_EXTRAS}
            or len(set(spec) & {"splits", "groups"}) != 1
        ):
            raise ConfigError(
                f"{owner} must be {{'splits': [...]}} (numerical) or {{'groups': [[...], ...]}} "
                f"(categorical), optionally with {', '.join(map(repr, OVERRIDE_EXTRAS))}. Got "
                f"{spec!r} instead."
            )
        if fb.dtype == NUMERICAL:
            if "splits" not in spec:
                raise ConfigError(f"{owner} must give 'splits': the feature is numerical.")
            splits = [float(s) for s in spec["splits"]]
            if any(b <= a for a, b in itertools.pairwise(splits)):
                raise ConfigError(
                    f"{owner} must have strictly increasing splits. Got {splits} instead; sort "
                    "them and remove duplicates."
                )
            x = values.to_numpy(dtype=float, na_value=np.nan)
            x = x[~np.isnan(x) & ~np.isin(x, np.asarray(fb.special_codes, float))]
            lo, hi = (float(x.min()), float(x.max())) if x.size else (math.nan, math.nan)
            outside = [s for s in splits if not lo < s <= hi]
            if outside:
                raise ConfigError(
                    f"{owner} has split(s) {outside} outside the observed range ({lo}, {hi}]: "
                    "each would leave an empty bin. Move them inside the range."
                )
            fb.splits = splits
        else:
            if "groups" not in spec:
                raise ConfigError(f"{owner} must give 'groups': the feature is categorical.")
            groups = [[category_key(c) for c in g] for g in spec["groups"]]
            flat = [c for g in groups for c in g]
            dupes = sorted({c for c in flat if flat.count(c) > 1})
            if dupes:
                raise ConfigError(f"{owner} puts categories {dupes} in more than one group.")
            seen = set(category_keys(values).dropna()) - {category_key(c) for c in fb.special_codes}
            left = sorted(seen - set(flat))
            if left:
                raise ConfigError(
                    f"{owner} leaves categories {left} out of every group. Add them to a group."
                )
            fb.groups = groups
        reason = spec.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ConfigError(f"{owner} must give its 'reason' as text. Got {reason!r} instead.")
        for key in ("missing_bin", "special_bin"):
            joined = spec.get(key)
            if joined is None:
                continue
            if (
                not isinstance(joined, int | np.integer)
                or isinstance(joined, bool)
                or not 0 <= joined < fb.n_regular
            ):
                raise ConfigError(
                    f"{owner} gives {key} {joined!r}, not one of its regular bins 0 to "
                    f"{fb.n_regular - 1} (0 is the first). Give a bin number or remove the key."
                )
            setattr(fb, key, int(joined))
        fb.source, fb.reason = "override", reason or None
        return fb

    @staticmethod
    def _count(
        fb: FeatureBins,
        values: pd.Series,
        y: np.ndarray,
        w: np.ndarray,
        target: _Target | None = None,
    ) -> None:
        idx = fb.bin_index(values)
        n_bins = fb.n_regular + 2
        # a category no bin holds (recount on rows the reviewed bins never saw, e.g. declined
        # applicants of a new partner) is in no bin's count; transform scores it as `unseen`
        seen = idx >= 0
        if not seen.all():
            idx, y, w, target = idx[seen], y[seen], w[seen], None
        if target is not None and target.unit:  # whole counts: the same sums as weights of 1
            n_bad = np.bincount(idx[target.bad], minlength=n_bins)
            n_good = np.bincount(idx, minlength=n_bins) - n_bad
            fb.bad, fb.good = n_bad.astype(float).tolist(), n_good.astype(float).tolist()
            return
        fb.bad = np.bincount(idx, weights=w * (y == 1), minlength=n_bins).tolist()
        fb.good = np.bincount(idx, weights=w * (y == 0), minlength=n_bins).tolist()

    # -- transform ---------------------------------------------------------------------------
    def transform(self, X) -> pd.DataFrame:
        """Replace every feature by the WoE of its bin.

        Raises
        ------
        DataError
            When a feature column is missing, a numerical column holds text or +/-inf, or the
            table is empty. Unseen categories only warn.
        """
        check_is_fitted(self, "bins_")
        frame = as_frame(X, "WoeBinner.transform")
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"WoeBinner.transform: X has {frame.shape[1]} columns but the binner was fitted "
                f"on {self.n_features_in_}. Pass the same columns."
            )
        check_columns(frame, self.features_, "WoeBinner.transform")
        return self.woe_frame(frame, self.features_)

    def woe_frame(self, frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
        """WoE of the given features only (their columns are validated, no others needed)."""
        return pd.DataFrame(
            self.woe_array(frame, features), index=frame.index, columns=list(features), copy=False
        )

    def woe_array(self, frame: pd.DataFrame, features: list[str], order: str = "F") -> np.ndarray:
        """WoE of the given features as a ``(rows, features)`` float array, filled column by
        column into one preallocated array (a dict of columns would be copied into a block
        again: twice the WoE matrix at its peak).

        ``order="F"`` keeps a column's values together, the layout of a DataFrame's block
        (:meth:`woe_frame` wraps it without a copy); ``"C"`` a row's, the layout scikit-learn's
        ``LogisticRegression`` fits on without a copy of its own.
        """
        check_is_fitted(self, "bins_")
        check_columns(frame, features, "WoeBinner.transform")
        out = np.empty((len(frame), len(features)), order=order)
        for j, name in enumerate(features):
            fb = self.bins_[name]
            values = column_values(frame, fb, "WoeBinner.transform")
            out[:, j] = fb.transform(values)
            if fb.dtype == CATEGORICAL:
                _warn_unseen(fb, values)
        return out

    def bin_indices(self, X) -> pd.DataFrame:
        """Bin index of every value (regular bins, then Special, then Missing; -1 = unseen)."""
        check_is_fitted(self, "bins_")
        frame = as_frame(X, "WoeBinner.bin_indices")
        check_columns(frame, self.features_, "WoeBinner.bin_indices")
        return pd.DataFrame(
            {
                n: fb.bin_index(column_values(frame, fb, "WoeBinner"))
                for n, fb in self.bins_.items()
            },
            index=frame.index,
        )

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "bins_")
        return np.asarray(self.features_, dtype=object)

    # -- review ------------------------------------------------------------------------------
    def table(self, feature: str | None = None) -> pd.DataFrame:
        """Binning table of one feature, or of all features stacked."""
        check_is_fitted(self, "bins_")
        if feature is None:
            return pd.concat([fb.table() for fb in self.bins_.values()], ignore_index=True)
        if feature not in self.bins_:
            raise DataError(f"No binning for feature '{feature}'. Known: {list(self.bins_)[:10]}.")
        return self.bins_[feature].table()

    def iv_summary(self) -> pd.DataFrame:
        """Information value, number of bins, source and override reason of every feature,
        highest IV first."""
        check_is_fitted(self, "bins_")
        rows = [
            {
                "feature": n,
                "iv": fb.iv(),
                "n_bins": fb.n_regular,
                "dtype": fb.dtype,
                "source": fb.source,
                "reason": fb.reason,
            }
            for n, fb in self.bins_.items()
        ]
        return pd.DataFrame(rows).sort_values("iv", ascending=False, ignore_index=True)

    # -- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, "bins_")
        return {
            "format": FORMAT,
            "features": {n: fb.to_dict() for n, fb in self.bins_.items()},
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """The bins as JSON text, floats at :data:`~riskresearch.textfmt.SIGNIFICANT_DIGITS`
        significant digits (written to ``path`` when given)."""
        text = textfmt.json_text(self.to_dict())
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WoeBinner:
        """A fitted binner from :meth:`to_dict` output (transform only; no optbinning needed)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataError(
                f"This is not a riskresearch binning (expected format '{FORMAT}', got "
                f"{data.get('format') if isinstance(data, dict) else type(data).__name__!r})."
            )
        binner = cls()
        binner.bins_ = {n: FeatureBins.from_dict(n, d) for n, d in data["features"].items()}
        binner.features_ = list(binner.bins_)
        binner.feature_names_in_ = np.asarray(binner.features_, dtype=object)
        binner.n_features_in_ = len(binner.features_)
        return binner

    @classmethod
    def from_json(cls, source: str | Path) -> WoeBinner:
        """Load bins from a JSON file path or JSON text."""
        text = Path(source).read_text() if Path(str(source)).suffix == ".json" else str(source)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"The binning JSON is not valid JSON: {exc}. Export it again."
            ) from None
        return cls.from_dict(data)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.target_tags.required = True
        # a supervised transformer of a binary target (bad / good): checks fit it on two labels
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags


def _turn(fb: FeatureBins) -> str | None:
    """The shape, peak or valley, of regular bins whose bad rates turn once (else None)."""
    good = np.asarray(fb.good[: fb.n_regular], dtype=float)
    bad = np.asarray(fb.bad[: fb.n_regular], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.sign(np.diff(bad / (good + bad)))
    step = step[np.isfinite(step) & (step != 0)]
    if step.size == 0 or (step == step[0]).all():
        return None
    return "peak" if step[0] > 0 else "valley"


def _warn_unseen(fb: FeatureBins, values: pd.Series) -> None:
    idx = fb.bin_index(values)
    if (idx == -1).any():
        cats = sorted(set(category_keys(values[idx == -1])))
        policy = {
            "missing": "the Missing bin's WoE",
            "neutral": "WoE 0",
            "worst": "the riskiest bin's WoE",
        }[fb.unseen]
        warnings.warn(
            f"Feature '{fb.name}' has categories never seen in training: {cats[:5]}"
            f"{' ...' if len(cats) > 5 else ''}; they get {policy}. Refit or override the "
            "groups to place them.",
            UserWarning,
            stacklevel=3,
        )


class _Target:
    """The fit's target as every feature's binning reads it (computed once per fit)."""

    def __init__(self, y: np.ndarray, w: np.ndarray, unit: bool) -> None:
        self.y, self.w, self.unit = y, w, unit
        self.bad = y == 1
        self.total = float(w.sum())
        self.bads = float(w[self.bad].sum())
