"""A release folder you can trust: the manifest's schema, artifact names confined to the
folder, verify-then-load, and the parts each reader needs.

Every reader of a release (``score``, ``decide``, ``monitor``, ``retrain``, the partner
report, the champion comparison) opens it through :meth:`ReleaseFolder.open`, which

1. validates ``manifest.json`` against :class:`Manifest` (a JSON list, ``artifacts`` given
   as a list, an entry without a sha256, a config value of the wrong type ... are one line);
2. refuses any artifact name that is not a plain relative path inside the folder (``..``,
   an absolute path, a backslash, a symlink leading out of the folder), before any file is
   opened;
3. checks the sha256 of every listed file and that no file is missing or extra;
4. checks that every part the manifest says the release has lists all its model artifacts,
   and that the parts the reader needs are there (``decide`` needs the scorecard and the
   strategy, and the fraud model whenever the strategy has fraud rules).

A release may come from someone else: nothing in it is executed or unpickled, and every
problem is a one-line :class:`~riskresearch.errors.DataError` naming the file and the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskresearch.config import ModelConfig
from riskresearch.errors import DataError, from_validation_error
from riskresearch.parts import PARTS

#: Formats a reader accepts: 2 stores the config's paths relative to the release folder and
#: the parts of the release; 1 (releases before it) neither.
FORMAT = "riskresearch.release/2"
FORMATS = ("riskresearch.release/1", FORMAT)
PART_ARTIFACTS = {p.name: p.artifacts for p in PARTS}


class ArtifactEntry(BaseModel):
    """One file of the release."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    kind: Literal["model", "report", "table"]


class PartEntry(BaseModel):
    """Whether the release has a part, and why not."""

    model_config = ConfigDict(extra="forbid")

    included: bool
    reason: str | None = None


class Manifest(BaseModel):
    """The schema of ``manifest.json``. Fields a build adds for people (code, packages,
    metrics, promotion ...) are kept as they are; the ones readers act on are typed."""

    model_config = ConfigDict(extra="allow")

    format: Literal["riskresearch.release/1", "riskresearch.release/2"]
    model: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    version: str | None = None
    config: dict[str, Any]
    artifacts: dict[str, ArtifactEntry]
    parts: dict[str, PartEntry] | None = None
    data: dict[str, Any] | None = None
    notebooks: list[str] | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


_NAME = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")


def check_name(name: str) -> str | None:
    """Why ``name`` is not a plain relative path inside a release folder, or None."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if name.startswith("/") or PurePosixPath(name).is_absolute() or re.match(r"^[A-Za-z]:", name):
        return "it is an absolute path"
    if "\\" in name:
        return "it contains a backslash"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "it leaves or loops in the folder ('..', '.' or an empty part)"
    if not _NAME.match(name):
        return "it contains characters other than letters, digits, '_', '-', '.' and '/'"
    return None


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def release_fingerprint(hashes: Mapping[str, str]) -> str:
    """The release fingerprint: sha256 of the model artifacts' ``sha256sum`` lines, sorted.

    ``hashes`` maps each model artifact's name to its sha256. The same value comes out of
    ``sha256sum binning.json scorecard.json ... | LC_ALL=C sort | sha256sum`` in the release
    folder, so a validator can match the document, the manifest (``fingerprint``) and the
    files. Unlike the manifest's own sha256 it can be printed in ``report.html``, which the
    manifest hashes.

    Examples
    --------
    >>> release_fingerprint({"scorecard.json": "ab" * 32})[:12]
    'c5a4f5b2bb4b'
    """
    lines = sorted(f"{sha}  {name}\n" for name, sha in hashes.items())
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def read_manifest_json(folder: Path) -> dict[str, Any]:
    """``manifest.json`` of ``folder`` as a validated dict (one-line DataError otherwise)."""
    path = folder / "manifest.json"
    if folder.is_file():
        raise DataError(
            f"'{folder}' is a file, not a release folder. Give a folder such as "
            "scorecards/consumer/1.0.0."
        )
    if not path.is_file():
        raise DataError(
            f"'{folder}' is not a release: it has no manifest.json. Give a folder such as "
            "scorecards/consumer/1.0.0."
        )
    if path.is_symlink():
        raise DataError(f"The manifest of '{folder}' is a symlink. Restore the release.")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"'{path}' is not valid JSON ({exc}). Rebuild or restore it.") from None
    if not isinstance(raw, dict):
        raise DataError(
            f"The manifest of '{folder}' is not a riskresearch release manifest: it holds a "
            f"JSON {type(raw).__name__}, not an object. Rebuild or restore the release."
        )
    try:
        Manifest.model_validate(raw)
    except ValidationError as exc:
        raise _manifest_error(exc, folder) from None
    for name in raw["artifacts"]:
        why = check_name(name)
        if why is None and name == "manifest.json":
            why = "the manifest cannot list itself"
        if why:
            raise DataError(
                f"The manifest of '{folder}' lists the artifact {name!r}, which is refused: "
                f"{why}. A release lists only files inside its folder; rebuild or restore it."
            )
    _check_config(raw, folder)
    return raw


def _manifest_error(exc: ValidationError, folder: Path) -> DataError:
    message = str(from_validation_error(exc, f"the manifest of '{folder}'"))
    return DataError(f"{message.rstrip('.')}. Rebuild or restore the release.")


def known_keys(model: type[BaseModel], data: Any) -> Any:
    """``data`` without the keys ``model``'s schema does not know (recursively): a release
    built by an older version may carry keys since removed, which a reader ignores."""
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            continue
        inner = field.annotation
        is_model = isinstance(inner, type) and issubclass(inner, BaseModel)
        out[key] = known_keys(inner, value) if is_model else value
    return out


def _check_config(raw: dict[str, Any], folder: Path) -> None:
    """The manifest's config, validated like a config file: the types of the keys this
    version knows (its paths are not checked: they may point anywhere on another machine;
    keys a later version removed are ignored, so older releases stay readable)."""

    try:
        ModelConfig.model_validate(known_keys(ModelConfig, raw["config"]))
    except ValidationError as exc:
        message = str(from_validation_error(exc, f"the config in the manifest of '{folder}'"))
        raise DataError(f"{message.rstrip('.')}. Rebuild or restore the release.") from None


@dataclass
class Verification:
    """Outcome of checking a release folder against its manifest."""

    folder: Path
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    #: artifacts of a part the manifest says the release has, but does not list
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra or self.unlisted)

    def describe(self) -> str:
        if self.ok:
            return f"{self.folder}: all artifacts match the manifest"
        parts = [
            f"{k}: {', '.join(v)}"
            for k, v in (
                ("changed", self.changed),
                ("missing", self.missing),
                ("extra", self.extra),
                ("not listed though its part is included", self.unlisted),
            )
            if v
        ]
        return f"{self.folder} does not match its manifest ({'; '.join(parts)})"


class ReleaseFolder:
    """A release folder whose manifest validated; see the module's docstring.

    Use :meth:`open` (validate, verify, check the parts a reader needs); the constructor only
    validates the manifest and its names.

    Attributes
    ----------
    folder : Path
    manifest : dict
        The validated ``manifest.json``.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.manifest = read_manifest_json(self.folder)

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        folder: str | os.PathLike,
        needs: tuple[str, ...] = ("scorecard",),
        purpose: str = "load",
        verify: bool = True,
    ) -> ReleaseFolder:
        """Validate, verify and check that the release has the parts ``needs``.

        Parameters
        ----------
        folder : path-like
        needs : tuple of str
            Part names (:data:`riskresearch.parts.PARTS`) the reader needs.
        purpose : str
            What the reader does, for the error message ("score", "decide" ...).
        verify : bool, default True
            Check every sha256 (False only for a folder just written by this process).

        Raises
        ------
        DataError
            One line: an invalid manifest, a refused name, a changed, missing or extra file,
            or a part the reader needs that the release lacks.
        """
        release = cls(folder)
        if verify:
            check = release.verify()
            if not check.ok:
                raise DataError(
                    f"Refusing to {purpose}: {check.describe()}. Rebuild or restore the release."
                )
        release.require(*needs, purpose=purpose)
        return release

    # ---- facts -----------------------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        return self.manifest["config"]

    @property
    def artifacts(self) -> dict[str, dict[str, Any]]:
        return self.manifest["artifacts"]

    def included(self) -> dict[str, bool]:
        """Part name -> whether the release has it (format 1: inferred from its model
        artifacts, which that format lists when present)."""
        parts = self.manifest.get("parts")
        if parts is not None:
            return {name: bool(entry["included"]) for name, entry in parts.items()}
        return {
            name: bool(arts) and all(a in self.artifacts for a in arts)
            for name, arts in PART_ARTIFACTS.items()
        }

    def reason(self, part: str) -> str | None:
        entry = (self.manifest.get("parts") or {}).get(part) or {}
        return entry.get("reason")

    def require(self, *parts: str, purpose: str = "load") -> None:
        """Raise a one-line DataError unless the release has each part with its artifacts."""
        included = self.included()
        for part in parts:
            if not included.get(part, False):
                why = self.reason(part)
                raise DataError(
                    f"Cannot {purpose} with '{self.folder}': the release has no {part} part"
                    + (f" (skipped: {why})" if why else "")
                    + f". Use a release built with the {part} part."
                )
            for name in PART_ARTIFACTS.get(part, ()):
                if name not in self.artifacts:
                    raise DataError(
                        f"Cannot {purpose} with '{self.folder}': its {part} part lacks '{name}' "
                        "in the manifest. Rebuild or restore the release."
                    )

    # ---- files -----------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """The path of a listed artifact, confined to the folder (refused otherwise)."""
        if name not in self.artifacts:
            raise DataError(
                f"The release '{self.folder}' lists no '{name}'. Rebuild or restore the release."
            )
        path = self.folder / name
        if path.is_symlink() or not _inside(path, self.folder):
            raise DataError(
                f"The artifact '{name}' of '{self.folder}' leads out of the release folder (a "
                "symlink). Rebuild or restore the release."
            )
        return path

    def read_text(self, name: str) -> str:
        return self.path(name).read_text()

    def verify(self) -> Verification:
        """Check every listed artifact's sha256 (after checking no listed path or file in the
        folder leads outside it); list changed, missing, extra and unlisted files."""
        folder = self.folder
        result = Verification(folder)
        listed = self.artifacts
        for rel in listed:  # before any file is opened
            path = folder / rel
            if path.is_symlink() or (path.exists() and not _inside(path, folder)):
                raise DataError(
                    f"The artifact '{rel}' of '{folder}' leads out of the release folder (a "
                    "symlink). Rebuild or restore the release."
                )
        for rel, info in listed.items():
            path = folder / rel
            if not path.is_file():
                result.missing.append(rel)
            elif sha256_file(path) != info["sha256"]:
                result.changed.append(rel)
        for rel in _files(folder):
            if rel != "manifest.json" and rel not in listed:
                result.extra.append(rel)
        included = self.included()
        for part, arts in PART_ARTIFACTS.items():
            if included.get(part):
                result.unlisted += [a for a in arts if a not in listed]
        recorded = self.manifest.get("fingerprint")
        models = {n: a["sha256"] for n, a in listed.items() if a["kind"] == "model"}
        if recorded is not None and recorded != release_fingerprint(models):
            result.changed.append("manifest.json (its fingerprint does not match its artifacts)")
        return result


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _files(folder: Path) -> list[str]:
    """Every file (and symlink) under ``folder``, never following a symlink."""
    out = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in dirs:
            if (base / name).is_symlink():
                files.append(name)
        for name in files:
            out.append((base / name).relative_to(folder).as_posix())
    return sorted(out)
