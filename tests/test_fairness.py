"""Prohibited features and their proxies never reach a release; outcomes by protected group
with the adverse-impact ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskresearch import development, fairness
from riskresearch.config import config_from_dict
from riskresearch.errors import ConfigError


def _cfg(tmp_path, df: pd.DataFrame, **fair):
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    raw = {"model": "m", "data": {"table": str(path), "target": "bad"}, "fairness": fair}
    return config_from_dict(raw)


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ethnicity = rng.choice(["a", "b", "c"], n)
    # 'district' gives the ethnicity away; 'income' is independent of it
    district = np.where(rng.random(n) < 0.9, ethnicity + "_district", "other")
    income = rng.lognormal(8, 0.4, n)
    bad = (rng.random(n) < 0.1 + 0.1 * (income < 2500)).astype(int)
    return pd.DataFrame(
        {"ethnicity": ethnicity, "district": district, "income": income, "bad": bad}
    )


def test_association_is_cramers_v():
    rng = np.random.default_rng(1)
    x = pd.Series(rng.choice(list("abc"), 5000))
    assert fairness.association(x, x) == pytest.approx(1.0)
    assert fairness.association(x, pd.Series(rng.choice(list("xyz"), 5000))) < 0.05
    # a 2x2 table by hand: V = |ad - bc| / sqrt((a+b)(c+d)(a+c)(b+d))
    a, b, c, d = 30, 10, 20, 40
    u = pd.Series(["p"] * (a + b) + ["q"] * (c + d))
    v = pd.Series(["r"] * a + ["s"] * b + ["r"] * c + ["s"] * d)
    expected = abs(a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    assert fairness.association(u, v) == pytest.approx(expected)
    # numbers are cut into quantile bins; a number and its own decile bin are fully associated
    num = pd.Series(rng.normal(size=2000))
    assert fairness.association(num, pd.qcut(num, 10, labels=False)) == pytest.approx(1.0)


def test_prohibited_column_and_its_proxy_are_never_candidates(tmp_path):
    cfg = _cfg(tmp_path, _table(), prohibited=["ethnicity"])
    df = development.load_table(cfg)
    feats, _ = development.candidate_features(df, cfg)
    assert feats == ["income"]
    roles = development.feature_roles(df, cfg).set_index("column")
    assert roles.loc["ethnicity", "role"] == "prohibited"
    assert roles.loc["district", "role"] == "excluded"
    assert "a proxy for the prohibited 'ethnicity' (association 0." in roles.loc["district", "why"]
    # a higher threshold lets the (strong, not perfect) proxy through
    loose = _cfg(tmp_path, _table(), prohibited=["ethnicity"], proxy_threshold=0.99)
    assert "district" in development.candidate_features(df, loose)[0]


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"features": {"include": ["income", "ethnicity"]}}, "features.include"),
        ({"gbm": {"features": ["ethnicity"]}}, "gbm.features"),
    ],
)
def test_a_prohibited_feature_named_in_the_config_is_refused(tmp_path, section, key):
    path = tmp_path / "t.csv"
    _table(50).to_csv(path, index=False)
    raw = {
        "model": "m",
        "data": {"table": str(path), "target": "bad"},
        "fairness": {"prohibited": ["ethnicity"]},
        **section,
    }
    with pytest.raises(ConfigError, match=rf"{key} names \['ethnicity'\], which fairness") as exc:
        config_from_dict(raw)
    assert "\n" not in str(exc.value)


def test_fairness_table_by_group_with_the_adverse_impact_ratio(tmp_path):
    rows = pd.DataFrame(
        {
            "age": [20, 22, 30, 31, 32, 40, 41, 60, 61, 62],
            "gender": list("ffmmffmmff"),
            "bad": [1, 0, 0, 0, 1, 0, 0, 0, np.nan, 0],
        }
    )
    score = np.array([500, 600, 610, 620, 400, 700, 710, 650, 660, 300], dtype=float)
    path = tmp_path / "t.csv"
    rows.to_csv(path, index=False)
    cfg = config_from_dict(
        {
            "model": "m",
            "data": {"table": str(path), "target": "bad"},
            "fairness": {"protected": {"age": [25, 50], "gender": None}},
        }
    )
    table = fairness.fairness_table(cfg, rows, score, cutoff=550).set_index(["attribute", "group"])
    young = table.loc[("age", "<25")]
    assert (young["rows"], young["approval_rate"], young["bad_rate"]) == (2, 0.5, 0.5)
    assert table.loc[("age", "25-50"), "approval_rate"] == pytest.approx(4 / 5)
    old = table.loc[("age", "50+")]
    assert old["approval_rate"] == pytest.approx(2 / 3)
    assert old["bad_rate"] == 0.0  # the missing outcome is left out
    best = 4 / 5
    assert young["adverse_impact_ratio"] == pytest.approx(0.5 / best)
    assert not young["four_fifths"] and table.loc[("age", "25-50"), "four_fifths"]
    f, m = table.loc[("gender", "f")], table.loc[("gender", "m")]
    # f: 500, 600, 400, 700, 660, 300 -> 3 of 6 at 550 or more; m: 610, 620, 710, 650 -> all
    assert f["approval_rate"] == pytest.approx(3 / 6) and m["approval_rate"] == 1.0
    assert f["adverse_impact_ratio"] == pytest.approx(0.5)
    assert m["mean_score"] == pytest.approx(np.mean([610, 620, 710, 650]))


def test_without_protected_columns_the_table_is_empty(tmp_path):
    cfg = _cfg(tmp_path, _table(50))
    assert fairness.fairness_table(cfg, _table(50), np.zeros(50)).empty
