"""The sections of a running audit, shown on Setup as each one is ready.

The audit calls back with each section of its record as soon as it is computed (performance and
fairness come before the explainers, which take most of the time); this module draws a short view of
each into its own slot, so the analyst reads the first numbers while the rest still runs. The full
pages (Performance, Fairness, ...) show the finished audit.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import streamlit as st

from audit_app import names
from audit_app.display import fmt, md

TIMINGS = "run_timings"
OVERALL = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "roc_auc": "ROC AUC",
           "brier": "Brier score", "mae": "MAE", "rmse": "RMSE", "r2": "R²"}
SECTION_TITLES = {"performance": "Performance", "fairness": "Fairness", "explanations": "Explanations",
                  "reasons": "Reasons for declined cases", "recourse": "Recourse", "challenger": "Glass-box challengers"}


class LiveSections:
    """One slot per section under the progress lines; ``show(name, section)`` fills its slot.

    The seconds from the start of the run to each section are kept in ``st.session_state["run_timings"]``
    (what the app benchmark reads).
    """

    def __init__(self, data=None):
        self.start = time.monotonic()
        self.entry = SimpleNamespace(data=data)  # what the plain-name helpers read: the dataset's labels
        self.box = st.container(border=True)
        self.box.markdown("**Results so far** — each section appears here when it is ready; the full pages "
                          "open when the audit is done.")
        self.slots = {name: self.box.empty() for name in SECTION_TITLES}
        st.session_state[TIMINGS] = {}

    def show(self, name: str, section) -> None:
        seconds = time.monotonic() - self.start
        st.session_state[TIMINGS].setdefault(name, round(seconds, 2))
        slot = self.slots.get(name)
        if slot is None:
            return
        with slot.container():
            st.markdown(f":material/check: **{SECTION_TITLES[name]}** · ready after {seconds:.1f} s")
            draw = {"performance": _performance, "fairness": _fairness, "explanations": _explanations,
                    "reasons": _reasons}.get(name)
            if draw is not None:
                draw(section, self.entry)


def overall_items(section: dict) -> list[tuple[str, str, str | None]]:
    """The overall metrics as (label, value, "interval lo – hi" or None), in a fixed order.

    Examples
    --------
    >>> overall_items({"overall": {"accuracy": 0.75, "roc_auc": 0.8}, "overall_ci": {"accuracy": [0.7, 0.8]}})
    [('Accuracy', '0.750', 'interval 0.700 – 0.800'), ('ROC AUC', '0.800', None)]
    """
    overall = (section or {}).get("overall") or {}
    intervals = (section or {}).get("overall_ci") or {}
    items = []
    for name, label in OVERALL.items():
        if isinstance(overall.get(name), (int, float)):
            interval = intervals.get(name)
            shown = f"interval {fmt(interval[0])} – {fmt(interval[1])}" if interval and None not in interval else None
            items.append((label, fmt(overall[name]), shown))
    return items


def _cards(items) -> None:
    """Cards of (label, value, interval text or None[, full explanation as the tooltip])."""
    for column, (label, value, interval, *explanation) in zip(st.columns(max(len(items), 1)), items):
        column.metric(label, value, border=True, delta=interval, delta_color="off", delta_arrow="off",
                      help=md(explanation[0]) if explanation else None)


def _performance(section: dict, entry) -> None:
    items = overall_items(section)
    if not items:
        st.caption("Not measured: the data has no target column.")
        return
    _cards(items[:5])


def _fairness(section: dict, entry) -> None:
    from audit_app import fairness_views

    for name, table in fairness_views.tables(section).items():
        if len(table.attributes or (name,)) != 1:
            continue
        items = fairness_views.summary_items(table, plain=lambda group, name=name: names.value(entry, name, group))[:4]
        st.caption(f"**{md(names.column(entry, name))}** · reference group "
                   f"{md(names.value(entry, name, table.reference_group))}")
        if items:
            _cards(items)


def _explanations(section: dict, entry) -> None:
    for method, part in (section or {}).items():
        importance = (part or {}).get("global_importance") if isinstance(part, dict) else None
        if importance:
            top = sorted(importance.items(), key=lambda item: -abs(float(item[1] or 0)))[:5]
            st.caption(f"**{md(method)}**, the features with the largest mean |attribution|: "
                       + ", ".join(md(names.column(entry, feature)) for feature, _ in top))


def _reasons(section, entry) -> None:
    st.caption(f"{len(section or [])} declined cases with their principal reasons.")
