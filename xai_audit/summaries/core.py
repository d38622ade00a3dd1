"""Mergeable summaries of an audit's rows: what the performance and fairness sections need, without
the rows.

For every sensitive attribute and pair of attributes (the tables of the fairness section) and for all
rows together (``overall``), each group keeps its confusion cell counts (binary task: TN, FP, FN, TP
of the favourable outcome), its score summary (:mod:`xai_audit.summaries.scores`) when scores are
given, and its regression moments (regression task). Every part is a count or a sum, so the summary
of the union of two sets of rows is the part-wise sum (:func:`merge`): associative and independent of
order, exactly so for counts and up to float rounding for sums of scores.

Groups are labelled as the fairness section labels them (:func:`xai_audit.fairness.groups.encode_groups`):
strings, missing values as ``"unknown"``, pairs as ``"a*b"``; a merged table lists its groups in the
order the row path would (sorted labels; pairs by their parts), so tables built from a merged
summary and from the pooled rows line up group for group.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.groups import as_binary, as_finite, as_probability, check_same_length, encode_groups
from xai_audit.fairness.metrics import confusion_counts
from xai_audit.summaries.sketches import merge_sketches
from xai_audit.summaries.scores import MOMENTS, SCORE_BINS, merge_scores
from xai_audit.stats.calibration import ECE_BINS, score_bins

TASKS = ("binary", "regression")
# Regression moments per group: rows, Σy, Σy², Σŷ, Σ|ŷ−y|, Σ(ŷ−y), Σ(ŷ−y)².
REGRESSION_MOMENTS = ("count", "sum_true", "sum_true_squares", "sum_pred", "sum_abs_residual", "sum_residual",
                      "sum_squared_residual")
OVERALL = "overall"


@dataclass(frozen=True)
class GroupSummary:
    """One group's counts and sums; ``None`` parts are absent (no scores, or withheld at a site).

    ``withheld`` counts the sites that withheld this group under small-cell suppression: its rows there
    are in no part of this entry.
    """

    components: tuple[str, ...]
    cells: np.ndarray | None = None
    scores: dict | None = None
    moments: np.ndarray | None = None
    withheld: int = 0

    @property
    def n(self) -> int:
        if self.cells is not None:
            return int(self.cells.sum())
        return 0 if self.moments is None else int(round(self.moments[0]))


@dataclass(frozen=True)
class Summary:
    """Mergeable summaries of the rows of one or more partitions or sites.

    Attributes
    ----------
    task : {"binary", "regression"}
    sensitive : tuple of str
        The sensitive attributes, in order.
    intersections : bool
        Whether the pairs of attributes have tables.
    has_scores : bool
        Binary task: whether score summaries (histograms at ``SCORE_BINS`` bins) are kept.
    overall : GroupSummary
        All rows.
    tables : dict
        ``{name: {label: GroupSummary}}``; ``name`` an attribute or ``"a*b"``.
    min_cell : int
        Small-cell suppression: groups with a nonzero confusion cell (regression: rows) below it were
        withheld (0: none).
    sites : tuple of dict
        Provenance of each merged part: name, rows, data hash, time, groups withheld.
    meta : dict
        What the numbers are about: target, positive label, model (name, framework, task, sha256).
    sketches : dict or None
        Per-feature counts for drift (:mod:`xai_audit.summaries.sketches`); None in files without them.
    """

    task: str
    sensitive: tuple[str, ...]
    intersections: bool
    has_scores: bool
    overall: GroupSummary
    tables: dict
    min_cell: int = 0
    sites: tuple = ()
    meta: dict = field(default_factory=dict)
    sketches: dict | None = None

    @property
    def n_rows(self) -> int:
        return self.overall.n

    def ordered_labels(self, name: str) -> list[str]:
        """The labels of table ``name`` in the row path's order (sorted; pairs by their parts)."""
        groups = self.tables[name]
        return sorted(groups, key=lambda label: groups[label].components)  # as merge keeps them


def table_names(sensitive, intersections: bool) -> list[str]:
    """The table names in the fairness section's order: every attribute, then every pair (``"a*b"``).

    Examples
    --------
    >>> table_names(["sex", "age", "race"], True)
    ['sex', 'age', 'race', 'sex*age', 'sex*race', 'age*race']
    """
    names = [str(name) for name in sensitive]
    return names + ([f"{a}*{b}" for a, b in combinations(names, 2)] if intersections else [])


def summarize(y_true, y_pred, groups, *, scores=None, task: str = "binary", intersections: bool = True,
              min_cell: int = 0, site: dict | None = None, meta: dict | None = None) -> Summary:
    """The summary of one partition's rows.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary: 0/1 outcomes and decisions, 1 the favourable one. Regression: observed and predicted values.
    groups : DataFrame
        One column per sensitive attribute (missing values become ``"unknown"``).
    scores : array-like, optional
        Binary task: probability of the favourable outcome.
    task : {"binary", "regression"}
    intersections : bool, default True
        Also summarise every pair of attributes.
    min_cell : int, default 0
        Withhold every group with a nonzero confusion cell (regression: fewer rows) below this.
    site, meta : dict, optional
        Provenance of these rows, and what they are about (target, model).

    Examples
    --------
    >>> import pandas as pd
    >>> s = summarize([1, 0, 1, 1], [1, 1, 0, 1], pd.DataFrame({"g": ["a", "a", "b", "b"]}))
    >>> s.n_rows, s.tables["g"]["a"].cells.tolist(), s.overall.cells.tolist()
    (4, [0, 1, 0, 1], [0, 1, 1, 2])
    """
    if task not in TASKS:
        raise InvalidInputError(f"Summaries cover task 'binary' or 'regression'; got {task!r}.")
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 0:
        raise InvalidInputError(f"min_cell must be a whole number ≥ 0; got {min_cell!r}.")
    if task == "binary":
        y_true, y_pred = as_binary(y_true, "y_true"), as_binary(y_pred, "y_pred")
        scores = None if scores is None else as_probability(scores, "scores")
    else:
        if scores is not None:
            raise InvalidInputError("scores apply to task='binary'; for regression the predictions are y_pred.")
        y_true, y_pred = as_finite(y_true, "y_true"), as_finite(y_pred, "y_pred")
    n_rows = check_same_length(y_true=y_true, y_pred=y_pred, scores=scores)
    codings = encode_groups(groups, n_rows, intersections=intersections)
    parts = (y_true, y_pred, scores, task)
    overall = _group_summaries(np.zeros(n_rows, dtype=np.int64), 1, [(OVERALL,)], *parts)[0]
    tables, withheld = {}, []
    for coding in codings:
        entries = _group_summaries(coding.codes, coding.n_groups, coding.components, *parts)
        table = {}
        for label, entry in zip(coding.labels, entries):
            if _is_small(entry, min_cell):
                entry = GroupSummary(components=entry.components, withheld=1)
                withheld.append(f"{coding.name}: {label}")
            table[label] = entry
        tables[coding.name] = table
    provenance = {**(site or {}), "n_rows": n_rows, "withheld_groups": withheld}
    return Summary(task=task, sensitive=tuple(str(c) for c in groups.columns), intersections=intersections,
                   has_scores=scores is not None, overall=overall, tables=tables, min_cell=int(min_cell),
                   sites=(provenance,), meta=dict(meta or {}))


def _is_small(entry: GroupSummary, min_cell: int) -> bool:
    if min_cell <= 0:
        return False
    if entry.cells is not None:
        return bool(((entry.cells > 0) & (entry.cells < min_cell)).any())
    return entry.n < min_cell


def _group_summaries(codes, n_groups, components, y_true, y_pred, scores, task) -> list[GroupSummary]:
    """Every group's summary at once (one ``bincount`` per part, not one pass per group)."""
    if task == "regression":
        residual = y_pred - y_true
        columns = (np.ones_like(y_true), y_true, y_true * y_true, y_pred, np.abs(residual), residual,
                   residual * residual)
        moments = np.stack([np.bincount(codes, weights=c, minlength=n_groups) for c in columns], axis=1)
        return [GroupSummary(components=tuple(components[g]), moments=moments[g]) for g in range(n_groups)]
    cells = confusion_counts(codes, n_groups, y_true, y_pred)
    score_parts = [None] * n_groups if scores is None else _grouped_scores(codes, n_groups, y_true, scores)
    return [GroupSummary(components=tuple(components[g]), cells=cells[g], scores=score_parts[g])
            for g in range(n_groups)]


def _grouped_scores(codes, n_groups, y_true, scores) -> list[dict]:
    """:func:`xai_audit.summaries.scores.score_summary` of every group, vectorised over groups."""
    outcome = y_true.astype(np.int64)
    fine = np.minimum((scores * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
    histogram = np.bincount((codes * 2 + outcome) * SCORE_BINS + fine,
                            minlength=n_groups * 2 * SCORE_BINS).reshape(n_groups, 2, SCORE_BINS)
    coarse = codes * ECE_BINS + score_bins(scores)
    size = n_groups * ECE_BINS
    calibration = np.stack([np.bincount(coarse, minlength=size).astype(np.float64),
                            np.bincount(coarse, weights=outcome.astype(np.float64), minlength=size),
                            np.bincount(coarse, weights=scores, minlength=size)]).reshape(3, n_groups, ECE_BINS)
    eps = np.finfo(np.float64).eps
    clipped = np.clip(scores, eps, 1 - eps)
    cell = codes * 2 + outcome
    columns = (np.ones_like(scores), scores, scores * scores, np.log(clipped), np.log1p(-clipped))
    moments = np.stack([np.bincount(cell, weights=c, minlength=2 * n_groups) for c in columns],
                       axis=1).reshape(n_groups, 2, len(MOMENTS))
    return [{"histogram": histogram[g], "calibration": calibration[:, g], "moments": moments[g]}
            for g in range(n_groups)]


def merge(*summaries: Summary) -> Summary:
    """The summary of the union of the rows of ``summaries`` (at least one): every part summed.

    Associative and independent of order: counts exactly, float sums up to rounding. The summaries
    must describe the same audit (task, attributes, scores, target, model); suppression settings may
    differ and the largest is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> a = summarize([1, 0], [1, 1], pd.DataFrame({"g": ["x", "y"]}))
    >>> b = summarize([1, 1], [0, 1], pd.DataFrame({"g": ["y", "z"]}))
    >>> both = merge(a, b)
    >>> both.n_rows, both.ordered_labels("g"), both.tables["g"]["y"].cells.tolist()
    (4, ['x', 'y', 'z'], [0, 1, 1, 0])
    """
    if not summaries:
        raise InvalidInputError("merge needs at least one summary.")
    result = summaries[0]
    for other in summaries[1:]:
        result = _merge_two(result, other)
    return result


def _merge_two(first: Summary, second: Summary) -> Summary:
    _check_compatible(first, second)
    tables = {}
    for name in [*first.tables, *(name for name in second.tables if name not in first.tables)]:
        one, two = first.tables.get(name, {}), second.tables.get(name, {})
        merged = {label: _merge_groups(one.get(label), two.get(label)) for label in one.keys() | two.keys()}
        tables[name] = {label: merged[label] for label in sorted(merged, key=lambda label: merged[label].components)}
    return replace(first, overall=_merge_groups(first.overall, second.overall), tables=tables,
                   min_cell=max(first.min_cell, second.min_cell), sites=first.sites + second.sites,
                   sketches=merge_sketches(first.sketches, second.sketches))


def _merge_groups(first: GroupSummary | None, second: GroupSummary | None) -> GroupSummary:
    if first is None or second is None:
        return first if second is None else second
    return GroupSummary(components=first.components, cells=_add(first.cells, second.cells),
                        scores=_add_scores(first.scores, second.scores), moments=_add(first.moments, second.moments),
                        withheld=first.withheld + second.withheld)


def _add(first, second):
    if first is None or second is None:
        return first if second is None else second
    return first + second


def _add_scores(first, second):
    if first is None or second is None:
        return first if second is None else second
    return merge_scores(first, second)


def _check_compatible(first: Summary, second: Summary) -> None:
    same = {"task": (first.task, second.task), "sensitive attributes": (first.sensitive, second.sensitive),
            "intersections": (first.intersections, second.intersections),
            "scores": (first.has_scores, second.has_scores),
            "target": (first.meta.get("target"), second.meta.get("target")),
            "positive label": (first.meta.get("positive_label"), second.meta.get("positive_label")),
            "model sha256": ((first.meta.get("model") or {}).get("sha256"),
                             (second.meta.get("model") or {}).get("sha256"))}
    differ = {what: pair for what, pair in same.items() if pair[0] != pair[1]}
    if differ:
        described = "; ".join(f"{what}: {a!r} vs {b!r}" for what, (a, b) in differ.items())
        raise InvalidInputError(
            f"These summaries describe different audits and cannot be merged ({described}). Summarise every "
            "site with the same model, target, positive label, sensitive attributes and score setting.")
