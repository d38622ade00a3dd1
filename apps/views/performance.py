"""Performance: overall metrics, the same metrics per group, and calibration."""

import streamlit as st

from audit_app import charts
from audit_app.display import fmt, metrics_frame, not_computed, page_header, require_audit, table

LABELS = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "roc_auc": "ROC AUC",
          "log_loss": "Log loss", "brier": "Brier score", "ece": "Calibration error (ECE)",
          "mae": "MAE", "rmse": "RMSE", "r2": "R²"}

page_header("Performance", "How well the model predicts the true outcome, overall and in every group.")
entry = require_audit()
if entry is not None:
    performance = entry.result.performance or {}
    overall = performance.get("overall") or {}
    if not overall:
        not_computed("Performance", "It needs a target column with the true outcome.")
    else:
        intervals = performance.get("overall_ci") or {}
        shown = [(name, overall[name]) for name in LABELS if name in overall]
        for start in range(0, len(shown), 4):
            for column, (name, value) in zip(st.columns(4), shown[start:start + 4]):
                interval = intervals.get(name)
                column.metric(LABELS[name], fmt(value), border=True, delta_color="off", delta_arrow="off",
                              delta=f"interval {fmt(interval[0])} – {fmt(interval[1])}"
                              if interval and None not in interval else None)
        bootstrap = performance.get("bootstrap") or {}
        st.caption(f"Computed on {overall.get('n', 'all')} rows with scikit-learn's metric functions; n/a where a "
                   "metric is undefined (e.g. ROC AUC with one class present)."
                   + (f" Intervals: {bootstrap.get('confidence', 0.95):.0%} bootstrap, {bootstrap.get('n_resamples')} "
                      "resamples." if bootstrap else ""))

        by_group = performance.get("by_group") or {}
        st.subheader("By group")
        if not by_group:
            not_computed("Performance by group", "No sensitive attributes were chosen.")
        else:
            attribute = st.selectbox("Sensitive attribute", list(by_group), key="performance_attribute")
            frame = metrics_frame(by_group[attribute], key_name="group")
            metrics = [m for m in LABELS if m in frame.columns and frame[m].notna().any()]
            left, right = st.columns([2, 3])
            if metrics:
                metric = left.selectbox("Metric", metrics, format_func=LABELS.get, key="performance_metric")
                with left:
                    st.altair_chart(charts.grouped_bars(frame.dropna(subset=[metric]), x="group", y=metric,
                                                        title=f"{LABELS[metric]} by {attribute}"),
                                    key="performance_chart")
            with right:
                st.caption("Every metric per group")
                table(frame.rename(columns={k: v for k, v in LABELS.items()}), key="performance_table")

        calibration = performance.get("calibration") or {}
        st.subheader("Calibration")
        if calibration.get("bins"):
            title = f"Reliability: {calibration.get('what', '')}"
            st.altair_chart(charts.calibration(calibration["bins"], title=title), key="performance_calibration")
            st.caption("Points on the dashed diagonal mean the predicted probabilities match observed rates.")
        else:
            not_computed("Calibration", "It needs a classifier that gives probabilities.")
