"""Tables from Chinese platforms: GBK / GB18030 CSVs, Chinese column names and category
values end to end (release, scorecard JSON, SQL in DuckDB, reason codes, score), and charts
that draw Chinese text."""

from __future__ import annotations

import json
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskresearch import cli, plots
from riskresearch.errors import ConfigError, DataError
from riskresearch.release import build_release
from riskresearch.scoring import Scorer
from riskresearch.tables import first_bad_byte, read_header, read_table

CITY, INCOME, SCORE, TARGET = "城市", "月收入", "芝麻分", "是否逾期"


def _table(n: int = 2400, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(["北京", "上海", "深圳", "成都", "西安"], n)
    income = rng.lognormal(9, 0.4, n).round(0)
    score = rng.normal(650, 60, n).round(0)
    logit = -1.5 - (score - 650) / 40 + 0.8 * (city == "西安") - 0.3 * (city == "上海")
    bad = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "是", "否")
    return pd.DataFrame({CITY: city, INCOME: income, SCORE: score, TARGET: bad})


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cn")
    (folder / "data").mkdir()
    _table().to_csv(folder / "data" / "申请.csv", index=False, encoding="gb18030")
    (folder / "model.yaml").write_text(
        "model: cn\ndata:\n  table: data/申请.csv\n  target: 是否逾期\n  bad_value: 是\n"
        "  encoding: gb18030\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def built(project):
    return build_release(project / "model.yaml", version="1.0.0")


# ------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------
def test_utf8_with_or_without_bom_reads_by_default(tmp_path):
    frame = _table(50)
    for name, enc in (("plain.csv", "utf-8"), ("excel.csv", "utf-8-sig")):
        frame.to_csv(tmp_path / name, index=False, encoding=enc)
        back = read_table(tmp_path / name)
        assert list(back.columns) == [CITY, INCOME, SCORE, TARGET]  # no '\ufeff' on the first
        assert back[CITY].tolist() == frame[CITY].tolist()


def test_gbk_file_read_as_utf8_is_one_line_with_the_byte_offset_and_the_fix(tmp_path):
    path = tmp_path / "gbk.csv"
    text = "a,b\n" + "x,1\n" * 3000 + "北京,2\n"
    path.write_bytes(text.encode("gb18030"))
    offset = len(("a,b\n" + "x,1\n" * 3000).encode("gb18030"))
    assert first_bad_byte(path, "utf-8-sig") == offset
    with pytest.raises(DataError) as exc:
        read_table(path, what="input file")
    message = str(exc.value)
    assert "\n" not in message
    assert f"The input file '{path}' is not UTF-8 text at byte {offset:,}." in message
    assert "--encoding gb18030" in message
    assert read_table(path, encoding="gb18030")["a"].iloc[-1] == "北京"
    assert read_header(path, encoding="gb18030") == ["a", "b"]


def test_unknown_encoding_is_one_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n")
    with pytest.raises(ConfigError, match=r"'klingon' is not a text encoding Python knows"):
        read_table(path, encoding="klingon")


def test_cli_score_of_a_gbk_file_without_encoding_names_the_option(
    built, project, tmp_path, capsys
):
    src = tmp_path / "new.csv"
    _table(30, seed=9).drop(columns=TARGET).to_csv(src, index=False, encoding="gb18030")
    code = cli.main(["score", str(built.path), str(src), str(tmp_path / "out.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "is not UTF-8 text at byte" in err[0] and "--encoding gb18030" in err[0]
    assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------------------------------
# end to end
# ------------------------------------------------------------------------------------------
def test_release_of_a_gbk_table_with_chinese_names(built):
    card = json.loads((built.path / "scorecard.json").read_text())
    assert {CITY, SCORE} <= set(card["features"])
    groups = {c for g in card["features"][CITY]["groups"] for c in g}
    assert groups == {"北京", "上海", "深圳", "成都", "西安"}
    assert '"城市"' in (built.path / "scorecard.sql").read_text()  # a quoted identifier
    assert built.metrics["test"]["auc"] > 0.7


def test_score_sql_and_reasons_agree_on_chinese_columns(built, project, tmp_path, capsys):
    new = _table(300, seed=11).drop(columns=TARGET)
    new.loc[3, CITY] = None
    src = tmp_path / "新申请.csv"
    new.to_csv(src, index=False, encoding="gb18030")
    out = tmp_path / "分数.csv"
    code = cli.main(["score", str(built.path), str(src), str(out), "--encoding", "gb18030"])
    assert code == 0, capsys.readouterr().err
    scores = pd.read_csv(out)
    scorer = Scorer(built.path / "scorecard.json")
    np.testing.assert_array_equal(scores["score"].to_numpy(), scorer.score(new).to_numpy())
    reasons = set(scores["reason_1"].dropna())
    assert reasons and reasons <= set(scorer.columns)
    con = duckdb.connect()
    con.register("apps", new)
    sql = (built.path / "scorecard.sql").read_text()
    in_db = con.execute(f"SELECT {sql} AS s FROM apps").fetchnumpy()["s"]
    np.testing.assert_allclose(in_db, scores["score"].to_numpy(), rtol=0, atol=1e-9)


def test_chart_draws_chinese_labels_without_missing_glyphs(built):
    """matplotlib warns 'Glyph ... missing from font(s)' when it draws a box for a character;
    with the CJK fallback nothing is missing, and the user's rcParams are left alone."""
    import io

    import matplotlib

    before = dict(matplotlib.rcParams)
    table = pd.read_csv(built.path / "binning_tables.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.woe_plot(table, CITY)
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
        fig = plots.bad_rate_plot(
            pd.DataFrame(
                {
                    "month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                    "sample": ["开发样本", "开发样本"],
                    "rows": [10, 12],
                    "bads": [1, 2],
                    "bad_rate": [0.1, 0.17],
                }
            )
        )
        fig.savefig(io.BytesIO(), format="png")
    assert dict(matplotlib.rcParams) == before
