"""The enterprise segment, shipped: the release of ``scorecards/enterprise.yaml`` (built by
papermill, once for this module, on the session's small simulated data) and a mixed consumer
+ enterprise file decided with both releases (``riskresearch decide CONSUMER ENTERPRISE IN
OUT``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from riskresearch import development, fraud, release, strategy
from riskresearch.cli import main
from riskresearch.config import config_from_dict
from riskresearch.decision import DecisionEngine, decision_inputs
from riskresearch.release import build_release, verify_release
from tests.conftest import ROOT
from tests.test_strategy import raw_config


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load((ROOT / "scorecards" / "enterprise.yaml").read_text())


@pytest.fixture(scope="module")
def enterprise(shipped, tmp_path_factory, warehouse, modeling_path):
    """The one release of this module: the shipped enterprise config on the small data."""
    raw = json.loads(json.dumps(shipped))
    for key in ("table", "oracle", "warehouse"):
        raw["data"][key] = str(modeling_path if key == "table" else warehouse)
    raw["gbm"]["num_boost_round"] = 150  # a short GBM: the release still carries its text
    folder = tmp_path_factory.mktemp("enterprise_cfg")
    path = folder / "enterprise.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return build_release(path, version="1.0.0", root=folder).path


@pytest.fixture(scope="module")
def consumer(modeling_path, warehouse, tmp_path_factory):
    """A consumer release written through the library (scorecard, fraud model, strategy)."""
    cfg = config_from_dict(raw_config(modeling_path, warehouse))
    out = tmp_path_factory.mktemp("consumer_release")
    development.write_scorecard(development.develop(cfg), out)
    fraud.write_fraud(fraud.develop_fraud(cfg), out)
    strategy.write_strategy(strategy.develop_strategy(cfg, out), out)
    release.seal(out, cfg)
    return out


def test_enterprise_release_uses_financial_industry_and_operating_status(enterprise, shipped):
    assert verify_release(enterprise).ok
    card = json.loads((enterprise / "scorecard.json").read_text())
    features = set(card["features"])
    assert features & {"current_ratio", "debt_ratio", "profit_margin", "annual_revenue"}
    assert features & {"tax_credit_grade", "legal_disputes", "company_age_years"}
    assert len(features) > 6  # more than the 6 the config allowed before
    # industry is binned in the config's coarse groups (selected on the default data)
    binning = json.loads((enterprise / "binning.json").read_text())
    groups = shipped["binning"]["overrides"]["industry"]["groups"]
    industry = json.dumps(binning["features"]["industry"])
    assert all(name in industry for group in groups for name in group)
    metrics = json.loads((enterprise / "metrics.json").read_text())
    assert metrics["oracle"]["ratio"] > 0.75
    assert (enterprise / "report.html").is_file()


def test_enterprise_strategy_declines_and_refers_the_risky_grades(enterprise, shipped):
    doc = strategy.read_strategy(enterprise / "strategy.json")
    assert doc["applies_to"] == {"segment": "enterprise"}
    assert doc["cutoff"] is not None and doc["decline"]["share"] > 0
    assert doc["expected"]["bad_rate"] <= shipped["strategy"]["max_bad_rate"] == 0.04
    worst = doc["grades"][-1]
    assert doc["decline"]["expected_bad_rate"] > worst["expected_bad_rate"]
    desk = [g["grade"] for g in doc["grades"] if g["enterprise_review"]]
    assert desk == ["D", "E"]  # the riskiest approved grades go to the enterprise desk
    prices = [g["price_multiplier"] for g in doc["grades"]]
    assert prices == sorted(prices) and doc["pricing"]["optimise_prices"] is True
    assert all(g["max_exposure"] is not None for g in doc["grades"])


def test_mixed_file_is_decided_by_each_segments_release(
    consumer, enterprise, modeling, warehouse, tmp_path, capsys
):
    rows = modeling.sort_values("application_id").tail(4000)
    apps = decision_inputs(rows, warehouse).reset_index(drop=True)
    ent = (apps["segment"] == "enterprise").to_numpy()
    assert 100 < ent.sum() < len(apps)
    src, dst = tmp_path / "apps.parquet", tmp_path / "decisions.parquet"
    apps.to_parquet(src)
    assert main(["decide", str(consumer), str(enterprise), str(src), str(dst)]) == 0
    out = capsys.readouterr().out
    assert f"decided {len(apps):,} applications" in out and "by release: consumer" in out
    got = pd.read_parquet(dst)
    assert got["application_id"].tolist() == apps["application_id"].tolist()
    assert got["model"].tolist() == np.where(ent, "enterprise", "consumer").tolist()
    assert not got["decision_reason"].str.startswith("not_covered").any()
    # each part is what its own release decides
    for folder, part in ((consumer, ~ent), (enterprise, ent)):
        alone = DecisionEngine.from_release(folder).decide(apps[part])
        pd.testing.assert_frame_equal(
            got[part].drop(columns="model").reset_index(drop=True),
            alone.reset_index(drop=True),
            check_dtype=False,
        )
    reasons = set(got.loc[ent, "decision_reason"])
    assert {"score_below_cutoff", "enterprise_review"} <= reasons
    assert reasons & {"approved", "approved_term_capped"}
    # the consumer release alone still refers every enterprise application
    single = DecisionEngine.from_release(consumer).decide(apps[ent])
    assert (single["decision_reason"] == "not_covered:segment").all()
