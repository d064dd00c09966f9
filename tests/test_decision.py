"""Decision engine: everything from a release folder, rules applied as configured, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize("removed", [["fraud_rings.csv"], ["fraud.txt", "fraud.json"]])
def test_a_release_that_lost_fraud_artifacts_from_folder_and_manifest_is_refused(
    release_dir, tmp_path, capsys, removed
):
    """Removing the ring list (or the fraud model) from both the folder and the manifest used
    to verify and then decide without the ring rule or with NaN fraud scores, turning
    referrals into approvals. The strategy's fraud rules need them: refused, one line."""
    import json
    import shutil

    copy = Path(shutil.copytree(release_dir, tmp_path / "r"))
    manifest = json.loads((copy / "manifest.json").read_text())
    for name in removed:
        (copy / name).unlink()
        del manifest["artifacts"][name]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=rf"{removed[0]}"):
        DecisionEngine.from_release(copy)
    code = main(["decide", str(copy), "in.csv", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and removed[0] in err[0]
    assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------------------------------
# inputs that must not shift decisions: column types, out-of-range numbers
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


def test_release_records_the_development_ranges(release_dir, cfg, engine):
    ranges = strategy.read_strategy(release_dir / "strategy.json")["input_ranges"]
    assert ranges["range_factor"] == cfg.strategy.range_factor == 1.0
    fields = ranges["fields"]
    numerical = [
        f.name for f in engine.scorer.segments[0]["card"].features if f.dtype == "numerical"
    ]
    assert set(numerical) | {"monthly_rent", "retail_price", "lease_term_months"} <= set(fields)
    rows = strategy.through_the_door(cfg)
    rent = rows["monthly_rent"]
    assert (
        fields["monthly_rent"]["min"] == rent.min() and fields["monthly_rent"]["max"] == rent.max()
    )
    assert fields["monthly_rent"]["physical_min"] == 0.0
    assert fields["lease_term_months"]["physical_min"] == 1.0


def _engine_without_ranges(release_dir, engine) -> DecisionEngine:
    """The same release as an older one that recorded no ranges."""
    old = {k: v for k, v in engine.strategy.items() if k != "input_ranges"}
    rings = pd.read_csv(release_dir / "fraud_rings.csv")
    return DecisionEngine(engine.scorer, old, engine.fraud, rings, id_column=engine.id_column)


def test_ranges_change_no_in_range_decision(release_dir, engine, apps, decided):
    assert not decided["decision_reason"].str.startswith("out_of_range").any()
    pd.testing.assert_frame_equal(_engine_without_ranges(release_dir, engine).decide(apps), decided)


def test_out_of_range_number_is_referred_naming_the_field(release_dir, engine, apps):
    rows = apps[apps.segment == "consumer"].head(60).reset_index(drop=True)
    rows = rows.astype(
        {c: float for c in ("monthly_rent", "retail_price", "platform_credit_score")}
    )
    base = engine.decide(rows)
    assert (base["decision"] == "approve").sum() > 20
    ranges = engine.strategy["input_ranges"]["fields"]
    rent_lo, rent_hi = (ranges["monthly_rent"][k] for k in ("min", "max"))
    score_lo, score_hi = (ranges["platform_credit_score"][k] for k in ("min", "max"))
    bad = {
        1: ("monthly_rent", 1e308),  # approved with that rent before
        2: ("retail_price", -50.0),  # physically impossible
        3: ("monthly_rent", np.inf),  # not finite
        4: ("platform_credit_score", score_hi + 1.01 * (score_hi - score_lo)),  # a model input
        5: ("monthly_rent", -np.inf),
    }
    edited = rows.copy()
    for i, (column, value) in bad.items():
        edited.loc[i, column] = value
    edited.loc[6, "monthly_rent"] = rent_hi + 0.9 * (rent_hi - rent_lo)  # within f = 1 widths
    out = engine.decide(edited)
    for i, (column, _) in bad.items():
        assert (out["decision"][i], out["decision_reason"][i]) == (
            "refer",
            f"out_of_range:{column}",
        )
    assert np.isnan(out["offered_monthly_rent"][1])  # no terms from an impossible rent
    assert out["decision_reason"][6] == base["decision_reason"][6]
    keep = [i for i in range(len(rows)) if i not in bad and i != 6]
    pd.testing.assert_frame_equal(out.iloc[keep], base.iloc[keep])
    # the single-application path decides alike
    for i in [*bad, 6]:
        one = engine.decide_one(edited.iloc[i].to_dict())
        assert (one["decision"], one["decision_reason"]) == tuple(
            out.loc[i, ["decision", "decision_reason"]]
        )
        assert one["offered_monthly_rent"] == pytest.approx(
            out["offered_monthly_rent"][i], nan_ok=True
        )
    # an older release without recorded ranges has no range rule (inf is still referred)
    old = _engine_without_ranges(release_dir, engine).decide(edited)
    assert old["decision_reason"][1] != "out_of_range:monthly_rent"
    assert old["decision_reason"][3] == "out_of_range:monthly_rent"


TINY_CARD = {
    "format": "riskresearch.scorecard/1",
    "scaling": {"offset": 500.0, "factor": 20.0},
    "features": {
        "income": {
            "dtype": "numerical",
            "splits": [1000.0],
            "special_codes": [-999],
            "points": [10.0, 40.0, 20.0, 5.0],
            "unseen_points": 0.0,
        }
    },
}
TINY_STRATEGY = {
    "grades": [
        {
            "grade": "A",
            "min_score": 0.0,
            "max_device_value": 5000.0,
            "deposit_share": 0.1,
            "max_term_months": 24,
            "price_multiplier": 1.0,
        }
    ],
    "applies_to": {"segment": "consumer"},
    "input_ranges": {
        "range_factor": 0.5,
        "fields": {
            # development [1000, 3000], 0.5 widths beyond: [0, 4000]
            "income": {"min": 1000.0, "max": 3000.0, "physical_min": None, "physical_max": None},
            # [-50, 350], physically >= 0: [0, 350]
            "monthly_rent": {"min": 50.0, "max": 250.0, "physical_min": 0.0, "physical_max": None},
            # one value seen in development: no development range, only the physical one
            "price_vs_retail": {"min": 1.0, "max": 1.0, "physical_min": 0.0, "physical_max": None},
            # no development values: only the physical limit
            "devices_requested": {
                "min": None,
                "max": None,
                "physical_min": 1.0,
                "physical_max": None,
            },
        },
    },
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, "approved"),
        ({"income": 4000.0}, "approved"),  # the bounds are inside
        ({"income": 0.0}, "approved"),
        ({"income": 4000.5}, "out_of_range:income"),
        ({"income": -0.5}, "out_of_range:income"),
        ({"income": -999.0}, "approved"),  # a special code is never out of range
        ({"income": np.nan}, "approved"),  # missing is the Missing bin, not out of range
        ({"income": "4e3"}, "approved"),  # text that reads as a number is that number
        ({"income": "5e3"}, "out_of_range:income"),
        ({"income": "lots"}, "invalid_value:income"),
        ({"monthly_rent": 350.0}, "approved"),
        ({"monthly_rent": -0.01}, "out_of_range:monthly_rent"),  # physically impossible
        ({"monthly_rent": 1e308}, "out_of_range:monthly_rent"),
        ({"monthly_rent": np.inf}, "out_of_range:monthly_rent"),
        ({"monthly_rent": 1e308, "income": 1e9}, "out_of_range:income"),  # first in order
        ({"devices_requested": 0.0}, "out_of_range:devices_requested"),
        ({"price_vs_retail": 1.3}, "approved"),
        ({"price_vs_retail": -0.1}, "out_of_range:price_vs_retail"),
        ({"devices_requested": 3.0}, "approved"),
        ({"monthly_rent": 1e308, "segment": "enterprise"}, "not_covered:segment"),
    ],
)
def test_range_rule_bounds(change, reason):
    engine = DecisionEngine(Scorer(TINY_CARD), TINY_STRATEGY, id_column=None)
    app = {
        "income": 2000.0,
        "segment": "consumer",
        "retail_price": 1000.0,
        "price_vs_retail": 1.0,
        "lease_term_months": 12,
        "monthly_rent": 100.0,
        "device_category": "phone",
        **change,
    }
    frame = pd.DataFrame([app, app])  # as a column of one dtype (object when text)
    batch = engine.decide(frame).iloc[0]
    one = engine.decide_one(app)
    assert batch["decision_reason"] == one["decision_reason"] == reason
    expected = "approve" if reason == "approved" else "refer"
    assert batch["decision"] == one["decision"] == expected
    for key in ("score", "deposit", "offered_monthly_rent"):
        assert one[key] == pytest.approx(batch[key], nan_ok=True), key


def test_input_ranges_leave_out_special_codes_missing_values_and_text(cfg):
    dev = pd.DataFrame(
        {"income": [-999.0, 1500.0, np.nan, 900.0], "monthly_rent": [10, 20, 30, 40]}
    )
    oot = pd.DataFrame({"income": ["5000", "n/a", None, "-inf"]})  # a second sample, as text
    ranges = strategy.input_ranges(cfg, Scorer(TINY_CARD), dev, oot)
    assert ranges["range_factor"] == 1.0
    fields = ranges["fields"]
    assert fields["income"] == {
        "min": 900.0,
        "max": 5000.0,
        "physical_min": None,
        "physical_max": None,
    }
    assert fields["monthly_rent"] == {
        "min": 10.0,
        "max": 40.0,
        "physical_min": 0.0,
        "physical_max": None,
    }
    # a terms field absent from the data keeps its physical limits
    assert fields["retail_price"] == {
        "min": None,
        "max": None,
        "physical_min": 0.0,
        "physical_max": None,
    }
    assert fields["devices_requested"]["physical_min"] == 1.0


_NUMBERS = st.one_of(
    st.floats(allow_nan=False),  # +/-inf and huge values included
    st.sampled_from([None, np.nan, -999.0, 0.0, 350.0, 4000.0, "250", "abc"]),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "income": _NUMBERS,
                "monthly_rent": _NUMBERS,
                "devices_requested": st.sampled_from([None, 0.0, 1.0, 2.0, np.inf]),
                "segment": st.sampled_from(["consumer", "consumer", "enterprise"]),
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_decide_batch_equals_decide_one_on_any_numbers(apps):
    engine = DecisionEngine(Scorer(TINY_CARD), TINY_STRATEGY, id_column=None)
    fixed = {"retail_price": 1000.0, "price_vs_retail": 1.0, "lease_term_months": 12}
    apps = [{**fixed, "device_category": "phone", **a} for a in apps]
    batch = engine.decide(pd.DataFrame(apps))
    for i, app in enumerate(apps):
        one = engine.decide_one(app)
        alone = engine.decide(pd.DataFrame([app])).iloc[0]
        for key, value in one.items():
            for other in (batch[key].iloc[i], alone[key]):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    assert pd.isna(other), (key, app)
                else:
                    assert value == other, (key, app)
