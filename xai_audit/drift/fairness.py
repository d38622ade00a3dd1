"""Fairness drift: each group's selection rate, TPR and FPR in both periods, and what changed.

For every sensitive attribute, each group's rate in the reference and current periods, the change
(current − reference) with Newcombe's interval for two independent proportions, and a flag where
that interval excludes zero. The UGESP four-fifths verdict (each group's selection rate over the
highest eligible group's, :func:`xai_audit.fairness.compare.impact_ratios`) is computed in both
periods; groups whose verdict changed are listed. Groups smaller than ``min_group_size`` in a
period, and the group ``"unknown"``, are reported but not eligible as the highest group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.drift.predictions import proportion_change
from xai_audit.fairness.compare import impact_ratios, is_below_four_fifths

UNKNOWN = "unknown"
RATES = ("selection_rate", "tpr", "fpr")


def _counts(decisions: np.ndarray, y_true, labels: pd.Series, groups: list[str]) -> dict:
    """Per group: rows, selected, positives (favourable outcomes) selected among them, negatives."""
    frame = pd.DataFrame({"g": labels.to_numpy(), "d": decisions.astype(np.int64)})
    if y_true is not None:
        frame["y"] = np.asarray(y_true).astype(np.int64)
    out = {}
    for group in groups:
        rows = frame[frame["g"] == group]
        entry = {"n": len(rows), "selected": int(rows["d"].sum())}
        if y_true is not None:
            positives, negatives = rows[rows["y"] == 1], rows[rows["y"] == 0]
            entry.update(positives=len(positives), tp=int(positives["d"].sum()),
                         negatives=len(negatives), fp=int(negatives["d"].sum()))
        out[group] = entry
    return out


def _four_fifths(counts: dict, groups: list[str], min_group_size: int) -> dict:
    rates = np.array([counts[g]["selected"] / counts[g]["n"] if counts[g]["n"] else np.nan for g in groups])
    eligible = np.array([counts[g]["n"] >= min_group_size and g != UNKNOWN for g in groups])
    ratios, highest = impact_ratios(rates, eligible)
    table = {}
    for group, ratio, ok in zip(groups, ratios, eligible):
        ratio = None if np.isnan(ratio) else float(ratio)
        verdict = "not assessed" if not ok or ratio is None else "fail" if is_below_four_fifths(ratio) else "pass"
        table[group] = {"impact_ratio": ratio, "verdict": verdict}
    return {"highest_group": None if highest is None else groups[highest], "groups": table}


def fairness_drift(reference: dict, current: dict, *, confidence: float = 0.95, min_group_size: int = 30) -> dict:
    """The fairness-drift section for every sensitive attribute both periods share.

    Parameters
    ----------
    reference, current : dict
        Per period: ``"decisions"`` (1 for the favourable decision), ``"y_true"`` (1 for the
        favourable outcome, or None) and ``"groups"`` (a DataFrame, one label column per attribute).

    Returns
    -------
    dict
        ``{attribute: {"groups": {group: {metric: change row}}, "four_fifths": {"reference",
        "current", "changed": [groups]}}}``; a change row is :func:`proportion_change`'s plus
        ``"significant"`` (its interval excludes zero).

    Examples
    --------
    >>> g = pd.DataFrame({"sex": ["f"] * 100 + ["m"] * 100})
    >>> ref = {"decisions": np.r_[np.ones(70), np.zeros(30), np.ones(70), np.zeros(30)], "y_true": None, "groups": g}
    >>> cur = {"decisions": np.r_[np.ones(40), np.zeros(60), np.ones(70), np.zeros(30)], "y_true": None, "groups": g}
    >>> table = fairness_drift(ref, cur)["sex"]
    >>> round(table["groups"]["f"]["selection_rate"]["change"], 2), table["four_fifths"]["changed"]
    (-0.3, ['f'])
    """
    section = {}
    with_target = reference.get("y_true") is not None and current.get("y_true") is not None
    for attribute in reference["groups"].columns:
        if attribute not in current["groups"].columns:
            continue
        labels_ref = reference["groups"][attribute].astype(str)
        labels_cur = current["groups"][attribute].astype(str)
        groups = sorted(set(labels_ref) | set(labels_cur))
        c_ref = _counts(np.asarray(reference["decisions"]), reference.get("y_true") if with_target else None,
                        labels_ref, groups)
        c_cur = _counts(np.asarray(current["decisions"]), current.get("y_true") if with_target else None,
                        labels_cur, groups)
        table = {}
        for group in groups:
            parts = {"selection_rate": ("selected", "n")}
            if with_target:
                parts.update(tpr=("tp", "positives"), fpr=("fp", "negatives"))
            rows = {}
            for metric, (hits, base) in parts.items():
                row = proportion_change(c_ref[group][hits], c_ref[group][base],
                                        c_cur[group][hits], c_cur[group][base], confidence=confidence)
                row["significant"] = bool(row["ci"] is not None and (row["ci"][0] > 0 or row["ci"][1] < 0))
                rows[metric] = row
            table[group] = rows
        ff_ref = _four_fifths(c_ref, groups, min_group_size)
        ff_cur = _four_fifths(c_cur, groups, min_group_size)
        changed = [g for g in groups if ff_ref["groups"][g]["verdict"] != ff_cur["groups"][g]["verdict"]
                   and "not assessed" not in (ff_ref["groups"][g]["verdict"], ff_cur["groups"][g]["verdict"])]
        section[attribute] = {"groups": table,
                              "four_fifths": {"reference": ff_ref, "current": ff_cur, "changed": changed}}
    return section
