"""What-if: edit one row's values and see the model's decision and its explanation change."""

import pandas as pd
import streamlit as st

from audit_app import charts, model_views, state
from audit_app.display import fmt, md, not_computed, page_header, require_audit, table
from audit_app.setup_sources import report_error

VALUE_PREFIX = "keep_whatif_value::"
MAX_CHOICES = 50

page_header("What-if", "Change a case's values and see how the decision and its explanation move. "
            "Both versions are explained together, against the same background data.")
entry = require_audit()


def choose_row() -> int:
    binary = entry.result.model.get("task") == "binary"
    positions = model_views.filtered_positions(entry, "declined" if binary else "all")
    if len(positions) == 0:
        positions = model_views.filtered_positions(entry, "all")
    choices = [int(p) for p in positions[:5000]]
    if st.session_state.get("keep_whatif_row") not in choices:
        st.session_state["keep_whatif_row"] = choices[0]
    labels = entry.data.frame.index
    left, right = st.columns([2, 1])
    position = left.selectbox("Case to edit", choices, key="keep_whatif_row", format_func=lambda p: f"row {labels[p]}",
                              help="Declined cases are listed for classifiers with a favourable outcome.")
    methods = [m for m in ("shap", "lime") if m in (entry.result.explanations or {})] or ["shap", "lime"]
    if st.session_state.get("keep_whatif_method") not in methods:
        st.session_state["keep_whatif_method"] = methods[0]
    right.selectbox("Explainer", methods, key="keep_whatif_method", format_func=str.upper)
    return int(position)


def edit_form(position: int) -> None:
    row = entry.data.frame.iloc[position]
    names = model_views.features(entry)
    if st.session_state.get("whatif_for") != (entry.key, position):
        st.session_state["whatif_for"] = (entry.key, position)
        state.reset_prefix(VALUE_PREFIX)
        st.session_state.pop("whatif_edits", None)
    with st.form("whatif_form", border=True):
        columns = st.columns(3)
        for index, name in enumerate(names):
            with columns[index % 3]:
                value_input(name, row[name])
        submitted = st.form_submit_button("Score and explain the edited case", type="primary",
                                          icon=":material/science:", key="whatif_submit")
    if submitted:
        edits = {}
        for name in names:
            value = st.session_state.get(VALUE_PREFIX + name, row[name])
            if str(value) != str(row[name]):
                edits[name] = value
        st.session_state["whatif_edits"] = edits


def value_input(name: str, current) -> None:
    column = entry.data.frame[name]
    key = VALUE_PREFIX + name
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if numeric:
        whole = pd.api.types.is_integer_dtype(column)
        st.session_state.setdefault(key, int(current) if whole else float(current))
        st.number_input(md(name), key=key, step=1 if whole else None, format=None if whole else "%.4g")
        return
    choices = sorted({str(v) for v in column.dropna().unique().tolist()})
    if len(choices) <= MAX_CHOICES:
        st.session_state.setdefault(key, str(current))
        st.selectbox(md(name), choices, key=key)
    else:
        st.session_state.setdefault(key, str(current))
        st.text_input(md(name), key=key)


def show_outcome(position: int) -> None:
    edits = st.session_state.get("whatif_edits")
    if not edits:
        decision, score = model_views.score_row(entry, entry.data.frame.iloc[[position]])
        columns = st.columns(3)
        columns[0].metric("Decision now", str(decision), border=True)
        columns[1].metric("Score now", fmt(score) if score is not None else "n/a", border=True)
        if edits is None:
            st.caption("Change values above and press the button to see the edited case scored and explained.")
        else:
            st.info("No value was changed: the edited case is the original.", icon=":material/info:")
        return
    method = st.session_state.get("keep_whatif_method", "shap")
    original = entry.data.frame.iloc[[position]]
    try:
        variant, new_position = model_views.with_edited_row(entry, position, edits)
        edited = variant.frame.iloc[[new_position]]
        before = model_views.score_row(entry, original)
        after = model_views.score_row(entry, edited)
        tag = repr(sorted((k, str(v)) for k, v in edits.items()))
        with st.spinner(f"Explaining both versions with {method.upper()}"):
            explanation = model_views.explain_rows(entry, method, (position, new_position), data=variant, tag=tag)
    except Exception as error:
        report_error(error, what="Scoring the edited case")
        return
    columns = st.columns(3)
    columns[0].metric("Decision", str(after[0]), delta=None if after[0] == before[0] else f"was {before[0]}",
                      delta_color="off", border=True)
    if after[1] is not None:
        columns[1].metric("Score", fmt(after[1]), delta=f"{after[1] - before[1]:+.3f}", border=True)
    columns[2].metric("Values changed", len(edits), border=True)
    changes = pd.DataFrame([{"feature": k, "original": str(original.iloc[0][k]), "edited": str(v)}
                            for k, v in edits.items()])
    table(changes, key="whatif_changes")
    left, right = st.columns(2)
    with left:
        st.altair_chart(charts.contributions(model_views.contribution_frame(explanation, 0),
                                             title=f"Original · {method.upper()}"), key="whatif_before")
    with right:
        st.altair_chart(charts.contributions(model_views.contribution_frame(explanation, 1),
                                             title=f"Edited · {method.upper()}"), key="whatif_after")


if entry is not None:
    if not model_views.can_explain(entry):
        not_computed("What-if analysis", "It needs a tabular model and the explainers module "
                     "(predictions-only and image audits have no row to edit).")
    else:
        try:
            chosen = choose_row()
        except Exception as error:
            report_error(error, what="Listing the cases")
        else:
            edit_form(chosen)
            show_outcome(chosen)
