"""The fairness section from a merged summary: the row path's tables, fed cell counts instead of rows.

Each table is built by the same function as from rows (:func:`xai_audit.fairness.report._table`),
given each group's confusion cell counts; its confusion metrics, their Wilson, Newcombe and Katz
intervals, the four-fifths table and the two-proportion tests (Holm-adjusted over the section) are
therefore the numbers the pooled rows give. Score metrics (AUC, ECE, mean score,
calibration-in-the-large) come from each group's score summary, AUC within the bound stated beside
it, with bootstrap intervals from the histograms (:mod:`xai_audit.summaries.score_bootstrap`); Local
Law 144 scoring rates need the median score of the rows and are not given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.groups import GroupCoding, check_reference_groups
from xai_audit.fairness.jsonable import as_number
from xai_audit.fairness.report import _adjust_tests, _check_options, _table
from xai_audit.summaries.core import Summary
from xai_audit.summaries.score_bootstrap import CELL_DRAW_BUDGET, score_estimates
from xai_audit.summaries.scores import SCORE_BINS, auc_from_histogram
from xai_audit.stats.calibration import ECE_INTERVAL_NOTE, ECE_METHOD
from xai_audit.stats.intervals import BIAS_CORRECTED


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
    tables, resamples = [], []
    for coding, cells, scores, generator in zip(codings, counts, tables_scores, generators):
        extra = score_estimates(scores, options["n_resamples"], generator) if summary.has_scores else None
        resamples.append(0 if extra is None else len(next(iter(extra.samples.values()))))
        tables.append(_table(coding, data, references.get(coding.name), options, generator, counts=cells, extra=extra))
    _adjust_tests(tables)
    basis = computed_from(summary)
    for table, scores, suppressed, drawn in zip(tables, tables_scores, withheld, resamples):
        table["computed_from"] = basis
        table["suppression"] = {"min_cell": summary.min_cell, "withheld_at_sites": suppressed}
        if summary.has_scores:
            _score_notes(table, scores, drawn, options["n_resamples"])
    return {coding.name: table for coding, table in zip(codings, tables)}


def _score_notes(table: dict, scores: list, n_resamples: int, requested: int) -> None:
    """Each group's AUC error bound, and how the score metrics' intervals were computed."""
    for label, summary in zip(table["groups"], scores):
        table["groups"][label]["auc_error_bound"] = as_number(auc_from_histogram(summary["histogram"])[1])
    method = (f"AUC, calibration: {BIAS_CORRECTED}, each group's (outcome, score bin) cells of its {SCORE_BINS}-bin "
              "histogram resampled as one multinomial draw of the group's size (stratified), scores at bin centres")
    cap = None if n_resamples >= requested else (
        f"{n_resamples:,} of {requested:,} resamples: each draws every nonzero histogram cell (budget "
        f"{CELL_DRAW_BUDGET:,} cell draws per group)")
    table["bootstrap"].update(n_resamples_row_metrics=n_resamples, resample_cap=cap,
                              method=f"{table['bootstrap']['method']}; {method}")
    table["interval_method"]["row_metrics"] = {
        "groups": BIAS_CORRECTED, "differences": BIAS_CORRECTED, "ratios": BIAS_CORRECTED, "n_resamples": n_resamples,
        "resample_cap": cap, "from": "score histograms (summaries)", "ece": f"{ECE_METHOD}; {ECE_INTERVAL_NOTE}"}
