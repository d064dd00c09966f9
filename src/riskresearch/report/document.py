"""Assemble the model document from its sections and write ``report.html``.

The document is one self-contained HTML file: styles inline, figures as embedded PNGs, no
script or font from the internet, so it opens the same offline, in a browser or printed (to
PDF). Formulas are plain HTML text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from riskresearch.atomic import atomic_output
from riskresearch.config import ModelConfig
from riskresearch.messages import language, t
from riskresearch.parts import Planned, plan
from riskresearch.report import cover as cover_section
from riskresearch.report import governance, part_sections, performance, scorecard_sections
from riskresearch.report.context import Context
from riskresearch.report.fmt import Section, date, number_sections, today


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("riskresearch.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def sections(ctx: Context) -> list[Section]:
    """The numbered sections of the document, in the order validators read them."""
    out = [
        cover_section.purpose(ctx),
        scorecard_sections.data(ctx),
        scorecard_sections.binning(ctx),
        scorecard_sections.selection(ctx),
        scorecard_sections.model(ctx),
        performance.performance(ctx),
        part_sections.stability(ctx),
        part_sections.reject_inference(ctx),
        part_sections.business(ctx),
        governance.limitations(ctx),
        governance.reproducibility(ctx),
    ]
    number_sections(out)
    return out


def _written(cfg: ModelConfig, folder: Path) -> list[Planned]:
    """The config's plan, a part whose model artifacts the folder lacks counted as skipped
    (a folder written by library calls rather than by a release)."""
    return [
        p
        if not p.included or all((folder / a).is_file() for a in p.part.artifacts)
        else Planned(p.part, "not in this folder (its model artifacts were not written)")
        for p in plan(cfg)
    ]


def render(
    folder: str | Path,
    cfg: ModelConfig,
    version: str,
    planned: list[Planned] | None = None,
    built: str | None = None,
) -> str:
    """The model document of a release folder as HTML text.

    Parameters
    ----------
    folder : path-like
        The folder holding the release's artifacts (the build folder during a release).
    cfg : ModelConfig
        The release's config; its data is read again to score the development and test rows.
    version : str
    planned : list of riskresearch.parts.Planned, optional
        The parts built and skipped (default: :func:`riskresearch.parts.plan` of ``cfg``, a
        part whose model artifacts the folder lacks counted as skipped).
    built : str, optional
        The build date (default: today, UTC).

    The document is written in ``cfg.report.language`` (English or Chinese): its titles,
    table headers, sentences, chart labels and number formats; feature names and data values
    stay as they are in the data.
    """
    with language(cfg.report.language):
        return _render(Path(folder), cfg, version, planned, built)


def _render(
    folder: Path,
    cfg: ModelConfig,
    version: str,
    planned: list[Planned] | None,
    built: str | None,
) -> str:
    manifest_path = folder / "manifest.json"
    manifest: dict[str, Any] | None = None
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
    ctx = Context(
        cfg=cfg,
        folder=folder,
        version=version,
        planned=planned if planned is not None else _written(cfg, folder),
        built=built or today(),
        manifest=manifest,
    )
    body = sections(ctx)
    cover = cover_section.cover(ctx)
    template = _environment().get_template("document.html.j2")
    css = (Path(__file__).parent / "templates" / "document.css").read_text()
    return template.render(
        lang=cfg.report.language,
        title=t("document.title", model=cfg.model, version=version),
        subtitle=t("document.subtitle"),
        words={k: t(f"document.{k}") for k in ("contents", "built", "fingerprint")},
        cover=cover,
        sections=body,
        css=css,
        built=date(ctx.built),
        fingerprint=ctx.fingerprint[0],
    )


def write_report(
    folder: str | Path,
    cfg: ModelConfig,
    version: str,
    planned: list[Planned] | None = None,
    built: str | None = None,
) -> Path:
    """Write ``report.html``, the model document (:func:`render`), into ``folder``.

    Written to a temporary file and moved into place: a failure leaves no half-written
    document.

    Returns
    -------
    pathlib.Path
        The document.
    """
    text = render(folder, cfg, version, planned, built)
    out = Path(folder) / "report.html"
    with atomic_output(out, "model document") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
