"""Anti-fraud model: point-in-time fraud features, a LightGBM classifier for the rare class with
class weights or resampling, an IsolationForest anomaly score and text-only persistence.

The features (``sql/fraud_features.sql`` plus an incremental union-find here) find what the
simulator hides: **rings** share device fingerprints, contact phones and addresses, arrive in
bursts at a few bad partners and leave no payment; **identity thefts** apply minutes after
registering, at night, with an IP/GPS mismatch. Every feature of an application uses only
applications with an earlier ``applied_at`` and events dated before its day, with one
documented exception: ``delivery_address_changed`` is a *post-approval* signal. The address is
changed after approval and before the device ships (the simulator draws the flag per approved
lease, with no date of its own; delivery, ``orders.started_on``, comes 1-3 days after the
decision). It is known while an approved lease waits in the review queue before delivery,
never at application time: :data:`APPLICATION_FEATURES` leaves it out, :data:`FEATURES` keeps
it, and declined applications have it missing.

``y == 1`` is fraud (confirmed by investigation, ``fraud_cases``). The simulator's
``oracle_applications`` is read only by :func:`riskresearch.oracle.true_fraud` (evaluation
code), whose result :func:`develop_fraud` takes to measure against.
"""

from riskresearch.fraud.development import (
    FraudDevelopment,
    develop_fraud,
    write_fraud,
)
from riskresearch.fraud.features import (
    APPLICATION_FEATURES,
    FEATURES,
    FRAUD_FORMAT,
    FRAUD_PARAMS,
    LINK_KEYS,
    METHODS,
    POST_APPROVAL_FEATURES,
    REQUIRED_COLUMNS,
    component_sizes,
    fraud_features,
    fraud_metrics,
    split_out_of_time,
)
from riskresearch.fraud.model import (
    FraudAnomaly,
    FraudModel,
    FraudScorer,
    make_lgbm,
    write_fraud_model,
)

__all__ = [
    "APPLICATION_FEATURES",
    "FEATURES",
    "FRAUD_FORMAT",
    "FRAUD_PARAMS",
    "LINK_KEYS",
    "METHODS",
    "POST_APPROVAL_FEATURES",
    "REQUIRED_COLUMNS",
    "FraudAnomaly",
    "FraudDevelopment",
    "FraudModel",
    "FraudScorer",
    "component_sizes",
    "develop_fraud",
    "fraud_features",
    "fraud_metrics",
    "make_lgbm",
    "split_out_of_time",
    "write_fraud",
    "write_fraud_model",
]
