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
from riskresearch.decision import DecisionEngine, DecisionRouter, decision_inputs
from riskresearch.errors import ConfigError, DataError
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
    econ = strategy.economics_from_dict(doc["economics"])
    history = doc["limits"]["history"]
    for grade, part in decided[ok].groupby("grade"):
        t, a = terms[grade], apps.loc[part.index]
        value = a["retail_price"] * a["devices_requested"]
        assert (part["deposit_share"] == t["deposit_share"]).all()
        np.testing.assert_allclose(part["deposit"], t["deposit_share"] * value)
        # the grade's limit times the customer's history factor
        factor = strategy.limit_factors(a, history)
        np.testing.assert_allclose(part["limit_factor"], factor)
        np.testing.assert_allclose(part["max_device_value"], t["max_device_value"] * factor)
        assert (value <= part["max_device_value"]).all()
        offered = np.minimum(a["lease_term_months"], t["max_term_months"])
        np.testing.assert_allclose(part["offered_term_months"], offered)
        capped = a["lease_term_months"] > t["max_term_months"]
        # a capped term is offered at the rent curve's rent for it, else the quoted rent
        rent = a["monthly_rent"] * t["price_multiplier"]
        rent = rent * econ.rent_factor(offered, a["lease_term_months"])
        np.testing.assert_allclose(part["offered_monthly_rent"], rent)
        assert (
            part["offered_monthly_rent"][capped] > (a.monthly_rent * t["price_multiplier"])[capped]
        ).all()
        assert (part["decision_reason"][capped] == "approved_term_capped").all()
        assert (part["decision_reason"][~capped] == "approved").all()
    assert (decided["limit_factor"][ok] == 1.5).any()  # clean repeat customers: more credit
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


def test_fraud_scorer_one_row_equals_batch_and_the_strict_path(engine, apps):
    """decide_one's fraud path (FraudScorer.row, one thread) gives the batch's numbers
    (FraudScorer.matrix), which on clean rows are those of the strict fraud_score."""
    rows = apps.head(20)
    x, problems = engine.fraud.matrix(rows)
    assert problems == []
    batch = engine.fraud.predict_matrix(x, 1)
    one = [
        engine.fraud.predict_matrix(engine.fraud.row(r)[0], 1)[0] for r in rows.to_dict("records")
    ]
    assert one == pytest.approx(batch, rel=1e-12)
    assert batch == pytest.approx(engine.fraud.fraud_score(rows).to_numpy(), rel=1e-12)
    bad = rows.head(3).astype(object)
    numeric = next(f for f in engine.fraud.features if f not in engine.fraud.categories)
    bad.loc[bad.index[0], numeric], bad.loc[bad.index[1], numeric] = "abc", math.inf
    _, problems = engine.fraud.matrix(bad)
    assert [(r, list(m)) for r, m in problems] == [
        (f"invalid_value:{numeric}", [True, False, False]),
        (f"out_of_range:{numeric}", [False, True, False]),
    ]
    assert engine.fraud.row(bad.iloc[0].to_dict())[1] == [f"invalid_value:{numeric}"]


def test_rule_table_decides_a_batch_as_each_row_alone():
    """apply_rules on arrays (decide) gives row by row what it gives on scalars (decide_one):
    every combination of facts, the first rule holding wins."""
    from riskresearch.decision import OTHERWISE, RULES, apply_rules

    rng = np.random.default_rng(0)
    n = 4000
    facts = {}
    for fact, _, reason in RULES:
        hold = rng.uniform(size=n) < 0.15
        if reason is None:
            facts[fact] = np.where(hold, np.array(f"{fact}:x", dtype=object), None)
        else:
            facts[fact] = hold
    decision, reason = apply_rules(facts)
    for i in range(n):
        one = apply_rules(
            {k: (v[i] if v.dtype == object else bool(v[i])) for k, v in facts.items()}
        )
        assert (decision[i], reason[i]) == one
        first = next(
            (r for r in RULES if (facts[r[0]][i] is not None if r[2] is None else facts[r[0]][i])),
            None,
        )
        want = (
            OTHERWISE
            if first is None
            else (first[1], facts[first[0]][i] if first[2] is None else first[2])
        )
        assert one == want
    assert decision.dtype == object and reason.dtype == object


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


# ------------------------------------------------------------------------------------------
# limits by platform history, customer exposure and the rent of a capped term
# ------------------------------------------------------------------------------------------
TINY_ECONOMICS = {
    "default_months": 6,
    "residual_loss_per_month": 0.036,
    "residual_floor": 0.1,
    "take_up": 0.8,
    "deposit_elasticity": 1.0,
    "price_elasticity": 3.0,
    "buyout_rate": {"all": 0.5},
    "recovery_rate": {"all|all": 0.45},
    "resale_to_retail": {"all|all": 0.45},
    "rent_rate_base": 0.045,  # rent per month / device cost = 0.045 + 0.3 / term
    "rent_rate_per_term": 0.3,
}
TINY_LIMITS = {
    "model": "tiny",
    "grades": [
        {
            "grade": "A",
            "min_score": 0.0,
            "max_device_value": 5000.0,
            "max_exposure": 3000.0,
            "deposit_share": 0.0,
            "max_term_months": 12,
            "price_multiplier": 1.1,
        }
    ],
    "applies_to": {"segment": "consumer"},
    "economics": TINY_ECONOMICS,
    "limits": {
        "history": strategy.LimitHistory().model_dump(),
        "exposure_column": "hist_outstanding_rent",
    },
}
TINY_APP = {
    "income": 2000.0,
    "segment": "consumer",
    "retail_price": 1000.0,
    "price_vs_retail": 1.0,
    "lease_term_months": 12,
    "monthly_rent": 100.0,
    "device_category": "phone",
    "hist_leases": 0,
    "hist_writeoffs": 0,
    "hist_max_dpd": None,
    "hist_months_since_first_lease": None,
    "hist_outstanding_rent": 0.0,
}
CLEAN = {"hist_leases": 2, "hist_max_dpd": 3.0, "hist_months_since_first_lease": 12}
# a 24-month request capped at 12: rent 100 x 1.1 x (0.045 + 0.3/12) / (0.045 + 0.3/24)
CAPPED_RENT = 110.0 * 0.07 / 0.0575


def _tiny_limits_engine() -> DecisionEngine:
    return DecisionEngine(Scorer(TINY_CARD), TINY_LIMITS, id_column=None)


@pytest.mark.parametrize(
    ("change", "reason", "factor", "rent"),
    [
        ({}, "approved", 1.0, 110.0),
        ({"lease_term_months": 24}, "approved_term_capped", 1.0, CAPPED_RENT),
        # exposure: 1,300 owed + 12 x 110 = 2,620 <= 3,000; 1,700 + 1,320 = 3,020 > 3,000
        ({"hist_outstanding_rent": 1300.0}, "approved", 1.0, 110.0),
        ({"hist_outstanding_rent": 1700.0}, "exposure_above_limit", 1.0, 110.0),
        # a clean record of 12 months: 1.5 x both limits (4,500 exposure)
        ({**CLEAN, "hist_outstanding_rent": 1700.0}, "approved", 1.5, 110.0),
        ({**CLEAN, "retail_price": 7000.0}, "approved", 1.5, 110.0),
        ({"retail_price": 7000.0}, "device_value_above_limit", 1.0, 110.0),
        # a short record is no line increase; 30+ days past due halves the lines
        (
            {**CLEAN, "hist_months_since_first_lease": 3, "retail_price": 7000.0},
            "device_value_above_limit",
            1.0,
            110.0,
        ),
        ({**CLEAN, "hist_max_dpd": 45.0}, "approved", 0.5, 110.0),  # 1,320 <= 1,500
        (
            {**CLEAN, "hist_max_dpd": 45.0, "hist_outstanding_rent": 200.0},
            "exposure_above_limit",
            0.5,
            110.0,
        ),
        ({**CLEAN, "hist_writeoffs": 1}, "device_value_above_limit", 0.0, 110.0),
        ({"hist_leases": None}, "missing_field:hist_leases", 1.0, 110.0),
        ({"hist_outstanding_rent": None}, "missing_field:hist_outstanding_rent", 1.0, 110.0),
        ({"hist_outstanding_rent": "lots"}, "invalid_value:hist_outstanding_rent", 1.0, 110.0),
    ],
)
def test_limits_follow_history_and_exposure(change, reason, factor, rent):
    engine = _tiny_limits_engine()
    app = {**TINY_APP, **change}
    batch = engine.decide(pd.DataFrame([app, app])).iloc[0]
    one = engine.decide_one(app)
    assert batch["decision_reason"] == one["decision_reason"] == reason
    assert batch["decision"] == one["decision"] == ("approve" if "approved" in reason else "refer")
    assert batch["limit_factor"] == pytest.approx(factor)
    assert batch["max_device_value"] == pytest.approx(5000.0 * factor)
    assert batch["max_exposure"] == pytest.approx(3000.0 * factor)
    assert batch["offered_monthly_rent"] == pytest.approx(rent)
    owed = pd.to_numeric(pd.Series([app["hist_outstanding_rent"]]), errors="coerce").fillna(0)
    assert batch["customer_exposure"] == pytest.approx(owed[0] + rent * 12)
    for key in ("max_device_value", "max_exposure", "customer_exposure", "offered_monthly_rent"):
        assert one[key] == pytest.approx(batch[key]), key


def test_limit_fields_are_required_only_when_the_strategy_uses_them():
    engine = _tiny_limits_engine()
    assert set(strategy.HISTORY_FIELDS) | {"hist_outstanding_rent"} <= set(engine.required)
    out = engine.decide(pd.DataFrame([TINY_APP]).drop(columns="hist_max_dpd"))
    assert out["decision_reason"].iloc[0] == "missing_field:hist_max_dpd"
    # no customer limit and history switched off: the columns are not needed
    plain = {
        **TINY_LIMITS,
        "grades": [{**TINY_LIMITS["grades"][0], "max_exposure": None}],
        "limits": {"history": None, "exposure_column": "hist_outstanding_rent"},
    }
    engine = DecisionEngine(Scorer(TINY_CARD), plain, id_column=None)
    assert not set(strategy.HISTORY_FIELDS) & set(engine.required)
    bare = {k: v for k, v in TINY_APP.items() if not k.startswith("hist_")}
    got = engine.decide_one({**bare, "retail_price": 7000.0})
    assert got["decision_reason"] == "device_value_above_limit" and got["limit_factor"] == 1.0
    assert math.isnan(got["max_exposure"])


def test_capped_term_is_offered_at_the_partners_rent_for_that_term(release_dir, apps, decided):
    """The simulated partners quote listed price x units x (0.045 + 0.3 / term) per month
    (rounded): the rent the engine offers for a capped term is that quote for the offered
    term, within the quote's rounding."""
    capped = decided["decision_reason"] == "approved_term_capped"
    assert capped.sum() > 30
    a = apps[capped]
    listed = a["retail_price"] * a["price_vs_retail"] * a["devices_requested"]
    offered = decided.loc[capped, "offered_term_months"]
    quote = listed * (0.045 + 0.3 / offered) * decided.loc[capped, "price_multiplier"]
    np.testing.assert_allclose(decided.loc[capped, "offered_monthly_rent"], quote, rtol=0.01)
    assert (offered < a["lease_term_months"]).all()


def test_exposure_limit_caps_a_repeat_customer(release_dir, engine, apps):
    """A customer limit on the same release: a repeat customer whose rent still owed on
    running leases plus the new lease passes the limit is referred; without what is owed,
    the same application is approved."""
    limited = {
        **engine.strategy,
        "grades": [{**g, "max_exposure": 6000.0} for g in engine.strategy["grades"]],
    }
    rings = pd.read_csv(release_dir / "fraud_rings.csv")
    capped_engine = DecisionEngine(engine.scorer, limited, engine.fraud, rings)
    assert "hist_outstanding_rent" in capped_engine.required
    repeat = apps[(apps.segment == "consumer") & (apps.hist_outstanding_rent > 0)]
    out = capped_engine.decide(repeat)
    over = out["decision_reason"] == "exposure_above_limit"
    assert over.sum() > 5
    assert (out.loc[over, "customer_exposure"] > out.loc[over, "max_exposure"]).all()
    np.testing.assert_allclose(
        out.loc[over, "customer_exposure"],
        repeat.loc[over, "hist_outstanding_rent"]
        + out.loc[over, "offered_monthly_rent"] * out.loc[over, "offered_term_months"],
    )
    fresh = capped_engine.decide(repeat[over].assign(hist_outstanding_rent=0.0))
    own = fresh["customer_exposure"] <= fresh["max_exposure"]
    assert own.sum() > 0
    assert fresh["decision_reason"][own].isin(["approved", "approved_term_capped"]).all()


_HIST = st.one_of(st.sampled_from([None, np.nan, 0, 1, 3, 30, 45, "x"]), st.floats(0, 1e6))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "income": _NUMBERS,
                "lease_term_months": st.sampled_from([3, 12, 24, None, 0.5]),
                "retail_price": st.sampled_from([500.0, 4000.0, 7000.0, 9000.0]),
                "hist_leases": _HIST,
                "hist_writeoffs": _HIST,
                "hist_max_dpd": _HIST,
                "hist_months_since_first_lease": _HIST,
                "hist_outstanding_rent": _HIST,
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_decide_batch_equals_decide_one_with_limits(apps):
    engine = _tiny_limits_engine()
    apps = [{**TINY_APP, **a} for a in apps]
    batch = engine.decide(pd.DataFrame(apps))
    for i, app in enumerate(apps):
        one = engine.decide_one(app)
        for key, value in one.items():
            other = batch[key].iloc[i]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert pd.isna(other), (key, app)
            elif isinstance(value, float):
                assert value == pytest.approx(other, rel=1e-12), (key, app)
            else:
                assert value == other, (key, app)


# ------------------------------------------------------------------------------------------
# several releases: each application to its segment's release
# ------------------------------------------------------------------------------------------
def _tiny_router() -> DecisionRouter:
    consumer = _tiny_limits_engine()
    business = {
        **TINY_LIMITS,
        "model": "business",
        "applies_to": {"segment": "enterprise"},
        "grades": [
            {
                **TINY_LIMITS["grades"][0],
                "max_device_value": 20000.0,
                "max_exposure": None,
                "price_multiplier": 0.95,
            }
        ],
    }
    return DecisionRouter([consumer, DecisionEngine(Scorer(TINY_CARD), business, id_column=None)])


def test_router_sends_each_row_to_its_segments_release():
    router = _tiny_router()
    rows = pd.DataFrame(
        [
            {**TINY_APP, "retail_price": 7000.0},  # above the consumer limit
            {**TINY_APP, "segment": "enterprise", "retail_price": 7000.0},
            {**TINY_APP, "segment": "government"},
            {**TINY_APP, "segment": None},
            {**TINY_APP, "segment": "enterprise", "lease_term_months": 24},
        ]
    )
    out = router.decide(rows)
    assert list(out.columns) == router.output_columns(with_id=False)
    assert out["model"].tolist()[:2] == ["tiny", "business"] and out["model"][4] == "business"
    assert out["decision_reason"].tolist() == [
        "device_value_above_limit",
        "approved",
        "not_covered:segment",
        "missing_field:segment",
        "approved_term_capped",
    ]
    assert out["offered_monthly_rent"][1] == pytest.approx(95.0)  # the business price
    assert out[["score", "grade", "offered_monthly_rent"]].iloc[2:4].isna().all().all()
    # each routed row is exactly what its own release decides
    for i, engine in ((0, router.engines[0]), (1, router.engines[1]), (4, router.engines[1])):
        alone = engine.decide(rows.iloc[[i]]).iloc[0]
        pd.testing.assert_series_equal(
            out.iloc[i].drop("model"), alone, check_names=False, check_dtype=False
        )
    for i in range(len(rows)):
        one = router.decide_one(rows.iloc[i].to_dict())
        assert list(one) == list(out.columns)
        for key, value in one.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert pd.isna(out[key].iloc[i]), key
            else:
                assert (
                    value == pytest.approx(out[key].iloc[i])
                    if isinstance(value, float)
                    else value == out[key].iloc[i]
                ), key
    empty = router.decide(rows.iloc[:0])
    assert empty.dtypes.astype(str).tolist() == out.dtypes.astype(str).tolist()
    assert (
        router.decide(rows.drop(columns="segment"))["decision_reason"] == "missing_field:segment"
    ).all()


@pytest.mark.parametrize(
    ("other", "match"),
    [
        (
            {"segment": "consumer"},
            r"'tiny' and 'second' both decide applications with segment = consumer",
        ),
        ({}, r"both decide applications with segment = consumer"),
        ({"channel": "web"}, r"segment = consumer and channel = web"),
    ],
)
def test_overlapping_releases_are_one_config_error(other, match):
    second = {**TINY_LIMITS, "model": "second", "applies_to": other}
    engines = [_tiny_limits_engine(), DecisionEngine(Scorer(TINY_CARD), second, id_column=None)]
    with pytest.raises(ConfigError, match=match) as info:
        DecisionRouter(engines)
    assert "\n" not in str(info.value)


def test_cli_refuses_the_same_segment_twice(release_dir, apps, tmp_path, capsys):
    src, dst = tmp_path / "apps.parquet", tmp_path / "out.csv"
    apps.head(50).to_parquet(src)
    assert main(["decide", str(release_dir), str(release_dir), str(src), str(dst)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "both decide applications with segment = consumer" in err[0]
    assert not dst.exists()


def test_router_travels_to_dask_workers():
    """Dask ships the engine to its workers by pickle: the router and its engines (whose
    per-thread caches cannot be pickled) arrive and decide alike."""
    import pickle

    import dask.dataframe as dd

    from riskresearch import scale

    router = _tiny_router()
    rows = pd.DataFrame(
        [
            {**TINY_APP, "segment": s, "retail_price": p}
            for s in ("consumer", "enterprise", "x")
            for p in (1000.0, 7000.0)
        ]
    )
    shipped = pickle.loads(pickle.dumps(scale.batch._Shipped(router)))
    pd.testing.assert_frame_equal(shipped.engine.decide(rows), router.decide(rows))
    lazy = scale.decide_frame(dd.from_pandas(rows, npartitions=3), router)
    pd.testing.assert_frame_equal(lazy.compute(scheduler="sync"), router.decide(rows))


def test_write_decisions_refuses_an_unknown_suffix_and_writes_nothing(tmp_path):
    from riskresearch.decision import write_decisions

    frame = pd.DataFrame({"application_id": [1], "decision": ["approve"]})
    target = tmp_path / "decisions.xlsx"
    with pytest.raises(ConfigError) as err:
        write_decisions(frame, target)
    message = str(err.value)
    assert "\n" not in message and "decisions.xlsx" in message and ".csv or .parquet" in message
    assert list(tmp_path.iterdir()) == []
    written = write_decisions(frame, tmp_path / "decisions.csv")
    pd.testing.assert_frame_equal(pd.read_csv(written), frame)
