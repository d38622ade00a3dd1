"""Which explained rows the report's local explanations show: the cases a reviewer needs.

Not the first rows of a sample, but the most confident error, a declined case and the case nearest
the decision cut-off (binary); the least confident and the most confident cases (multiclass); the
largest over- and under-predictions (regression). Each comes with the reason it was chosen.
"""

from __future__ import annotations

import numpy as np


LOCAL_EXAMPLES = 3  # local explanations the report shows, chosen by reviewer_examples


def reviewer_examples(adapter, data, features, rows, *, limit: int = LOCAL_EXAMPLES, predictions=None) -> list[dict]:
    """The explained rows a reviewer should read first, each with the reason it was chosen.

    Binary: the most confident misclassified case, the declined case (not the favourable class)
    with the lowest probability of the favourable class, and the borderline case whose probability
    is closest to the decision cut-off (the model's own decisions; 0.5 for an argmax classifier).
    Multiclass: the most confident misclassified case, the least confident case (smallest margin
    between the two likeliest classes), and the most confident correct case. Regression: the largest
    over- and under-prediction (residual = prediction − truth) and the case nearest the median
    prediction. Cases the explained rows do not hold are left out; the rest of the ``limit`` is
    filled with the first explained rows, labelled as such.

    Parameters
    ----------
    adapter : ModelAdapter
    data : AuditDataset
    features : list of str
    rows : list of int
        Positions in ``data`` of the explained rows, in the order of the local explanations.
    limit : int
    predictions : tuple, optional
        ``(decisions, probabilities)``: the model's predictions (and class probabilities, or None) on
        every row of ``data``, as the audit already computed them; without them the model is asked
        again for the explained rows.

    Returns
    -------
    list of dict
        ``{"index": position in rows, "row": data position, "reason": key, "reason_chosen": sentence}``;
        ``reason`` is one of ``misclassified``, ``declined``, ``borderline``, ``least_confident``,
        ``confident_correct``, ``over_predicted``, ``under_predicted``, ``typical``, ``first_rows``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": np.arange(40.0), "y": [0] * 18 + [1, 0] + [1] * 20})
    >>> model = load_model(LogisticRegression().fit(df[["a"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y", positive_label=1)
    >>> [e["reason"] for e in reviewer_examples(model, data, ["a"], list(range(40)))]
    ['misclassified', 'declined', 'borderline']
    """
    rows = np.asarray(rows, dtype=int)
    if not len(rows) or limit <= 0:
        return []
    truth = np.asarray(data.y_true())[rows] if data.target is not None else None
    chosen: list[dict] = []

    def add(k, reason, sentence):
        if k is not None and len(chosen) < limit and all(c["index"] != int(k) for c in chosen):
            chosen.append({"index": int(k), "row": int(rows[k]), "reason": reason, "reason_chosen": sentence})

    if adapter.task == "regression" or adapter.has_proba:
        predicted, proba = _predictions(adapter, data, features, rows, predictions)
    if adapter.task == "regression":
        _regression_examples(np.asarray(predicted, dtype=float), truth, add)
    elif adapter.has_proba:
        proba = np.asarray(proba, dtype=float)
        predicted = np.asarray(predicted, dtype=object)
        if adapter.task == "binary":
            _binary_examples(proba[:, adapter.positive_index], predicted, truth, adapter.positive_class, add)
        else:
            _multiclass_examples(proba, predicted, truth, add)
    for k in range(len(rows)):
        add(k, "first_rows", "one of the first explained rows (no case of the kinds above among them)")
    return chosen


def _predictions(adapter, data, features, rows, predictions):
    """The decisions and class probabilities (None for a regression) of ``rows``: sliced from the
    audit's ``predictions`` of every row when given, else asked of the model."""
    wants_proba = adapter.task != "regression"
    if predictions is not None:
        decisions, probabilities = predictions
        return np.asarray(decisions)[rows], np.asarray(probabilities)[rows] if wants_proba else None
    X = data.model_input(features).iloc[rows]
    return adapter.predict(X), adapter.predict_proba(X) if wants_proba else None


def _binary_examples(score, predicted, truth, favourable, add):
    favourable_text = f"probability of '{favourable}'"
    declined = np.flatnonzero(predicted != favourable)
    if truth is not None:
        wrong = np.flatnonzero(np.asarray(truth, dtype=object) != predicted)
        if len(wrong):
            k = wrong[np.argmax(np.abs(score[wrong] - 0.5))]
            add(k, "misclassified", f"misclassified: true '{truth[k]}', predicted '{predicted[k]}' with "
                                    f"{favourable_text} {score[k]:.3f}, the most confident error among the explained rows")
    if len(declined):
        k = declined[np.argmin(score[declined])]
        add(k, "declined", f"declined: predicted '{predicted[k]}', the lowest {favourable_text} ({score[k]:.3f}) "
                           "among the explained declined cases")
    cut = _cut_off(score, predicted == favourable)
    if cut is not None:
        k = int(np.argmin(np.abs(score - cut)))
        add(k, "borderline", f"borderline: {favourable_text} {score[k]:.3f}, the closest to the decision cut-off "
                             f"({cut:g}) among the explained rows")


def _cut_off(score, approved):
    """The decision cut-off on the score: 0.5 when the decisions follow it, else None (not stated)."""
    if np.array_equal(approved, score >= 0.5) or np.array_equal(approved, score > 0.5):
        return 0.5
    return None


def _multiclass_examples(proba, predicted, truth, add):
    top = np.sort(proba, axis=1)
    confidence, margin = top[:, -1], top[:, -1] - (top[:, -2] if proba.shape[1] > 1 else 0.0)
    if truth is not None:
        right = np.asarray(truth, dtype=object) == predicted
        wrong = np.flatnonzero(~right)
        if len(wrong):
            k = wrong[np.argmax(confidence[wrong])]
            add(k, "misclassified", f"misclassified: true '{truth[k]}', predicted '{predicted[k]}' with probability "
                                    f"{confidence[k]:.3f}, the most confident error among the explained rows")
    k = int(np.argmin(margin))
    add(k, "least_confident", f"least confident: the two likeliest classes are {margin[k]:.3f} apart, the smallest "
                              "margin among the explained rows")
    if truth is not None and right.any():
        correct = np.flatnonzero(right)
        k = correct[np.argmax(confidence[correct])]
        add(k, "confident_correct", f"correctly classified as '{predicted[k]}' with probability {confidence[k]:.3f}, "
                                    "the most confident correct case among the explained rows")


def _regression_examples(prediction, truth, add):
    if truth is not None:
        residual = prediction - np.asarray(truth, dtype=float)
        k = int(np.argmax(residual))
        if residual[k] > 0:
            add(k, "over_predicted", f"largest over-prediction: predicted {prediction[k]:.4g} for a true "
                                     f"{truth[k]:.4g} (residual {residual[k]:+.4g})")
        k = int(np.argmin(residual))
        if residual[k] < 0:
            add(k, "under_predicted", f"largest under-prediction: predicted {prediction[k]:.4g} for a true "
                                      f"{truth[k]:.4g} (residual {residual[k]:+.4g})")
    k = int(np.argmin(np.abs(prediction - np.median(prediction))))
    add(k, "typical", f"typical: the prediction ({prediction[k]:.4g}) nearest the median of the explained rows")
