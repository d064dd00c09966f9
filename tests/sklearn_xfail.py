"""The one registry of scikit-learn contract checks our estimators are expected to fail.

Every test that runs ``parametrize_with_checks`` takes its expected failures from
:func:`expected_failed_checks`: check name -> one-line reason. The estimators accept any two
labels (``classes_`` sorted, the bad class ``classes_[1]`` or ``pos_label``) and validate
weights with scikit-learn's own ``_check_sample_weight``, so what is left are design choices
(dense tables and DataFrames, object columns as categories) and the toy data of the checks.
"""

from __future__ import annotations

SPARSE = "sparse input is not supported (dense table or DataFrame)"
OBJECT = (
    "object columns are valid input (coded as categories): a dict cell fails as unhashable, "
    "not with sklearn's 'argument must be a string or a number'"
)
FRAME = "transform returns a DataFrame of float64, not an array of the input's dtype"
BY_NAME = "transform reads the fitted features by name; an array's extra columns are not refused"
TOY_SCORECARD = (
    "toy data: optimal binning finds no split in these few, perfectly separable rows, so no "
    "feature enters the scorecard"
)
TOY_GBM = "toy data: min_data_in_leaf=100 leaves the trees bare"

_SPARSE = dict.fromkeys(
    ["check_estimator_sparse_tag", "check_estimator_sparse_array", "check_estimator_sparse_matrix"],
    SPARSE,
)
_TRANSFORMER = {
    **_SPARSE,
    "check_n_features_in_after_fitting": BY_NAME,
    "check_transformer_preserve_dtypes": FRAME,
}

#: estimator class name -> {check name: reason}
EXPECTED_FAILED: dict[str, dict[str, str]] = {
    "WoeBinner": _TRANSFORMER,
    "FeatureSelector": {
        **_TRANSFORMER,
        "check_dtype_object": "the input is WoE (numbers): an object column is refused with "
        "a DataError naming it, not sklearn's TypeError",
    },
    "Scorecard": {
        **_SPARSE,
        "check_dtype_object": OBJECT,
        **dict.fromkeys(
            [
                "check_dont_overwrite_parameters",
                "check_n_features_in_after_fitting",
                "check_estimators_dtypes",
                "check_sample_weights_shape",
                "check_sample_weights_not_overwritten",
                "check_sample_weight_equivalence_on_dense_data",
                "check_pipeline_consistency",
                "check_f_contiguous_array_estimator",
                "check_classifiers_classes",
                "check_methods_sample_order_invariance",
                "check_methods_subset_invariance",
                "check_fit2d_1feature",
                "check_dict_unchanged",
                "check_fit2d_predict1d",
            ],
            TOY_SCORECARD,
        ),
    },
    "GbmClassifier": {
        **_SPARSE,
        "check_dtype_object": OBJECT,
        "check_classifiers_train": TOY_GBM,
        "check_classifiers_train(readonly_memmap=True)": TOY_GBM,
        "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": TOY_GBM,
    },
    "FraudModel": {"check_dtype_object": OBJECT},
    "FraudAnomaly": {"check_dtype_object": OBJECT},
}


def expected_failed_checks(estimator) -> dict[str, str]:
    """The checks ``estimator`` is expected to fail, with reasons (for
    ``parametrize_with_checks(expected_failed_checks=...)``)."""
    return EXPECTED_FAILED[type(estimator).__name__]
