"""The closing sections of the model document: limitations and assumptions, and how to
reproduce and verify the release."""

from __future__ import annotations

import platform

import pandas as pd
import yaml

from riskresearch.manifest import sha256_file
from riskresearch.provenance import code_version, package_versions
from riskresearch.report import fmt as f
from riskresearch.report.context import Context
from riskresearch.report.fmt import Code, Heading, Items, Section, Text, html

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
        items.append(
            "Only applicants with an observed outcome are in the development data: the "
            "scorecard learns from the applicants the old policy accepted, and its PDs for the "
            "kind of applicant it declined are extrapolations that no data of this release can "
            "check."
        )
    else:
        items.append(
            f"Declined applicants have no outcome: reject inference ({ri.method}) assumes "
            "their risk follows the accepts-only score (with the configured factors); that "
            "assumption cannot be tested on observed data, and the standard errors of "
            "section 5 treat the inferred outcomes as if observed."
        )
    mature = [k for k in cfg.data.filter if str(k).endswith("_mature")]
    if mature:
        items.append(
            f"Only applications whose outcome window has closed are used ({f.words(mature)}): "
            "the most recent cohorts are not in the development or test rows."
        )
    if cfg.split_mode == "oot":
        items.append(
            f"The out-of-time test covers {ctx.test_name} rows of "
            f"{test.month.nunique() if test.month is not None else 0} months; performance in "
            "other conditions (an economic shock, a new channel) is not shown here and is the "
            "job of monitoring."
        )
    else:
        items.append(
            "The test rows come from the same period as the development rows (no date "
            "column), so this release shows no evidence of stability over time."
        )
    if int(dev.y.sum()) < 1000:
        items.append(
            f"The development rows hold {f.count(dev.y.sum())} bads: bins, coefficients and "
            "metrics carry the sampling error the intervals of this document show."
        )
    items.append(
        "Standard errors and intervals assume independent rows; applications of the same "
        "customer, partner or month are correlated, so the true uncertainty is larger."
    )
    b = cfg.binning
    items.append(
        f"Binning imposes monotonic trends ({b.monotonic_trend}) and bins of at least "
        f"{f.pct(b.min_bin_size, 0)} of the rows; a category never seen in development scores "
        f"as '{b.unseen}'."
    )
    if ctx.included("gbm"):
        items.append(
            "The GBM challenger is documented for comparison only; the release scores with the "
            "scorecard (scorecard.json, scorecard.sql)."
        )
    skipped = [p for p in ctx.planned if not p.included]
    if skipped:
        items.append(
            "Parts not in this release: "
            + "; ".join(f"{p.part.title}: {p.reason}" for p in skipped)
            + "."
        )
    if ctx.oracle:
        items.append(
            "The data are simulated: the figures show what the method achieves on a platform "
            "whose true default probabilities are known, not the performance on a real "
            "portfolio."
        )
    assumptions = [
        "Applicants after the release resemble the development applicants (the monitoring "
        "baseline measures when they stop doing so).",
        "The approval policy and the data capture of every feature stay as they were in the "
        "development months.",
        f"The outcome is defined as: {cfg.data.describe_target()}.",
    ]
    return Section("limitations", "Limitations and assumptions").add(
        Heading("Limitations"),
        Items(items),
        Heading("Assumptions"),
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
    sec = Section("reproducibility", "Reproducibility")
    code = code_version(cfg.base)
    packages = package_versions()
    data = [
        {
            "input": f"modeling table {cfg.data.table.name}",
            "sha256": sha256_file(cfg.data.table),
            "bytes": cfg.data.table.stat().st_size,
        }
    ]
    if cfg.data.warehouse is not None and cfg.data.warehouse != cfg.data.table:
        data.append(
            {
                "input": f"warehouse {cfg.data.warehouse.name}",
                "sha256": sha256_file(cfg.data.warehouse),
                "bytes": cfg.data.warehouse.stat().st_size,
            }
        )
    versions = pd.DataFrame(
        [{"package": "python", "version": platform.python_version()}]
        + [{"package": k, "version": v or "not installed"} for k, v in packages.items()]
    )
    commit = code.get("commit")
    sec.add(
        Text(
            f"Code: riskresearch {packages.get('riskresearch')}"
            + (
                f", git commit {commit}" + (" with uncommitted changes" if code["dirty"] else "")
                if commit
                else ", outside a git repository"
            )
            + f"; seed {cfg.seed}. The same config, data and package versions give "
            "byte-identical model artifacts."
        ),
        Heading("Data fingerprint"),
        f.table(pd.DataFrame(data), collapse=False, css="hashes"),
        Heading("Package versions"),
        f.table(versions, collapse=False),
    )
    fingerprint, hashes = ctx.fingerprint
    artifacts = pd.DataFrame(
        [{"model artifact": n, "sha256": h} for n, h in sorted(hashes.items())]
    )
    config_name = cfg.source.name if cfg.source is not None else f"{cfg.model}.yaml"
    folder = f"{cfg.model}/{ctx.version}"
    sec.add(
        Heading("Release fingerprint"),
        Text(
            html(
                "<code>{}</code> is the sha256 of the lines <code>sha256 &nbsp;name</code> of "
                "the model artifacts below, sorted; manifest.json records the same value as "
                "<code>fingerprint</code>. In the release folder:",
                fingerprint,
            )
        ),
        Code(f"sha256sum {' '.join(sorted(hashes))} | LC_ALL=C sort | sha256sum"),
        f.table(artifacts, collapse=False, css="hashes"),
        Heading("Rebuild and verify"),
        Text(
            "verify checks every file's sha256 against manifest.json; --rebuild builds the "
            "release again from the manifest's config and compares each model artifact."
        ),
        Code(
            f"riskresearch release {config_name} --version {ctx.version}\n"
            f"riskresearch verify {folder}\n"
            f"riskresearch verify --rebuild {folder}"
        ),
        Heading("Config"),
        Code(
            config_text(ctx),
            collapsed=True,
            summary="The config of this release (paths shown as file names)",
        ),
    )
    return sec
