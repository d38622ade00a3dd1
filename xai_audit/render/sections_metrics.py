"""Section view for performance: overall, per group, and calibration."""

from __future__ import annotations

from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.tables import Cell, Column
from xai_audit.render.names import attribute_name, feature_name, group_name
from xai_audit.render.performance_charts import decision_figures
from xai_audit.render.sections.summary_basis import basis_sentence, unavailable_sentence
from xai_audit.render.text import (interval, is_number, join_and, num, plain, plural, quoted, range_sentence,
                                   short_of_one)

CLASSIFICATION = ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier", "ece")
REGRESSION = ("mae", "rmse", "r2")
LOWER_IS_BETTER = {"log_loss", "brier", "ece", "mae", "rmse"}
BOUNDED_BY_ONE = {"accuracy", "balanced_accuracy", "roc_auc", "auc", "r2"}


def metric_label(metric, task="") -> str:
    """A metric's name in a table, its case kept (MAE, ROC AUC); a multiclass ROC AUC says it is one-vs-rest.

    Examples
    --------
    >>> metric_label("roc_auc", "multiclass"), metric_label("mae"), metric_label("custom_score")
    ('ROC AUC (one-vs-rest, macro average)', 'Mean absolute error (MAE)', 'custom_score')
    """
    name = display_name(metric)
    return f"{name} (one-vs-rest, macro average)" if metric == "roc_auc" and task == "multiclass" else name


def metric_value(metric, value) -> str:
    """A metric's value; scores bounded by 1 never round up to 1."""
    return short_of_one(value) if metric in BOUNDED_BY_ONE else num(value)


def performance(ctx: Context) -> dict:
    perf = ctx.part("performance")
    overall = perf.get("overall") or {}
    if not overall:
        why = ("The data has no target column, so there is no ground truth to measure performance against."
               if not ctx.part("data").get("target") else "The audit record holds no performance measurements.")
        return not_computed("performance", why, findings=ctx.findings_for("performance"))
    intervals = _intervals(perf)
    order = [m for m in (*CLASSIFICATION, *REGRESSION) if m in overall] + sorted(
        m for m in overall if m not in (*CLASSIFICATION, *REGRESSION, "n", "ci"))
    has_intervals = any(interval(intervals.get(m)) for m in order)
    rows = [[Cell(metric_label(m, ctx.task), link=f"g-{m}" if lookup(m) else ""),
             metric_value(m, overall.get(m)) if overall.get(m) is not None else "n/a (undefined)"]
            + ([interval(intervals.get(m)) or "n/a"] if has_intervals else [])
            + ["lower" if m in LOWER_IS_BETTER else "higher"] for m in order]
    boot = perf.get("bootstrap") if isinstance(perf.get("bootstrap"), dict) else {}
    level = level_text(boot.get("confidence"))
    if has_intervals:
        notes = [f"Intervals: {level}, {plural(boot.get('n_resamples') or 0, 'bootstrap resample')}"
                 + (f", {boot['method']}" if boot.get("method") else "") + "." if boot else "Intervals: bootstrap."]
        if boot.get("resample_cap"):
            notes.append(f"{boot['resample_cap'][0].upper()}{boot['resample_cap'][1:]}.")
        if boot.get("ece"):
            notes.append(f"ECE: {boot['ece']}.")
    else:
        notes = ["No intervals: the audit did not resample the overall metrics."]
    data = ctx.part("data")
    notes += [text for text in (basis_sentence(data, perf, overall.get("roc_auc_error_bound")),
                                unavailable_sentence(data)) if text]
    overall_table = ctx.tables.make(f"Overall performance on {plural(overall.get('n', 0), 'row')}",
                                    overall_reading(overall, intervals, ctx.task),
                                    [Column("Metric"), Column("Value", numeric=True)]
                                    + ([Column(f"{level} interval", key="ci", numeric=True)] if has_intervals else [])
                                    + [Column("Better when")], rows, notes=notes)
    calibration = _calibration(ctx, perf.get("calibration") or {}, overall)
    decision_charts, decision_note = decision_figures(ctx, perf)
    groups = [_group_table(ctx, attribute, by_group, order)
              for attribute, by_group in (perf.get("by_group") or {}).items() if by_group]
    sensitive = join_and(quoted(feature_name(ctx, a)) for a in ctx.part("data").get("sensitive") or [])
    return section("performance", overall=overall_table, calibration=calibration, decision_charts=decision_charts,
                   decision_note=decision_note, groups=groups, findings=ctx.findings_for("performance"),
                   sensitive=sensitive)


def level_text(confidence) -> str:
    """An interval level as the report writes it: 0.9 -> '90%'; 95% when the record does not say.

    Examples
    --------
    >>> level_text(0.9), level_text(None), level_text(0.975)
    ('90%', '95%', '97.5%')
    """
    return f"{confidence * 100:g}%" if is_number(confidence) and 0 < confidence < 1 else "95%"


def _intervals(perf) -> dict:
    for key in ("ci", "intervals", "overall_ci"):
        value = perf.get(key)
        if isinstance(value, dict):
            return value
    overall = perf.get("overall") or {}
    return overall.get("ci") if isinstance(overall.get("ci"), dict) else {}


def _percent_short_of_all(share) -> str:
    """A share as a percentage that never rounds a value below 1 up to 100%.

    Examples
    --------
    >>> _percent_short_of_all(0.99979), _percent_short_of_all(0.86), _percent_short_of_all(1.0)
    ('99.98%', '86%', '100%')
    """
    digits = 0
    while share < 1 and round(share * 100, digits) >= 100 and digits < 6:
        digits += 1
    return f"{share * 100:.{digits}f}%"


def overall_reading(overall, intervals, task="") -> str:
    """The sentence under the overall metrics, in the words of the task: favourable and unfavourable
    cases for a binary model, classes (one-vs-rest) for a multiclass one.

    Examples
    --------
    >>> overall_reading({"roc_auc": 0.99979, "accuracy": 0.97}, {}, "multiclass")
    'The one-vs-rest ROC AUC (macro average over the classes) is 0.9998: for each class, a randomly chosen row of that class scores above a randomly chosen row of another class 99.98% of the time, averaged over the classes; 97% of predictions are correct.'
    """
    if is_number(overall.get("roc_auc")):
        auc = overall["roc_auc"]
        if task == "multiclass":
            text = (f"The one-vs-rest ROC AUC (macro average over the classes) is {short_of_one(auc, 2)}: for each "
                    "class, a randomly chosen row of that class scores above a randomly chosen row of another class "
                    f"{_percent_short_of_all(auc)} of the time, averaged over the classes")
        else:
            text = (f"A ROC AUC of {short_of_one(auc, 2)} means a randomly chosen favourable case scores above a "
                    f"randomly chosen unfavourable one {_percent_short_of_all(auc)} of the time")
        if is_number(overall.get("accuracy")):
            text += f"; {_percent_short_of_all(overall['accuracy'])} of predictions are correct"
        span = interval(intervals.get("roc_auc"), 2)
        return text + (f" (ROC AUC interval {span})." if span else ".")
    if is_number(overall.get("accuracy")):
        return f"{_percent_short_of_all(overall['accuracy'])} of predictions are correct."
    if is_number(overall.get("r2")):
        return (f"The model explains {round(overall['r2'] * 100)}% of the outcome's variance; its typical error "
                f"(MAE) is {num(overall.get('mae'))}.")
    if is_number(overall.get("mae")):
        return f"The model's typical error (MAE) is {num(overall['mae'])}."
    return "The metrics below are the model's performance on the audited data."


def _calibration(ctx, calibration, overall):
    bins = [b for b in calibration.get("bins") or [] if is_number(b.get("mean_predicted"))
            and is_number(b.get("observed_rate"))]
    if not bins:
        return None
    # The bin that adds most to the ECE: its gap weighted by its rows, not the widest gap in one row.
    worst = max(bins, key=lambda b: abs(b["observed_rate"] - b["mean_predicted"]) * b.get("n", 1))
    what = calibration.get("what") or "probability"
    lo, hi = (worst.get("bin") or [None, None])[:2]
    where = (f"the largest share of the error comes from scores {num(lo, 1)}\u2013{num(hi, 1)} "
             f"({plural(worst.get('n', 0), 'row')}), where the model predicts {num(worst['mean_predicted'], 2)} on "
             f"average and {num(worst['observed_rate'], 2)} is observed.")
    ece = overall.get("ece")
    if is_number(ece) and ece < 0:
        reading = (f"The debiased ECE is {num(ece, 3)}: once the noise of small bins is removed, no systematic gap "
                   f"between predicted probabilities and observed rates is left; {where}")
    elif is_number(ece):
        reading = (f"Predicted probabilities are {num(ece, 3)} away from the observed rates on average (debiased "
                   f"ECE); {where}")
    else:
        reading = where[0].upper() + where[1:]
    desc = "; ".join(f"scores {num(b['bin'][0], 1)}\u2013{num(b['bin'][1], 1)}: predicted "
                     f"{num(b['mean_predicted'], 2)}, observed {num(b['observed_rate'], 2)}, {b.get('n', 0)} rows"
                     for b in bins if isinstance(b.get("bin"), list))
    return ctx.charts.reliability(bins, title=f"Reliability diagram for the {plain(what)}",
                                  desc=f"Observed rate against mean predicted probability per bin: {desc}.",
                                  reading=reading, what=what)


def _group_table(ctx, attribute, by_group, order):
    metrics = [m for m in order if any(g.get(m) is not None for g in by_group.values() if isinstance(g, dict))]
    small = ctx.min_group_size
    rows = []
    for group, values in by_group.items():
        values = values if isinstance(values, dict) else {}
        n = values.get("n")
        is_small = is_number(n) and n < small
        spans = values.get("ci") if isinstance(values.get("ci"), dict) else {}
        rows.append([Cell(group_name(ctx, attribute, group) + (" \u2020" if is_small else "")), num(n)]
                    + [Cell(metric_value(m, values.get(m)), note=interval(spans.get(m))) for m in metrics])
    primary = next((m for m in ("accuracy", "roc_auc", "r2", "mae") if m in metrics), metrics[0] if metrics else None)
    eligible = {group_name(ctx, attribute, g): v.get(primary) for g, v in by_group.items()
                if isinstance(v, dict) and not (is_number(v.get("n")) and v["n"] < small) and g != "unknown"}
    reading = (range_sentence(f"{metric_label(primary, ctx.task)} by {plain(attribute_name(ctx, attribute))}", eligible)
               if primary else "No metric is defined for these groups.")
    notes = [f"\u2020 Fewer than {small} rows: shown, but too few to judge."] if any(
        is_number(v.get("n")) and v["n"] < small for v in by_group.values() if isinstance(v, dict)) else []
    return ctx.tables.make(f"Performance by {plain(attribute_name(ctx, attribute))}", reading,
                           [Column("Group"), Column("Rows", numeric=True)]
                           + [Column(metric_label(m, ctx.task), key=m, numeric=True) for m in metrics], rows, notes=notes)

