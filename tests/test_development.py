"""Scorecard development from a config on a team's own table: target spellings, the three
split modes, inferred feature roles, the row flow, and the checks made before any notebook
runs (``release.preflight``), each a one-line error naming the key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskresearch import development, parts
from riskresearch.config import config_from_dict
from riskresearch.errors import ConfigError, DataError
from riskresearch.release import preflight


def _table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    bad = (rng.random(n) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    return pd.DataFrame(
        {
            "income": rng.lognormal(8, 0.4, n).round(0),
            "score_x": x,
            "region": rng.choice(["north", "south", "east"], n),
            "code": rng.choice([11, 22, 33], n),  # categories stored as numbers
            "customer_name": [f"name {i}" for i in range(n)],
            "opened": pd.date_range("2024-01-01", periods=n, freq="D"),
            "bad": bad,
        }
    )


def _cfg(tmp_path, df: pd.DataFrame, suffix: str = ".csv", **data):
    path = tmp_path / f"table{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, index=False)
    extra = {k: v for k, v in data.items() if k in ("split", "features", "reject_inference")}
    data = {k: v for k, v in data.items() if k not in extra}
    raw = {"model": "m", "data": {"table": str(path), "target": "bad", **data}, **extra}
    return config_from_dict(raw)


# ------------------------------------------------------------------------------------------
# the target
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "bad_value"),
    [
        ([0, 1], None),
        ([0.0, 1.0], None),
        ([False, True], None),
        (["false", "true"], None),
        (["no", "yes"], "yes"),
        (["good", "default"], "default"),
        ([1, 2], 2),
        (["N", "Y"], "Y"),
    ],
)
def test_target_spellings_become_one_for_bad(tmp_path, values, bad_value):
    df = _table()
    truth = df["bad"].to_numpy()
    df["bad"] = np.where(truth == 1, values[1], values[0]).astype(object)
    data = {"bad_value": bad_value} if bad_value is not None else {}
    cfg = _cfg(tmp_path, df, **data)
    loaded = development.load_table(cfg)
    assert loaded["bad"].dtype.kind == "i"
    np.testing.assert_array_equal(loaded["bad"].to_numpy(), truth)


@pytest.mark.parametrize(
    ("values", "bad_value", "match"),
    [
        (
            ["good", "bad"],
            None,
            r"must be 0/1 or true/false; it has 'bad', 'good'. Set "
            r"data.bad_value",
        ),
        ([0, 1, 2], None, r"it has 2\. Set data.bad_value"),
        (
            ["a", "b", "c"],
            "a",
            r"must be 'a' \(bad\) and one other value \(good\); it has 'b', "
            r"'c'",
        ),
    ],
)
def test_target_of_other_values_is_one_line_naming_them(tmp_path, values, bad_value, match):
    df = _table(300)
    df["bad"] = np.resize(np.array(values, dtype=object), len(df))
    data = {"bad_value": bad_value} if bad_value is not None else {}
    cfg = _cfg(tmp_path, df, **data)
    with pytest.raises(DataError, match=match) as exc:
        preflight(cfg)
    assert "\n" not in str(exc.value)


def test_missing_target_after_the_filter_is_refused(tmp_path):
    df = _table()
    df.loc[5, "bad"] = np.nan
    cfg = _cfg(tmp_path, df)
    with pytest.raises(DataError, match=r"The target 'bad' is missing in 1 row\(s\)"):
        preflight(cfg)


# ------------------------------------------------------------------------------------------
# the split
# ------------------------------------------------------------------------------------------
def test_random_split_is_stratified_seeded_and_complete(tmp_path):
    df = _table(1000)
    cfg = _cfg(tmp_path, df)
    train, test = development.load_split(cfg)
    assert len(test) == 300 and len(train) == 700
    # stratified: the bad rates agree to one row's worth
    assert abs(train.bad.mean() - test.bad.mean()) < 2 / len(test)
    assert sorted([*train.customer_name, *test.customer_name]) == sorted(df.customer_name)
    again = development.load_split(cfg)[1]
    assert again.customer_name.tolist() == test.customer_name.tolist()  # the config's seed
    other = config_from_dict({**cfg.model_dump(mode="json"), "seed": 1})
    assert development.load_split(other)[1].customer_name.tolist() != test.customer_name.tolist()


def test_split_column_keeps_train_and_test_and_counts_the_rest(tmp_path):
    df = _table(300)
    df["sample"] = np.resize(["train", "train", "test", "holdout"], len(df))
    cfg = _cfg(tmp_path, df, split={"column": "sample"})
    train, test = development.load_split(cfg)
    assert set(train["sample"]) == {"train"} and len(train) == (df["sample"] == "train").sum()
    assert set(test["sample"]) == {"test"} and len(test) == (df["sample"] == "test").sum()
    flow = development.row_flow(cfg).set_index("step")
    left_out = flow.loc["split.column sample (other values left out)", "removed"]
    assert left_out == (df["sample"] == "holdout").sum()
    assert flow.loc["development rows", "rows"] == len(train)
    assert "sample" not in development.candidate_features(train, cfg)[0]


def test_split_column_without_test_rows_names_its_values(tmp_path):
    df = _table(100)
    df["sample"] = np.resize(["dev", "oot"], len(df))
    cfg = _cfg(tmp_path, df, split={"column": "sample"})
    with pytest.raises(
        DataError,
        match=r"No row has split.column 'sample' = 'train'.*\['dev', "
        r"'oot'\]; set split.train_value",
    ):
        preflight(cfg)


def test_out_of_time_split_with_a_date_column(tmp_path):
    df = _table(400)
    cfg = _cfg(tmp_path, df, date_column="opened", split={"oot_months": 2})
    train, test = development.load_split(cfg)
    months = pd.to_datetime(df.opened).dt.to_period("M")
    assert test.opened.dt.to_period("M").min() == sorted(months.unique())[-2]
    assert train.opened.max() < test.opened.min()
    assert development.split_summary(cfg, train, test).index.tolist() == [
        "development",
        "out-of-time",
    ]


def test_dates_that_are_not_dates_are_one_line(tmp_path):
    df = _table(50)
    df["opened"] = "soon"
    cfg = _cfg(tmp_path, df, date_column="opened")
    with pytest.raises(
        DataError,
        match=r"The date column 'opened' holds values that are not "
        r"dates \(e.g. 'soon'\)",
    ):
        preflight(cfg)


# ------------------------------------------------------------------------------------------
# features and roles
# ------------------------------------------------------------------------------------------
def test_every_other_column_is_a_feature_with_an_inferred_type(tmp_path):
    df = _table()
    cfg = _cfg(tmp_path, df, date_column="opened")
    loaded = development.load_table(cfg)
    feats, categorical = development.candidate_features(loaded, cfg)
    assert feats == ["income", "score_x", "region", "code"]
    assert categorical == ["region"]  # numbers stay numerical unless listed
    roles = development.feature_roles(loaded, cfg).set_index("column")
    assert roles.loc["customer_name", "role"] == "excluded"
    assert "an identifier?" in roles.loc["customer_name", "why"]
    assert roles.loc["opened", "role"] == "date" and roles.loc["bad", "role"] == "target"
    assert roles.loc["code", "override"].startswith("features.categorical")


def test_listed_categoricals_and_exclusions_override_the_inference(tmp_path):
    df = _table()
    cfg = _cfg(tmp_path, df, features={"categorical": ["code", "region"], "exclude": ["income"]})
    loaded = development.load_table(cfg)
    feats, categorical = development.candidate_features(loaded, cfg)
    assert "income" not in feats and set(categorical) == {"code", "region"}
    profile = development.profile(cfg, loaded).set_index("column")
    assert profile.loc["code", "type"] == "categorical"
    assert profile.loc["income", "why"] == "features.exclude"
    assert profile.loc["income", "role"] == "excluded"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"id_column": "app_id"}, "data.id_column"),
        ({"date_column": "when"}, "data.date_column"),
        ({"weight_column": "w"}, "data.weight_column"),
        ({"filter": {"segment": "x"}}, "data.filter"),
        ({"features": {"include": ["income", "incme"]}}, "features.include"),
        ({"features": {"categorical": ["Region"]}}, "features.categorical"),
        ({"split": {"column": "sample"}}, "split.column"),
        (
            {"reject_inference": {"method": "parceling", "declined_filter": {"declined": True}}},
            "reject_inference.declined_filter",
        ),
    ],
)
def test_every_column_the_config_names_is_checked_before_any_notebook(tmp_path, extra, key):
    cfg = _cfg(tmp_path, _table(50), **extra)
    with pytest.raises(
        ConfigError,
        match=rf"^'{key}' names column\(s\) .* that the table "
        r"'table.csv' lacks",
    ) as exc:
        preflight(cfg)
    assert "\n" not in str(exc.value)


def test_a_near_miss_column_name_is_suggested(tmp_path):
    cfg = _cfg(tmp_path, _table(50), features={"categorical": ["REGION"]})
    with pytest.raises(ConfigError, match=r"did you mean \['region'\]\?"):
        preflight(cfg)


def test_target_column_missing_from_the_table_is_named(tmp_path):
    df = _table(50).rename(columns={"bad": "default_flag"})
    cfg = _cfg(tmp_path, df)
    with pytest.raises(ConfigError, match=r"'data.target' names column\(s\) \['bad'\]"):
        preflight(cfg)


def test_configured_reject_inference_without_declined_rows_is_refused_early(tmp_path):
    df = _table(100)
    df["declined"] = False
    cfg = _cfg(tmp_path, df, reject_inference={"method": "parceling"})
    with pytest.raises(
        ConfigError,
        match=r"reject_inference.method is 'parceling' but no row "
        r"of the table matches",
    ):
        preflight(cfg)


def test_preflight_reads_parquet_as_well(tmp_path):
    cfg = _cfg(tmp_path, _table(80), suffix=".parquet")
    assert "customer_name" in preflight(cfg)


# ------------------------------------------------------------------------------------------
# parts a table cannot feed
# ------------------------------------------------------------------------------------------
def test_plain_table_builds_the_scorecard_parts_and_skips_the_rest_with_reasons(tmp_path):
    cfg = _cfg(tmp_path, _table(50))
    planned = {p.part.name: p for p in parts.plan(cfg)}
    assert [n for n, p in planned.items() if p.included] == ["data", "binning", "scorecard", "gbm"]
    assert "data.warehouse" in planned["fraud"].reason
    assert "retail_price" in planned["strategy"].reason
    assert "data.date_column" in planned["monitoring"].reason
    table = parts.plan_table(cfg)
    assert (table.status == "skipped").sum() == 6 and table.reason.str.len().gt(0).sum() == 6


def test_switched_off_parts_say_so(tmp_path):
    df = _table(50)
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    cfg = config_from_dict(
        {"model": "m", "data": {"table": str(path), "target": "bad"}, "gbm": {"enabled": False}}
    )
    gbm = {p.part.name: p for p in parts.plan(cfg)}["gbm"]
    assert not gbm.included and gbm.reason == "switched off (gbm.enabled: false)"


def test_monthly_bad_rate_without_dates_is_a_skip_that_plots_nothing(tmp_path):
    from riskresearch import plots

    cfg = _cfg(tmp_path, _table(50))
    train, test = development.load_split(cfg)
    monthly = development.monthly_bad_rate(cfg, train, test)
    assert isinstance(monthly, parts.Skipped) and "no date column" in monthly.reason
    assert plots.bad_rate_plot(monthly) is None
    assert "Skipped: the table has no date column" in monthly._repr_html_()
    assert monthly.table is monthly  # a later attribute access stays the same skip
