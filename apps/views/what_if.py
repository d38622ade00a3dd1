"""What-if: find a case, edit its values and see the model's decision, its explanation and, for a
declined case, the smallest change that leads to approval.

Every value is scored as it is entered: the cards always show the decision and score of the values
on screen.
"""

import pandas as pd
import streamlit as st

from audit_app import model_views, state, whatif_views
from audit_app.display import fmt, md, not_computed, page_header, require_audit, table
from audit_app.setup_sources import report_error
from audit_app.whatif_views import value_key

MAX_CHOICES = 50
MAX_LISTED = 2000

page_header("What-if", "Find a case, change its values and see how the decision and its explanation move. "
            "The cards and charts follow the values shown as they are entered; both versions are explained "
            "together, against the same background data.")
entry = require_audit()


def choose_case() -> int | None:
    """The finder (declined, borderline, misclassified, all, by id, by a condition) and the case picked."""
    sources = model_views.case_sources(entry)
    if st.session_state.get("keep_whatif_source") not in sources:
        st.session_state["keep_whatif_source"] = sources[0]
    left, middle, right = st.columns([2, 3, 1])
    source = left.selectbox("Find a case", sources, key="keep_whatif_source",
                            format_func=model_views.CASE_SOURCES.get)
    with middle:
        positions = _found(source)
    methods = [m for m in ("shap", "lime") if m in (entry.result.explanations or {})] or ["shap", "lime"]
    if st.session_state.get("keep_whatif_method") not in methods:
        st.session_state["keep_whatif_method"] = methods[0]
    right.selectbox("Explainer", methods, key="keep_whatif_method", format_func=str.upper)
    if positions is None:
        return None
    if len(positions) == 0:
        st.info("No case matches: change the search above.", icon=":material/search_off:")
        return None
    choices = [int(p) for p in positions[:MAX_LISTED]]
    if st.session_state.get("keep_whatif_row") not in choices:
        st.session_state["keep_whatif_row"] = choices[0]
    label = model_views.case_label
    position = st.selectbox("Case", choices, key="keep_whatif_row", format_func=lambda p: label(entry, p, source),
                            help="Each case is named by its row (and identifier column, if the data has one), "
                                 "with the model's decision and score.")
    shown = f"{len(positions):,} case{'s' if len(positions) != 1 else ''} found"
    st.caption(shown + (f"; the first {MAX_LISTED:,} are listed." if len(positions) > MAX_LISTED else "."))
    return int(position)


def _found(source: str):
    """The positions a finder gives, or None while its search box is empty."""
    if source == "id":
        ids = model_views.id_columns(entry)
        text = st.text_input("Row number" + (f" or {md(', '.join(ids))}" if ids else ""), key="keep_whatif_id",
                             placeholder="e.g. 17")
        return model_views.find_by_id(entry, text) if text.strip() else None
    if source == "filter":
        columns = [str(c) for c in entry.data.frame.columns]
        if st.session_state.get("keep_whatif_filter_column") not in columns:
            st.session_state["keep_whatif_filter_column"] = model_views.features(entry)[0]
        if st.session_state.get("keep_whatif_filter_op") not in model_views.FILTER_OPERATORS:
            st.session_state["keep_whatif_filter_op"] = "="
        a, b, c = st.columns([3, 1, 2])
        column = a.selectbox("Column", columns, key="keep_whatif_filter_column", format_func=entry.data.labels.name)
        operator = b.selectbox("Condition", model_views.FILTER_OPERATORS, key="keep_whatif_filter_op")
        text = c.text_input("Value", key="keep_whatif_filter_value", placeholder="e.g. 24")
        if not text.strip():
            return None
        try:
            return model_views.filter_positions(entry, column, operator, text)
        except Exception as error:
            report_error(error, what="Filtering the cases")
            return None
    return model_views.case_positions(entry, source)


def edit_values(position: int) -> None:
    """One input per model feature, set to the case's values when the case changes; kept across pages."""
    row = entry.data.frame.iloc[position]
    names = model_views.features(entry)
    if st.session_state.get("whatif_for") != (entry.key, position):
        st.session_state["whatif_for"] = (entry.key, position)
        state.reset_prefix(whatif_views.VALUE_PREFIX)
    original = whatif_views.widget_values(entry, {name: row[name] for name in names})
    with st.container(border=True):
        top = st.columns([3, 1])
        top[0].markdown("**The case's values** — change any of them; the cards below follow at once.")
        top[1].button("Reset values", key="whatif_reset", icon=":material/undo:",
                      on_click=whatif_views.set_values, args=(original,), width="stretch")
        columns = st.columns(3)
        for index, name in enumerate(names):
            with columns[index % 3]:
                value_input(name, original[value_key(name)])


def value_input(name: str, current) -> None:
    column = entry.data.frame[name]
    key = value_key(name)
    label = md(entry.data.labels.name(name))
    st.session_state.setdefault(key, current)
    if isinstance(current, int):
        st.number_input(label, key=key, step=1, help=f"Column '{md(name)}'")
    elif isinstance(current, float):
        st.number_input(label, key=key, format="%.6g", help=f"Column '{md(name)}'")
    else:
        choices = sorted({str(v) for v in column.dropna().unique().tolist()} | {str(current)})
        if len(choices) <= MAX_CHOICES:
            st.selectbox(label, choices, key=key, format_func=lambda code: entry.data.labels.value(name, code),
                         help=f"Column '{md(name)}'")
        else:
            st.text_input(label, key=key, help=f"Column '{md(name)}'")


def edited_row(position: int, changes: dict) -> pd.DataFrame:
    """The case with the values on screen, as a one-row frame of the data's columns and types."""
    if not changes:
        return entry.data.frame.iloc[[position]]
    variant, new_position = model_views.with_edited_row(entry, position, changes)
    return variant.frame.iloc[[new_position]]


def show_cards(position: int, changes: dict) -> tuple:
    """Decision and score of the original and of the values on screen; returns the edited decision and row."""
    original = entry.data.frame.iloc[[position]]
    edited = edited_row(position, changes)
    before = model_views.score_row(entry, original)
    after = model_views.score_row(entry, edited)
    target = entry.data.target
    word = (lambda d: entry.data.labels.value(target, d)) if target else str
    columns = st.columns(4)
    if model_views.model(entry).task == "regression":
        columns[0].metric("Prediction", fmt(after[1]), delta=f"{after[1] - before[1]:+.4g}" if changes else None,
                          border=True, help="The model's prediction for the values shown.")
        columns[1].metric("Original prediction", fmt(before[1]), border=True)
        columns[3].metric("Values changed", len(changes), border=True)
        _changes_table(original, changes)
        return after[0], edited
    columns[0].metric("Decision", word(after[0]), delta=None if after[0] == before[0] else f"was {word(before[0])}",
                      delta_color="off", border=True, help="The model's decision for the values shown.")
    if after[1] is not None:
        columns[1].metric("Score", fmt(after[1]), delta=f"{after[1] - before[1]:+.3f}" if changes else None,
                          border=True, help=_score_help())
        columns[2].metric("Original score", fmt(before[1]), border=True)
    columns[3].metric("Values changed", len(changes), border=True)
    _changes_table(original, changes)
    return after[0], edited


def _changes_table(original: pd.DataFrame, changes: dict) -> None:
    if changes:
        labels = entry.data.labels
        table(pd.DataFrame([{"feature": labels.name(k), "original": labels.value(k, original.iloc[0][k]),
                             "edited": labels.value(k, v)} for k, v in changes.items()]), key="whatif_changes")


def _score_help() -> str:
    adapter = model_views.model(entry)
    if adapter.task == "binary":
        return (f"The probability of the favourable outcome; the model decides for it at "
                f"{model_views.CUT_OFF} or above.")
    return "The model's output for the values shown."


def show_explanation(position: int, changes: dict) -> None:
    method = st.session_state.get("keep_whatif_method", "shap")
    tag = whatif_views.edit_tag(changes)
    try:
        with st.spinner(f"Explaining {'both versions' if changes else 'the case'} with {method.upper()}"):
            if changes:
                variant, new_position = model_views.with_edited_row(entry, position, changes)
                explanation = model_views.explain_rows(entry, method, (position, new_position), data=variant, tag=tag)
            else:
                explanation = model_views.explain_rows(entry, method, (position,))
    except Exception as error:
        report_error(error, what="Explaining the case")
        return
    before = model_views.contribution_frame(explanation, 0)
    after = model_views.contribution_frame(explanation, 1) if changes else None
    frame = whatif_views.before_after_frame(before, after)
    title = f"{method.upper()}: original and edited, on one axis" if changes else f"{method.upper()}: the original case"
    st.altair_chart(whatif_views.before_after_chart(frame, title=title,
                                                    axis_title=whatif_views.axis_title(explanation, entry)),
                    key="whatif_chart")


def show_recourse(decision, edited: pd.DataFrame) -> None:
    adapter = model_views.model(entry)
    if not whatif_views.can_suggest(entry) or decision == adapter.positive_class:
        return
    st.subheader("What would lead to approval")
    st.caption(whatif_views.constraints_text(entry))
    features = model_views.features(entry)
    case = edited.loc[:, features].reset_index(drop=True)
    tag = whatif_views.edit_tag(case.iloc[0].to_dict())
    stored = ("recourse", tag) in entry.views
    if not stored and not st.button("Find the smallest change that leads to approval", key="whatif_recourse",
                                    type="primary", icon=":material/route:"):
        return
    try:
        with st.spinner("Searching for the smallest change that the model approves"):
            answer = whatif_views.recourse(entry, case, tag)
    except Exception as error:
        report_error(error, what="Finding a change that leads to approval")
        return
    if not answer["found"] or not answer.get("confirmed"):
        st.info(md(answer["text"]) if not answer["found"] else
                "The change found was not approved when scored again, so none is shown.", icon=":material/info:")
        return
    st.success(md(answer["text"]), icon=":material/route:")
    table(whatif_views.changes_frame(entry, answer), key="whatif_recourse_changes")
    st.caption(f"Score with this change: {fmt(answer['new_score'])} (the model approves it, scored again on the "
               f"model). Cost {fmt(answer['cost'])} in the audit's scale-free distance.")
    suggested = whatif_views.widget_values(entry, {c["feature"]: c["to"] for c in answer["changes"]})
    st.button("Apply this change to the case above", key="whatif_apply_recourse", icon=":material/edit:",
              on_click=whatif_views.set_values, args=(suggested,))


if entry is not None:
    if not model_views.can_explain(entry):
        not_computed("What-if analysis", "It needs a tabular model and the explainers module "
                     "(predictions-only and image audits have no row to edit).")
    else:
        try:
            chosen = choose_case()
        except Exception as error:
            report_error(error, what="Listing the cases")
            chosen = None
        if chosen is not None:
            edit_values(chosen)
            changes = whatif_views.edits(entry, chosen)
            try:
                decision, edited = show_cards(chosen, changes)
            except Exception as error:
                report_error(error, what="Scoring the edited case")
            else:
                show_explanation(chosen, changes)
                show_recourse(decision, edited)
