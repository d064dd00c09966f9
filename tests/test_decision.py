"""Decision engine: everything from a release folder, rules applied as configured, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from riskresearch import development, fraud, release, strategy
from riskresearch.cli import main
from riskresearch.config import config_from_dict
from riskresearch.decision import DecisionEngine, decision_inputs
from riskresearch.errors import DataError
from riskresearch.scoring import Scorer
from tests.test_strategy import raw_config


@pytest.fixture(scope="module")
def cfg(modeling_path, warehouse):
    return config_from_dict(raw_config(modeling_path, warehouse))


@pytest.fixture(scope="module")
def release_dir(cfg, tmp_path_factory):
    """A release folder written through the library: scorecard, fraud model, strategy and a
    manifest with every file's sha256."""
    out = tmp_path_factory.mktemp("release")
    dev = development.develop(cfg)
    development.write_scorecard(dev, out)
    fraud.write_fraud(fraud.develop_fraud(cfg), out)
    strategy.write_strategy(strategy.develop_strategy(cfg, out), out)
    release.seal(out, cfg)
    return out


@pytest.fixture(scope="module")
def engine(release_dir):
    return DecisionEngine.from_release(release_dir)


@pytest.fixture(scope="module")
def apps(modeling, warehouse):
    """The latest 3,000 applications (all segments, declined included) with the fraud
    features."""
    rows = modeling.sort_values("application_id").tail(3000)
    return decision_inputs(rows, warehouse).reset_index(drop=True)


@pytest.fixture(scope="module")
def decided(engine, apps):
    return engine.decide(apps)


def test_decisions_reproduce_from_the_release_folder(release_dir, engine, apps, decided):
    again = DecisionEngine.from_release(release_dir).decide(apps)
    pd.testing.assert_frame_equal(decided, again)
    scorer = Scorer(release_dir / "scorecard.json")
    consumer = (apps["segment"] == "consumer").to_numpy()
    np.testing.assert_allclose(
        decided["score"][consumer], scorer.score(apps[consumer]).to_numpy(), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(decided["pd"][consumer], scorer.pd_(apps[consumer]).to_numpy())
    fs = fraud.FraudScorer.read(release_dir)
    np.testing.assert_allclose(decided["fraud_score"], fs.fraud_score(apps).to_numpy())
    reasons = scorer.reason_codes(apps, 4)
    for i in (1, 4):
        assert (
            decided[f"reason_{i}"].fillna("-").tolist()
            == reasons[f"reason_{i}"].fillna("-").tolist()
        )
    doc = strategy.read_strategy(release_dir / "strategy.json")
    assert decided["grade"].tolist() == strategy.assign_grades(decided["score"], doc).tolist()
    assert set(decided["decision"]) == {"approve", "refer", "decline"}


def test_output_schema_is_stable(engine, apps, decided):
    assert list(decided.columns) == engine.output_columns()
    empty = engine.decide(apps.iloc[:0])
    assert list(empty.columns) == list(decided.columns)
    assert empty.dtypes.astype(str).tolist() == decided.dtypes.astype(str).tolist()
    one = engine.decide(apps.iloc[[0]])  # a partition with no text in the reason columns
    assert one.dtypes.astype(str).tolist() == decided.dtypes.astype(str).tolist()
    parts = pd.concat([engine.decide(apps.iloc[i : i + 700]) for i in range(0, len(apps), 700)])
    pd.testing.assert_frame_equal(parts, decided)  # a pure function of each partition


def test_deposit_and_term_rules_applied_as_configured(release_dir, apps, decided):
    doc = strategy.read_strategy(release_dir / "strategy.json")
    terms = {g["grade"]: g for g in doc["grades"]}
    ok = decided["decision"] == "approve"
    assert ok.sum() > 500
    for grade, part in decided[ok].groupby("grade"):
        t, a = terms[grade], apps.loc[part.index]
        value = a["retail_price"] * a["devices_requested"]
        assert (part["deposit_share"] == t["deposit_share"]).all()
        np.testing.assert_allclose(part["deposit"], t["deposit_share"] * value)
        assert (value <= t["max_device_value"]).all()
        np.testing.assert_allclose(
            part["offered_term_months"], np.minimum(a["lease_term_months"], t["max_term_months"])
        )
        np.testing.assert_allclose(
            part["offered_monthly_rent"], a["monthly_rent"] * t["price_multiplier"]
        )
        capped = a["lease_term_months"] > t["max_term_months"]
        assert (part["decision_reason"][capped] == "approved_term_capped").all()
        assert (part["decision_reason"][~capped] == "approved").all()
    over = decided["decision_reason"] == "device_value_above_limit"
    assert over.any() and (decided["decision"][over] == "refer").all()
    below = decided["score"] < doc["cutoff"]
    rest = decided[below & ~decided.decision_reason.str.startswith(("fraud", "missing", "not_"))]
    assert (rest["decision_reason"] == "score_below_cutoff").all() and len(rest) > 0
    enterprise = (apps["segment"] == "enterprise").to_numpy()
    assert (decided["decision_reason"][enterprise] == "not_covered:segment").all()


def test_fraud_rules(release_dir, engine, apps):
    doc = strategy.read_strategy(release_dir / "strategy.json")
    rings = pd.read_csv(release_dir / "fraud_rings.csv")
    assert len(rings) > 0
    ring_device = int(rings.loc[rings.key == "device_fingerprint_id", "value"].iloc[0])
    consumer = apps[apps.segment == "consumer"].head(5).copy()
    consumer["device_fingerprint_id"] = ring_device
    out = engine.decide(consumer)
    assert (out["decision"] == "decline").all()
    assert (out["decision_reason"] == "fraud_ring:device_fingerprint_id").all()
    scored = engine.decide(apps)
    high = scored["fraud_score"] >= doc["fraud"]["decline_score"]
    ring = scored["decision_reason"].str.startswith("fraud_ring")
    fraud_declined = high & ~ring & ~scored.decision_reason.str.startswith("missing")
    assert fraud_declined.sum() > 0
    assert (scored["decision_reason"][fraud_declined] == "fraud_score").all()
    assert (scored["decision"][fraud_declined] == "decline").all()
    assert (
        scored["fraud_score"][scored["decision_reason"] == "fraud_score"]
        >= doc["fraud"]["decline_score"]
    ).all()
    review_grades = [g["grade"] for g in doc["grades"] if g["fraud_review"]]
    reviewed = scored["decision_reason"] == "fraud_review"
    assert reviewed.sum() > 0
    assert scored["grade"][reviewed].isin(review_grades).all()
    assert (scored["fraud_score"][reviewed] >= doc["fraud"]["review_score"]).all()
    # the same score in a grade without fraud review is not referred for it
    free = (
        ~scored["grade"].isin(review_grades)
        & (scored["fraud_score"] >= doc["fraud"]["review_score"])
        & (scored["fraud_score"] < doc["fraud"]["decline_score"])
        & (scored["decision"] == "approve")
    )
    assert free.sum() > 0


def test_missing_column_refers_every_row_naming_it(engine, apps):
    consumer = apps[apps.segment == "consumer"].head(200)
    for column in ("monthly_rent", "platform_credit_score", "linked_total"):
        out = engine.decide(consumer.drop(columns=column))
        assert (out["decision"] == "refer").all(), column
        assert (out["decision_reason"] == f"missing_field:{column}").all()


def test_missing_or_invalid_value_refers_that_row_only(engine, apps):
    rows = apps[apps.segment == "consumer"].head(50).copy()
    base = engine.decide(rows)
    rows["lease_term_months"] = rows["lease_term_months"].astype(float)
    rows.iloc[3, rows.columns.get_loc("lease_term_months")] = np.nan
    rows["platform_credit_score"] = rows["platform_credit_score"].astype(object)
    rows.iloc[5, rows.columns.get_loc("platform_credit_score")] = "seven hundred"
    rows.iloc[7, rows.columns.get_loc("segment")] = None
    out = engine.decide(rows)
    assert out["decision_reason"].iloc[3] == "missing_field:lease_term_months"
    assert out["decision_reason"].iloc[5] == "invalid_value:platform_credit_score"
    assert out["decision_reason"].iloc[7] == "missing_field:segment"
    assert (out["decision"].iloc[[3, 5, 7]] == "refer").all()
    keep = np.setdiff1d(np.arange(len(rows)), [3, 5, 7])
    assert out["decision"].iloc[keep].tolist() == base["decision"].iloc[keep].tolist()
    # a thin file (no bureau data) is not bad input: the scorecard's Missing bin scores it
    thin = apps[(apps.segment == "consumer") & apps.max_dpd_24m.isna()].head(20)
    assert not engine.decide(thin)["decision_reason"].str.startswith("missing").any()


def test_decide_one_matches_the_batch(engine, apps, decided):
    sample = apps.sample(60, random_state=0)
    for i, row in sample.iterrows():
        one = engine.decide_one(row.to_dict())
        batch = decided.loc[i]
        assert list(one) == list(batch.index)
        for key, value in one.items():
            other = batch[key]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert pd.isna(other), (key, value, other)
            elif isinstance(value, float):
                assert value == pytest.approx(other, rel=1e-12, abs=1e-12), key
            else:
                assert value == other, (key, value, other)


def test_decide_one_bad_input(engine, apps):
    app = apps[apps.segment == "consumer"].iloc[0].to_dict()
    for field in ("monthly_rent", "platform_credit_score", "partner_fraud_rate"):
        partial = {k: v for k, v in app.items() if k != field}
        got = engine.decide_one(partial)
        assert (got["decision"], got["decision_reason"]) == ("refer", f"missing_field:{field}")
    got = engine.decide_one({**app, "retail_price": "cheap"})
    assert (got["decision"], got["decision_reason"]) == ("refer", "invalid_value:retail_price")
    got = engine.decide_one({})
    assert got["decision"] == "refer" and got["decision_reason"].startswith("missing_field:")


def test_tampered_release_is_refused(release_dir, tmp_path):
    import shutil

    copy = tmp_path / "release"
    shutil.copytree(release_dir, copy)
    doc = (copy / "strategy.json").read_text()
    (copy / "strategy.json").write_text(doc.replace('"cutoff": ', '"cutoff": 1'))
    with pytest.raises(DataError, match=r"Refusing to decide.*changed: strategy\.json"):
        DecisionEngine.from_release(copy)


def test_cli_decide(release_dir, apps, tmp_path, capsys):
    src, dst = tmp_path / "apps.parquet", tmp_path / "out" / "decisions.csv"
    apps.head(300).to_parquet(src)
    assert main(["decide", str(release_dir), str(src), str(dst)]) == 0
    written = pd.read_csv(dst)
    assert len(written) == 300 and written.columns[0] == "application_id"
    assert "decided 300 applications" in capsys.readouterr().out
    assert main(["decide", str(tmp_path), str(src), str(dst)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["decide", str(release_dir), str(tmp_path / "nope.csv"), str(dst)]) == 2


def test_single_row_fast_path_equals_booster_predict(engine, apps):
    from riskresearch.decision import _SingleRow

    x = engine._fraud_matrix(apps.head(20), lambda mask, reason: None)
    fast = _SingleRow(engine.fraud.booster, x.shape[1])
    slow = _SingleRow(engine.fraud.booster, x.shape[1])
    slow.handle = None  # the public-API fallback
    expected = engine.fraud.booster.predict(x)
    assert fast.handle is not None
    assert [fast.predict(r) for r in x] == pytest.approx(expected, rel=1e-12)
    assert [slow.predict(r) for r in x] == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------------------------------
# inputs that must not shift decisions: column types
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cat_release(modeling_path, warehouse, tmp_path_factory):
    """A release whose scorecard has the integer-coded categorical feature partner_id."""
    from tests.test_strategy import FEATURES

    raw = raw_config(modeling_path, warehouse)
    raw["features"] = {"include": [*FEATURES, "partner_id"], "categorical": ["partner_id"]}
    raw["binning"]["unseen"] = "worst"  # as the shipped config: an unseen partner is riskiest
    cfg = config_from_dict(raw)
    out = tmp_path_factory.mktemp("cat_release")
    dev = development.develop(cfg)
    development.write_scorecard(dev, out)
    fraud.write_fraud(fraud.develop_fraud(cfg), out)
    strategy.write_strategy(strategy.develop_strategy(cfg, out), out)
    release.seal(out, cfg)
    card = json.loads((out / "scorecard.json").read_text())
    assert card["features"]["partner_id"]["dtype"] == "categorical"
    return out


def _with_one_blank(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    dirty = rows.copy()
    dirty[column] = dirty[column].astype("Int64")
    dirty.loc[dirty.index[0], column] = pd.NA
    return dirty


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_one_blank_category_cell_changes_no_other_row(cat_release, apps, tmp_path, suffix):
    """Issue 18: one empty partner_id cell made pandas read the column as floats, 31 became
    31.0, matched no trained group, and every row fell into the worst bin."""
    rows = apps[apps.segment == "consumer"].head(400).reset_index(drop=True)
    clean, dirty = tmp_path / f"clean{suffix}", tmp_path / f"dirty{suffix}"
    for frame, path in ((rows, clean), (_with_one_blank(rows, "partner_id"), dirty)):
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        else:  # as DuckDB or Spark write it: no pandas metadata to restore an Int64 column
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            pq.write_table(table.replace_schema_metadata(None), path)
    # read naively, the blank (the NULL) does turn the integer column into floats
    naive = pd.read_csv(dirty) if suffix == ".csv" else pd.read_parquet(dirty)
    assert naive["partner_id"].dtype == np.float64
    for command in ("score", "decide"):
        outputs = []
        for src in (clean, dirty):
            dst = tmp_path / f"{command}_{src.stem}.csv"
            assert main([command, str(cat_release), str(src), str(dst)]) == 0
            outputs.append(pd.read_csv(dst))
        a, b = (o.iloc[1:].reset_index(drop=True) for o in outputs)
        pd.testing.assert_frame_equal(a, b)
        assert outputs[1]["application_id"].tolist() == rows["application_id"].tolist()


def test_category_column_type_changes_no_decision(cat_release, apps):
    engine = DecisionEngine.from_release(cat_release)
    rows = apps[apps.segment == "consumer"].head(300).reset_index(drop=True)
    base = engine.decide(rows)
    assert base["reason_1"].notna().any()
    spellings = {
        "float": rows["partner_id"].astype(float),
        "text": rows["partner_id"].astype(str),
        "text_float": rows["partner_id"].astype(float).astype(str),  # '31.0'
    }
    for name, column in spellings.items():
        got = engine.decide(rows.assign(partner_id=column))
        pd.testing.assert_frame_equal(got, base, obj=name)
        one = engine.decide_one(rows.assign(partner_id=column).iloc[5].to_dict())
        assert one["score"] == base["score"].iloc[5], name
        assert one["decision_reason"] == base["decision_reason"].iloc[5], name
