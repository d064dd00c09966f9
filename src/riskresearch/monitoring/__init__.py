"""Monitoring and the feedback loop (part 5 of the design): stability, performance decay,
fraud and partner signals, alerts, and champion/challenger retraining."""

from riskresearch.metrics import psi
from riskresearch.monitoring.alerts import alert_list, alerts_document
from riskresearch.monitoring.analysis import Monitoring, monitor
from riskresearch.monitoring.baseline import (
    Baseline,
    build_baseline,
    population_filter,
    write_baseline,
)
from riskresearch.monitoring.feedback import (
    champion_comparison,
    promote,
    write_comparison,
)
from riskresearch.monitoring.report import (
    ae_plot,
    auc_plot,
    fraud_plot,
    monitoring_report,
    stability_plot,
    write_monitoring,
    write_release_monitoring,
)
from riskresearch.monitoring.rings import ring_alerts
from riskresearch.monitoring.run import (
    monitor_config,
    monitor_release,
    read_new_data,
    release_baseline,
)
from riskresearch.monitoring.signals import with_early_indicators
from riskresearch.monitoring.stats import histogram_auc_ks

__all__ = [
    "Baseline",
    "Monitoring",
    "ae_plot",
    "alert_list",
    "alerts_document",
    "auc_plot",
    "build_baseline",
    "champion_comparison",
    "fraud_plot",
    "histogram_auc_ks",
    "monitor",
    "monitor_config",
    "monitor_release",
    "monitoring_report",
    "population_filter",
    "promote",
    "psi",
    "read_new_data",
    "release_baseline",
    "ring_alerts",
    "stability_plot",
    "with_early_indicators",
    "write_baseline",
    "write_comparison",
    "write_monitoring",
    "write_release_monitoring",
]
