"""The closing sections of the model document: limitations and assumptions, and how to
reproduce and verify the release."""

from __future__ import annotations

import platform

import pandas as pd
import yaml

from riskresearch.manifest import sha256_file
from riskresearch.messages import reason_text, t
from riskresearch.provenance import code_version, package_versions
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.cover import describe_target, part_title, sample_name
from riskresearch.report.fmt import Code, Heading, Items, Section, Text
from riskresearch.report.scorecard_sections import small_bin_floor, trend_words

#: Config keys holding paths: the document shows only their file names.
_PATHS = (
    ("data", "table"),
    ("data", "warehouse"),
    ("data", "oracle"),
    ("strategy", "previous_release"),
    ("monitoring", "champion"),
)


def limitations(ctx: Context) -> Section:
    cfg = ctx.cfg
    dev, test = ctx.samples
    ri = cfg.reject_inference
    items = []
    if ri.method == "none":
        items.append(t("limitations.accepts_only"))
    else:
        items.append(t("limitations.reject_inference", method=ri.method))
    mature = [k for k in cfg.data.filter if str(k).endswith("_mature")]
    if mature:
        items.append(t("limitations.mature", keys=f.words(mature)))
    if cfg.split_mode == "oot":
        items.append(
            t(
                "limitations.oot",
                sample=sample_name(ctx, ctx.test_name),
                months=test.month.nunique() if test.month is not None else 0,
            )
        )
    else:
        items.append(t("limitations.no_dates"))
    if int(dev.y.sum()) < 1000:
        items.append(t("limitations.few_bads", bads=f.count(dev.y.sum())))
    items.append(t("limitations.independence"))
    b = cfg.binning
    items.append(
        t(
            "limitations.binning",
            trend=trend_words(b.monotonic_trend),
            min_size=f.pct(b.min_bin_size, 0),
            unseen=b.unseen,
        )
        + (t("limitations.small_bins", floor=small_bin_floor(b)) if b.small_bins else "")
    )
    if ctx.included("gbm"):
        items.append(t("limitations.gbm"))
    skipped = [p for p in ctx.planned if not p.included]
    if skipped:
        items.append(
            t(
                "limitations.skipped",
                parts=t("format.semicolon").join(
                    f"{part_title(p.part.name, p.part.title)}: {reason_text(p.reason)}"
                    for p in skipped
                ),
            )
        )
    if ctx.oracle:
        items.append(t("limitations.simulated"))
    assumptions = [
        t("limitations.assume_population"),
        t("limitations.assume_policy"),
        t("limitations.assume_outcome", target=describe_target(cfg)),
    ]
    return Section("limitations", t("limitations.title")).add(
        Heading(t("limitations.limitations")),
        Items(items),
        Heading(t("limitations.assumptions")),
        Items(assumptions),
    )


def config_text(ctx: Context) -> str:
    """The config as YAML, its paths shown as file names (no folder of the build machine),
    keys left at null left out."""
    config = ctx.cfg.model_dump(mode="json", exclude_none=True)
    for section, key in _PATHS:
        value = (config.get(section) or {}).get(key)
        if value:
            config[section][key] = value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def reproducibility(ctx: Context) -> Section:
    cfg = ctx.cfg
    sec = Section("reproducibility", t("reproducibility.title"))
    code = code_version(cfg.base)
    packages = package_versions()
    data = [
        {
            "input": t("reproducibility.table", name=cfg.data.table.name),
            "sha256": sha256_file(cfg.data.table),
            "bytes": cfg.data.table.stat().st_size,
        }
    ]
    if cfg.data.warehouse is not None and cfg.data.warehouse != cfg.data.table:
        data.append(
            {
                "input": t("reproducibility.warehouse", name=cfg.data.warehouse.name),
                "sha256": sha256_file(cfg.data.warehouse),
                "bytes": cfg.data.warehouse.stat().st_size,
            }
        )
    versions = pd.DataFrame(
        [{"package": "python", "version": platform.python_version()}]
        + [
            {"package": k, "version": v or t("reproducibility.not_installed")}
            for k, v in packages.items()
        ]
    )
    commit = code.get("commit")
    where = (
        t("reproducibility.commit", commit=commit)
        + (t("reproducibility.dirty") if code["dirty"] else "")
        if commit
        else t("reproducibility.no_git")
    )
    sec.add(
        Text(
            t(
                "reproducibility.code",
                version=packages.get("riskresearch"),
                where=where,
                seed=cfg.seed,
            )
        ),
        Heading(t("reproducibility.data")),
        f.table(pd.DataFrame(data), collapse=False, css="hashes"),
        Heading(t("reproducibility.packages")),
        f.table(versions, collapse=False),
    )
    fingerprint, hashes = ctx.fingerprint
    artifacts = pd.DataFrame(
        [{"model artifact": n, "sha256": h} for n, h in sorted(hashes.items())]
    )
    config_name = cfg.source.name if cfg.source is not None else f"{cfg.model}.yaml"
    folder = f"{cfg.model}/{ctx.version}"
    sec.add(
        Heading(t("reproducibility.fingerprint")),
        Text(f.html_t("reproducibility.fingerprint_text", fingerprint=fingerprint)),
        Code(f"sha256sum {' '.join(sorted(hashes))} | LC_ALL=C sort | sha256sum"),
        f.table(artifacts, collapse=False, css="hashes"),
        Heading(t("reproducibility.rebuild")),
        Text(t("reproducibility.rebuild_text")),
        Code(
            f"riskresearch release {config_name} --version {ctx.version}\n"
            f"riskresearch verify {folder}\n"
            f"riskresearch verify --rebuild {folder}"
        ),
        Heading(t("reproducibility.config")),
        Code(config_text(ctx), collapsed=True, summary=t("reproducibility.config_summary")),
    )
    return sec
