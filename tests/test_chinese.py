"""Tables from Chinese platforms: GBK / GB18030 CSVs, Chinese column names and category
values end to end (release, scorecard JSON, SQL in DuckDB, reason codes, score, decide), a
model document in Chinese (report.language: zh-CN) and charts that draw Chinese text."""

from __future__ import annotations

import json
import re
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
    frame = pd.DataFrame({CITY: city, INCOME: income, SCORE: score, TARGET: bad})
    # the device, price and term of each lease: the strategy part (grades, terms, decide)
    frame["device_category"] = rng.choice(["手机", "笔记本", "平板"], n)
    frame["retail_price"] = rng.choice([2999.0, 5999.0, 8999.0], n)
    frame["price_vs_retail"] = rng.uniform(0.95, 1.1, n).round(3)
    frame["lease_term_months"] = rng.choice([6, 12, 24], n)
    frame["monthly_rent"] = (frame["retail_price"] * 1.2 / frame["lease_term_months"]).round(0)
    return frame


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cn")
    (folder / "data").mkdir()
    _table().to_csv(folder / "data" / "申请.csv", index=False, encoding="gb18030")
    (folder / "model.yaml").write_text(
        "model: cn\ndata:\n  table: data/申请.csv\n  target: 是否逾期\n  bad_value: 是\n"
        "  encoding: gb18030\nreport:\n  language: zh-CN\nstrategy:\n  max_bad_rate: 0.3\n",
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
        assert list(back.columns) == list(frame.columns)  # no '\ufeff' on the first
        assert list(back.columns)[:4] == [CITY, INCOME, SCORE, TARGET]
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


def test_decide_a_gbk_file_with_chinese_names_and_values(built, tmp_path, capsys):
    new = _table(200, seed=13).drop(columns=TARGET)
    src = tmp_path / "新申请.csv"
    new.to_csv(src, index=False, encoding="gb18030")
    out = tmp_path / "决策.csv"
    code = cli.main(["decide", str(built.path), str(src), str(out), "--encoding", "gb18030"])
    assert code == 0, capsys.readouterr().err
    decisions = pd.read_csv(out)
    assert len(decisions) == len(new)
    assert set(decisions["decision"]) <= {"approve", "refer", "decline"}
    scores = Scorer(built.path / "scorecard.json").score(new).to_numpy()
    np.testing.assert_array_equal(decisions["score"].to_numpy(), scores)  # the same scorecard
    reasons = set(decisions[[c for c in decisions if c.startswith("reason_")]].stack())
    assert CITY in reasons or SCORE in reasons  # reason codes name the Chinese features
    code = cli.main(["decide", str(built.path), str(src), str(tmp_path / "x.csv")])
    assert code == 2 and "--encoding gb18030" in capsys.readouterr().err


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


# ------------------------------------------------------------------------------------------
# the model document in Chinese
# ------------------------------------------------------------------------------------------
def _visible(html_text: str, tags: str) -> list[str]:
    """The text of every element of ``tags`` (e.g. ``h2|h3``), tags and section numbers out."""
    found = re.findall(rf"<({tags})\b[^>]*>(.*?)</\1>", html_text, flags=re.S)
    out = []
    for _, inner in found:
        inner = re.sub(r'<span class="number">[^<]*</span>', "", inner)
        out.append(" ".join(re.sub(r"<[^>]+>", "", inner).split()))
    return out


HEADINGS = "h1|h2|h3|h4|caption|dt|summary"


@pytest.fixture(scope="module")
def documents(built, project):
    """The release's own report.html (zh-CN, written by the release) and the same release
    rendered in English, both without a missing glyph."""
    from riskresearch.config import load_config
    from riskresearch.report import render

    cfg = load_config(project / "model.yaml")
    english = cfg.model_copy(update={"report": cfg.report.model_copy(update={"language": "en"})})
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*Glyph .* missing")
        en = render(built.path, english, "1.0.0")
    return (built.path / "report.html").read_text(encoding="utf-8"), en, cfg


def test_zh_cn_document_has_the_chinese_headings_and_no_english_one(documents):
    from riskresearch.messages import catalogue

    zh_doc, en_doc, _ = documents
    assert '<html lang="zh-CN">' in zh_doc and '<html lang="en">' in en_doc
    en, zh = catalogue("en"), catalogue("zh-CN")
    en_headings, zh_headings = set(_visible(en_doc, HEADINGS)), set(_visible(zh_doc, HEADINGS))
    # the catalogue's fixed headings (no placeholder) the English document shows
    keys = [k for k, v in en.items() if isinstance(v, str) and "{" not in v and v in en_headings]
    assert len(keys) >= 25
    for key in keys:
        assert zh[key] in zh_headings, key  # the Chinese heading is there ...
        assert en[key] not in zh_headings, key  # ... and the English one is not
        assert zh[key] not in en_headings, key
    for title in ("目的与范围", "数据与样本", "分箱", "模型表现", "稳定性与监控基线", "可复现性"):
        assert title in zh_headings
    assert "目录" in zh_headings and "Contents" not in zh_headings
    # table headers in Chinese; feature names and category values as they are in the data
    headers = set(_visible(zh_doc, "th"))
    assert {"坏账率", "分箱", "特征", "分值", "样本"} <= headers
    assert not headers & {"bad rate", "bin", "feature", "points", "sample"}
    assert "城市" in zh_doc and "西安" in zh_doc and "芝麻分" in zh_doc
    # numbers and dates in the Chinese formats
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", zh_doc)
    assert re.search(r"\d\.\d{3}（\d\.\d{3} 至 \d\.\d{3}）", zh_doc)  # AUC and interval


def test_zh_cn_document_sentences_are_chinese(documents):
    """Every paragraph and list item that is an English sentence in the English document is
    Chinese in the zh-CN one (the same release: the same paragraphs in the same order)."""
    zh_doc, en_doc, _ = documents
    zh, en = _visible(zh_doc, "p|li"), _visible(en_doc, "p|li")
    assert len(zh) == len(en) > 40
    sentences = [(z, e) for z, e in zip(zh, en) if re.search(r"[A-Za-z]+ [a-z]+ [a-z]+ ", e)]
    assert len(sentences) > 30
    assert [e for z, e in sentences if not re.search(r"[\u4e00-\u9fff]", z)] == []


def test_zh_cn_document_charts_have_chinese_labels(built, documents):
    """Every chart of the document: title, axis labels and legend in Chinese (rendered
    without a missing glyph by the fixture), feature names as they are."""
    from riskresearch.messages import language
    from riskresearch.report.context import Context
    from riskresearch.report.document import _written, sections
    from riskresearch.report.fmt import Image

    _, _, cfg = documents
    with language("zh-CN"), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*Glyph .* missing")
        ctx = Context(cfg, built.path, "1.0.0", _written(cfg, built.path), "2026-12-07")
        found = sections(ctx)

    def images(secs):
        for sec in secs:
            yield from (b for b in sec.blocks if isinstance(b, Image))
            yield from images(sec.subsections)

    charts = list(images(found))
    assert len(charts) >= 6
    for chart in charts:
        texts = [x for x in chart.texts if x not in (CITY, INCOME, SCORE)]
        assert texts, chart.alt
        names = [re.sub(r"Gini|SHAP|Wilson", "", x) for x in texts]  # kept as they are
        english = [x for x in names if re.search(r"[A-Za-z]{4,}", x)]
        assert english == [], chart.alt
        assert any(re.search(r"[\u4e00-\u9fff]", x) for x in texts), chart.alt
    woe = next(c for c in charts if c.ident == f"woe-{CITY}")
    assert CITY in woe.texts and "WOE > 0（风险较低）" in woe.texts
