"""A release you can trust: the manifest's schema, artifact names confined to the folder,
included parts that must list their artifacts, and the one-line refusals of every reader."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from riskresearch import cli, release
from riskresearch.config import config_from_dict
from riskresearch.errors import ConfigError, DataError
from riskresearch.manifest import ReleaseFolder, check_name, sha256_file


@pytest.fixture
def cfg(modeling_path):
    return config_from_dict({"model": "m", "data": {"table": str(modeling_path), "target": "bad"}})


@pytest.fixture
def folder(tmp_path, cfg) -> Path:
    """A sealed folder holding a scorecard part (stand-in files: only hashes are read)."""
    out = tmp_path / "m" / "1.0.0"
    out.mkdir(parents=True)
    for name in ("scorecard.json", "points.csv", "scorecard.sql", "binning.json"):
        (out / name).write_text(f"{name}\n")
    release.seal(out, cfg)
    return out


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _rewrite(folder: Path, manifest) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _cli_error(capsys, args) -> str:
    code = cli.main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("riskresearch: error: ")
    return err[0]


def test_a_sealed_folder_verifies_and_records_its_parts(folder):
    rf = ReleaseFolder.open(folder)
    assert rf.verify().ok
    parts = _manifest(folder)["parts"]
    assert parts["scorecard"] == {"included": True, "reason": None}
    assert parts["fraud"] == {"included": False, "reason": "not written"}


# ------------------------------------------------------------------------------------------
# names confined to the folder, refused before any file is opened
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../outside.txt", "leaves or loops"),
        ("notebooks/../../outside.txt", "leaves or loops"),
        ("/etc/hostname", "absolute path"),
        ("C:/x.txt", "absolute path"),
        ("a\\..\\b.txt", "backslash"),
        ("", "empty"),
        ("./scorecard.json", "leaves or loops"),
    ],
)
def test_names_outside_the_folder_are_refused(name, why):
    assert why in check_name(name)


@pytest.mark.parametrize("name", ["scorecard.json", "notebooks/01_data.ipynb", "a-b_c.1.csv"])
def test_plain_names_pass(name):
    assert check_name(name) is None


@pytest.mark.parametrize("outside_exists", [True, False])
def test_path_escape_is_refused_the_same_whether_the_outside_file_exists(
    folder, tmp_path, capsys, outside_exists
):
    """A manifest naming ../outside.txt with its true sha256 used to verify; with a wrong hash
    the error told whether the outside file exists. Now both are the same refusal."""
    outside = folder.parent / "outside.txt"
    if outside_exists:
        outside.write_text("secret\n")
    manifest = _manifest(folder)
    sha = sha256_file(outside) if outside_exists else "0" * 64
    manifest["artifacts"]["../outside.txt"] = {"sha256": sha, "bytes": 7, "kind": "table"}
    _rewrite(folder, manifest)
    with pytest.raises(DataError, match=r"lists the artifact '../outside.txt', which is refused"):
        release.verify_release(folder)
    line = _cli_error(capsys, ["verify", str(folder)])
    assert "exist" not in line.split("refused")[1]


def test_an_absolute_artifact_path_is_refused(folder):
    manifest = _manifest(folder)
    target = folder.parent / "abs.txt"
    target.write_text("x\n")
    manifest["artifacts"][str(target)] = {
        "sha256": sha256_file(target),
        "bytes": 2,
        "kind": "table",
    }
    _rewrite(folder, manifest)
    with pytest.raises(DataError, match=r"which is refused: it is an absolute path"):
        ReleaseFolder.open(folder)


def test_a_symlink_leading_out_of_the_folder_is_refused(folder, cfg):
    outside = folder.parent / "elsewhere.json"
    outside.write_text((folder / "scorecard.json").read_text())
    (folder / "scorecard.json").unlink()
    (folder / "scorecard.json").symlink_to(outside)
    release.seal(folder, cfg)  # the hash now matches the outside file's
    with pytest.raises(DataError, match=r"'scorecard.json' of .* leads out of the release folder"):
        ReleaseFolder.open(folder)


def test_a_symlinked_folder_inside_the_release_is_an_extra_file_not_followed(folder, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "big.bin").write_text("x")
    (folder / "notebooks").symlink_to(elsewhere, target_is_directory=True)
    check = release.verify_release(folder)
    assert check.extra == ["notebooks"]


# ------------------------------------------------------------------------------------------
# malformed manifests: one line, never a traceback
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda m: [m], r"holds a JSON list, not an object"),
        (lambda m: {**m, "artifacts": list(m["artifacts"])}, r"'artifacts'.*valid dictionary"),
        (
            lambda m: {
                **m,
                "artifacts": {**m["artifacts"], "points.csv": {"bytes": 1, "kind": "model"}},
            },
            r"'artifacts.points.csv.sha256'.*required",
        ),
        (
            lambda m: {
                **m,
                "artifacts": {
                    **m["artifacts"],
                    "points.csv": {"sha256": "abc", "bytes": 1, "kind": "model"},
                },
            },
            r"'artifacts.points.csv.sha256'.*Got 'abc'",
        ),
        (
            lambda m: {
                **m,
                "config": {**m["config"], "scorecard": {"n_reason_codes": "abc"}},
            },
            r"'scorecard.n_reason_codes' parameter of the config in the manifest .*Got 'abc'",
        ),
        (lambda m: {**m, "format": "something/9"}, r"'format'.*Got 'something/9'"),
        (lambda m: {k: v for k, v in m.items() if k != "model"}, r"'model' key .* required"),
    ],
)
def test_malformed_manifest_is_one_line(folder, capsys, mutate, match):
    _rewrite(folder, mutate(_manifest(folder)))
    with pytest.raises(DataError, match=match) as exc:
        ReleaseFolder.open(folder)
    assert "\n" not in str(exc.value)
    for args in (["verify", str(folder)], ["score", str(folder), "in.csv", "out.csv"]):
        line = _cli_error(capsys, args)
        assert "Rebuild or restore" in line


def test_broken_json_and_a_file_as_release(folder, capsys):
    (folder / "manifest.json").write_text("{not json")
    assert "is not valid JSON" in _cli_error(capsys, ["verify", str(folder)])
    assert "is a file, not a release folder" in _cli_error(
        capsys, ["verify", str(folder / "points.csv")]
    )


# ------------------------------------------------------------------------------------------
# parts and their artifacts
# ------------------------------------------------------------------------------------------
def test_an_included_part_that_lost_an_artifact_from_folder_and_manifest_fails(folder):
    manifest = _manifest(folder)
    del manifest["artifacts"]["points.csv"]
    (folder / "points.csv").unlink()
    _rewrite(folder, manifest)
    check = release.verify_release(folder)
    assert not check.ok and check.unlisted == ["points.csv"]
    assert "not listed though its part is included: points.csv" in check.describe()
    with pytest.raises(DataError, match=r"Refusing to score: .*points.csv"):
        release.load_scorer(folder)


def test_a_reader_names_the_part_the_release_lacks(folder):
    with pytest.raises(
        DataError,
        match=r"Cannot decide with '.*': the release has no strategy part \(skipped: not "
        r"written\)\. Use a release built with the strategy part\.",
    ):
        ReleaseFolder.open(folder, needs=("scorecard", "strategy"), purpose="decide")
    with pytest.raises(DataError, match=r"no gbm part"):
        release.load_gbm(folder)


def test_an_artifact_the_manifest_does_not_list_cannot_be_opened(folder):
    rf = ReleaseFolder.open(folder)
    with pytest.raises(DataError, match=r"lists no 'fraud.txt'"):
        rf.path("fraud.txt")


# ------------------------------------------------------------------------------------------
# immutable versions and leftovers of killed builds
# ------------------------------------------------------------------------------------------
def test_two_builds_publishing_one_version_at_once_leave_one_winner(tmp_path):
    """Both builds passed the 'exists' check; publishing is a create-if-absent, so exactly
    one succeeds and the loser's folder is not moved anywhere."""
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    builds = []
    for i in range(2):
        tmp = model_dir / f".build-17.0-{os.getpid()}-{i}"
        tmp.mkdir()
        (tmp / "manifest.json").write_text(f"build {i}\n")
        builds.append(tmp)
    target = model_dir / "17.0"
    results: list = [None, None]
    start = threading.Barrier(2)

    def publish(i: int) -> None:
        start.wait()
        try:
            release._move_into_place(builds[i], target, replace=False)
            results[i] = "published"
        except ConfigError as exc:
            results[i] = str(exc)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r == "published" for r in results) == [False, True]
    loser = results.index(next(r for r in results if r != "published"))
    assert "was published by another build meanwhile" in results[loser]
    winner = 1 - loser
    assert (target / "manifest.json").read_text() == f"build {winner}\n"
    assert builds[loser].is_dir()  # left for the loser's own cleanup (its except removes it)


def test_dev_is_replaced_but_a_numbered_version_never(tmp_path):
    model_dir = tmp_path / "m"
    (model_dir / "1.0").mkdir(parents=True)
    (model_dir / "1.0" / "a").write_text("old")
    tmp = model_dir / ".build-1.0-1-x"
    tmp.mkdir()
    with pytest.raises(ConfigError, match=r"published by another build meanwhile"):
        release._move_into_place(tmp, model_dir / "1.0", replace=False)
    assert (model_dir / "1.0" / "a").read_text() == "old"
    release._move_into_place(tmp, model_dir / "dev", replace=True)
    assert (model_dir / "dev").is_dir() and not tmp.exists()


def test_leftovers_of_killed_builds_go_at_the_start_of_any_build_of_the_model(tmp_path, cfg):
    """A killed build leaves .build-<version>-<pid>-*; the next build of the model removes it
    even when that build stops at once (here: its config is refused)."""
    (tmp_path / "m").mkdir()
    dead = 2**22 + 12345  # above any pid this machine hands out (pid_max 2^22)
    stale = tmp_path / "m" / f".build-2024-01-{dead}-abc123"
    stale.mkdir()
    (stale / "x").write_text("partial")
    old = tmp_path / "m" / f".old-dev-{dead}"
    old.mkdir()
    alive = tmp_path / "m" / ".build-9-1-zzz"  # pid 1 (init) is alive
    alive.mkdir()
    config = tmp_path / "m.yaml"
    config.write_text(f"model: m\ndata:\n  table: {cfg.data.table}\n  target: no_such_column\n")
    with pytest.raises(ConfigError, match=r"'data.target' names column"):
        release.build_release(config, version="3.0")
    assert not stale.exists() and not old.exists()
    assert alive.exists()  # a build still running elsewhere keeps its folder


def test_a_manifest_whose_fingerprint_does_not_match_its_artifacts_fails(folder):
    """The fingerprint printed in report.html is the manifest's; an edit of either shows."""
    from riskresearch.manifest import release_fingerprint

    manifest = _manifest(folder)
    models = {n: a["sha256"] for n, a in manifest["artifacts"].items() if a["kind"] == "model"}
    manifest["fingerprint"] = release_fingerprint(models)
    _rewrite(folder, manifest)
    assert release.verify_release(folder).ok
    manifest["fingerprint"] = "0" * 64
    _rewrite(folder, manifest)
    check = release.verify_release(folder)
    assert not check.ok and "fingerprint does not match" in check.describe()


def test_a_release_of_an_older_version_with_a_since_removed_key_stays_readable(folder):
    """Keys a later version removed (selection.min_gain) are ignored by readers; the types of
    the keys this version knows are still checked."""
    manifest = _manifest(folder)
    manifest["config"]["selection"]["min_gain"] = 0.0005
    _rewrite(folder, manifest)
    assert ReleaseFolder.open(folder).verify().ok
    manifest["config"]["selection"]["max_features"] = "many"
    _rewrite(folder, manifest)
    with pytest.raises(DataError, match=r"'selection.max_features'.*Got 'many'"):
        ReleaseFolder.open(folder)
