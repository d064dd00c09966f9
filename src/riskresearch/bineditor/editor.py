"""The bin editor's state and operations, without any widget.

:class:`BinEditor` holds the current bins of every candidate feature of a config on its
development rows. Each edit (:meth:`~BinEditor.merge`, :meth:`~BinEditor.split`,
:meth:`~BinEditor.regroup`, :meth:`~BinEditor.assign`, :meth:`~BinEditor.reset`) becomes a
``binning.overrides`` entry fitted by :class:`~riskresearch.binning.WoeBinner` on the one
feature, exactly as the next release will fit it, so the bins, counts, WoE and IV shown are the
release's. The WoE of the scorecard's other features is cached; after an edit of one of them
only the logistic regression is refitted (the selection is kept) and its AUC recomputed.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from riskresearch import development, metrics
from riskresearch.bineditor import view
from riskresearch.bineditor.yamlfile import write_overrides
from riskresearch.binning import FORMAT, WoeBinner
from riskresearch.config import ModelConfig, config_from_dict, load_config
from riskresearch.errors import ConfigError, DataError
from riskresearch.manifest import ReleaseFolder
from riskresearch.release import project_dir, release_config
from riskresearch.woe import (
    CATEGORICAL,
    FeatureBins,
    category_key,
    category_keys,
    check_target,
    column_values,
)

#: The bins a Missing or Special bin can join, by :meth:`BinEditor.assign`'s ``which``.
ASSIGNABLE = {"missing": "missing_bin", "special": "special_bin"}


class BinEditor:
    """Review and override the WOE bins of a config's candidate features.

    Usually opened with :meth:`from_config` or :meth:`from_release`; :meth:`ui` gives the
    JupyterLab widget, and every operation is also a plain method.

    Parameters
    ----------
    cfg : ModelConfig
        The config (binning parameters, scorecard's ``C``, target and weight columns).
    rows : DataFrame
        Development rows: the target and every candidate feature.
    binner : WoeBinner
        Fitted bins to start from (the optimal ones, or the config's overrides).
    selected : list of str
        The scorecard's features: the logistic regression is refitted on them after an edit.
    test : DataFrame, optional
        Test (out-of-time) rows; their AUC is reported too.
    config_path : path-like, optional
        The YAML file :meth:`save` writes (default: the file ``cfg`` was read from).

    Attributes
    ----------
    bins : dict of str to FeatureBins
        Current bins of every feature.
    selected : list of str
    model : dict
        ``auc`` (development), ``auc_test``, ``auc_at_open``, ``features``, ``wrong_sign``:
        the refitted logistic regression on the current bins.

    Examples
    --------
    >>> editor = BinEditor.from_config("scorecards/consumer.yaml")   # doctest: +SKIP
    >>> editor.merge("age", 1, 2).set_reason("age", "policy bands")  # doctest: +SKIP
    >>> editor.save()                                                # doctest: +SKIP
    """

    def __init__(
        self,
        cfg: ModelConfig,
        rows: pd.DataFrame,
        binner: WoeBinner,
        selected: list[str],
        test: pd.DataFrame | None = None,
        config_path: str | Path | None = None,
        C: float | None = None,
    ):
        _check_no_segments(cfg)
        self.cfg = cfg
        #: inverse L2 strength of the refits: the config's scorecard.C, else the one its
        #: selection chose on the folds (from_config), else 1
        self.C = C if C is not None else (cfg.scorecard.C or 1.0)
        self.rows = rows
        self.test = test
        self.config_path = Path(config_path) if config_path is not None else cfg.source
        self.bins: dict[str, FeatureBins] = {f: copy.deepcopy(fb) for f, fb in binner.bins_.items()}
        self._opened = copy.deepcopy(self.bins)
        self._ivs: dict[str, float] = {}
        self._optimal = {f: fb for f, fb in self._opened.items() if fb.source == "optimal"}
        unknown = [f for f in selected if f not in self.bins]
        if unknown:
            raise DataError(f"The scorecard's features {unknown} have no bins. Refit the binning.")
        self.selected = list(selected)
        categorical = [f for f, fb in self.bins.items() if fb.dtype == CATEGORICAL]
        self._binner = development.build_estimator(cfg, categorical).binner
        target = cfg.data.target
        weights = rows[cfg.data.weight_column] if cfg.data.weight_column else None
        self._y, self._w = check_target(rows[target], len(rows), "BinEditor", weights)
        self._values = {f: column_values(rows, fb, "BinEditor") for f, fb in self.bins.items()}
        if test is not None and len(test):
            self._y_test = test[target].to_numpy()
            self._w_test = (
                test[cfg.data.weight_column].to_numpy() if cfg.data.weight_column else None
            )
            self._test_values = {
                f: column_values(test, self.bins[f], "BinEditor") for f in self.selected
            }
        else:
            self.test = None
        self._build_woe()
        self._refit()
        self.model["auc_at_open"] = self.model["auc"]
        self.model["auc_test_at_open"] = self.model["auc_test"]

    # ------------------------------------------------------------------------------------
    # opening
    # ------------------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: str | Path | ModelConfig) -> BinEditor:
        """Fit the config's binning (with its overrides) and scorecard on its development rows.

        Parameters
        ----------
        config : path-like or ModelConfig
            A YAML config, or a loaded one (e.g. ``release.notebook_config(...)`` on a
            simulated sample; :meth:`save` still writes the YAML file it was read from).
        """
        cfg = config if isinstance(config, ModelConfig) else load_config(config)
        _check_no_segments(cfg)
        train, test = development.load_split(cfg)
        binner = development.fit_binning(cfg, train)
        selected, C = _select(cfg, train, binner)
        return cls(cfg, train, binner, selected, test=test, C=C)

    @classmethod
    def from_release(cls, folder: str | Path, config_path: str | Path | None = None) -> BinEditor:
        """Open a release's reviewed bins (``binning.json``) and its scorecard's features.

        The bins are recounted on the development rows of the release's config (its data
        must still be there). :meth:`save` writes the config file the release was built from
        (``manifest.json``'s ``config_file``, found in the release's project) unless
        ``config_path`` names another.
        """
        import json

        release = ReleaseFolder.open(folder, needs=("binning", "scorecard"), purpose="review bins")
        raw = release_config(release.folder, release.manifest)
        cfg = config_from_dict(raw, source=str(Path(folder) / "manifest.json"), base=folder)
        _check_no_segments(cfg)
        if config_path is None and release.manifest.get("config_file"):
            candidate = project_dir(release.folder) / release.manifest["config_file"]
            config_path = candidate if candidate.is_file() else None
        train, test = development.load_split(cfg)
        binner = WoeBinner.from_json(release.path("binning.json"))
        development.check_columns_exist(train, binner.features_, "binning.json")
        target = train[cfg.data.target].to_numpy()
        w = train[cfg.data.weight_column].to_numpy() if cfg.data.weight_column else None
        binner = binner.recount(train[binner.features_], target, sample_weight=w)
        selected = list(json.loads(release.read_text("scorecard.json"))["features"])
        return cls(cfg, train, binner, selected, test=test, config_path=config_path)

    # ------------------------------------------------------------------------------------
    # operations
    # ------------------------------------------------------------------------------------
    def merge(self, feature: str, first: int, second: int) -> BinEditor:
        """Merge two regular bins (numbered from 0 as in :meth:`table`).

        Numerical bins must be neighbours; any two category groups may be merged.
        """
        fb = self._feature(feature)
        i, j = sorted((self._bin_number(fb, first), self._bin_number(fb, second)))
        if i == j:
            raise ConfigError(f"Cannot merge bin {i} of '{feature}' with itself. Give two bins.")
        if fb.dtype == CATEGORICAL:
            groups = [list(g) for g in fb.groups]
            groups[i] = groups[i] + groups.pop(j)
            spec: dict[str, Any] = {"groups": groups}
        else:
            if j != i + 1:
                raise ConfigError(
                    f"Cannot merge bins {i} and {j} of '{feature}': they are not adjacent. "
                    f"Merge neighbours (e.g. {i} and {i + 1})."
                )
            spec = {"splits": [s for k, s in enumerate(fb.splits) if k != i]}
        for key in ASSIGNABLE.values():
            k = getattr(fb, key)
            if k is not None:
                spec[key] = i if k == j else (k - 1 if k > j else k)
        return self._apply(feature, spec)

    def split(self, feature: str, value: float) -> BinEditor:
        """Split the numerical bin holding ``value`` there (``value`` starts the upper bin)."""
        fb = self._feature(feature)
        if fb.dtype == CATEGORICAL:
            raise ConfigError(
                f"'{feature}' is categorical and has no split points. Move its categories "
                "between groups with regroup()."
            )
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"Cannot split '{feature}' at {value!r}: not a number. Type a number."
            ) from None
        x = self._regular_numbers(feature)
        if not x.size:
            raise ConfigError(f"'{feature}' has no regular values to split. Leave it as is.")
        lo, hi = float(x.min()), float(x.max())
        if not math.isfinite(value) or not lo < value <= hi:
            raise ConfigError(
                f"Cannot split '{feature}' at {value:g}: outside the observed range "
                f"({lo:g}, {hi:g}]. Type a value inside it."
            )
        if value in fb.splits:
            raise ConfigError(
                f"'{feature}' already has a split at {value:g}. Type another value, or merge."
            )
        edges = [-math.inf, *fb.splits, math.inf]
        b = int(np.searchsorted(fb.splits, value, side="right"))
        below = int(((x >= edges[b]) & (x < value)).sum())
        above = int(((x >= value) & (x < edges[b + 1])).sum())
        if not below or not above:
            raise ConfigError(
                f"Cannot split '{feature}' at {value:g}: bin {b} {fb.labels()[b]} has no value "
                f"{'below' if not below else 'from'} {value:g}, so a part would be empty. Type "
                "a value between its rows."
            )
        spec: dict[str, Any] = {"splits": sorted([*fb.splits, value])}
        for key in ASSIGNABLE.values():
            k = getattr(fb, key)
            if k is not None:
                spec[key] = k + 1 if k > b else k
        return self._apply(feature, spec)

    def regroup(self, feature: str, groups: list[list]) -> BinEditor:
        """Set the category groups of a categorical feature (empty groups are dropped).

        Every category seen in the development rows must be in exactly one group.
        """
        fb = self._feature(feature)
        if fb.dtype != CATEGORICAL:
            raise ConfigError(
                f"'{feature}' is numerical and has no category groups. Merge or split its bins."
            )
        groups = [[category_key(c) for c in g] for g in groups if len(g)]
        flat = [c for g in groups for c in g]
        twice = sorted({c for c in flat if flat.count(c) > 1})
        if twice:
            raise ConfigError(
                f"Cannot regroup '{feature}': categories {twice} are in more than one group. "
                "Put each in one group."
            )
        known = self._categories(feature)
        kept = {c for g in fb.groups for c in g}  # e.g. a config's group naming a rare category
        unknown = sorted(set(flat) - set(known) - kept)
        if unknown:
            raise ConfigError(
                f"Cannot regroup '{feature}': {unknown} are not categories of its development "
                f"rows (special codes join the Special bin). Use {known[:8]}."
            )
        left = sorted(set(known) - set(flat))
        if left:
            raise ConfigError(
                f"Cannot regroup '{feature}': categories {left} are in no group. Add them to "
                "a group."
            )
        spec: dict[str, Any] = {"groups": groups}
        for key in ASSIGNABLE.values():
            k = getattr(fb, key)
            if k is not None:  # the assignment follows the group's first category
                anchor = fb.groups[k][0] if fb.groups[k] else None
                spec[key] = next((i for i, g in enumerate(groups) if anchor in g), 0)
        return self._apply(feature, spec)

    def move(self, feature: str, category: Any, group: int) -> BinEditor:
        """Move one category to group ``group`` (``len(groups)`` starts a new group)."""
        fb = self._feature(feature)
        if fb.dtype != CATEGORICAL:
            raise ConfigError(
                f"'{feature}' is numerical and has no categories to move. Merge or split its bins."
            )
        key = category_key(category)
        if key not in self._categories(feature):
            raise ConfigError(
                f"{category!r} is not a category of '{feature}' in the development rows. Use "
                f"{self._categories(feature)[:8]}."
            )
        n = len(fb.groups)
        if not isinstance(group, int | np.integer) or not 0 <= group <= n:
            raise ConfigError(
                f"'{feature}' has groups 0 to {n - 1} ({n} starts a new one). Got {group!r}."
            )
        groups = [[c for c in g if c != key] for g in fb.groups] + [[]]
        groups[group].append(key)
        return self.regroup(feature, groups)

    def assign(self, feature: str, which: str, bin: int | None) -> BinEditor:
        """Put the missing values (``which="missing"``) or special codes (``"special"``) of a
        feature into regular bin ``bin``, or back into their own bin (``None``)."""
        fb = self._feature(feature)
        if which not in ASSIGNABLE:
            raise ConfigError(
                f"assign() takes which='missing' or 'special'. Got {which!r} instead."
            )
        if which == "special" and not fb.special_codes:
            raise ConfigError(
                f"'{feature}' has no special codes (binning.special_codes), so its Special bin "
                "is always empty. Assign the Missing bin instead."
            )
        if bin is not None:
            bin = self._bin_number(fb, bin)
        spec = self._spec(fb)
        spec.pop(ASSIGNABLE[which], None)
        if bin is not None:
            spec[ASSIGNABLE[which]] = bin
        return self._apply(feature, spec)

    def reset(self, feature: str) -> BinEditor:
        """Give a feature back its optimal bins (its override and reason are dropped)."""
        self._feature(feature)
        if feature not in self._optimal:
            self._optimal[feature] = self._fit(feature, None)
        self.bins[feature] = copy.deepcopy(self._optimal[feature])
        self._changed(feature)
        return self

    def set_reason(self, feature: str, reason: str | None) -> BinEditor:
        """The reason for a feature's override (saved with it; empty text removes it)."""
        fb = self._feature(feature)
        if fb.source != "override":
            raise ConfigError(
                f"'{feature}' has its optimal bins, so there is no override to give a reason "
                "for. Edit its bins first."
            )
        if reason is not None and not isinstance(reason, str):
            raise ConfigError(f"The reason for '{feature}' must be text. Got {reason!r}.")
        fb.reason = (reason or "").strip() or None
        return self

    def reselect(self) -> BinEditor:
        """Run the config's feature selection again on the current bins (forward selection,
        sign check), then refit: the scorecard a release would now fit, before reject
        inference."""
        binner = WoeBinner.from_dict(
            {"format": FORMAT, "features": {f: fb.to_dict() for f, fb in self.bins.items()}}
        )
        self.selected, self.C = _select(self.cfg, self.rows, binner)
        if self.test is not None:
            for f in self.selected:
                if f not in self._test_values:
                    self._test_values[f] = column_values(self.test, self.bins[f], "BinEditor")
        self._build_woe()
        self._refit()
        return self

    def ui(self):
        """The JupyterLab widget over this editor (:class:`~riskresearch.bineditor.widget.
        BinEditorUI`); display it as a cell's last expression."""
        from riskresearch.bineditor.widget import BinEditorUI  # ipywidgets: loaded for the UI only

        return BinEditorUI(self)

    def to_overrides(self) -> dict[str, dict[str, Any]]:
        """``binning.overrides`` for the current bins: every overridden feature's splits or
        groups, Missing/Special assignment and reason, as :meth:`save` writes them."""
        return {f: self._spec(fb) for f, fb in self.bins.items() if fb.source == "override"}

    def save(self, path: str | Path | None = None) -> Path:
        """Write :meth:`to_overrides` into the config's ``binning.overrides``.

        Only that block of the YAML file changes: every other line, comment and key order is
        kept (:func:`riskresearch.bineditor.yamlfile.write_overrides`). Returns the path.
        """
        target = Path(path) if path is not None else self.config_path
        if target is None:
            raise ConfigError(
                "This editor's config was not read from a YAML file. Pass save(path=...)."
            )
        return write_overrides(target, self.to_overrides())

    # ------------------------------------------------------------------------------------
    # what the editor shows
    # ------------------------------------------------------------------------------------
    def table(self, feature: str) -> pd.DataFrame:
        """Bins of a feature: label, count, share, bad rate, WoE and IV (regular bins
        numbered from 0, then Special and Missing, then the total)."""
        fb = self._feature(feature)
        tab = fb.table().drop(columns=["feature", "good", "bad"])
        tab = tab.rename(columns={"count_share": "share", "event_rate": "bad_rate"})
        index = [*range(fb.n_regular), "Special", "Missing", "Total"]
        tab.index = pd.Index(index, name="bin_no")
        joined = {fb.special_index: fb.special_bin, fb.missing_index: fb.missing_bin}
        tab["note"] = [
            f"in bin {joined[i]}" if joined.get(i) is not None else "" for i in range(len(tab))
        ]
        return tab

    def summary(self, feature: str) -> dict[str, Any]:
        """IV, number of bins, monotonicity, source and reason of a feature, with the
        refitted scorecard's development (and test) AUC."""
        fb = self._feature(feature)
        return {
            "feature": feature,
            "dtype": fb.dtype,
            "iv": self._iv(feature),
            "n_bins": fb.n_regular,
            "monotonic": monotonicity(fb),
            "source": fb.source,
            "reason": fb.reason,
            "selected": feature in self.selected,
            "auc": self.model["auc"],
            "auc_test": self.model["auc_test"],
        }

    def features(self) -> pd.DataFrame:
        """Every feature with its IV, bins, monotonicity, source and whether the scorecard
        uses it, highest IV first."""
        rows = [
            {
                "feature": f,
                "iv": self._iv(f),
                "n_bins": fb.n_regular,
                "dtype": fb.dtype,
                "monotonic": monotonicity(fb),
                "source": fb.source,
                "selected": f in self.selected,
            }
            for f, fb in self.bins.items()
        ]
        return pd.DataFrame(rows).sort_values(
            ["iv", "feature"], ascending=[False, True], ignore_index=True
        )

    def chart(self, feature: str) -> Figure:
        """Share of rows (bars) and bad rate (line, right axis) per bin, Special and Missing
        included."""
        fb = self._feature(feature)
        trend = "" if fb.dtype == CATEGORICAL else f", {monotonicity(fb)}"
        title = f"{feature}: IV {self._iv(feature):.3f}{trend}" + (
            " (override)" if fb.source == "override" else ""
        )
        return view.bin_chart(fb, self.table(feature), title)

    def categories(self, feature: str) -> list[str]:
        """Categories of a categorical feature in the development rows (special codes not)."""
        fb = self._feature(feature)
        if fb.dtype != CATEGORICAL:
            raise ConfigError(f"'{feature}' is numerical and has no categories.")
        return self._categories(feature)

    # ------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------
    def _feature(self, feature: str) -> FeatureBins:
        if feature not in self.bins:
            close = [f for f in self.bins if str(feature).lower() in f.lower()][:5]
            raise ConfigError(
                f"'{feature}' is not a binned feature of the config '{self.cfg.model}'. "
                f"Pick one of {close or list(self.bins)[:5]}."
            )
        return self.bins[feature]

    @staticmethod
    def _bin_number(fb: FeatureBins, b: Any) -> int:
        if not isinstance(b, int | np.integer) or isinstance(b, bool) or not 0 <= b < fb.n_regular:
            raise ConfigError(
                f"'{fb.name}' has regular bins 0 to {fb.n_regular - 1}. Got {b!r}; Special and "
                "Missing join a bin with assign()."
            )
        return int(b)

    def _regular_numbers(self, feature: str) -> np.ndarray:
        fb = self.bins[feature]
        x = self._values[feature].to_numpy(dtype=float, na_value=np.nan)
        return x[~np.isnan(x) & ~np.isin(x, np.asarray(fb.special_codes, dtype=float))]

    def _categories(self, feature: str) -> list[str]:
        fb = self.bins[feature]
        specials = {category_key(c) for c in fb.special_codes}
        return sorted(set(category_keys(self._values[feature]).dropna()) - specials)

    @staticmethod
    def _spec(fb: FeatureBins) -> dict[str, Any]:
        spec: dict[str, Any] = (
            {"groups": [list(g) for g in fb.groups]}
            if fb.dtype == CATEGORICAL
            else {"splits": [float(s) for s in fb.splits]}
        )
        for key in ASSIGNABLE.values():
            if getattr(fb, key) is not None:
                spec[key] = getattr(fb, key)
        if fb.reason:
            spec["reason"] = fb.reason
        return spec

    def _fit(self, feature: str, spec: dict[str, Any] | None) -> FeatureBins:
        """One feature binned as the release bins it: optimally, or by the override ``spec``."""
        binner = clone(self._binner).set_params(
            features=[feature], overrides=None if spec is None else {feature: spec}
        )
        binner.fit(self.rows[[feature]], self._y, sample_weight=self._w)
        return binner.bins_[feature]

    def _apply(self, feature: str, spec: dict[str, Any]) -> BinEditor:
        reason = self.bins[feature].reason
        if reason:
            spec["reason"] = reason
        self.bins[feature] = self._fit(feature, spec)
        self._changed(feature)
        return self

    def _iv(self, feature: str) -> float:
        """A feature's IV, kept until its bins change (the picker lists every feature's)."""
        if feature not in self._ivs:
            self._ivs[feature] = self.bins[feature].iv()
        return self._ivs[feature]

    def _changed(self, feature: str) -> None:
        self._ivs.pop(feature, None)
        if feature not in self.selected:
            return  # the scorecard does not use it: only its own IV changed
        col = self.selected.index(feature)
        fb = self.bins[feature]
        self._W[:, col] = fb.transform(self._values[feature])
        if self.test is not None:
            self._W_test[:, col] = fb.transform(self._test_values[feature])
        self._refit()

    def _build_woe(self) -> None:
        self._W = np.column_stack([self.bins[f].transform(self._values[f]) for f in self.selected])
        if self.test is not None:
            self._W_test = np.column_stack(
                [self.bins[f].transform(self._test_values[f]) for f in self.selected]
            )

    def _refit(self) -> None:
        """The scorecard's logistic regression on the cached WoE (as ``Scorecard.fit``)."""
        lr = LogisticRegression(C=self.C, max_iter=2000)
        lr.fit(self._W, self._y, sample_weight=self._w)
        auc = metrics.auc(self._y, lr.predict_proba(self._W)[:, 1], sample_weight=self._w)
        auc_test = None
        if self.test is not None:
            p = lr.predict_proba(self._W_test)[:, 1]
            auc_test = metrics.auc(self._y_test, p, sample_weight=self._w_test)
        previous = getattr(self, "model", {})
        self.model = {
            "auc": auc,
            "auc_test": auc_test,
            "auc_at_open": previous.get("auc_at_open"),
            "auc_test_at_open": previous.get("auc_test_at_open"),
            "features": list(self.selected),
            "coefficients": dict(zip(self.selected, lr.coef_[0].tolist())),
            "wrong_sign": [f for f, c in zip(self.selected, lr.coef_[0]) if c > 0],
        }


def _check_no_segments(cfg: ModelConfig) -> None:
    if cfg.segments:
        raise ConfigError(
            f"The config '{cfg.model}' has segments, and each segment bins its own rows. "
            "Review one segment at a time: a config per segment with its data.filter."
        )


def _select(cfg: ModelConfig, train: pd.DataFrame, binner: WoeBinner) -> tuple[list[str], float]:
    """The scorecard's features on these bins (the config's selection and sign check) and the
    inverse L2 strength of its regression."""
    feats, categorical = development.candidate_features(train, cfg)
    card = development.build_estimator(cfg, categorical)
    card.set_params(binner=binner, fit_binner=False)
    w = train[cfg.data.weight_column].to_numpy() if cfg.data.weight_column else None
    groups = development.fold_groups(cfg, train)  # time-ordered folds with a date split
    card.fit(train[feats], train[cfg.data.target].to_numpy(), sample_weight=w, groups=groups)
    return list(card.features_), float(card.C_)


def monotonicity(fb: FeatureBins) -> str:
    """How the bad rate runs over a numerical feature's occupied regular bins: ``ascending``,
    ``descending``, ``not monotonic (k reversals)``, ``one bin``; categories: ``categories``."""
    if fb.dtype == CATEGORICAL:
        return "categories"
    good = np.asarray(fb.good[: fb.n_regular], float)
    bad = np.asarray(fb.bad[: fb.n_regular], float)
    count = good + bad
    rate = bad[count > 0] / count[count > 0]
    if len(rate) < 2:
        return "one bin"
    step = np.sign(np.diff(rate))
    step = step[step != 0]
    if (step >= 0).all():
        return "ascending"
    if (step <= 0).all():
        return "descending"
    reversals = int((step[1:] != step[:-1]).sum())
    return f"not monotonic ({reversals} reversal{'s' if reversals > 1 else ''})"
