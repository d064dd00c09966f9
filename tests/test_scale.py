"""Dask scale-out (src/riskresearch/scale.py): the same scores as pandas on a LocalCluster with
two workers, the `score --dask` command, one-line errors for bad input and a bad scheduler,
and LightGBM trained with lightgbm.dask."""

from __future__ import annotations

import json
import re
import shutil

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from riskresearch import cli, development, scale
from riskresearch.binning import WoeBinner
from riskresearch.config import config_from_dict
from riskresearch.errors import ConfigError, DataError
from riskresearch.gbm import GbmClassifier, GbmScorer
from riskresearch.release import sha256_file
from riskresearch.scorecard import Scorecard
from riskresearch.scoring import Scorer
from tests.conftest import ROOT, SCORECARD_STUBS, cli_with_file_size_limit, sealed_release

FEATURES = [
    "platform_credit_score",
    "max_dpd_24m",
    "utilisation",
    "occupation",
    "partner_id",
    "bureau_hit",
]
N_CODES = 3


@pytest.fixture(scope="module")
def dask_client():
    with scale.client(n_workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def scorer(modeling) -> Scorer:
    train = modeling[(modeling.segment == "consumer") & modeling.bad_mature].iloc[:5000]
    binner = WoeBinner(
        categorical_features=["occupation", "partner_id"],
        overrides={"bureau_hit": {"splits": [0.5]}},
        max_n_bins=5,
        time_limit=5,
        unseen="worst",
    )
    card = Scorecard(binner=binner, selector=None, sign_check="flag")
    return Scorer(card.fit(train[FEATURES], train["bad"]).to_dict())


@pytest.fixture(scope="module")
def rows(modeling) -> pd.DataFrame:
    """Every application (consumer and enterprise), with an unseen category, a partition
    whose categorical column is all missing, and the columns the scorer ignores."""
    out = modeling.iloc[:6000].reset_index(drop=True).copy()
    out.loc[10:19, "occupation"] = "astronaut"
    out.loc[2000:2999, "occupation"] = None
    return out


@pytest.fixture(scope="module")
def release(tmp_path_factory, scorer, modeling_path) -> str:
    """A release folder of the smallest kind `score` accepts: the scorecard part and a sealed
    manifest holding its sha256 (the tamper check is the real one)."""
    folder = tmp_path_factory.mktemp("release") / "1.0.0"
    files = {**SCORECARD_STUBS, "scorecard.json": json.dumps(scorer.model, indent=1) + "\n"}
    sealed_release(
        folder,
        files,
        modeling_path,
        model="consumer",
        scorecard={"n_reason_codes": N_CODES},
        data={"id_column": "application_id"},
    )
    return str(folder)


def _error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("riskresearch")]
    assert len(lines) == 1, err
    return lines[0]


def _parts(folder, frame: pd.DataFrame, n: int) -> None:
    """``frame`` as ``n`` Parquet files (row order kept across the sorted file names)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), n)):
        frame.iloc[chunk].to_parquet(folder / f"in.{i:02d}.parquet", index=False)


# ------------------------------------------------------------------------------------------
# scores: pandas and Dask agree exactly
# ------------------------------------------------------------------------------------------
def test_dask_scores_equal_pandas_exactly(dask_client, scorer, rows):
    expected = scale.scored(rows, scorer, N_CODES, "application_id")
    lazy = scale.score_frame(dd.from_pandas(rows, npartitions=5), scorer, N_CODES, "application_id")
    assert lazy.npartitions == 5
    got = dask_client.compute(lazy, sync=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # and what `scored` holds is the Scorer's own batch output, row by row
    np.testing.assert_array_equal(got["score"].to_numpy(), scorer.score(rows).to_numpy())
    assert got.loc[10:19, "reason_1"].notna().all()  # the unseen category costs points
    assert list(got.columns) == [
        "application_id",
        "score",
        "pd",
        *[f"{k}_{i}" for i in range(1, N_CODES + 1) for k in ("reason", "points_lost")],
    ]


def _best_value(feature: dict):
    """A value that falls in the feature's best bin (exported scorecard JSON)."""
    points = feature["points"]
    i = int(np.argmax(points))
    n_regular = len(points) - 2
    if i == n_regular + 1:
        return None  # Missing is the best bin
    if i == n_regular:
        return feature["special_codes"][0]
    if feature["dtype"] == "categorical":
        return feature["groups"][i][0]
    splits = feature["splits"]
    return splits[i - 1] if i > 0 else splits[0] - 1.0


def test_more_reason_codes_than_features_is_what_pandas_gives(dask_client, scorer, rows):
    """A release may ask for more reason codes than its scorecard has features: Dask writes
    the columns pandas writes (one per feature), not a mismatch with its own meta."""
    n = len(scorer.columns) + 2
    expected = scale.scored(rows, scorer, n, "application_id")
    lazy = scale.score_frame(dd.from_pandas(rows, npartitions=3), scorer, n, "application_id")
    assert list(lazy.columns) == list(expected.columns)
    got = dask_client.compute(lazy, sync=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_partition_without_any_reason_keeps_the_text_dtype(scorer):
    """Rows in every feature's best bin have no reason at all: their reason columns must still
    be text, or such a partition disagrees with the others (and with the meta)."""
    best = {n: _best_value(f) for n, f in scorer.model["features"].items()}
    perfect = pd.DataFrame([best, best])
    out = scale.scored(perfect, scorer, N_CODES)
    assert out["reason_1"].isna().all() and (out["points_lost_1"] == 0).all()
    assert str(out["reason_1"].dtype) == "str"
    assert out["score"].iloc[0] == pytest.approx(
        sum(max(f["points"]) for f in scorer.model["features"].values())
    )


def test_score_parquet_writes_ordered_parts_and_matches_pandas(dask_client, scorer, rows, tmp_path):
    _parts(tmp_path / "in", rows, 4)
    out = tmp_path / "scores"
    n = scale.score_parquet(
        scorer, tmp_path / "in", out, N_CODES, "application_id", dask_client=dask_client
    )
    assert n == len(rows)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"part.{i:05d}.parquet" for i in range(len(names))]  # small files fuse
    got = pd.concat([pd.read_parquet(out / name) for name in names], ignore_index=True)
    expected = scale.scored(rows, scorer, N_CODES, "application_id")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # leftovers of the temporary folder never remain
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "scores"]


def test_dask_scores_a_category_column_with_one_null_as_the_clean_rows(
    dask_client, scorer, rows, tmp_path
):
    """One NULL partner_id makes the column float in every file; no other row's score moves."""
    clean = scorer.score(rows).to_numpy()
    dirty = rows.astype({"partner_id": float})
    dirty.loc[0, "partner_id"] = np.nan
    _parts(tmp_path / "in", dirty, 3)
    out = tmp_path / "scores"
    scale.score_parquet(
        scorer, tmp_path / "in", out, N_CODES, "application_id", dask_client=dask_client
    )
    got = pd.read_parquet(out)
    np.testing.assert_array_equal(got["score"].to_numpy()[1:], clean[1:])


def test_repeated_index_labels_do_not_multiply_rows(scorer, rows):
    """Dask fuses small files into one partition whose index labels repeat (every file starts
    at 0): the output must keep one row per input row, in order."""
    twice = pd.concat([rows.head(4), rows.head(4)])
    assert twice.index.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    out = scale.scored(twice, scorer, N_CODES, "application_id")
    assert out.index.tolist() == twice.index.tolist()
    np.testing.assert_array_equal(out["score"].to_numpy(), scorer.score(twice).to_numpy())
    assert out["application_id"].tolist() == twice["application_id"].tolist()


def test_text_in_a_numerical_column_of_one_partition_is_the_pandas_error(dask_client, scorer, rows):
    bad = rows.copy()
    bad["utilisation"] = bad["utilisation"].astype(object)
    bad.loc[4321, "utilisation"] = "n/a"
    with pytest.raises(DataError) as pandas_err:
        scorer.score(bad)
    lazy = scale.score_frame(dd.from_pandas(bad, npartitions=4), scorer, N_CODES)
    with pytest.raises(DataError) as dask_err:
        dask_client.compute(lazy, sync=True)
    assert str(dask_err.value) == str(pandas_err.value)
    assert "'utilisation'" in str(dask_err.value) and "row 4321" in str(dask_err.value)


def test_missing_column_fails_before_any_work(scorer, rows):
    with pytest.raises(DataError, match=r"Scorer: column\(s\) 'utilisation' missing from the"):
        scale.score_frame(dd.from_pandas(rows.drop(columns="utilisation"), npartitions=2), scorer)


# ------------------------------------------------------------------------------------------
# the command line
# ------------------------------------------------------------------------------------------
def test_cli_dask_on_a_scheduler_equals_the_pandas_command(
    dask_client, release, rows, tmp_path, capsys
):
    _parts(tmp_path / "in", rows, 3)
    rows.to_parquet(tmp_path / "all.parquet", index=False)
    address = dask_client.scheduler.address
    args = ["score", release, str(tmp_path / "in"), str(tmp_path / "d")]
    code = cli.main([*args, "--dask", "--scheduler", address])
    assert code == 0
    assert f"scored {len(rows):,} rows" in capsys.readouterr().out
    assert (
        cli.main(["score", release, str(tmp_path / "all.parquet"), str(tmp_path / "p.parquet")])
        == 0
    )
    capsys.readouterr()
    by_dask = pd.read_parquet(tmp_path / "d")  # part names sort in row order
    by_pandas = pd.read_parquet(tmp_path / "p.parquet")
    pd.testing.assert_frame_equal(by_dask, by_pandas, check_exact=True)
    assert by_dask.application_id.tolist() == rows.application_id.tolist()


def test_cli_dask_on_its_own_local_cluster(release, rows, tmp_path, capsys):
    rows.head(500).to_parquet(tmp_path / "apps.parquet", index=False)
    out = tmp_path / "scores"
    assert cli.main(["score", release, str(tmp_path / "apps.parquet"), str(out), "--dask"]) == 0
    assert "local cluster" in capsys.readouterr().out
    got = pd.read_parquet(out)
    expected = scale.scored(rows.head(500), Scorer(f"{release}/scorecard.json"), N_CODES)
    np.testing.assert_array_equal(got["score"].to_numpy(), expected["score"].to_numpy())


def test_cli_dask_refuses_a_tampered_release(release, rows, tmp_path, capsys):
    copy = shutil.copytree(release, tmp_path / "release")
    card = copy / "scorecard.json"
    card.write_text(card.read_text().replace('"points"', '"Points"', 1))
    rows.head(50).to_parquet(tmp_path / "apps.parquet", index=False)
    code = cli.main(
        ["score", str(copy), str(tmp_path / "apps.parquet"), str(tmp_path / "o"), "--dask"]
    )
    assert code == 2
    line = _error_line(capsys.readouterr().err)
    assert "Refusing to score" in line and "changed: scorecard.json" in line
    assert not (tmp_path / "o").exists()


def test_cli_dask_file_missing_a_column_is_one_line(release, rows, tmp_path, capsys):
    """The second file lacks a scorecard column: the pandas error, naming the file, before
    any Dask work (Dask itself would fail with a KeyError deep in a task)."""
    folder = tmp_path / "in"
    _parts(folder, rows.head(100), 2)
    pd.read_parquet(folder / "in.01.parquet").drop(columns="max_dpd_24m").to_parquet(
        folder / "in.01.parquet", index=False
    )
    out = tmp_path / "o"
    code = cli.main(["score", release, str(folder), str(out), "--dask"])
    line = _error_line(capsys.readouterr().err)
    assert code == 2
    assert re.search(
        r"Scorer \(file '.*in\.01\.parquet'\): column\(s\) 'max_dpd_24m' missing from the "
        r"input\. Add them",
        line,
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "args", "match"),
    [
        ("csv", ["--dask"], r"Dask scoring reads Parquet; 'apps\.csv' is not a \.parquet file"),
        ("absent", ["--dask"], r"The input '.*nowhere\.parquet' does not exist"),
        ("out_file", ["--dask"], r"The output '.*taken' is a file; Dask writes a folder"),
        ("parquet", ["--scheduler", "tcp://127.0.0.1:1"], r"--scheduler .* add --dask"),
    ],
)
def test_cli_dask_bad_paths_are_one_line(release, rows, tmp_path, capsys, make, args, match):
    src, out = tmp_path / "apps.parquet", tmp_path / "o"
    if make == "csv":
        src = tmp_path / "apps.csv"
        rows.head(5).to_csv(src, index=False)
    elif make == "absent":
        src = tmp_path / "nowhere.parquet"
    else:
        rows.head(5).to_parquet(src, index=False)
    if make == "out_file":
        out = tmp_path / "taken"
        out.write_text("x")
    code = cli.main(["score", release, str(src), str(out), *args])
    assert code == 2
    assert re.search(match, _error_line(capsys.readouterr().err))


@pytest.mark.parametrize("command", ["score", "decide"])
@pytest.mark.parametrize("case", ["same folder", "file inside", "glob inside", "symlink"])
def test_cli_dask_refuses_an_output_that_holds_the_input(
    release, rows, tmp_path, capsys, command, case
):
    """Dask replaces OUTPUT as a whole: an OUTPUT that is (or holds) INPUT would delete it.
    Refused before the release is even read (decide's needs strategy.json, absent here)."""
    folder = tmp_path / "parts"
    _parts(folder, rows.head(100), 2)
    src, out = {
        "same folder": (folder, folder),
        "file inside": (folder / "in.01.parquet", folder),
        "glob inside": (f"{folder}/*.parquet", tmp_path / "." / "parts"),
        "symlink": (folder, tmp_path / "link"),
    }[case]
    if case == "symlink":
        out.symlink_to(folder, target_is_directory=True)
    before = {f.name: sha256_file(f) for f in folder.iterdir()}
    assert cli.main([command, release, str(src), str(out), "--dask"]) == 2
    err = capsys.readouterr().err
    line = _error_line(err)
    assert err == line + "\n"
    if case in ("same folder", "symlink"):
        assert f"The output '{out}' is the input '{src}'" in line
    else:
        assert f"The output folder '{out}' holds the input file '" in line
        assert "Give another output folder" in line
    assert {f.name: sha256_file(f) for f in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["parts", *(["link"] if case == "symlink" else [])]
    )


def test_cli_dask_failing_partition_prints_one_line_only(release, rows, tmp_path, capfd):
    """A task's DataError on a worker of the CLI's own LocalCluster: the user sees our one
    line, not the worker's log of the same error and its traceback (capfd: the worker
    processes write to the file descriptor, not to sys.stderr)."""
    bad = rows.head(400).copy()
    bad["utilisation"] = [None if pd.isna(v) else repr(float(v)) for v in bad["utilisation"]]
    bad.loc[321, "utilisation"] = "lots"  # text in a numerical column: the partition fails
    bad.to_parquet(tmp_path / "apps.parquet", index=False)
    out = tmp_path / "o"
    assert cli.main(["score", release, str(tmp_path / "apps.parquet"), str(out), "--dask"]) == 2
    captured = capfd.readouterr()
    assert captured.err == (
        "riskresearch: error: Column 'utilisation' is numerical but holds text in 1 row(s) "
        "(first: 'lots' at row 321). Convert it to numbers (NaN for missing).\n"
    )
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apps.parquet"]


def test_cli_dask_disk_full_is_one_line_and_keeps_the_old_output(release, rows, tmp_path):
    """The workers (child processes) cannot write their parts: one line naming OUTPUT, the
    previous OUTPUT kept, no temporary folder left."""
    rows.to_parquet(tmp_path / "apps.parquet", index=False)
    out = tmp_path / "scores"
    _parts(out, rows.head(10), 1)  # a previous run's output
    old = sha256_file(out / "in.00.parquet")
    res = cli_with_file_size_limit(
        20_000, "score", release, tmp_path / "apps.parquet", out, "--dask"
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        f"riskresearch: error: No space left on device while writing '{out}' (File too "
        "large). Free space or write elsewhere.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apps.parquet", "scores"]
    assert [p.name for p in out.iterdir()] == ["in.00.parquet"]
    assert sha256_file(out / "in.00.parquet") == old


def test_bad_scheduler_address_is_one_line(release, rows, tmp_path, capsys, monkeypatch):
    rows.head(5).to_parquet(tmp_path / "apps.parquet", index=False)
    monkeypatch.setattr(scale.cluster, "CONNECT_TIMEOUT", 2)
    args = ["score", release, str(tmp_path / "apps.parquet"), str(tmp_path / "o")]
    code = cli.main([*args, "--dask", "--scheduler", "tcp://127.0.0.1:1"])
    line = _error_line(capsys.readouterr().err)
    assert code == 2
    assert "Cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in line
    assert "drop --scheduler" in line
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError, match="Cannot reach the Dask scheduler at 'nonsense:::'"):
        scale.client("nonsense:::", timeout=2)


# ------------------------------------------------------------------------------------------
# LightGBM on Dask
# ------------------------------------------------------------------------------------------
def _gbm_config(modeling_path, warehouse):
    raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
    raw["data"]["table"] = str(modeling_path)
    raw["data"]["oracle"] = str(warehouse)
    raw["data"]["warehouse"] = str(warehouse)
    raw["gbm"] = {"num_boost_round": 100}
    return config_from_dict(raw)


def test_gbm_on_dask_is_as_good_as_on_pandas(dask_client, modeling, modeling_path, warehouse):
    cfg = _gbm_config(modeling_path, warehouse)
    rows, test = development.load_split(cfg)  # the pandas path's development / out-of-time rows
    # all development months, both segments: train_gbm applies the config's row filter itself
    train = modeling[
        modeling.application_id.isin(rows.application_id) | (modeling.segment == "enterprise")
    ]
    assert len(train) > len(rows) and len(test) > 1000

    fit = scale.train_gbm(cfg, dd.from_pandas(train, npartitions=4), dask_client)
    assert fit.meta["features"] == list(cfg.features.include)
    assert fit.meta["best_iteration"] == 100
    assert sorted(fit.meta["categories"]) == sorted(cfg.features.categorical)
    # the same text format as a release's GBM: the text alone reproduces the predictions
    text, meta = fit.to_text()
    again = GbmScorer(text, meta).pd_(test).to_numpy()
    np.testing.assert_array_equal(again, fit.scorer.pd_(test).to_numpy())

    single = GbmClassifier(
        params=cfg.gbm.params,
        num_boost_round=100,
        categorical_features=list(cfg.features.categorical),
        random_state=cfg.seed,
    ).fit(rows[fit.meta["features"]], rows["bad"])
    auc_dask = roc_auc_score(test["bad"], again)
    auc_pandas = roc_auc_score(test["bad"], single.predict_proba(test[fit.meta["features"]])[:, 1])
    # distributed LightGBM is not bit-identical (each worker bins its own rows), but it learns
    # the same signal: close AUCs and strongly rank-correlated predictions
    assert auc_dask > 0.72
    assert abs(auc_dask - auc_pandas) < 0.02
    corr = pd.Series(again).corr(
        pd.Series(single.predict_proba(test[fit.meta["features"]])[:, 1]), method="spearman"
    )
    assert corr > 0.9


def test_train_gbm_checks_its_inputs(dask_client, modeling, modeling_path, warehouse):
    cfg = _gbm_config(modeling_path, warehouse)
    ddf = dd.from_pandas(modeling.head(200), npartitions=2)
    with pytest.raises(DataError, match=r"train_gbm: column\(s\) 'bad' missing"):
        scale.train_gbm(cfg, ddf.drop(columns="bad"), dask_client)
    with pytest.raises(ConfigError, match=r"'monotone' mapping names unknown feature\(s\)"):
        scale.train_gbm(cfg, ddf, dask_client, monotone={"shoe_size": 1})


# ------------------------------------------------------------------------------------------
# decisions on Dask
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(scorer, rows):
    """A decision engine on the module's scorecard with three grades set at score quantiles
    (strategy.json's schema; no fraud model)."""
    from riskresearch.decision import DecisionEngine

    q = np.quantile(scorer.score(rows), [0.2, 0.5, 0.8])
    terms = [(15000.0, 0.0, 24, 0.95), (9000.0, 0.1, 12, 1.0), (5000.0, 0.3, 6, 1.1)]
    bounds = [(q[2], None), (q[1], q[2]), (q[0], q[1])]
    grades = [
        {
            "grade": name,
            "min_score": float(lo),
            "max_score": None if hi is None else float(hi),
            "max_device_value": value,
            "deposit_share": deposit,
            "max_term_months": term,
            "price_multiplier": price,
            "fraud_review": False,
            "enterprise_review": name != "A",
        }
        for name, (lo, hi), (value, deposit, term, price) in zip("ABC", bounds, terms)
    ]
    strategy = {
        "format": "riskresearch.strategy/1",
        "applies_to": {"segment": "consumer"},
        "cutoff": float(q[0]),
        "grades": grades,
        "fraud": None,
    }
    return DecisionEngine(scorer, strategy, id_column="application_id", n_reason_codes=N_CODES)


def test_dask_decisions_equal_pandas_exactly(dask_client, engine, rows, tmp_path):
    expected = engine.decide(rows)
    # every branch is exercised: all three grades, declines and referrals (enterprise rows,
    # rows with a missing term field)
    assert set(expected["decision"]) >= {"approve", "decline", "refer"}
    assert set(expected["grade"].dropna()) >= {"A", "B", "C"}
    got = dask_client.compute(
        scale.decide_frame(dd.from_pandas(rows, npartitions=5), engine), sync=True
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)

    _parts(tmp_path / "in", rows, 3)
    n = scale.decide_parquet(engine, tmp_path / "in", tmp_path / "out", dask_client=dask_client)
    assert n == len(rows)
    written = pd.read_parquet(tmp_path / "out")
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True), check_exact=True)


def test_cli_decide_dask_equals_the_pandas_command(
    dask_client, engine, scorer, rows, modeling_path, tmp_path, capsys
):
    folder = tmp_path / "release"
    files = {
        **SCORECARD_STUBS,
        "scorecard.json": json.dumps(scorer.model, indent=1) + "\n",
        "strategy.json": json.dumps(engine.strategy, indent=1) + "\n",
        "fraud_rings.csv": "key,value\n",
    }
    sealed_release(
        folder,
        files,
        modeling_path,
        scorecard={"n_reason_codes": N_CODES},
        data={"id_column": "application_id"},
    )
    _parts(tmp_path / "in", rows, 3)
    rows.to_parquet(tmp_path / "all.parquet", index=False)
    args = ["decide", str(folder), str(tmp_path / "in"), str(tmp_path / "d")]
    assert cli.main([*args, "--dask", "--scheduler", dask_client.scheduler.address]) == 0
    assert f"decided {len(rows):,} applications" in capsys.readouterr().out
    args = ["decide", str(folder), str(tmp_path / "all.parquet"), str(tmp_path / "p.parquet")]
    assert cli.main(args) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "d"), pd.read_parquet(tmp_path / "p.parquet"), check_exact=True
    )
    # a tampered release is refused on the Dask path too
    (folder / "strategy.json").write_text(json.dumps({**engine.strategy, "cutoff": 0.0}))
    out = tmp_path / "d2"
    assert cli.main(["decide", str(folder), str(tmp_path / "in"), str(out), "--dask"]) == 2
    assert "changed: strategy.json" in _error_line(capsys.readouterr().err)
    assert not out.exists()
