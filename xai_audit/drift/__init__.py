"""Monitoring analyses: what moved between a reference period and a current one — inputs,
predictions and performance, explanations, fairness — each with its test or interval.

The run that ties them together and judges them is :func:`xai_audit.monitoring.drift` (public as
``xai_audit.drift``); its record is :class:`xai_audit.drift_result.DriftResult`.
"""

from xai_audit.drift.explanations import explanation_drift
from xai_audit.drift.fairness import fairness_drift
from xai_audit.drift.features import feature_drift
from xai_audit.drift.predictions import prediction_drift

__all__ = ["explanation_drift", "fairness_drift", "feature_drift", "prediction_drift"]
