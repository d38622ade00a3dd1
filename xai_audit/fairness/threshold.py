"""The fairness tables at a decision threshold other than the model's own.

An analyst exploring a cut-off needs every number of the fairness tables (group rates with their
intervals, differences, ratios, the four-fifths rule, Local Law 144) recomputed as if the favourable
decision were ``score >= threshold``; this module turns scores into those decisions and hands them to
:func:`xai_audit.fairness.fairness_report`, so the tables have exactly the audit's shape.
"""

from __future__ import annotations

import numpy as np

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.report import fairness_report


def decisions_at(scores, threshold: float) -> np.ndarray:
    """The favourable decision (1) where ``score >= threshold``, else 0.

    Examples
    --------
    >>> decisions_at([0.2, 0.5, 0.9], 0.5).tolist()
    [0, 1, 1]
    """
    scores = np.asarray(scores, dtype=float)
    if not 0.0 <= float(threshold) <= 1.0:
        raise InvalidInputError(f"The decision threshold must be between 0 and 1; got {threshold}.")
    if np.isnan(scores).any():
        raise InvalidInputError(
            f"{int(np.isnan(scores).sum())} scores are missing; a threshold needs a score for every row.")
    return (scores >= float(threshold)).astype(int)


def fairness_at_threshold(y_true, scores, groups, threshold: float, **options) -> dict:
    """The fairness report when the favourable decision is ``score >= threshold``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 outcomes, 1 the favourable one.
    scores : array-like of shape (n,)
        Probability of the favourable outcome, per row.
    groups : DataFrame
        One column per sensitive attribute.
    threshold : float
        The cut-off in [0, 1].
    **options
        Passed to :func:`~xai_audit.fairness.fairness_report` (``reference_groups``,
        ``intersections``, ``n_resamples``, ``confidence``, ``min_group_size``, ``random_state``):
        give the audit's own to get tables comparable with the audit's.

    Returns
    -------
    dict
        ``{attribute: table}`` as in ``AuditResult.fairness``, for the decisions at ``threshold``.

    Examples
    --------
    >>> import pandas as pd
    >>> groups = pd.DataFrame({"sex": ["f", "f", "m", "m"]})
    >>> report = fairness_at_threshold([1, 0, 1, 0], [0.9, 0.6, 0.7, 0.2], groups, 0.65, n_resamples=0,
    ...                                min_group_size=1)
    >>> report["sex"]["groups"]["f"]["selection_rate"], report["sex"]["groups"]["m"]["selection_rate"]
    (0.5, 0.5)
    """
    decided = decisions_at(scores, threshold)
    return fairness_report(y_true, decided, groups, scores=np.asarray(scores, dtype=float), task="binary", **options)
