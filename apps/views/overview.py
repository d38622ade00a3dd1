"""Overview: the verdict, what needs attention, every finding of the policy, and what was audited."""

from pathlib import Path

import streamlit as st

from audit_app import names
from audit_app.display import (STATUS_ICON, findings_frame, fmt, md, page_header, require_audit, result_verdict,
                               rule_titles)

page_header("Overview", "The verdict of the policy and every finding behind it.")
entry = require_audit()


def attention(result) -> None:
    problems = sorted((f for f in result.findings if f.status in ("fail", "warn")), key=lambda f: f.status != "fail")
    st.subheader("Needs attention")
    if not problems:
        st.success("Nothing to review: every check of the policy passed.", icon=":material/task_alt:")
        return
    titles = rule_titles(result)
    tables = result.fairness_tables()
    for finding in problems:
        rule, title = titles(finding.id)
        subject = finding.id[len(rule) + 1:] if rule and finding.id.startswith(rule + ".") else ""
        subject = names.finding_subject(entry, subject, tables) if subject else ""
        label = f"{STATUS_ICON[finding.status]} {md(title or finding.id)}" + (f" · {md(subject)}" if subject else "")
        with st.expander(label, expanded=finding.status == "fail"):
            st.markdown(md(finding.message))
            st.caption(f"Check {md(finding.id)} · observed {md(fmt(finding.observed))} · "
                       f"threshold {md(fmt(finding.threshold))}")
            if finding.references:
                st.caption("References: " + md("; ".join(finding.references)))


def all_findings(result) -> None:
    st.subheader("All findings")
    frame = findings_frame(result.findings)
    if frame.empty:
        st.info("The policy produced no findings for this model and data.", icon=":material/info:")
        return
    shown = st.segmented_control("Show", ["All", "Fail", "Warning", "Pass"], default="All", key="overview_filter")
    if shown and shown != "All":
        frame = frame[frame["Status"] == shown]
    # a static table: long checks and findings wrap instead of being cut at the page's width; its cells are
    # Markdown, so ids and messages are escaped (``sex*age_group`` would read as emphasis)
    frame = frame.assign(Check=frame["Check"].map(md), Finding=frame["Finding"].map(md))
    st.table(frame.set_index("Status"))


def audited(result) -> None:
    model, data = result.model, result.data
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.markdown("**Model**")
        st.markdown(f"{md(model.get('name'))} · {md(model.get('framework'))} · {md(model.get('task'))}")
        if model.get("classes"):
            favourable = model.get("positive_class")
            st.caption("Classes: " + md(", ".join(map(str, model["classes"])))
                       + (f" · favourable: {md(favourable)}" if favourable is not None else ""))
        if model.get("sha256"):
            st.caption(f"sha256 {model['sha256']}")
        if result.model_card:
            for name, value in result.model_card.items():
                st.caption(f"{md(name.replace('_', ' ').capitalize())}: {md(value)}")
    with right, st.container(border=True):
        st.markdown("**Data**")
        source = Path(str(data.get("source") or "data")).name
        st.markdown(f"{md(source)} · {fmt(data.get('n_rows'))} rows · target {md(names.column(entry, data.get('target')))}")
        for attribute, sizes in (data.get("group_sizes") or {}).items():
            st.caption(f"{md(names.column(entry, attribute))}: "
                       + md(", ".join(f"{names.value(entry, attribute, g)} ({n:,})" for g, n in sizes.items())))
        if data.get("missing_values"):
            st.caption("Missing values: " + md(", ".join(f"{names.column(entry, c)} ({n:,})"
                                                         for c, n in data["missing_values"].items())))
        st.caption(f"sha256 {data.get('sha256', '')}")


if entry is not None:
    result = entry.result
    result_verdict(result)
    counts = {s: sum(f.status == s for f in result.findings) for s in ("fail", "warn", "pass")}
    columns = st.columns(5)
    columns[0].metric("Failed checks", counts["fail"], border=True)
    columns[1].metric("Warnings", counts["warn"], border=True)
    columns[2].metric("Passed checks", counts["pass"], border=True)
    columns[3].metric("Rows audited", result.data.get("n_rows", "n/a"), border=True)
    columns[4].metric("Task", str(result.model.get("task", "n/a")), border=True)
    attention(result)
    all_findings(result)
    st.subheader("What was audited")
    audited(result)
