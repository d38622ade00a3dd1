"""Performance: overall metrics, the same metrics per group, and calibration."""

import pandas as pd
import streamlit as st

from audit_app import charts, fairness_views, names, threshold_views
from audit_app.setup_sources import report_error
from audit_app.display import fmt, metrics_frame, not_computed, page_header, require_audit, table

# the overall cards, in this order
OVERALL = ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier", "ece", "mae", "rmse", "r2")

page_header("Performance", "How well the model predicts the true outcome, overall and in every group.")
entry = require_audit()

# metrics of the model's own decisions: shown only while no other cut-off is explored
AT_MODEL_DECISIONS = ("accuracy", "balanced_accuracy")
# metrics of the scores alone: the same at every cut-off
SCORE_METRICS = ("roc_auc", "auc", "log_loss", "brier", "ece", "mean_score")
DECISIONS = threshold_views.DECISION_METRICS


def show_cut_off(threshold: float | None) -> None:
    """Decision metrics with intervals, the confusion matrix and the curves at the explored cut-off."""
    st.subheader("Decisions at a cut-off")
    if threshold is None:
        st.caption("Turn on the cut-off control above to see the decision metrics, the confusion matrix and the "
                   "curves' point at another cut-off.")
    try:
        with st.spinner("Recomputing at the cut-off"):
            curves = threshold_views.curves(entry)
            chosen = threshold_views.performance_at(entry, threshold) if threshold is not None else None
    except Exception as error:
        report_error(error, what="The cut-off analysis")
        return
    if chosen is not None:
        shown = [(name, chosen["metrics"][name]) for name in DECISIONS if name in chosen["metrics"]]
        for start in range(0, len(shown), 4):
            for column, (name, value) in zip(st.columns(4), shown[start:start + 4]):
                interval = chosen["ci"].get(name)
                column.metric(names.metric(name), fmt(value), border=True, delta_color="off", delta_arrow="off",
                              delta=f"interval {fmt(interval[0])} – {fmt(interval[1])}"
                              if interval and None not in interval else None)
        st.markdown(f"**Confusion matrix at the cut-off {threshold:.2f}**")
        table(threshold_views.confusion_frame(chosen["confusion"]).reset_index(names="true outcome"),
              key="performance_confusion")
    left, right = st.columns(2)
    roc_point = pr_point = None
    if threshold is not None:
        roc_point = threshold_views.curve_point(curves["roc"], "fpr", "tpr", threshold)
        pr_point = threshold_views.curve_point(curves["pr"], "recall", "precision", threshold)
    left.altair_chart(charts.threshold_curve(pd.DataFrame(curves["roc"]), x="fpr", y="tpr", title="ROC curve",
                                             x_title="false positive rate", y_title="true positive rate",
                                             point=roc_point), key="performance_roc")
    right.altair_chart(charts.threshold_curve(pd.DataFrame(curves["pr"]), x="recall", y="precision",
                                              title="Precision-recall curve", x_title="recall",
                                              y_title="precision", point=pr_point), key="performance_pr")


def group_values(attribute: str, cut_off: float | None) -> tuple[pd.DataFrame, dict]:
    """The by-group table's numbers and intervals: the model's own, or at the explored cut-off (the decision
    metrics recomputed, the metrics of the scores alone kept)."""
    model = metrics_frame(entry.result.performance["by_group"][attribute], key_name="group")
    if cut_off is None:
        return model, {}
    try:
        with st.spinner(f"Recomputing every group at the cut-off {cut_off:.2f}"):
            explored = threshold_views.by_group_at(entry, attribute, cut_off)
    except Exception as error:
        report_error(error, what="Recomputing the groups at the cut-off")
        explored = None
    if explored is None:
        return model.drop(columns=[m for m in AT_MODEL_DECISIONS if m in model.columns]), {}
    frame, intervals = explored
    kept = [m for m in SCORE_METRICS if m in model.columns]
    return frame.merge(model[["group", *kept]], on="group", how="left"), intervals


if entry is not None:
    cut_off = threshold_views.cut_off_control(entry, "performance")
    performance = entry.result.performance or {}
    overall = performance.get("overall") or {}
    if not overall:
        not_computed("Performance", "It needs a target column with the true outcome.")
    else:
        intervals = performance.get("overall_ci") or {}
        hidden = AT_MODEL_DECISIONS if cut_off is not None else ()
        shown = [(name, overall[name]) for name in OVERALL if name in overall and name not in hidden]
        for start in range(0, len(shown), 4):
            for column, (name, value) in zip(st.columns(4), shown[start:start + 4]):
                interval = intervals.get(name)
                column.metric(names.metric(name), fmt(value), border=True, delta_color="off", delta_arrow="off",
                              delta=f"interval {fmt(interval[0])} – {fmt(interval[1])}"
                              if interval and None not in interval else None)
        bootstrap = performance.get("bootstrap") or {}
        st.caption(f"Computed on {overall.get('n', 'all')} rows with scikit-learn's metric functions; n/a where a "
                   "metric is undefined (e.g. ROC AUC with one class present)."
                   + (f" Intervals: {bootstrap.get('confidence', 0.95):.0%} bootstrap, "
                      f"{fairness_views.number(bootstrap.get('n_resamples'))} resamples." if bootstrap else ""))

        by_group = performance.get("by_group") or {}
        st.subheader("By group")
        if not by_group:
            not_computed("Performance by group", "No sensitive attributes were chosen.")
        else:
            attribute = st.selectbox("Sensitive attribute", list(by_group), key="performance_attribute",
                                     format_func=lambda name: names.column(entry, name))
            frame, intervals = group_values(attribute, cut_off)
            metrics = [m for m in frame.columns if m in names.METRICS and frame[m].notna().any()]
            left, right = st.columns([2, 3])
            if metrics:
                metric = left.selectbox("Metric", metrics, format_func=names.metric, key="performance_metric")
                with left:
                    chart = names.group_column(entry, frame.dropna(subset=[metric]), attribute)
                    st.altair_chart(charts.grouped_bars(chart, x="group", y=metric,
                                                        title=f"{names.metric(metric)} by "
                                                              f"{names.column(entry, attribute)}"),
                                    key="performance_chart")
            right.caption("Every metric per group in the table below" + (" (value [interval])" if intervals else "")
                          + "; the bars show the chosen one.")
            # the table takes the page's width, so no column is cut at 1280 px
            shown = frame.assign(**{m: [fairness_views.with_interval(v, intervals.get(g, {}).get(m))
                                        for g, v in zip(frame["group"], frame[m])] for m in metrics})
            shown = names.group_column(entry, shown, attribute)
            table(shown.rename(columns={m: names.metric(m) for m in metrics}), key="performance_table")
            if cut_off is not None:
                resamples = fairness_views.run_resamples(entry)
                st.caption(f"At the cut-off {cut_off:.2f}: each group's selection rate, accuracy and error rates "
                           "are recomputed, with intervals"
                           + (f" from {resamples:,} resamples" if resamples else "")
                           + " (the same numbers as the Fairness page); ROC AUC, log loss, Brier score and "
                           "calibration error do not depend on a cut-off and are the model's.")

        calibration = performance.get("calibration") or {}
        st.subheader("Calibration")
        if calibration.get("bins"):
            title = f"Reliability: {calibration.get('what', '')}"
            st.altair_chart(charts.calibration(calibration["bins"], title=title), key="performance_calibration")
            st.caption("Points on the dashed diagonal mean the predicted probabilities match observed rates.")
        else:
            not_computed("Calibration", "It needs a classifier that gives probabilities.")

    if fairness_views.can_sweep(entry) and overall:
        show_cut_off(cut_off)
