"""Fairness: group metrics with intervals, comparisons with the reference group, intersections, the
disparity attribution, and how group selection rates move with the decision threshold."""

import streamlit as st

from audit_app import charts, fairness_views, names, threshold_views
from audit_app.display import md, not_computed, page_header, require_audit, table
from audit_app.setup_sources import report_error

page_header("Fairness", "Outcomes and error rates per group, each with its bootstrap interval, compared with a "
            "named reference group.")
entry = require_audit()


def show_table(name: str, section: dict) -> None:
    bootstrap = section.get("bootstrap") or {}
    resamples = f" · {bootstrap['n_resamples']:,} resamples" if bootstrap.get("n_resamples") else ""
    st.caption(f"Reference group: **{md(names.value(entry, name, section.get('reference_group')))}** · "
               + md(bootstrap.get("method", "")) + resamples)
    summary = fairness_views.summary_items(section, plain=lambda group: names.value(entry, name, group))
    for start in range(0, min(len(summary), 9), 3):  # three a row: labels and intervals are never cut at 1280 px
        for column, (label, value, interval, explanation) in zip(st.columns(3), summary[start:start + 3]):
            column.metric(label, value, border=True, delta=interval, delta_color="off", delta_arrow="off",
                          help=md(explanation))
    if (section.get("summary") or {}).get("note"):
        st.caption(md(section["summary"]["note"]))

    groups = names.group_column(entry, fairness_views.groups_frame(section), name)
    metrics = [m for m in fairness_views.GROUP_METRICS if m in groups.columns]
    if metrics:
        left, right = st.columns([2, 3])
        metric = left.selectbox("Metric", metrics, key="fairness_metric", format_func=lambda m: m.replace("_", " "))
        frame = names.group_column(entry, fairness_views.metric_frame(section, metric), name)
        with left:
            if not frame.empty:
                interval = ("low", "high") if frame["low"].notna().all() else None
                st.altair_chart(charts.grouped_bars(frame, x="group", y=metric, interval=interval,
                                                    title=f"{metric.replace('_', ' ')} by {names.column(entry, name)}"),
                                key="fairness_group_chart")
        with right:
            st.caption(f"{metric.replace('_', ' ').capitalize()} per group, against the reference group "
                       "(value [interval])")
            table(names.group_column(entry, fairness_views.compare_frame(section, metric), name), key="fairness_compare")
    with st.expander("Every metric per group (value [interval])", icon=":material/table:"):
        table(groups, key="fairness_groups")

    parts = (("differences", "Differences", fairness_views.relative_frame),
             ("ratios", "Ratios", fairness_views.relative_frame),
             ("four_fifths", "Four-fifths rule", fairness_views.four_fifths_frame),
             ("ll144", "NYC Local Law 144", fairness_views.ll144_frame))
    tabs = st.tabs([title for _, title, _ in parts])
    for tab, (part, title, build) in zip(tabs, parts):
        with tab:
            content = section.get(part)
            if not content:
                not_computed(title, "It applies to binary decisions.")
                continue
            if content.get("convention"):
                st.caption(md(content["convention"]))
            frame = names.group_column(entry, names.group_column(entry, build(content), name), name, "category")
            table(frame, key=f"fairness_{part}")


def show_intersections(sections: dict) -> None:
    pairs = [name for name, section in sections.items() if len(section.get("attributes") or []) == 2]
    st.subheader("Intersections")
    if not pairs:
        not_computed("Intersections of sensitive attributes", "They need two or more sensitive attributes.")
        return
    name = st.selectbox("Pair of attributes", pairs, key="fairness_pair", format_func=lambda n: names.column(entry, n))
    section = sections[name]
    first, second = section["attributes"]
    metric = st.selectbox("Metric ", [m for m in ("selection_rate", "tpr", "fpr", "accuracy", "mean_prediction")
                                      if fairness_views.heatmap_frame(section, m) is not None] or ["selection_rate"],
                          key="fairness_pair_metric", format_func=lambda m: m.replace("_", " "))
    heat = fairness_views.heatmap_frame(section, metric)
    if heat is None:
        not_computed(f"The {metric} heat map")
        return
    st.altair_chart(charts.heatmap(heat, x=first, y=second, value=metric,
                                   title=f"{metric.replace('_', ' ')} by {first} × {second}"),
                    key="fairness_pair_heatmap")


def show_attribution(fairness: dict, name: str) -> None:
    st.subheader("Where the gap comes from")
    part = fairness_views.attribution_part(fairness, name)
    labels = fairness_views.attribution_groups(part) if part else []
    if not labels:
        not_computed("Disparity attribution", "It splits a group's gap in mean model output into per-feature "
                     "parts, from additive (SHAP) attributions.")
    else:
        group = st.selectbox("Group compared with the reference group", labels, key="fairness_attribution_group")
        st.altair_chart(charts.contributions(fairness_views.attribution_frame(part, group),
                                             title=f"Per-feature share of the gap · {name} = {group}"),
                        key="fairness_attribution")
        st.caption(md(fairness_views.attribution_summary(part, group)))
        if part.get("convention"):
            st.caption(md(part["convention"]))
    proxies = fairness_views.proxies_frame(fairness, name)
    if proxies is not None:
        frame, convention = proxies
        st.markdown(f"**Features that stand in for {md(name)}**")
        if convention:
            st.caption(md(convention))
        table(frame, key="fairness_proxies")


def show_sweep(name: str, threshold: float | None) -> None:
    st.subheader("Decision threshold")
    if not fairness_views.can_sweep(entry):
        not_computed("The threshold analysis", "It needs a binary classifier with probabilities (or a scores column "
                     "holding probabilities).")
        return
    try:
        with st.spinner("Recomputing group rates"):
            sweep = fairness_views.sweep_frame(entry, name)
    except Exception as error:
        report_error(error, what="The threshold analysis")
        return
    st.altair_chart(charts.lines(sweep, x="threshold", y="selection_rate", color="group", rule_at=threshold,
                                 title=f"Selection rate by {name} as the threshold moves"),
                    key="fairness_threshold_chart")
    st.caption("Use the cut-off control at the top of the page to recompute every table at another threshold.")


if entry is not None:
    fairness = entry.result.fairness or {}
    sections = fairness_views.tables(fairness)
    if not sections:
        not_computed("Fairness", "It needs a target or predictions and at least one sensitive attribute.")
    else:
        threshold = threshold_views.cut_off_control(entry, "fairness")
        if threshold is not None:
            try:
                with st.spinner(f"Recomputing every table at the cut-off {threshold:.2f}"):
                    sections = fairness_views.explored_fairness(entry, threshold)
            except Exception as error:
                report_error(error, what="Recomputing the tables at the cut-off")
                st.stop()
        singles = [n for n, s in sections.items() if len(s.get("attributes") or [n]) == 1] or list(sections)
        name = st.selectbox("Sensitive attribute", singles, key="fairness_attribute",
                            format_func=lambda n: names.column(entry, n))
        show_table(name, sections[name])
        st.divider()
        show_intersections(sections)
        st.divider()
        show_attribution(fairness, name)
        st.divider()
        show_sweep(name, threshold)
