"""Fairness: group metrics with intervals, comparisons with the reference group, intersections, the
disparity attribution, and how group selection rates move with the decision threshold."""

import streamlit as st

from audit_app import charts, fairness_views, names, threshold_views
from audit_app.display import md, not_computed, page_header, require_audit
from audit_app.display import table as table_view
from audit_app.setup_sources import report_error

page_header("Fairness", "Outcomes and error rates per group, each with its bootstrap interval, compared with a "
            "named reference group.")
entry = require_audit()


def show_table(name: str, table) -> None:
    bootstrap = table.sections.get("bootstrap") or {}
    resamples = f" · {bootstrap['n_resamples']:,} resamples" if bootstrap.get("n_resamples") else ""
    st.caption(f"Reference group: **{md(names.value(entry, name, table.reference_group))}** · "
               + md(bootstrap.get("method", "")) + resamples)
    summary = fairness_views.summary_items(table, plain=lambda group: names.value(entry, name, group))
    for start in range(0, min(len(summary), 9), 3):  # three a row: labels and intervals are never cut at 1280 px
        for column, (label, value, interval, explanation) in zip(st.columns(3), summary[start:start + 3]):
            column.metric(label, value, border=True, delta=interval, delta_color="off", delta_arrow="off",
                          help=md(explanation))
    if table.summary.get("note"):
        st.caption(md(table.summary["note"]))

    metrics = fairness_views.metrics_of(table)
    if metrics:
        left, right = st.columns([2, 3])
        metric = left.selectbox("Metric", metrics, key="fairness_metric", format_func=names.metric)
        frame = names.group_column(entry, fairness_views.metric_frame(table, metric), name)
        with left:
            if not frame.empty:
                interval = ("low", "high") if frame["low"].notna().all() else None
                st.altair_chart(charts.grouped_bars(frame, x="group", y=metric, interval=interval,
                                                    title=f"{names.metric(metric)} by {names.column(entry, name)}"),
                                key="fairness_group_chart")
        right.caption(f"{names.metric(metric)} per group, against the reference group (value [interval]), in the "
                      "table below: the bars show each group's value with its interval.")
        # the table takes the page's width, so no column is cut at 1280 px
        table_view(names.group_column(entry, fairness_views.compare_frame(table, metric), name),
                   key="fairness_compare")
    with st.expander("Every metric per group (value [interval])", icon=":material/table:"):
        table_view(names.group_column(entry, fairness_views.groups_frame(table), name), key="fairness_groups")

    parts = (("differences", "Differences"), ("ratios", "Ratios"), ("four_fifths", "Four-fifths rule"),
             ("ll144", "NYC Local Law 144"))
    tabs = st.tabs([title for _, title in parts])
    for tab, (part, title) in zip(tabs, parts):
        with tab:
            if not fairness_views.has_part(table, part):
                not_computed(title, "It applies to binary decisions.")
                continue
            if fairness_views.part_convention(table, part):
                st.caption(md(fairness_views.part_convention(table, part)))
            frame = fairness_views.PARTS[part](table)
            frame = names.group_column(entry, names.group_column(entry, frame, name), name, "category")
            table_view(frame, key=f"fairness_{part}")


def show_intersections(sections: dict) -> None:
    pairs = [name for name, table in sections.items() if len(table.attributes) == 2]
    st.subheader("Intersections")
    if not pairs:
        not_computed("Intersections of sensitive attributes", "They need two or more sensitive attributes.")
        return
    name = st.selectbox("Pair of attributes", pairs, key="fairness_pair", format_func=lambda n: names.column(entry, n))
    table = sections[name]
    first, second = table.attributes
    metric = st.selectbox("Metric ", [m for m in ("selection_rate", "tpr", "fpr", "accuracy", "mean_prediction")
                                      if fairness_views.heatmap_frame(table, m) is not None] or ["selection_rate"],
                          key="fairness_pair_metric", format_func=names.metric)
    heat = fairness_views.heatmap_frame(table, metric)
    if heat is None:
        not_computed(f"The {names.metric(metric).lower()} heat map")
        return
    x, y = names.column(entry, first), names.column(entry, second)
    heat = heat.assign(**{part: heat[part].map(lambda code, part=part: names.value(entry, part, code))
                          for part in (first, second)}).rename(columns={first: x, second: y})
    st.altair_chart(charts.heatmap(heat, x=x, y=y, value=metric, title=f"{names.metric(metric)} by {x} × {y}"),
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
        st.altair_chart(charts.contributions(names.feature_index(entry, fairness_views.attribution_frame(part, group)),
                                             title=f"Per-feature share of the gap · {names.column(entry, name)} = "
                                                   f"{names.value(entry, name, group)}"),
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
        table_view(frame, key="fairness_proxies")


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
    sweep = names.group_column(entry, sweep, name)
    st.altair_chart(charts.lines(sweep, x="threshold", y="selection_rate", color="group", rule_at=threshold,
                                 title=f"Selection rate by {names.column(entry, name)} as the threshold moves"),
                    key="fairness_threshold_chart")
    st.caption("Use the cut-off control at the top of the page to recompute every table at another threshold.")


if entry is not None:
    fairness = entry.result.fairness or {}
    sections = entry.result.fairness_tables()
    if not sections:
        not_computed("Fairness", "It needs a target or predictions and at least one sensitive attribute.")
    else:
        threshold = threshold_views.cut_off_control(entry, "fairness")
        if threshold is not None:
            try:
                with st.spinner(f"Recomputing every table at the cut-off {threshold:.2f}"):
                    sections = fairness_views.tables(fairness_views.explored_fairness(entry, threshold))
            except Exception as error:
                report_error(error, what="Recomputing the tables at the cut-off")
                st.stop()
        singles = [n for n, t in sections.items() if len(t.attributes or (n,)) == 1] or list(sections)
        name = st.selectbox("Sensitive attribute", singles, key="fairness_attribute",
                            format_func=lambda n: names.column(entry, n))
        show_table(name, sections[name])
        st.divider()
        show_intersections(sections)
        st.divider()
        show_attribution(fairness, name)
        st.divider()
        show_sweep(name, threshold)
