"""``fairness_report``: the fairness section of the audit record, one table per sensitive attribute
and per pair of attributes.

Groups smaller than ``min_group_size`` and the 'unknown' group are reported in full but left out of
the verdict-relevant summaries (``between_groups``, ``summary``, the highest group of the
four-fifths rule, the default reference group); each table names the groups it left out and why.
"""

from __future__ import annotations

import numbers

import numpy as np

from xai_audit.data.groups import UNKNOWN_GROUP
from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.compare import (
    SPREAD_NOTE,
    SUMMARY_COMPONENTS,
    Estimates,
    against_reference,
    between_groups_table,
    four_fifths_table,
    is_below_four_fifths,
    ll144_table,
    relative_table,
    spread,
)
from xai_audit.fairness.groups import (
    GroupCoding,
    as_binary,
    as_finite,
    as_probability,
    check_reference_groups,
    check_same_length,
    encode_groups,
    reference_index,
)
from xai_audit.fairness.jsonable import as_interval, as_number
from xai_audit.fairness.metrics import (
    FP,
    REGRESSION_METRICS,
    SCORE_METRICS,
    TP,
    confusion_counts,
    prepare_regression_rows,
    prepare_score_rows,
    proportion_parts,
    rates_from_counts,
    regression_metrics,
    score_metrics,
)
from xai_audit.stats.bootstrap import bootstrap_rows, cap_note, point_rows, row_resamples
from xai_audit.stats.calibration import ECE_INTERVAL_NOTE, ECE_METHOD, NO_INTERVAL_METRICS
from xai_audit.stats.intervals import (
    BIAS_CORRECTED,
    KATZ,
    NEWCOMBE,
    WILSON,
    bias_corrected_interval,
    katz_ratio_interval,
    newcombe_interval,
    wilson_interval,
)
from xai_audit.stats.tests import ADJUSTMENTS, TEST_RULE, adjust_p_values, two_proportion_test

TASKS = ("binary", "regression")
P_ADJUSTMENT = "holm"


def fairness_report(y_true, y_pred, groups, *, scores=None, task: str = "binary", reference_groups=None,
                    intersections: bool = True, n_resamples: int = 1000, confidence: float = 0.95,
                    min_group_size: int = 30, random_state=None, backend=None, workers=None,
                    scheduler=None) -> dict:
    """Group metrics, comparisons, bootstrap intervals and significance tests for every sensitive
    attribute and every pair of attributes.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary task: 0/1 labels, 1 the favourable outcome. Regression: the observed values.
    y_pred : array-like of shape (n,)
        Binary task: 0/1 decisions, 1 = selected. Regression: the predicted values.
    groups : DataFrame
        One column per sensitive attribute, a group label per row. Missing values become the group
        ``"unknown"``, which is always reported.
    scores : array-like of shape (n,), optional
        Probability of the positive class (binary task): adds ``auc``, ``ece`` (debiased, no interval),
        ``mean_score``, ``calibration_in_the_large`` (mean score − observed rate; positive over-predicts),
        the calibration gap (spread of calibration-in-the-large) and Local Law 144 scoring rates.
    task : {"binary", "regression"}
    reference_groups : dict, optional
        ``{attribute or "a*b": group label}``; default the largest group of at least
        ``min_group_size`` rows that is not 'unknown'.
    intersections : bool, default True
        Also report every pair of attributes, keyed ``"a*b"``, groups labelled ``"x*y"``; pairs that do
        not occur are not groups.
    n_resamples : int, default 1000
        Bootstrap resamples for the intervals; 0 gives no intervals (``null``).
    confidence : float, default 0.95
        Level of every interval in the tables.
    min_group_size : int, default 30
        Groups with fewer rows are marked ``"small_group": true`` and left out of the summaries.
    random_state : int or numpy Generator, optional
        Seed for the resampling; the same seed gives the same report.
    backend, workers, scheduler : optional
        With ``backend`` ``"processes"`` or ``"dask"``, the tables (one per attribute and pair) are
        computed on worker processes, one table per task (:func:`xai_audit.parallel.map_chunks`). Each
        table has its own seeded generator, so the report is exactly the same as in one process. It
        pays when scores are given: their metrics are bootstrapped by resampling rows (about 5 s per
        table for 1M rows and 200 resamples); the confusion metrics alone are drawn as counts (0.1 s
        for 1M rows and 1000 resamples), too fast for workers to pay, so without scores the tables
        stay in this process.

    Returns
    -------
    dict
        JSON-ready: ``{name: table}`` where ``name`` is an attribute or ``"a*b"``; each table holds
        ``attributes``, ``task``, ``reference_group``, ``groups``, ``differences``, ``ratios``,
        ``between_groups``, ``four_fifths``, ``ll144``, ``tests``, ``summary`` and ``bootstrap``.
        Undefined values are ``None``, never NaN. A table whose attribute has a single group is
        still returned: its comparisons are empty and its summary values ``None``, with a ``note``.

    Notes
    -----
    Metrics follow ``fairlearn.metrics``. Where a rate's denominator is zero (``tpr`` in a group with
    no positives) it is ``None`` here but 0 in fairlearn, and that group is skipped for that metric.
    Confusion metrics are proportions: their intervals are Wilson score intervals, Newcombe hybrid
    score intervals for differences against the reference group and Katz log intervals for ratios.
    ``auc``, ``mean_score``, ``calibration_in_the_large`` and the regression metrics get
    bias-corrected percentile bootstrap intervals (``ece`` none: its bootstrap intervals miss their
    level in ``benchmarks/bench_coverage.py``), each group resampled on its own (stratified),
    which costs time in proportion to rows × resamples. Between-group spreads and the summary
    measures built from them have no interval (``interval_note`` says why); rules judge them through
    the comparisons against the reference group. ``n`` and ``share`` have none. Each table's
    ``interval_method`` states method, level and resamples.

    Examples
    --------
    >>> import pandas as pd
    >>> groups = pd.DataFrame({"sex": ["f"] * 40 + ["m"] * 60})
    >>> y_true = [1, 0] * 50
    >>> y_pred = [1] * 16 + [0] * 24 + [1] * 36 + [0] * 24
    >>> table = fairness_report(y_true, y_pred, groups, n_resamples=200, random_state=0)["sex"]
    >>> table["reference_group"], table["groups"]["f"]["selection_rate"], table["groups"]["m"]["selection_rate"]
    ('m', 0.4, 0.6)
    >>> difference = table["differences"]["values"]["f"]["selection_rate"]
    >>> round(difference["value"], 3), difference["ci"][0] < difference["value"] < difference["ci"][1]
    (-0.2, True)
    >>> four_fifths = table["four_fifths"]["groups"]["f"]
    >>> round(four_fifths["impact_ratio"], 3), four_fifths["flagged"]
    (0.667, True)
    """
    options = _check_options(task, n_resamples, confidence, min_group_size, intersections, random_state)
    data = _check_arrays(y_true, y_pred, scores, task)
    codings = encode_groups(groups, len(data["y_true"]), intersections=intersections)
    references = check_reference_groups(reference_groups, codings)
    generators = np.random.default_rng(random_state).spawn(len(codings))
    tasks = [(coding, references.get(coding.name), generator) for coding, generator in zip(codings, generators)]
    chunked = backend in ("processes", "dask") and len(tasks) > 1 and options["n_resamples"] > 0 and (
        data["scores"] is not None or task == "regression")
    if chunked:
        from xai_audit.parallel import map_chunks

        tables = map_chunks(_table_task, tasks, backend=backend, scheduler=scheduler, workers=workers,
                            args=(data, options))
    else:
        tables = [_table_task(one, data, options) for one in tasks]
    _adjust_tests(tables)
    return {coding.name: table for (coding, _, _), table in zip(tasks, tables)}


def _adjust_tests(tables: list[dict]) -> None:
    """Holm-adjust the selection-rate tests of every group of every attribute and pair together: one
    family, so that testing many groups and attributes does not inflate the chance of a false alarm."""
    entries = [entry for table in tables for entry in (table.get("tests") or {}).values()]
    adjusted = adjust_p_values([np.nan if e["p_value"] is None else e["p_value"] for e in entries], P_ADJUSTMENT)
    for entry, value in zip(entries, adjusted):
        entry["p_value_adjusted"] = as_number(value)
        entry["adjustment"] = P_ADJUSTMENT
        entry["family_size"] = len(entries)


def _table_task(task: tuple, data: dict, options: dict) -> dict:
    """One attribute's (or pair's) table from ``(coding, chosen reference, generator)``: a chunk of work."""
    coding, reference, generator = task
    return _table(coding, data, reference, options, generator)


def _check_options(task, n_resamples, confidence, min_group_size, intersections, random_state) -> dict:
    if task not in TASKS:
        raise InvalidInputError(f"task must be one of {list(TASKS)}; got {task!r}.")
    if not _is_count(n_resamples):
        raise InvalidInputError(f"n_resamples must be a whole number ≥ 0; got {n_resamples!r}.")
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must be a number between 0 and 1 (e.g. 0.95); got {confidence!r}.")
    if not _is_count(min_group_size):
        raise InvalidInputError(f"min_group_size must be a whole number ≥ 0; got {min_group_size!r}.")
    if not isinstance(intersections, bool):
        raise InvalidInputError(f"intersections must be True or False; got {intersections!r}.")
    if random_state is not None and not isinstance(random_state, (numbers.Integral, np.random.Generator)):
        raise InvalidInputError(
            f"random_state must be None, an int or a numpy Generator; got {type(random_state).__name__}."
        )
    return {"task": task, "n_resamples": int(n_resamples), "confidence": float(confidence),
            "min_group_size": int(min_group_size)}


def _is_count(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def _check_arrays(y_true, y_pred, scores, task) -> dict:
    if task == "binary":
        data = {"y_true": as_binary(y_true, "y_true"), "y_pred": as_binary(y_pred, "y_pred"),
                "scores": None if scores is None else as_probability(scores, "scores")}
    else:
        if scores is not None:
            raise InvalidInputError(
                "scores apply to task='binary' (probability of the positive class); for task='regression' "
                "the predictions are y_pred. Leave scores out."
            )
        data = {"y_true": as_finite(y_true, "y_true"), "y_pred": as_finite(y_pred, "y_pred"), "scores": None}
    check_same_length(**data)
    return data


def _table(coding: GroupCoding, data: dict, chosen_reference, options: dict, rng: np.random.Generator,
           counts=None, extra: Estimates | None = None) -> dict:
    """One table; ``counts`` (binary, ``(n_groups, 4)``) and ``extra`` (estimates of further metrics)
    given by a caller that has no rows, only summaries (:mod:`xai_audit.summaries.fairness`)."""
    sizes = coding.sizes
    small = sizes < options["min_group_size"]
    unknown = coding.is_unknown()
    comparable = ~small & ~unknown
    eligible = _first_nonempty(comparable, ~unknown, np.ones_like(unknown))
    reference = reference_index(coding, eligible, chosen_reference)
    labels = coding.labels
    reference_label = labels[reference]
    confidence = options["confidence"]
    binary = options["task"] == "binary"

    if counts is None and binary:
        counts = confusion_counts(coding.codes, coding.n_groups, data["y_true"], data["y_pred"])
    by_rows = row_resamples(options["n_resamples"], len(coding.codes))
    estimates = _estimates(coding, data, counts, by_rows, rng)
    if extra is not None:
        estimates.point.update(extra.point)
        estimates.samples.update(extra.samples)
    parts = {} if counts is None else proportion_parts(counts)
    intervals = options["n_resamples"] > 0
    differences = against_reference(estimates, reference, kind="difference")
    ratios = against_reference(estimates, reference, kind="ratio")
    table = {
        "attributes": list(coding.attributes),
        "task": options["task"],
        "reference_group": reference_label,
        "groups": _groups_table(estimates, parts, sizes, small, labels, confidence, intervals),
        "differences": relative_table(
            differences.point, _relative_intervals(differences, parts, reference, confidence, "difference")
            if intervals else {}, labels, reference,
            f"group minus reference group ({reference_label!r})"),
        "ratios": relative_table(
            ratios.point, _relative_intervals(ratios, parts, reference, confidence, "ratio")
            if intervals else {}, labels, reference,
            f"group divided by reference group ({reference_label!r}); null where the reference value is 0 "
            "or undefined; none for r2, mean_residual, ece and calibration_in_the_large, which can be negative"),
        "between_groups": between_groups_table(
            estimates, comparable,
            f"largest minus smallest group value (difference) and smallest over largest (ratio), over groups "
            f"of at least {options['min_group_size']} rows other than {UNKNOWN_GROUP!r}, as fairlearn's "
            "MetricFrame.difference() / ratio() with method='between_groups'"),
        "four_fifths": None,
        "ll144": None,
        "tests": None,
    }
    if binary:
        selected, _ = parts["selection_rate"]
        katz = (lambda highest: katz_ratio_interval(selected, sizes, selected[highest], sizes[highest], confidence))
        table["four_fifths"] = four_fifths_table(
            estimates.point["selection_rate"], katz if intervals else None, labels, eligible, small,
            options["min_group_size"])
        table["ll144"] = _ll144(coding, data["scores"], selected, sizes, unknown)
        table["tests"] = {label: {"metric": "selection_rate",
                                  **two_proportion_test(int(selected[i]), int(sizes[i]),
                                                        int(selected[reference]), int(sizes[reference]))}
                          for i, label in enumerate(labels) if i != reference}
    table["summary"] = _summary(estimates, comparable, unknown, labels, reference_label, table, options)
    row_metrics = data["scores"] is not None or not binary
    table["bootstrap"] = {
        "n_resamples": options["n_resamples"], "n_resamples_row_metrics": by_rows if row_metrics else None,
        "confidence": confidence,
        "method": _method_sentence(binary, row_metrics, by_rows, options["n_resamples"]),
        "resample_cap": cap_note(options["n_resamples"], by_rows, len(coding.codes)) if row_metrics else None,
    }
    table["interval_method"] = _interval_method(binary, row_metrics, by_rows, options, intervals, len(coding.codes))
    return table


def _method_sentence(binary: bool, row_metrics: bool, by_rows: int, requested: int) -> str:
    parts = []
    if binary:
        parts.append(f"confusion rates: {WILSON} intervals, {NEWCOMBE} for differences and {KATZ} for ratios "
                     "against the reference group")
    if row_metrics:
        fewer = f" ({by_rows} of {requested} resamples on data of this size)" if by_rows < requested else ""
        parts.append(f"{'AUC, calibration' if binary else 'regression metrics'}: {BIAS_CORRECTED}, each group "
                     f"resampled on its own with its size kept (stratified){fewer}")
    parts.append("between-group spreads and summaries: no interval")
    return "; ".join(parts)


def _interval_method(binary: bool, row_metrics: bool, by_rows: int, options: dict, intervals: bool,
                     n_rows: int) -> dict:
    """Method, level and resample count of every interval in the table, in one place."""
    level = options["confidence"]
    methods = {"level": level, "n_resamples": options["n_resamples"] if intervals else 0}
    if not intervals:
        methods["note"] = "n_resamples is 0: no intervals"
        return methods
    if binary:
        methods["confusion_metrics"] = {"groups": WILSON, "differences": NEWCOMBE, "ratios": KATZ,
                                        "four_fifths": KATZ, "n_resamples": None}
    if row_metrics:
        methods["row_metrics"] = {"groups": BIAS_CORRECTED, "differences": BIAS_CORRECTED,
                                  "ratios": BIAS_CORRECTED, "n_resamples": by_rows,
                                  "resample_cap": cap_note(options["n_resamples"], by_rows, n_rows),
                                  "undefined_when": ("the estimate lies outside the central level share of its "
                                                     "own bootstrap distribution (the interval is then null)")}
        if binary:
            methods["row_metrics"]["ece"] = f"{ECE_METHOD}; {ECE_INTERVAL_NOTE}"
    methods["between_groups"] = SPREAD_NOTE
    methods["tests"] = f"{TEST_RULE}; p_value_adjusted: {ADJUSTMENTS[P_ADJUSTMENT]} over every test of the section"
    return methods


def _relative_intervals(relative: Estimates, parts: dict, reference: int, confidence: float, kind: str) -> dict:
    """``{metric: (low, high)}`` of every group's difference or ratio against the reference group."""
    closed_form = newcombe_interval if kind == "difference" else katz_ratio_interval
    intervals = {}
    for metric, point in relative.point.items():
        if metric in parts:
            k, n = parts[metric]
            intervals[metric] = closed_form(k, n, k[reference], n[reference], confidence)
        elif metric in relative.samples and metric not in NO_INTERVAL_METRICS:
            intervals[metric] = bias_corrected_interval(relative.samples[metric], point, confidence)
    return intervals


def _first_nonempty(*masks: np.ndarray) -> np.ndarray:
    return next(mask for mask in masks if mask.any())


def _estimates(coding: GroupCoding, data: dict, counts, n_row_resamples: int,
               rng: np.random.Generator) -> Estimates:
    """Point estimates of every group metric this task and input allow, and bootstrap samples of the
    metrics that need rows (confusion metrics have closed-form intervals and need none)."""
    point, samples = {}, {}
    if counts is not None:
        point.update(rates_from_counts(counts))
    if counts is None:
        prepared = [prepare_regression_rows(data["y_true"][rows], data["y_pred"][rows])
                    for rows in _rows_by_group(coding)]
        metric_function, names = regression_metrics, REGRESSION_METRICS
    elif data["scores"] is not None:
        prepared = [prepare_score_rows(data["y_true"][rows], data["scores"][rows]) for rows in _rows_by_group(coding)]
        metric_function, names = score_metrics, SCORE_METRICS
    else:
        return Estimates(point, samples)
    point.update(point_rows(prepared, metric_function, names))
    samples.update(bootstrap_rows(prepared, metric_function, names, n_row_resamples, rng))
    return Estimates(point, samples)


def _rows_by_group(coding: GroupCoding) -> list[np.ndarray]:
    order = np.argsort(coding.codes, kind="stable")
    return np.split(order, np.cumsum(coding.sizes)[:-1])


def _groups_table(estimates: Estimates, parts: dict, sizes, small, labels, confidence: float,
                  with_intervals: bool) -> dict:
    n_rows = int(sizes.sum())
    intervals = {}
    if with_intervals:
        intervals = {metric: np.array(wilson_interval(k, n, confidence)) for metric, (k, n) in parts.items()}
        intervals.update({metric: np.array(bias_corrected_interval(samples, estimates.point[metric], confidence))
                          for metric, samples in estimates.samples.items() if metric not in NO_INTERVAL_METRICS})
    return {
        label: {
            "n": int(sizes[i]),
            "share": float(sizes[i] / n_rows),
            **{metric: as_number(point[i]) for metric, point in estimates.point.items()},
            "small_group": bool(small[i]),
            "ci": {metric: as_interval(*intervals[metric][:, i]) if metric in intervals else None
                   for metric in estimates.point},
        }
        for i, label in enumerate(labels)
    }


def _ll144(coding: GroupCoding, scores, selected, sizes, unknown) -> dict:
    if scores is None:
        return ll144_table(selected, sizes, coding.labels, unknown, None, None)
    median = float(np.median(scores))
    above = np.bincount(coding.codes, weights=scores > median, minlength=coding.n_groups).astype(np.int64)
    return ll144_table(selected, sizes, coding.labels, unknown, above, median)


def _summary_statistics(spreads: dict) -> dict:
    """The named fairness measures from ``{metric: (difference, ratio)}`` between-group spreads.

    Works the same on point values and on arrays of resampled values.
    """
    if "selection_rate" not in spreads:
        statistics = {f"{metric}_difference": spreads[metric][0] for metric in REGRESSION_METRICS}
        statistics["mean_prediction_ratio"] = spreads["mean_prediction"][1]
        return statistics
    statistics = {
        "demographic_parity_difference": spreads["selection_rate"][0],
        "demographic_parity_ratio": spreads["selection_rate"][1],
        # fairlearn's equalized_odds_difference / _ratio with agg="worst_case"
        "equalized_odds_difference": np.maximum(spreads["tpr"][0], spreads["fpr"][0]),
        "equalized_odds_ratio": np.minimum(spreads["tpr"][1], spreads["fpr"][1]),
        "equal_opportunity_difference": spreads["tpr"][0],
        "predictive_parity_difference": spreads["ppv"][0],
        "accuracy_difference": spreads["accuracy"][0],
    }
    if "calibration_in_the_large" in spreads:
        # signed calibration-in-the-large: the most over-predicted group minus the most under-predicted one
        statistics["calibration_gap"] = spreads["calibration_in_the_large"][0]
        statistics["auc_difference"] = spreads["auc"][0]
    return statistics


def _summary(estimates: Estimates, comparable, unknown, labels, reference_label, table, options) -> dict:
    point = _summary_statistics({m: spread(v, comparable) for m, v in estimates.point.items()})
    excluded = {label: (f"{UNKNOWN_GROUP!r} group" if unknown[i] else f"fewer than {options['min_group_size']} rows")
                for i, label in enumerate(labels) if not comparable[i]}
    summary = {
        "convention": (f"between-group spreads (largest minus smallest; smallest over largest) over groups of at "
                       f"least {options['min_group_size']} rows other than {UNKNOWN_GROUP!r}, defined as in "
                       "fairlearn.metrics"),
        "reference_group": reference_label,
        "groups_compared": [label for i, label in enumerate(labels) if comparable[i]],
        "groups_excluded": excluded,
        **{name: as_number(value) for name, value in point.items()},
    }
    if table["four_fifths"] is not None:
        compared = {label: entry for label, entry in table["four_fifths"]["groups"].items()
                    if label in summary["groups_compared"]}
        ratios = [entry["impact_ratio"] for entry in compared.values() if entry["impact_ratio"] is not None]
        summary["min_impact_ratio"] = min(ratios) if ratios else None
        summary["four_fifths_flagged_groups"] = [label for label, entry in compared.items()
                                                 if is_below_four_fifths(entry["impact_ratio"])]
    summary["ci"] = None
    summary["interval_note"] = SPREAD_NOTE
    summary["judged_by"] = {name: {"comparison": SUMMARY_COMPONENTS[name][0],
                                   "metrics": list(SUMMARY_COMPONENTS[name][1]),
                                   "against": reference_label}
                            for name in point if name in SUMMARY_COMPONENTS}
    summary["note"] = _summary_note(labels, comparable, options["min_group_size"])
    return summary


def _summary_note(labels, comparable, min_group_size: int) -> str | None:
    if len(labels) == 1:
        return f"Only one group ({labels[0]!r}): there is nothing to compare, so the summary values are null."
    if comparable.sum() < 2:
        return (f"Fewer than two groups have at least {min_group_size} rows and a known label: the summary "
                "values are null; the per-group tables are still reported.")
    return None
