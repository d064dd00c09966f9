"""The model document of a release: ``report.html``, written from the release folder's
artifacts, the config and its data.

It reads as model documentation a validator can sign, in the usual model-risk order: a cover
(model, version, segment, date built, data window, target definition, exclusions, samples,
headline metrics with intervals, champion, status, release fingerprint), contents, then
numbered sections on purpose, data and sample, binning, selection, the model (coefficients
with standard errors, the full points table), performance, stability and the monitoring
baseline, reject inference, each business part of the release, limitations and assumptions,
and reproducibility. Figures that need rows are recomputed in the report step from the
config's data and the release's model artifacts (never from notebook output). The file is
self-contained and works offline.

Examples
--------
>>> from riskresearch.report import write_report                      # doctest: +SKIP
>>> write_report("scorecards/consumer/1.2.0", cfg, "1.2.0")           # doctest: +SKIP
"""

from __future__ import annotations

from riskresearch.metrics import coefficient_table, logit_standard_errors
from riskresearch.report.context import folder_fingerprint, release_fingerprint
from riskresearch.report.document import render, write_report
from riskresearch.report.stats import delong

__all__ = [
    "coefficient_table",
    "delong",
    "folder_fingerprint",
    "logit_standard_errors",
    "release_fingerprint",
    "render",
    "write_report",
]
