"""Release configs (`scorecards/<model>.yaml`): the shipped one validates, every bad key,
type or file is a one-line ConfigError naming it, and relative paths resolve against the
config file's folder (or `base`)."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from riskresearch import cli
from riskresearch.config import ModelConfig, config_from_dict, load_config
from riskresearch.errors import ConfigError
from tests.conftest import ROOT

SHIPPED = ROOT / "scorecards" / "consumer.yaml"


@pytest.fixture
def table(tmp_path):
    """A tiny modeling table (the config only checks that the file exists and its suffix)."""
    path = tmp_path / "data" / "table.parquet"
    path.parent.mkdir()
    pd.DataFrame(
        {
            "application_id": [1, 2, 3],
            "application_month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "bad": [0, 1, 0],
            "age": [30, 41, 25],
        }
    ).to_parquet(path, index=False)
    return path


def _write(tmp_path, text: str, name: str = "model.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _minimal(table) -> dict:
    return {"model": "m", "data": {"table": str(table), "target": "bad"}}


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message, message
    return message


# ------------------------------------------------------------------------------------------
# the shipped config
# ------------------------------------------------------------------------------------------
def test_shipped_config_validates_with_data_relative_to_its_folder(tmp_path):
    """consumer.yaml as committed, copied into a project with its data files present where
    its relative paths point from its own folder (a fresh clone has none, so tiny stand-ins
    are written there)."""
    (tmp_path / "scorecards").mkdir()
    config = tmp_path / "scorecards" / "consumer.yaml"
    config.write_text(SHIPPED.read_text())
    (tmp_path / "data").mkdir()
    pd.DataFrame({"bad": [0, 1]}).to_parquet(tmp_path / "data" / "modeling_table.parquet")
    (tmp_path / "data" / "leasing.duckdb").write_bytes(b"")  # only its existence is checked

    cfg = load_config(config)

    assert isinstance(cfg, ModelConfig)
    assert cfg.model == "consumer"
    assert cfg.data.table == tmp_path / "data" / "modeling_table.parquet"
    assert cfg.data.oracle == tmp_path / "data" / "leasing.duckdb"
    assert cfg.data.target == "bad"
    assert cfg.data.filter == {"segment": "consumer", "bad_mature": True}
    assert cfg.split_mode == "oot" and cfg.oot_months == 4 and cfg.split.oot_from is None
    assert cfg.binning.unseen == "worst"
    assert set(cfg.features.categorical) <= set(cfg.features.include)
    assert (cfg.scorecard.pdo, cfg.scorecard.base_score, cfg.scorecard.base_odds) == (20, 600, 50)
    assert cfg.source == config.resolve() and cfg.base == config.parent.resolve()


def test_shipped_config_in_a_fresh_clone_names_the_missing_table(tmp_path):
    (tmp_path / "scorecards").mkdir()
    config = tmp_path / "scorecards" / "consumer.yaml"
    config.write_text(SHIPPED.read_text())
    with pytest.raises(
        ConfigError,
        match=r"The 'data.table' file '../data/modeling_table.parquet' \(relative to "
        r"'.*scorecards'\) of the config '.*consumer.yaml' does not exist. Build it with "
        r"'riskresearch data build'",
    ) as exc:
        load_config(config)
    _one_line(exc)


def test_shipped_config_names_only_columns_of_the_modeling_table(modeling):
    """Validation does not read the table, so check the shipped config against the table the
    library builds: a renamed column would otherwise surface only inside a notebook."""
    raw = yaml.safe_load(SHIPPED.read_text())
    data = raw["data"]
    named = [data["target"], data["date_column"], data["id_column"], *data["filter"]]
    named += raw["features"]["include"]
    assert [c for c in named if c not in modeling.columns] == []
    for column, value in data["filter"].items():
        assert (modeling[column] == value).any(), column


# ------------------------------------------------------------------------------------------
# defaults and resolution
# ------------------------------------------------------------------------------------------
def test_minimal_config_takes_the_documented_defaults(table):
    cfg = config_from_dict(_minimal(table))
    assert cfg.data.target == "bad" and cfg.data.bad_value is None
    assert cfg.data.id_column is None and cfg.data.date_column is None
    assert cfg.data.oracle is None and cfg.data.filter == {}
    assert cfg.seed == 20240101
    assert cfg.split_mode == "random" and cfg.split.test_size == 0.3
    assert cfg.oot_months is None
    assert cfg.binning.max_n_bins == 8 and cfg.binning.unseen == "missing"
    assert (cfg.scorecard.pdo, cfg.scorecard.base_score, cfg.scorecard.base_odds) == (20, 600, 50)
    assert cfg.reject_inference.method == "none"
    assert cfg.segments is None


def test_two_line_config_from_a_file(tmp_path, table):
    path = _write(tmp_path, "model: loans\ndata:\n  table: data/table.parquet\n  target: bad\n")
    cfg = load_config(path)
    assert cfg.data.table == table
    assert cfg.split_mode == "random"


@pytest.mark.parametrize(
    ("split", "data", "mode", "oot_months"),
    [
        ({}, {"date_column": "application_month"}, "oot", 4),
        ({"oot_months": 2}, {"date_column": "application_month"}, "oot", 2),
        ({"oot_from": "2024-03-01"}, {"date_column": "application_month"}, "oot", None),
        ({"column": "sample"}, {}, "column", None),
        ({"column": "sample"}, {"date_column": "application_month"}, "column", None),
        ({"test_size": 0.2}, {}, "random", None),
    ],
)
def test_split_mode_follows_the_keys_given(table, split, data, mode, oot_months):
    raw = _minimal(table)
    raw["data"].update(data)
    cfg = config_from_dict({**raw, "split": split})
    assert cfg.split_mode == mode
    assert cfg.oot_months == oot_months


@pytest.mark.parametrize(
    ("split", "data", "match"),
    [
        ({"oot_months": 3}, {}, r"split.oot_months needs data.date_column"),
        ({"oot_from": "2024-03-01"}, {}, r"split.oot_from needs data.date_column"),
        ({"oot_months": 3, "oot_from": "2024-03-01"}, {"date_column": "d"}, r"keep one"),
        ({"column": "s", "oot_months": 2}, {"date_column": "d"}, r"two ways to split"),
        ({"column": "s", "train_value": "x", "test_value": "x"}, {}, r"give two values"),
        ({"test_size": 1.5}, {}, r"'split.test_size'.*Got 1.5"),
    ],
)
def test_contradictory_split_is_one_line_naming_the_keys(table, split, data, match):
    raw = _minimal(table)
    raw["data"].update(data)
    with pytest.raises(ConfigError, match=match) as exc:
        config_from_dict({**raw, "split": split})
    _one_line(exc)


def test_relative_paths_resolve_against_base(tmp_path, table):
    (tmp_path / "data" / "w.duckdb").write_bytes(b"")
    path = _write(
        tmp_path / "data",
        """
        model: m
        data:
          table: data/table.parquet
          target: bad
          oracle: data/w.duckdb
        """,
        name="elsewhere.yaml",
    )
    cfg = load_config(path, base=tmp_path)
    assert cfg.data.table == tmp_path / "data" / "table.parquet"
    assert cfg.data.oracle == tmp_path / "data" / "w.duckdb"


def test_relative_paths_resolve_against_the_config_folder_not_the_current_one(
    tmp_path, table, monkeypatch
):
    """A config is read the same from any folder: its paths are its folder's."""
    (tmp_path / "cfg").mkdir()
    path = _write(
        tmp_path / "cfg", "model: m\ndata:\n  table: ../data/table.parquet\n  target: bad\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data").mkdir()
    pd.DataFrame({"bad": [1]}).to_parquet(elsewhere / "data" / "table.parquet")
    monkeypatch.chdir(elsewhere)
    assert load_config(path).data.table == table
    assert load_config(Path(os.path.relpath(path, elsewhere))).data.table == table


def test_relative_path_is_not_found_against_another_base(tmp_path, table):
    other = tmp_path / "other"
    other.mkdir()
    raw = {"model": "m", "data": {"table": "data/table.parquet", "target": "bad"}}
    with pytest.raises(
        ConfigError, match=re.escape(f"'data/table.parquet' (relative to '{other}')")
    ):
        config_from_dict(raw, base=other)


def test_absolute_path_ignores_base(tmp_path, table):
    cfg = config_from_dict(_minimal(table), base=tmp_path / "somewhere" / "else")
    assert cfg.data.table == table


def test_without_base_relative_paths_are_from_the_current_folder(tmp_path, table, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config_from_dict({"model": "m", "data": {"table": "data/table.parquet", "target": "b"}})
    assert cfg.data.table.resolve() == table.resolve()


@pytest.mark.parametrize(
    ("section", "key"), [("strategy", "previous_release"), ("monitoring", "champion")]
)
def test_release_folder_pointing_nowhere_is_refused(tmp_path, table, section, key):
    raw = {**_minimal(table), section: {key: "consumer/0.9.0"}}
    with pytest.raises(
        ConfigError, match=rf"The '{section}.{key}' folder 'consumer/0.9.0' .* does not exist"
    ) as exc:
        config_from_dict(raw, base=tmp_path)
    _one_line(exc)
    (tmp_path / "consumer" / "0.9.0").mkdir(parents=True)
    cfg = config_from_dict(raw, base=tmp_path)
    assert getattr(getattr(cfg, section), key) == tmp_path / "consumer" / "0.9.0"


# ------------------------------------------------------------------------------------------
# one-line errors naming the key
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("colour: red", "colour"),
        ("binning:\n  max_bins: 6", "binning.max_bins"),
        ("data2:\n  table: x.csv", "data2"),
        ("scorecard:\n  base_points: 600", "scorecard.base_points"),
    ],
)
def test_unknown_key_is_one_line_naming_the_dotted_key(tmp_path, table, extra, key):
    path = _write(tmp_path, f"model: m\ndata:\n  table: {table}\n  target: bad\n{extra}\n")
    with pytest.raises(
        ConfigError,
        match=rf"^'{re.escape(key)}' is not a known key of the config '.*model.yaml'; remove it",
    ) as exc:
        load_config(path)
    _one_line(exc)


def test_unknown_key_inside_data_is_named(table):
    raw = {"model": "m", "data": {"table": str(table), "tagret": "bad"}}
    with pytest.raises(ConfigError, match=r"'data.tagret' is not a known key"):
        config_from_dict(raw)


@pytest.mark.parametrize(
    ("section", "match"),
    [
        (
            "binning:\n  max_n_bins: eight",
            r"The 'binning.max_n_bins' parameter of the config '.*': input should be a valid "
            r"integer.*Got 'eight' instead\.$",
        ),
        ("binning:\n  max_n_bins: 1", r"'binning.max_n_bins'.*greater than or equal to 2"),
        ("binning:\n  min_bin_size: 0.6", r"'binning.min_bin_size'.*Got 0.6 instead"),
        ("binning:\n  unseen: best", r"'binning.unseen'.*'missing', 'neutral'.*'best'"),
        (
            "binning:\n  min_bin_n_event: -3",
            r"'binning.min_bin_n_event'.*positive number of bads, 'sqrt' or null\. "
            r"Got -3 instead\.$",
        ),
        (
            "binning:\n  min_bin_n_event: lots",
            r"'binning.min_bin_n_event'.*'sqrt' or null\. Got 'lots' instead\.$",
        ),
        ("binning:\n  small_bins: maybe", r"'binning.small_bins'.*valid boolean.*Got 'maybe'"),
        ("seed: -1", r"'seed' parameter.*greater than or equal to 0. Got -1 instead"),
        ("scorecard:\n  pdo: -20", r"'scorecard.pdo'.*greater than 0. Got -20 instead"),
        ("split:\n  oot_months: 0", r"'split.oot_months'.*Got 0 instead"),
        ("split:\n  oot_from: '2024-13-01'", r"'split.oot_from'.*Got '2024-13-01'"),
        ("split:\n  test_size: 0", r"'split.test_size'.*Got 0 instead"),
        ("selection:\n  max_corr: 1.5", r"'selection.max_corr'.*Got 1.5 instead"),
        ("features:\n  include: age", r"'features.include'.*valid list.*Got 'age'"),
    ],
)
def test_wrong_value_names_key_and_value(tmp_path, table, section, match):
    path = _write(tmp_path, f"model: m\ndata:\n  table: {table}\n  target: bad\n{section}\n")
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(path)
    _one_line(exc)


def test_impossible_unquoted_date_is_a_config_error(tmp_path, table):
    """YAML reads an unquoted 2024-13-01 as a date and fails on it; that must still be the
    one-line ConfigError (the CLI prints only those; anything else is a traceback)."""
    path = _write(
        tmp_path,
        f"model: m\ndata:\n  table: {table}\n  target: b\nsplit:\n  oot_from: 2024-13-01\n",
    )
    with pytest.raises(ConfigError, match=r"'split\.oot_from'|month must be in 1\.\.12") as exc:
        load_config(path)
    _one_line(exc)


@pytest.mark.parametrize("name", ["../escape", "a/b", "with space", ""])
def test_model_name_must_be_a_plain_folder_name(table, name):
    """Releases go to scorecards/<model>/: a name with a slash would write elsewhere."""
    raw = {"model": name, "data": {"table": str(table), "target": "bad"}}
    with pytest.raises(ConfigError, match=rf"'model' parameter.*Got {re.escape(repr(name))}"):
        config_from_dict(raw)


def test_several_errors_stay_on_one_line(table):
    raw = {**_minimal(table), "seed": -1, "binning": {"max_n_bins": "eight", "max_bins": 2}}
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    message = _one_line(exc)
    for key in ("'seed'", "'binning.max_n_bins'", "'binning.max_bins'"):
        assert key in message


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"data": {"table": "t.csv", "target": "bad"}}, "model"),
        ({"model": "m", "data": {"target": "bad"}}, "data.table"),
        ({"model": "m", "data": {"table": "t.csv"}}, "data.target"),
    ],
)
def test_missing_required_key_is_named(raw, key):
    with pytest.raises(ConfigError, match=rf"The '{re.escape(key)}' key of the config .* required"):
        config_from_dict(raw)


# ------------------------------------------------------------------------------------------
# data files
# ------------------------------------------------------------------------------------------
def test_missing_table_names_file_and_key(tmp_path):
    missing = tmp_path / "nowhere.parquet"
    with pytest.raises(
        ConfigError,
        match=rf"The 'data.table' file '{re.escape(str(missing))}' of the config 'c.yaml' does "
        "not exist",
    ) as exc:
        config_from_dict(
            {"model": "m", "data": {"table": str(missing), "target": "b"}}, source="c.yaml"
        )
    _one_line(exc)


def test_missing_oracle_names_file_and_key(tmp_path, table):
    missing = tmp_path / "gone.duckdb"
    raw = {"model": "m", "data": {"table": str(table), "target": "b", "oracle": str(missing)}}
    with pytest.raises(
        ConfigError,
        match=rf"The 'data.oracle' file '{re.escape(str(missing))}' .* does not exist. Remove",
    ):
        config_from_dict(raw)


def test_table_of_another_format_is_rejected(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"not a table")
    with pytest.raises(ConfigError, match=r"'data.table' file .* must be .csv or .parquet"):
        config_from_dict({"model": "m", "data": {"table": str(path), "target": "bad"}})


def test_table_given_as_a_folder_is_rejected(tmp_path):
    folder = tmp_path / "table.parquet"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"'data.table' file .*table.parquet"):
        config_from_dict({"model": "m", "data": {"table": str(folder), "target": "b"}})


@pytest.mark.parametrize("suffix", [".csv", ".CSV", ".pq"])
def test_csv_and_parquet_tables_are_accepted(tmp_path, suffix):
    path = tmp_path / f"table{suffix}"
    path.write_text("bad\n0\n")
    raw = {"model": "m", "data": {"table": str(path), "target": "bad"}}
    assert config_from_dict(raw).data.table == path


# ------------------------------------------------------------------------------------------
# the file itself
# ------------------------------------------------------------------------------------------
def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match=r"The config file '.*absent.yaml' does not exist"):
        load_config(tmp_path / "absent.yaml")


def test_config_given_as_a_folder_says_so(tmp_path):
    with pytest.raises(ConfigError, match=r"The config '.*' is a folder. Give the path of a YAML"):
        load_config(tmp_path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "model: m\ndata:\n  table: [unclosed\n")
    with pytest.raises(ConfigError, match=r"'.*model.yaml' is not valid YAML at line \d+") as exc:
        load_config(path)
    _one_line(exc)


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("model: m\ndata:\n  table: {table}\nmodel: n\n", "model", "1 and 4"),
        (
            "model: m\ndata:\n  table: {table}\n  target: bad\n  table: other.csv\n",
            "table",
            "3 and 5",
        ),
        ("model: m\ndata: {{table: {table}, table: {table}}}\n", "table", "2 and 2"),
    ],
)
def test_duplicate_key_is_refused_naming_key_and_lines(tmp_path, table, text, key, lines):
    """PyYAML keeps the last of two equal keys; a config that says two things is refused."""
    path = _write(tmp_path, text.format(table=table))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert _one_line(exc) == (
        f"The config file '{path}' has the key '{key}' twice, at lines {lines}. Keep one of them."
    )


def test_duplicate_key_is_one_line_from_the_cli(tmp_path, table, capsys):
    path = _write(tmp_path, f"model: m\ndata:\n  table: {table}\n  table: {table}\n")
    assert cli.main(["release", str(path), "--version", "1.0.0"]) == 2
    # what is left on the terminal once the progress bar has erased itself ('\r')
    assert capsys.readouterr().err.rsplit("\r", 1)[-1] == (
        f"riskresearch: error: The config file '{path}' has the key 'table' twice, at lines 3 "
        "and 4. Keep one of them.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "model.yaml"]


def test_merge_key_may_be_overridden(tmp_path, table):
    """A key given after a '<<' merge overrides the merged one: not a duplicate."""
    text = f"""\
    model: m
    data:
      table: {table}
      target: bad
    reject_inference:
      declined_filter:
        <<: {{segment: consumer, bad_mature: true}}
        bad_mature: false
    """
    cfg = load_config(_write(tmp_path, text))
    assert cfg.reject_inference.declined_filter == {"segment": "consumer", "bad_mature": False}


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("", "NoneType")])
def test_config_must_be_a_mapping(tmp_path, text, kind):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"must be a mapping of keys. Got {kind}"):
        load_config(path)


# ------------------------------------------------------------------------------------------
# input ranges of the decision engine (strategy.range_factor, strategy.physical_limits)
# ------------------------------------------------------------------------------------------
def test_physical_limits_default_and_merge_with_a_config(table):
    limits = config_from_dict(_minimal(table)).strategy.physical_limits
    assert (limits["age"].min, limits["age"].max) == (16, 120)
    assert limits["monthly_rent"].min == 0 and limits["monthly_rent"].max is None
    assert limits["lease_term_months"].min == 1
    raw = _minimal(table)
    raw["strategy"] = {
        "range_factor": 2,
        "physical_limits": {"age": {"min": 18}, "retail_price": None, "fee": {"max": 99}},
    }
    cfg = config_from_dict(raw)
    limits = cfg.strategy.physical_limits
    assert cfg.strategy.range_factor == 2
    assert (limits["age"].min, limits["age"].max) == (18, None)  # the entry replaces the default
    assert "retail_price" not in limits  # null removes a default
    assert limits["fee"].max == 99 and limits["monthly_rent"].min == 0  # the rest stay
    raw["strategy"] = {"range_factor": None}
    assert config_from_dict(raw).strategy.range_factor is None  # no development-range rule


@pytest.mark.parametrize(
    ("section", "match"),
    [
        ({"range_factor": -1}, r"'strategy.range_factor'.*greater than or equal to 0"),
        (
            {"physical_limits": {"age": {"min": 120, "max": 16}}},
            r"'strategy.physical_limits.age'.*min \(120.0\) exceeds max \(16.0\)",
        ),
        ({"physical_limits": {"age": {"low": 1}}}, r"'strategy.physical_limits.age.low'"),
        (
            {"physical_limits": {"age": {"max": float("inf")}}},
            r"'strategy.physical_limits.age.max'.*finite",
        ),
    ],
)
def test_bad_input_limits_are_one_line(table, section, match):
    with pytest.raises(ConfigError, match=match) as exc:
        config_from_dict({**_minimal(table), "strategy": section})
    _one_line(exc)
