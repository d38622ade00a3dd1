"""One decision cut-off for the Fairness and Performance pages: the control and what it recomputes.

The cut-off is the analyst's exploration: off, every page shows the model's own decisions as audited;
on, each page recomputes its cards and tables (with intervals) as if cases were approved when their
score is at least the cut-off. The numbers come from :mod:`xai_audit.fairness` (``performance_at_threshold``,
``threshold_curves``); the verdict and findings keep the model's decisions.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit_app import fairness_views

EXPLORE = "cutoff_explore"
CUTOFF = "cutoff_value"
EXPLORE_KEY = "cutoff_toggle"
CUTOFF_KEY = "cutoff_slider"


def _keep(widget: str, kept: str) -> None:
    st.session_state[kept] = st.session_state[widget]


PAGE_SCOPE = {
    "fairness": "every card and table on this page is recomputed at it, with the audit's resamples and seed",
    "performance": ("the by-group table, the decision metrics, the confusion matrix and the curves' point are "
                    "recomputed at it, with the audit's resamples and seed; accuracy at the model's own decisions "
                    "is set aside, and the cards left above do not depend on a cut-off (ROC AUC, log loss, Brier "
                    "score, calibration)"),
}


def cut_off_control(entry, page: str) -> float | None:
    """The shared cut-off control; the explored cut-off, or None for the model's own decisions.

    The values live in plain session keys (``cutoff_explore``, ``cutoff_value``), which no page
    switch touches; each page's widgets start from them and write back to them when changed, so the
    Fairness and Performance pages always show the same cut-off.
    """
    if not fairness_views.can_sweep(entry):
        return None
    with st.container(border=True):
        left, right = st.columns([2, 3])
        st.session_state.setdefault(EXPLORE, False)
        st.session_state.setdefault(CUTOFF, 0.5)
        st.session_state[EXPLORE_KEY] = st.session_state[EXPLORE]
        st.session_state[CUTOFF_KEY] = st.session_state[CUTOFF]
        explore = left.toggle("Explore a cut-off other than the model's", key=EXPLORE_KEY,
                              on_change=_keep, args=(EXPLORE_KEY, EXPLORE),
                              help="Recompute every card and table of the Fairness and Performance pages as if "
                                   "cases were approved when their score is at least the cut-off.")
        threshold = right.slider("Approve when the score is at least", min_value=0.05, max_value=0.95, step=0.01,
                                 key=CUTOFF_KEY, disabled=not explore,
                                 on_change=_keep, args=(CUTOFF_KEY, CUTOFF))
        if not explore:
            st.caption("The cards and tables show the model's own decisions, as audited.")
            return None
        st.warning(f"Exploring a cut-off of {threshold:.2f}, not the model's: {PAGE_SCOPE[page]}. The same cut-off "
                   "applies on the Fairness and Performance pages. The verdict and findings keep the model's own "
                   "decisions.", icon=":material/tune:")
    return float(threshold)


def _options(entry) -> dict:
    policy = getattr(entry.spec, "policy", None)
    confidence = policy.setting("audit", "confidence", 0.95) if hasattr(policy, "setting") else 0.95
    resamples = fairness_views.run_resamples(entry)
    if resamples is None and hasattr(policy, "setting"):
        resamples = policy.setting("fairness", "n_resamples", 1000)
    return {"n_resamples": int(resamples or 1000), "confidence": confidence,
            "random_state": entry.settings.get("seed", 0)}


def performance_at(entry, threshold: float) -> dict:
    """Decision metrics with intervals and the confusion matrix at ``threshold`` (kept per audit)."""
    from xai_audit import performance_at_threshold

    return entry.view(("performance_at", round(float(threshold), 4)), lambda: performance_at_threshold(
        entry.data.y_true_positive(), fairness_views.scores(entry), threshold, **_options(entry)))


def curves(entry) -> dict:
    """The ROC and precision-recall curves of the audit's scores (kept per audit)."""
    from xai_audit import threshold_curves

    return entry.view("threshold_curves", lambda: threshold_curves(entry.data.y_true_positive(),
                                                                   fairness_views.scores(entry)))


def confusion_frame(confusion: dict) -> pd.DataFrame:
    """The confusion matrix as a 2×2 table: rows the true outcome, columns the decision."""
    return pd.DataFrame({"decided favourable": [confusion["tp"], confusion["fp"]],
                         "decided unfavourable": [confusion["fn"], confusion["tn"]]},
                        index=["truly favourable", "truly unfavourable"])


def curve_point(curve: dict, x: str, y: str, threshold: float) -> pd.DataFrame:
    """The curve's point at the smallest curve threshold at or above ``threshold``: the decisions at that
    cut-off (score >= cut-off is favourable). ROC thresholds fall along the curve and precision-recall
    thresholds rise, so the point is chosen by value, never by position.

    Examples
    --------
    >>> roc = {"fpr": [0.0, 0.5, 1.0], "tpr": [0.5, 1.0, 1.0], "threshold": [0.8, 0.4, 0.1]}
    >>> pr = {"recall": [1.0, 1.0, 0.5], "precision": [0.5, 0.67, 1.0], "threshold": [0.1, 0.4, 0.8]}
    >>> curve_point(roc, "fpr", "tpr", 0.3)[["fpr", "tpr"]].values.tolist()
    [[0.5, 1.0]]
    >>> curve_point(pr, "recall", "precision", 0.3)[["recall", "precision"]].values.tolist()
    [[1.0, 0.67]]
    """
    frame = pd.DataFrame(curve)
    at = frame[frame["threshold"] >= threshold]
    row = frame.loc[[at["threshold"].idxmin()]] if not at.empty else frame.loc[[frame["threshold"].idxmax()]]
    return row[[x, y]].assign(label=f"cut-off {threshold:.2f}")


# Per-group metrics of the decisions at a cut-off, as the Performance page's by-group table shows them.
DECISION_METRICS = ("selection_rate", "accuracy", "tpr", "fpr", "ppv", "fnr", "tnr", "npv")


def by_group_at(entry, attribute: str, threshold: float) -> tuple[pd.DataFrame, dict] | None:
    """Each group's decision metrics at ``threshold``: (values, ``{group: {metric: (low, high)}}``).

    The numbers are the Fairness page's at the same cut-off (one computation, :func:`xai_audit.fairness_at_threshold`
    with the audit's resamples, seed and confidence), so both pages show the same value and interval for a
    group; None when the audit has no fairness table for ``attribute``.
    """
    table = fairness_views.tables(fairness_views.explored_fairness(entry, threshold)).get(attribute)
    if table is None:
        return None
    rows, intervals = [], {}
    for group in table.rows:
        if not group.listed:
            continue
        row = {"group": group.group, "n": group.n}
        row.update({metric: group.value(metric) for metric in DECISION_METRICS if metric in group.metrics})
        rows.append(row)
        intervals[group.group] = {metric: group.interval(metric) for metric in DECISION_METRICS}
    return pd.DataFrame(rows), intervals
