"""Data drift from summaries: per-feature tests on the sketches' counts, without rows.

Each feature's reference and current counts (numeric: on the shared bin edges, missing values
left out as the row path leaves them out; categorical: per category, missing as its own category)
form a 2 × k table; Pearson's χ² test of homogeneity (``scipy.stats.chi2_contingency``) tests it,
and PSI and the Jensen–Shannon distance (base 2) are computed from the same counts. p-values are
adjusted across features as in :func:`xai_audit.drift.features.feature_drift`. KS and Wasserstein
need rows and are not given; neither are prediction, explanation or fairness drift.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

from xai_audit.drift.features import CORRECTIONS, judge_features, psi_from_counts
from xai_audit.exceptions import InvalidInputError

NOT_FROM_SUMMARIES = ("Kolmogorov–Smirnov and Wasserstein distances, prediction drift, explanation drift and "
                      "fairness drift need rows and are not computed from summaries; run `xai-audit drift "
                      "--reference R --current C` on the rows for them.")


def count_table(reference: dict, current: dict) -> tuple[list[str], np.ndarray]:
    """The bins (or categories) and the 2 × k table of counts of one feature's two sketches.

    Examples
    --------
    >>> count_table({"kind": "categorical", "counts": {"a": 2}}, {"kind": "categorical", "counts": {"b": 1}})
    (['a', 'b'], array([[2, 0],
           [0, 1]]))
    """
    if reference["kind"] != current["kind"]:
        raise InvalidInputError(f"A feature is {reference['kind']} in the reference summary and {current['kind']} in "
                                "the current one; summarise both periods with the same feature kinds.")
    if reference["kind"] == "numeric":
        if reference["edges"] != current["edges"]:
            raise InvalidInputError("The reference and current summaries bin a numeric feature on different edges; "
                                    "summarise the current data with `--bins-from` the reference summary.")
        edges = reference["edges"]
        labels = [f"< {edges[0]:g}"] if edges else ["all"]
        labels += [f"[{a:g}, {b:g})" for a, b in zip(edges[:-1], edges[1:])] + ([f">= {edges[-1]:g}"] if edges else [])
        return labels, np.array([reference["counts"], current["counts"]], dtype=np.int64)
    categories = sorted(set(reference["counts"]) | set(current["counts"]))
    return categories, np.array([[reference["counts"].get(c, 0) for c in categories],
                                 [current["counts"].get(c, 0) for c in categories]], dtype=np.int64)


def sketch_drift(reference: dict, current: dict) -> dict:
    """χ² test, PSI and Jensen–Shannon distance of one feature from its two sketches."""
    labels, table = count_table(reference, current)
    used = table.sum(axis=0) > 0
    table = table[:, used]
    n_ref, n_cur = int(table[0].sum()), int(table[1].sum())
    row = {"kind": reference["kind"], "test": "chi2", "basis": "counts on bins" if reference["kind"] == "numeric"
           else "counts per category", "bins": [label for label, keep in zip(labels, used) if keep],
           "n_reference": n_ref, "n_current": n_cur, "counts_reference": table[0].tolist(),
           "counts_current": table[1].tolist()}
    if n_ref == 0 or n_cur == 0:
        return {**row, "statistic": None, "p_value": None, "psi": None, "jensen_shannon": None,
                "note": "no values in one period"}
    if table.shape[1] < 2:
        statistic, p_value = 0.0, 1.0  # one bin holds every value in both periods: nothing can have moved
    else:
        test = stats.chi2_contingency(table)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    return {**row, "statistic": statistic, "p_value": p_value, "psi": psi_from_counts(table[0], table[1]),
            "jensen_shannon": float(jensenshannon(table[0] / n_ref, table[1] / n_cur, base=2))}


def drift_from_summaries(reference, current, *, alpha: float = 0.05, correction: str = "fdr_bh") -> dict:
    """The per-feature drift table of two (merged) summaries, in the shape of ``feature_drift``'s.

    Examples
    --------
    >>> ref = {"c": {"kind": "categorical", "counts": {"a": 70, "b": 30}}}
    >>> cur = {"c": {"kind": "categorical", "counts": {"a": 30, "b": 70}}}
    >>> from xai_audit.summaries.core import Summary, GroupSummary
    >>> s = lambda k: Summary("binary", (), False, False, GroupSummary(("overall",)), {}, sketches=k)
    >>> drift_from_summaries(s(ref), s(cur))["features"]["c"]["verdict"]
    'drifted'
    """
    if correction not in CORRECTIONS:
        raise InvalidInputError(f"correction must be one of {list(CORRECTIONS)}; got {correction!r}.")
    for which, summary in (("reference", reference), ("current", current)):
        if summary.sketches is None:
            raise InvalidInputError(f"The {which} summary has no feature sketches; summarise it again with "
                                    "`xai-audit summarize` of this version.")
    if sorted(reference.sketches) != sorted(current.sketches):
        raise InvalidInputError(f"The summaries sketch different features ({sorted(reference.sketches)} vs "
                                f"{sorted(current.sketches)}); summarise both periods with the same features.")
    rows = {name: sketch_drift(reference.sketches[name], current.sketches[name]) for name in reference.sketches}
    return {**judge_features(rows, alpha=alpha, correction=correction), "computed_from": "summaries",
            "not_computed": NOT_FROM_SUMMARIES}
