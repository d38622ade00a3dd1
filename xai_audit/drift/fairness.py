"""Fairness drift: each group's rates and impact ratios in both periods, and what changed.

For every sensitive attribute and every intersection of two (keyed ``"sex*age_group"``), each
group's selection rate, TPR and FPR in the reference and current periods, and the change
(current − reference) with Newcombe's interval for two independent proportions. Group labels are
coded once over both periods, so a group absent from one period is still reported.

Impact ratios are computed in both periods under two conventions:

- the UGESP four-fifths rule (29 CFR 1607.4(D)): a group's selection rate over the highest rate
  among groups of at least ``min_group_size`` rows other than ``"unknown"``; verdict "fail" below 0.8;
- NYC Local Law 144 (6 RCNY § 5-301): a category's selection rate over the highest rate among
  categories holding at least 2% of the period's rows other than ``"unknown"``, intersections
  included. The law sets no pass line; the verdict marks an impact ratio below 0.8, the line its
  bias audits are usually read against, and categories under 2% are "not assessed".

The change of each impact ratio gets a percentile interval from the stratified bootstrap
(:func:`xai_audit.stats.bootstrap.resample_counts`: each group's selected count redrawn within
the group, independently in each period, the highest group chosen again in every resample).
Groups whose verdict changed between periods are listed under each convention.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.drift.predictions import proportion_change
from xai_audit.fairness.compare import LL144_SMALL_SHARE, impact_ratios, is_below_four_fifths
from xai_audit.fairness.groups import encode_groups
from xai_audit.stats.bootstrap import resample_counts
from xai_audit.stats.intervals import percentile_interval

NOT_ASSESSED = "not assessed"
FOUR_FIFTHS_CONVENTION = ("impact ratio = group selection rate / highest selection rate among groups of at least "
                          "{min_group_size} rows other than 'unknown' in that period (UGESP, 29 CFR 1607.4(D)); "
                          "fail when strictly below 0.8")
LL144_CONVENTION = ("impact ratio = category selection rate / highest selection rate among categories holding at "
                    "least 2% of the period's rows other than 'unknown' (NYC Local Law 144 of 2021, 6 RCNY § 5-301); "
                    "the law sets no pass line: 'fail' marks a ratio strictly below 0.8; categories under 2% are "
                    "not assessed")


def _counts(codes: np.ndarray, n_groups: int, decisions: np.ndarray, y_true) -> dict:
    """Per group code: rows, selected, and (with a target) positives, true positives, negatives, false positives."""
    selected = decisions.astype(bool)
    counts = {"n": np.bincount(codes, minlength=n_groups),
              "selected": np.bincount(codes, weights=selected, minlength=n_groups).astype(np.int64)}
    if y_true is not None:
        positive = np.asarray(y_true).astype(bool)
        counts["positives"] = np.bincount(codes, weights=positive, minlength=n_groups).astype(np.int64)
        counts["tp"] = np.bincount(codes, weights=positive & selected, minlength=n_groups).astype(np.int64)
        counts["negatives"] = counts["n"] - counts["positives"]
        counts["fp"] = counts["selected"] - counts["tp"]
    return counts


def _eligible(counts: dict, unknown: np.ndarray, convention: str, min_group_size: int) -> np.ndarray:
    """Groups that may be the highest group and that get a verdict, in one period."""
    n = counts["n"]
    if convention == "four_fifths":
        big = n >= max(min_group_size, 1)
    else:
        big = (n > 0) & (n / max(int(n.sum()), 1) >= LL144_SMALL_SHARE)
    return big & ~unknown


def _impact(counts: dict, eligible: np.ndarray, labels) -> dict:
    """One period's impact ratios and verdicts under one convention."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(counts["n"] > 0, counts["selected"] / np.maximum(counts["n"], 1), np.nan)
    ratios, highest = impact_ratios(rates, eligible)
    groups = {}
    for index, label in enumerate(labels):
        ratio = None if np.isnan(ratios[index]) else float(ratios[index])
        verdict = (NOT_ASSESSED if not eligible[index] or ratio is None
                   else "fail" if is_below_four_fifths(ratio) else "pass")
        groups[label] = {"n": int(counts["n"][index]), "impact_ratio": ratio, "verdict": verdict}
    return {"highest_group": None if highest is None else labels[highest], "groups": groups}


def _ratio_samples(counts: dict, eligible: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap impact ratios, shape ``(n_resamples, n_groups)``, the highest group chosen in each resample."""
    cells = np.stack([counts["selected"], counts["n"] - counts["selected"]], axis=1)
    draws = resample_counts(cells, n_resamples, rng)[:, :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(counts["n"] > 0, draws / np.maximum(counts["n"], 1), np.nan)
    candidates = np.where(eligible & ~np.isnan(rates), rates, -np.inf)
    highest = np.take_along_axis(rates, np.argmax(candidates, axis=1)[:, None], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(highest > 0, rates / highest, np.nan)
    if not eligible.any():
        ratios[:] = np.nan
    return ratios


def _convention(c_ref: dict, c_cur: dict, unknown: np.ndarray, labels, name: str, *, min_group_size: int,
                n_resamples: int, confidence: float, rng: np.random.Generator) -> dict:
    """Both periods' impact ratios and verdicts, the change of each ratio with its interval, the changed verdicts."""
    eligible_ref = _eligible(c_ref, unknown, name, min_group_size)
    eligible_cur = _eligible(c_cur, unknown, name, min_group_size)
    reference = _impact(c_ref, eligible_ref, labels)
    current = _impact(c_cur, eligible_cur, labels)
    low = high = np.full(len(labels), np.nan)
    if n_resamples > 0:
        change = (_ratio_samples(c_cur, eligible_cur, n_resamples, rng)
                  - _ratio_samples(c_ref, eligible_ref, n_resamples, rng))
        low, high = percentile_interval(change, confidence)
    changes = {}
    for index, label in enumerate(labels):
        before, after = reference["groups"][label]["impact_ratio"], current["groups"][label]["impact_ratio"]
        if before is None or after is None or not (eligible_ref[index] and eligible_cur[index]):
            changes[label] = {"reference": before, "current": after, "change": None, "ci": None}
            continue
        if reference["highest_group"] == label == current["highest_group"]:
            changes[label] = {"reference": before, "current": after, "change": 0.0, "ci": None,
                              "note": "the highest group in both periods: its ratio is 1 by construction"}
            continue
        interval = None if np.isnan(low[index]) else [float(low[index]), float(high[index])]
        changes[label] = {"reference": before, "current": after, "change": after - before, "ci": interval}
    changed = [label for label in labels
               if NOT_ASSESSED not in (reference["groups"][label]["verdict"], current["groups"][label]["verdict"])
               and reference["groups"][label]["verdict"] != current["groups"][label]["verdict"]]
    convention = (FOUR_FIFTHS_CONVENTION.format(min_group_size=min_group_size) if name == "four_fifths"
                  else LL144_CONVENTION)
    return {"convention": convention, "reference": reference, "current": current, "ratio_change": changes,
            "changed": changed}


def fairness_drift(reference: dict, current: dict, *, confidence: float = 0.95, min_group_size: int = 30,
                   intersections: bool = True, n_resamples: int = 1000, random_state=None) -> dict:
    """The fairness-drift section for every sensitive attribute both periods share, and their intersections.

    Parameters
    ----------
    reference, current : dict
        Per period: ``"decisions"`` (1 for the favourable decision), ``"y_true"`` (1 for the
        favourable outcome, or None) and ``"groups"`` (a DataFrame, one label column per attribute).
    confidence : float
        Level of every interval.
    min_group_size : int
        Groups smaller than this in a period get no four-fifths verdict in it.
    intersections : bool
        Also compare every pair of attributes (``"a*b"``).
    n_resamples : int
        Bootstrap resamples for the intervals of the impact-ratio changes (0: none).
    random_state : int, optional

    Returns
    -------
    dict
        ``{attribute: {"attributes", "groups": {group: {metric: change row}}, "four_fifths": {...},
        "ll144": {...}}}``; a change row is :func:`proportion_change`'s plus ``"significant"`` (its
        interval excludes zero); each convention holds ``"reference"`` and ``"current"`` (impact
        ratio and verdict per group), ``"ratio_change"`` (the change with its interval) and
        ``"changed"`` (the groups whose verdict changed).

    Examples
    --------
    >>> g = pd.DataFrame({"sex": ["f"] * 100 + ["m"] * 100})
    >>> ref = {"decisions": np.r_[np.ones(70), np.zeros(30), np.ones(70), np.zeros(30)], "y_true": None, "groups": g}
    >>> cur = {"decisions": np.r_[np.ones(40), np.zeros(60), np.ones(70), np.zeros(30)], "y_true": None, "groups": g}
    >>> table = fairness_drift(ref, cur, random_state=0)["sex"]
    >>> round(table["groups"]["f"]["selection_rate"]["change"], 2), table["four_fifths"]["changed"]
    (-0.3, ['f'])
    >>> table["ll144"]["changed"], round(table["ll144"]["ratio_change"]["f"]["change"], 3)
    (['f'], -0.429)
    """
    shared = [column for column in reference["groups"].columns if column in current["groups"].columns]
    if not shared:
        return {}
    n_ref = len(reference["groups"])
    both = pd.concat([reference["groups"][shared], current["groups"][shared]], ignore_index=True).astype(str)
    with_target = reference.get("y_true") is not None and current.get("y_true") is not None
    rng = np.random.default_rng(random_state)
    section = {}
    for coding in encode_groups(both, len(both), intersections=intersections):
        labels, unknown = list(coding.labels), coding.is_unknown()
        c_ref = _counts(coding.codes[:n_ref], coding.n_groups, np.asarray(reference["decisions"]),
                        reference.get("y_true") if with_target else None)
        c_cur = _counts(coding.codes[n_ref:], coding.n_groups, np.asarray(current["decisions"]),
                        current.get("y_true") if with_target else None)
        parts = {"selection_rate": ("selected", "n")}
        if with_target:
            parts.update(tpr=("tp", "positives"), fpr=("fp", "negatives"))
        table = {}
        for index, label in enumerate(labels):
            rows = {}
            for metric, (hits, base) in parts.items():
                row = proportion_change(int(c_ref[hits][index]), int(c_ref[base][index]),
                                        int(c_cur[hits][index]), int(c_cur[base][index]), confidence=confidence)
                row["significant"] = bool(row["ci"] is not None and (row["ci"][0] > 0 or row["ci"][1] < 0))
                rows[metric] = row
            table[label] = rows
        options = dict(min_group_size=min_group_size, n_resamples=n_resamples, confidence=confidence, rng=rng)
        section[coding.name] = {
            "attributes": list(coding.attributes), "groups": table,
            "four_fifths": _convention(c_ref, c_cur, unknown, labels, "four_fifths", **options),
            "ll144": _convention(c_ref, c_cur, unknown, labels, "ll144", **options),
        }
    return section
