"""``drift(model, reference, current)``: the one entry point of monitoring.

Data drift and prediction drift use every row of both periods; explanation drift uses a seeded
sample of ``explain_rows`` rows of each (stated in the record).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from xai_audit.adapters import PredictionsAdapter, load_model
from xai_audit.adapters.pairing import align_classes, resolve_features
from xai_audit.checks import evaluate, overall_status
from xai_audit.checks.drift import DRIFT_CHECKS
from xai_audit.data import AuditDataset
from xai_audit.drift.explanations import explanation_drift
from xai_audit.drift.fairness import fairness_drift
from xai_audit.drift.features import feature_drift
from xai_audit.drift.predictions import prediction_drift
from xai_audit.drift_result import DriftResult
from xai_audit.exceptions import InvalidInputError
from xai_audit.manifest import build_manifest
from xai_audit.policy import load_policy


def _period(adapter, data: AuditDataset, features) -> dict:
    """Decisions, scores, outcomes and groups of one period, in the coding the drift sections use."""
    from xai_audit.audit import predict

    y_pred, proba = predict(adapter, data.model_input(features), data, features)
    task = adapter.task
    if task == "binary":
        decisions = (np.asarray(y_pred) == adapter.positive_class).astype(np.int64)
        scores = None if proba is None else proba[:, adapter.positive_index]
        y_true = data.y_true_positive() if data.target is not None else None
    else:
        decisions, scores = np.asarray(y_pred), None
        y_true = data.y_true() if data.target is not None else None
    return {"decisions": decisions, "scores": scores, "y_true": y_true, "groups": data.groups}


def drift(model, reference: AuditDataset, current: AuditDataset, *, policy="default", random_state=None,
          explain_rows: int | None = None, n_resamples: int | None = None) -> DriftResult:
    """Compare a current period's data, predictions, explanations and fairness against a reference period's.

    Parameters
    ----------
    model : None, ModelAdapter or anything :func:`xai_audit.load_model` takes
        None for predictions only: both datasets then name their ``predictions`` (and optionally
        ``scores``) columns.
    reference, current : AuditDataset
        The validation-time data and today's, with the same feature columns (and, for performance
        and fairness drift, the same target and sensitive attributes). The report names columns
        and category codes by the reference data's ``labels`` (else the current data's); labels
        given to both must be the same.
    policy : str, dict or Policy
        Its ``[drift]`` settings and its ``drift_*`` rules are used.
    random_state : int, optional
        Seeds the explanation sample and the bootstrap.
    explain_rows : int, optional
        Rows of each period explained (default: the policy's ``drift.explain_rows``); 0 skips
        explanation drift.
    n_resamples : int, optional
        Bootstrap resamples for the explanation-drift intervals (default: the policy's).

    Returns
    -------
    DriftResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, xai_audit as xa
    >>> rng = np.random.default_rng(0)
    >>> def period(shift):
    ...     x = rng.normal(shift, 1, 400)
    ...     frame = pd.DataFrame({"x": x, "z": rng.normal(size=400), "pred": (x > 0).astype(int)})
    ...     return xa.AuditDataset.from_frame(frame, predictions="pred", features=["x", "z"])
    >>> result = xa.drift(None, period(0.0), period(1.0), random_state=0)
    >>> result.features["features"]["x"]["verdict"], result.features["features"]["z"]["verdict"]
    ('drifted', 'stable')
    """
    for name, data in (("reference", reference), ("current", current)):
        if not isinstance(data, AuditDataset):
            raise InvalidInputError(
                f"{name} must be an AuditDataset (AuditDataset.from_frame / from_csv / ...); got {type(data).__name__}."
            )
    policy = load_policy(policy)
    settings = policy.settings.get("drift", {})
    confidence = policy.setting("audit", "confidence", 0.95)
    explain_rows = settings.get("explain_rows", 500) if explain_rows is None else explain_rows
    n_resamples = settings.get("n_resamples", 1000) if n_resamples is None else n_resamples

    predictions_only = model is None
    adapter_ref = PredictionsAdapter(reference) if predictions_only else align_classes(load_model(model), reference)
    adapter_cur = PredictionsAdapter(current) if predictions_only else align_classes(adapter_ref, current)
    features = resolve_features(adapter_ref, reference)
    missing = [f for f in features if f not in current.frame.columns]
    if missing:
        raise InvalidInputError(
            f"The current data lacks the feature columns {missing} that the reference data has; "
            f"its columns are {list(current.frame.columns)}."
        )
    if reference.labels and current.labels and reference.labels != current.labels:
        raise InvalidInputError(
            "The reference and current data carry different labels; the drift report names each column one way. "
            "Give both periods the same labels (or give them to the reference data only)."
        )
    if (reference.target is None) != (current.target is None):
        raise InvalidInputError(
            f"Only one period names a target (reference: {reference.target!r}, current: {current.target!r}); "
            "name it in both for performance drift, or in neither."
        )

    kinds = {f: reference.feature_kinds.get(f, "numeric") for f in features}
    features_section = feature_drift(reference.frame, current.frame, features, kinds,
                                     alpha=settings.get("alpha", 0.05), correction=settings.get("correction", "fdr_bh"),
                                     confidence=confidence)
    period_ref = _period(adapter_ref, reference, features)
    period_cur = _period(adapter_cur, current, features)
    task = adapter_ref.task
    predictions_section = prediction_drift(period_ref, period_cur, task=task, confidence=confidence)

    fairness_section = {}
    if task == "binary" and reference.sensitive and current.sensitive:
        fairness_section = fairness_drift(period_ref, period_cur, confidence=confidence,
                                          min_group_size=policy.setting("fairness", "min_group_size", 30),
                                          intersections=policy.setting("fairness", "intersections", True),
                                          n_resamples=n_resamples, random_state=random_state)

    explanations_section = {}
    if not predictions_only and explain_rows:
        explanations_section = _explanation_drift(adapter_ref, reference, current, features, features_section,
                                                  rows=explain_rows, n_resamples=n_resamples, confidence=confidence,
                                                  reliance_share=settings.get("reliance_share", 0.05),
                                                  random_state=random_state)

    sections = {"drift": {"features": features_section, "predictions": predictions_section,
                          "fairness": fairness_section, "explanations": explanations_section}}
    drift_policy = dataclasses.replace(policy, rules=tuple(r for r in policy.rules if r.check in DRIFT_CHECKS))
    findings = evaluate(drift_policy, sections)
    config = {"policy": policy.to_dict(), "explain_rows": explain_rows, "n_resamples": n_resamples}
    return DriftResult(
        status=overall_status(findings), findings=tuple(findings),
        model={} if predictions_only else adapter_ref.describe(),
        reference=reference.describe(features), current=current.describe(features),
        features=features_section, predictions=predictions_section, explanations=explanations_section,
        fairness=fairness_section,
        manifest=build_manifest(random_state=random_state, config=config,
                                model_sha256=None if predictions_only else adapter_ref.sha256,
                                data_sha256=current.sha256),
    )


def _explanation_drift(adapter, reference, current, features, features_section, *, rows, n_resamples,
                       confidence, reliance_share, random_state) -> dict:
    """Explain a seeded sample of each period in one call, so both share one background sample.

    The explained rows of both periods are pooled into one frame; an explainer that needs a
    background draws it from that pool, and the same background serves both periods. A change of
    mean |attribution| is then a change in the explained rows alone, which the bootstrap over those
    rows measures (with a background per period, the draw of each background would move the means
    too, and no interval would account for it).
    """
    import pandas as pd

    from xai_audit.explainers import explain

    rng = np.random.default_rng(random_state)
    picks = [np.sort(rng.choice(data.n_rows, min(rows, data.n_rows), replace=False)) for data in (reference, current)]
    pooled = pd.concat([data.frame.iloc[positions][list(features)] for data, positions in zip((reference, current), picks)],
                       ignore_index=True)
    explained = explain(adapter, pooled, method="auto", rows=list(range(len(pooled))), random_state=random_state)
    n_ref = len(picks[0])
    values = np.asarray(explained.values)
    drifted = {name for name, row in features_section["features"].items() if row["verdict"] == "drifted"}
    meta = {"algorithm": explained.meta.get("algorithm"), "output_space": explained.meta.get("output_space"),
            "sample": f"a seeded sample of {n_ref} reference and {len(pooled) - n_ref} current rows",
            "background": ("both periods are explained against one background sample drawn from the pooled "
                           "explained rows of both, so a change of contribution comes from the explained rows alone"
                           if explained.meta.get("uses_background") else "the explainer uses no background sample")}
    return explanation_drift(values[:n_ref], values[n_ref:], list(explained.feature_names), drifted,
                             n_resamples=n_resamples, confidence=confidence, reliance_share=reliance_share,
                             random_state=random_state, meta=meta)
