"""The fairness section from a merged summary: the row path's tables, fed cell counts instead of rows.

Each table is built by the same function as from rows (:func:`xai_audit.fairness.report._table`),
given each group's confusion cell counts; its confusion metrics, their Wilson, Newcombe and Katz
intervals, the four-fifths table and the two-proportion tests (Holm-adjusted over the section) are
therefore the numbers the pooled rows give. Score metrics (AUC, ECE, mean score,
calibration-in-the-large) come from each group's score summary, AUC within the bound stated beside
it, without intervals; Local Law 144 scoring rates need the median score of the rows and are not given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.compare import spread
from xai_audit.fairness.groups import GroupCoding, check_reference_groups
from xai_audit.fairness.jsonable import as_number
from xai_audit.fairness.report import _adjust_tests, _check_options, _table
from xai_audit.summaries.core import Summary
from xai_audit.summaries.scores import SCORE_BINS, score_metrics_from_summary

GROUP_SCORE_METRICS = ("auc", "auc_error_bound", "ece", "mean_score", "calibration_in_the_large")


@dataclass(frozen=True)
class CountedCoding(GroupCoding):
    """A group coding known by its group sizes alone (no per-row codes)."""

    group_sizes: np.ndarray | None = None

    @property
    def sizes(self) -> np.ndarray:
        return self.group_sizes


def computed_from(summary: Summary) -> str:
    """The basis sentence of every number computed from ``summary``."""
    scores = (f"; score metrics from histograms of {SCORE_BINS} equal-width bins on [0, 1] "
              "(AUC within the stated auc_error_bound; ECE, mean score, Brier and log loss from exact sums)"
              if summary.has_scores else "")
    return (f"summaries (histogram, {SCORE_BINS} bins): cell counts of {summary.n_rows:,} rows from "
            f"{len(summary.sites)} part(s){scores}")


def fairness_from_summary(summary: Summary, *, reference_groups=None, n_resamples: int = 1000,
                          confidence: float = 0.95, min_group_size: int = 30, random_state=None) -> dict:
    """The fairness section of a binary audit from ``summary`` (see the module note for what is exact).

    Parameters are those of :func:`xai_audit.fairness.fairness_report`; the intersections are those
    the summary kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from xai_audit.summaries.core import summarize
    >>> groups = pd.DataFrame({"sex": ["f"] * 40 + ["m"] * 60})
    >>> y_pred = [1] * 16 + [0] * 24 + [1] * 36 + [0] * 24
    >>> table = fairness_from_summary(summarize([1, 0] * 50, y_pred, groups), n_resamples=200)["sex"]
    >>> table["reference_group"], table["groups"]["f"]["selection_rate"], table["computed_from"][:9]
    ('m', 0.4, 'summaries')
    """
    if summary.task != "binary":
        raise InvalidInputError("The fairness section from summaries covers the binary task; this summary is "
                                f"for task {summary.task!r}. Audit the rows for a regression fairness section.")
    options = _check_options("binary", n_resamples, confidence, min_group_size, summary.intersections, random_state)
    codings, counts, tables_scores, withheld = [], [], [], []
    for name, groups in summary.tables.items():
        labels = [label for label in summary.ordered_labels(name) if groups[label].cells is not None]
        withheld.append({label: groups[label].withheld for label in summary.ordered_labels(name)
                         if groups[label].withheld})
        cells = np.array([groups[label].cells for label in labels], dtype=np.int64).reshape(len(labels), 4)
        codings.append(CountedCoding(name=name, attributes=tuple(name.split("*")), codes=np.zeros(0, dtype=np.int64),
                                     labels=tuple(labels), components=tuple(groups[label].components for label in labels),
                                     group_sizes=cells.sum(axis=1)))
        counts.append(cells)
        tables_scores.append([groups[label].scores for label in labels])
    references = check_reference_groups(reference_groups, codings)
    generators = np.random.default_rng(random_state).spawn(len(codings))
    data = {"y_true": None, "y_pred": None, "scores": None}
    tables = [_table(coding, data, references.get(coding.name), options, generator, counts=cells)
              for coding, cells, generator in zip(codings, counts, generators)]
    _adjust_tests(tables)
    basis = computed_from(summary)
    for table, scores, suppressed in zip(tables, tables_scores, withheld):
        table["computed_from"] = basis
        table["suppression"] = {"min_cell": summary.min_cell, "withheld_at_sites": suppressed}
        if summary.has_scores:
            _add_score_metrics(table, scores, options["min_group_size"])
    return {coding.name: table for coding, table in zip(codings, tables)}


def _add_score_metrics(table: dict, scores: list, min_group_size: int) -> None:
    """Each group's score metrics, and the AUC and calibration spreads, in the row path's places."""
    labels = list(table["groups"])
    values = [score_metrics_from_summary(s) if s is not None else {} for s in scores]
    for label, value in zip(labels, values):
        entry = table["groups"][label]
        for metric in GROUP_SCORE_METRICS:
            entry[metric] = as_number(value.get(metric))
            if metric != "auc_error_bound":
                entry["ci"][metric] = None
    comparable = np.array([label in table["summary"]["groups_compared"] for label in labels], dtype=bool)
    for metric, key in (("auc", "auc_difference"), ("calibration_in_the_large", "calibration_gap")):
        column = np.array([np.nan if v.get(metric) is None else v[metric] for v in values], dtype=float)
        table["summary"][key] = as_number(spread(column, comparable)[0]) if len(column) else None
    table["interval_method"]["row_metrics"] = {
        "note": "score metrics from summaries have no interval: their bootstrap resamples rows"}
