"""The message catalogue of the reports (riskresearch.messages): both languages carry the same
keys and placeholders, lookups follow the chosen language, chart texts and number formats are
translated, and a bad language is one line."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from riskresearch import messages, plots
from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError
from riskresearch.messages import (
    catalogue,
    column,
    figure_text,
    figure_texts,
    language,
    placeholders,
    t,
    translate_figure,
)
from riskresearch.report import fmt as f

HAN = re.compile(r"[\u4e00-\u9fff]")


def _texts(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalogue(lang).items() if k not in ("columns", "figure", "reason")}


def test_every_key_is_in_both_languages_with_the_same_placeholders():
    en, zh = _texts("en"), _texts("zh-CN")
    assert len(en) > 250
    assert set(en) == set(zh)
    for key in en:
        assert isinstance(en[key], str) and isinstance(zh[key], str), key
        assert placeholders(en[key]) == placeholders(zh[key]), key
        assert en[key].strip() or key.startswith("format."), key  # no empty message


def test_chinese_messages_are_chinese_and_keep_the_html_of_the_english():
    en, zh = _texts("en"), _texts("zh-CN")
    untranslated = [k for k in zh if zh[k] == en[k] and re.search(r"[a-z]{3,}", en[k])]
    assert untranslated == []  # every sentence and heading with words is translated
    for key in en:  # literal HTML (code, entities) survives translation
        for tag in ("<code>", "&times;", "&minus;"):
            assert en[key].count(tag) == zh[key].count(tag), (key, tag)
    headings = [k for k in zh if k.endswith(".title")]
    assert headings and all(HAN.search(zh[k]) for k in headings)


def test_chart_and_column_translations_keep_their_placeholders():
    zh = catalogue("zh-CN")
    assert len(zh["figure"]) > 100 and len(zh["columns"]) > 200
    pairs = [*zh["figure"].items(), *zh["columns"].items(), *zh["reason"].items()]
    for en_text, zh_text in pairs:
        assert placeholders(en_text) == placeholders(zh_text), en_text
        text = re.sub(r"\{\w+\}|\w*[._]\w+(\.\w+)*|false", "", zh_text)  # config keys stay
        words = re.findall(r"[A-Za-z]{4,}", text)
        assert set(words) <= {"Gini", "SHAP", "Wilson", "sha256"}, en_text  # names stay


def test_lookup_follows_the_language_and_restores_it():
    assert messages.current() == "en"
    assert t("purpose.title") == "Purpose and scope"
    with language("zh-CN"):
        assert t("purpose.title") == "目的与范围"
        assert t("cover.excluded", step="保留 已成熟 = true", n="1,204") == (
            "保留 已成熟 = true：剔除 1,204 行"
        )
        assert column("bad rate") == "坏账率"
        assert column("城市") == "城市"  # a feature name stays as it is
        with language(None):  # None keeps the current language
            assert messages.current() == "zh-CN"
    assert messages.current() == "en"
    assert column("bad rate") == "bad rate"


def test_unknown_language_and_key_are_one_line():
    with pytest.raises(ConfigError, match=r"must be one of 'en', 'zh-CN'\. Got 'zh' instead\."):
        with language("zh"):
            pass
    with pytest.raises(KeyError, match=r"'purpose\.nope' is not in the en catalogue"):
        t("purpose.nope")


def test_report_language_config_key(tmp_path):
    data = {"table": "t.csv", "target": "y"}
    assert ModelConfig.model_validate({"model": "m", "data": data}).report.language == "en"
    cfg = ModelConfig.model_validate({"model": "m", "data": data, "report": {"language": "zh-CN"}})
    assert cfg.report.language == "zh-CN"
    from riskresearch.config import load_config

    (tmp_path / "t.csv").write_text("y\n1\n")
    (tmp_path / "m.yaml").write_text(
        "model: m\ndata:\n  table: t.csv\n  target: y\nreport:\n  language: fr\n"
    )
    with pytest.raises(ConfigError, match=r"report\.language") as exc:
        load_config(tmp_path / "m.yaml")
    assert "\n" not in str(exc.value) and "zh-CN" in str(exc.value)


def test_templated_chart_texts_are_translated_with_their_values():
    assert figure_text("KS, development rows") == "KS, development rows"  # English: unchanged
    with language("zh-CN"):
        assert figure_text("KS, development rows") == "KS，开发样本"
        assert figure_text("scorecard (AUC 0.812, Gini 0.624)") == "评分卡（AUC 0.812，Gini 0.624）"
        assert figure_text("Vintages: ever 60+ days past due by amount") == (
            "账龄分析：按金额曾逾期 60 天以上"
        )
        # the most specific template wins over "{sample} rows"
        assert figure_text("Scorecard vs GBM challenger, test rows") == (
            "评分卡与 GBM 挑战者对比，测试样本"
        )
        assert figure_text("城市") == "城市"  # a feature name, no catalogue text
        assert figure_text("0.25") == "0.25"


def test_skip_reasons_of_other_modules_are_translated_with_their_values():
    from riskresearch.messages import reason_text

    why = "needs the raw tables of data.warehouse (instalments and payments of leases)"
    assert reason_text(why) == why
    with language("zh-CN"):
        assert reason_text(why) == "需要 data.warehouse 中的原始表（租约的分期账单和还款）"
        off = reason_text("switched off (fraud.enabled: false)")
        assert off == "已关闭（fraud.enabled: false）"
        assert reason_text("a reason no module writes") == "a reason no module writes"
        assert reason_text(None) is None


def test_number_and_date_formats_per_language():
    stamp = pd.Timestamp("2025-03-01")
    assert (f.month(stamp), f.date("2025-12-07")) == ("2025-03", "2025-12-07")
    assert f.interval(0.812, 0.805, 0.819) == "0.812 (0.805 to 0.819)"
    assert f.bin_label("[22324.5, 1.64981e+06)") == "[22,324.5 to 1,649,810)"
    assert f.words(["a", "b", "c"], "or") == "a, b or c"
    with language("zh-CN"):
        assert (f.month(stamp), f.date("2025-12-07")) == ("2025年3月", "2025年12月7日")
        assert f.interval(0.812, 0.805, 0.819) == "0.812（0.805 至 0.819）"
        assert f.bin_label("[22324.5, 1.64981e+06)") == "[22,324.5 至 1,649,810)"
        assert f.words(["a", "b", "c"]) == "a、b和c"
        assert (f.yes_no(True), f.yes_no(False)) == ("是", "否")
        assert (f.count(12432), f.pct(0.0848), f.money(-16200584.4)) == (
            "12,432",
            "8.48%",
            "-16,200,584",
        )
        table = f.table(pd.DataFrame({"bad_rate": [0.1], "城市": ["北京"]}), caption="样本")
        assert table.columns == ["坏账率", "城市"] and table.summary == "样本：1 行"


def test_a_chart_drawn_in_english_reads_chinese_without_missing_glyphs():
    """The plotting functions draw in English; the report rewrites every title, axis label and
    legend entry, and the CJK font fallback draws them (matplotlib warns 'Glyph ... missing'
    for a character it draws as a box)."""
    import io

    import numpy as np

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    score = rng.normal(600, 50, 400) - 30 * y
    with language("zh-CN"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = translate_figure(plots.ks_plot(y, score=score))
        texts = figure_texts(fig)
        fig.savefig(io.BytesIO(), format="png")
    assert texts[0] == "KS：好坏样本的累积分布"
    assert "分数（阈值）" in texts and "好样本" in texts and "坏样本" in texts
    assert not [x for x in texts if re.search(r"[A-Za-z]{4,}", x)]  # no English word left


@pytest.mark.parametrize(
    "command",
    [
        ["arrears", "report", "w.duckdb", "out.html"],
        ["partners", "report", "w.duckdb", "--out", "out.html"],
        ["monitor", "release", "new.csv"],
    ],
)
def test_cli_language_is_checked_first_in_one_line(command, tmp_path, capsys):
    from riskresearch import cli

    assert cli.main([*command, "--language", "fr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "riskresearch: error: The --language must be one of 'en', 'zh-CN'. Got 'fr' instead."
    ]
