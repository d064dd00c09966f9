"""`riskresearch init`: a project folder a team can commit, never overwriting anything, and
the CLI's finish (`--version`, one-line errors ending in one full stop)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from riskresearch import cli
from riskresearch.config import load_config
from riskresearch.errors import ConfigError
from riskresearch.project import EXAMPLE_APPLICATIONS, init_project
from tests.conftest import ROOT


def test_init_writes_a_commented_config_a_readme_and_a_data_folder(tmp_path, capsys):
    folder = tmp_path / "credit"
    assert cli.main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        ".gitignore",
        "README.md",
        "data/README.md",
        "model.yaml",
    ]
    text = (folder / "model.yaml").read_text()
    raw = yaml.safe_load(text)
    assert set(raw) == {"model", "data", "seed"} and set(raw["data"]) == {"table", "target"}
    assert text.count("\n#") > 20  # every optional key is there, commented
    readme = (folder / "README.md").read_text()
    for step in ("riskresearch release model.yaml", "report.html", "binning.overrides"):
        assert step in readme
    assert "data/*" in (folder / ".gitignore").read_text()
    assert "riskresearch release" in out and "leasing" not in out
    assert not list(folder.glob(".riskresearch-init-*"))  # the staging folder is gone


def test_the_example_config_works_once_its_table_exists(tmp_path):
    """The config init writes validates as soon as the table it names is there."""
    init_project(tmp_path)
    (tmp_path / "data" / "applications.csv").write_text("bad,x\n0,1\n1,2\n")
    cfg = load_config(tmp_path / "model.yaml")
    assert cfg.data.table == tmp_path / "data" / "applications.csv"
    assert cfg.model == "my_scorecard" and cfg.split_mode == "random"


def test_init_never_overwrites_and_writes_nothing_when_it_refuses(tmp_path, capsys):
    (tmp_path / "model.yaml").write_text("mine\n")
    code = cli.main(["init", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("riskresearch: error: ") and "model.yaml" in err[0]
    assert err[0].endswith("move them away.")
    assert (tmp_path / "model.yaml").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml"]


def test_init_into_a_file_is_refused(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("")
    with pytest.raises(ConfigError, match=r"'.*x.txt' is a file. Give the folder"):
        init_project(target)


def test_init_example_brings_the_simulated_platform_and_its_config(tmp_path):
    written = init_project(tmp_path, example=True, seed=3)
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {
        "example.yaml",
        "data/leasing.duckdb",
        "data/modeling_table.parquet",
    }
    cfg = load_config(tmp_path / "example.yaml")
    assert cfg.data.table == tmp_path / "data" / "modeling_table.parquet"
    assert cfg.data.warehouse == tmp_path / "data" / "leasing.duckdb"
    import duckdb

    con = duckdb.connect(str(cfg.data.warehouse), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM applications").fetchall()[0][0]
    finally:
        con.close()
    assert n == EXAMPLE_APPLICATIONS
    # the one source of the example is the repository's consumer config
    shipped = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
    example = yaml.safe_load((tmp_path / "example.yaml").read_text())
    shipped["data"] = {
        k: v.replace("../data/", "data/") if isinstance(v, str) else v
        for k, v in shipped["data"].items()
    }
    assert example == shipped


def test_version_flag(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"riskresearch {metadata.version('riskresearch')}"


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("Fix it.", "Fix it."),
        ("Fix it", "Fix it."),
        ("Fix it..", "Fix it."),
        ("Lower it?", "Lower it?"),
        ("two\nlines.", "two lines."),
    ],
)
def test_error_lines_end_with_one_full_stop(message, line):
    assert cli.error_line(ConfigError(message)) == line


def test_release_errors_before_any_notebook_print_one_line_and_no_bar(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("x,default\n1,yes\n2,no\n3,yes\n")
    config = tmp_path / "m.yaml"
    config.write_text(f"model: m\ndata:\n  table: {table.name}\n  target: default\n")
    code = cli.main(["release", str(config)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.strip().count("\n") == 0, captured.err
    assert "Set data.bad_value" in captured.err and "building release" not in captured.err
    assert not (tmp_path / "m").exists()


def test_help_lists_init(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "init" in capsys.readouterr().out


def test_templates_ship_with_the_package():
    from importlib import resources

    folder = Path(str(resources.files("riskresearch") / "templates"))
    assert {"model.yaml", "README.md", "gitignore", "data_README.md", "consumer.yaml"} <= {
        p.name for p in folder.iterdir()
    }
