"""Explanations: which features drive the model overall, and why it decided one row as it did."""

import pandas as pd
import streamlit as st

from audit_app import charts, explain_views, model_views, names
from audit_app.display import fmt, md, not_computed, page_header, require_audit, table
from audit_app.setup_sources import report_error

LOCAL_METHODS = ("shap", "lime")

page_header("Explanations", "Global importance, how a feature moves the output, and each row's own explanation "
            "with SHAP and LIME side by side.")
entry = require_audit()


def show_global(explanations: dict, explained: dict) -> None:
    st.subheader("What drives the model")
    coverage = explanations.get("coverage") or {}
    if coverage:
        st.caption(f"{coverage.get('rows_explained')} of {coverage.get('rows_total')} rows explained "
                   f"({'a seeded sample' if coverage.get('sampled') else 'every row'}).")
    for method, message in explain_views.failures(explanations).items():
        st.warning(md(f"{method}: {message}"), icon=":material/warning:")
    methods = list(explained)
    method = st.segmented_control("Method", methods, default=methods[0], key="explain_method") or methods[0]
    section = explained[method]
    left, right = st.columns([3, 2])
    with left:
        frame = explain_views.importance_frame(section)
        if frame.empty:
            not_computed(f"Global importance for {method}")
        else:
            frame = names.feature_index(entry, frame)
            space = str((section.get("meta") or {}).get("output_space") or "").replace("_", " ")
            st.altair_chart(charts.importance(dict(zip(frame["feature"], frame["importance"])),
                                              title=f"Global importance · {method}",
                                              x_title="mean |attribution|" + (f" ({space})" if space else "")),
                            key="explain_importance")
    with right:
        st.caption("Explanation quality")
        quality = explain_views.quality_frame(section)
        if quality is None:
            not_computed("Quality checks of this explanation")
        else:
            table(quality, key="explain_quality")
        agreement = explain_views.agreement_frame(explanations)
        if agreement is not None:
            st.caption("Agreement between methods")
            table(agreement, key="explain_agreement")
        if len(methods) > 1:
            with st.expander("Rank of each feature by method", icon=":material/format_list_numbered:"):
                table(explain_views.ranks_frame(explained), key="explain_ranks")
    show_curves(method, section)


def show_curves(method: str, section: dict) -> None:
    curve_names = explain_views.curve_features(section)
    if not curve_names:
        not_computed("Dependence and partial-dependence curves", f"({method})")
        return
    feature = st.selectbox("Feature", curve_names, key="explain_feature", format_func=lambda f: names.column(entry, f),
                           help="The most important features have dependence and partial-dependence data.")
    plain = names.column(entry, feature)
    left, right = st.columns(2)
    with left:
        dependence = _plain_values(explain_views.dependence_frame(section, feature), feature)
        if dependence is None:
            not_computed(f"Dependence of {plain}")
        else:
            st.altair_chart(charts.scatter(dependence, x=feature, y="attribution", x_title=plain,
                                           title=f"Attribution of {plain} per row · {method}"),
                            key="explain_dependence")
    with right:
        curve = _plain_values(explain_views.pdp_frame(section, feature), feature)
        if curve is None:
            not_computed(f"Partial dependence of {plain}")
        else:
            st.altair_chart(charts.curve(curve, x=feature, y="average output", x_title=plain,
                                         title=f"Partial dependence · {plain}"), key="explain_pdp")


def _plain_values(frame, feature):
    """A curve's frame with a categorical feature's codes in plain words (numbers stay numbers)."""
    if frame is None or feature not in frame.columns or pd.api.types.is_numeric_dtype(frame[feature]):
        return frame
    return frame.assign(**{feature: frame[feature].map(lambda code: names.value(entry, feature, code))})


def choose_row():
    st.subheader("One row, explained")
    filters = list(model_views.ROW_FILTERS)
    if entry.result.model.get("task") != "binary":
        filters = [f for f in filters if f in ("explained", "all", "misclassified")]
    if not len(model_views.filtered_positions(entry, "explained")):
        filters.remove("explained")
    left, right = st.columns([2, 3])
    how = left.selectbox("Rows to choose from", filters, format_func=model_views.ROW_FILTERS.get, key="explain_filter")
    try:
        positions = model_views.filtered_positions(entry, how)
    except Exception as error:
        report_error(error, what="Filtering the rows")
        return None
    if len(positions) == 0:
        right.info("No row matches this filter.", icon=":material/info:")
        return None
    labels = entry.data.frame.index
    choices = [int(p) for p in positions[:5000]]
    if st.session_state.get("explain_row") not in choices:
        st.session_state["explain_row"] = choices[0]
    position = right.selectbox(f"Row ({len(positions)} match)", choices, key="explain_row",
                               format_func=lambda p: f"row {labels[p]}")
    return int(position)


def show_row(position: int) -> None:
    decisions = model_views.decisions(entry)
    row = decisions.iloc[position]
    columns = st.columns(3)
    columns[0].metric("Decision", str(row["decision"]), border=True)
    columns[1].metric(score_label(), fmt(float(row["score"])) if "score" in row else "n/a", border=True)
    columns[2].metric("True outcome", str(row["truth"]) if "truth" in row else "n/a", border=True)
    left, right = st.columns(2)
    for column, method in zip((left, right), LOCAL_METHODS):
        with column:
            show_local(method, position)
    with st.expander("The row's values", icon=":material/table_rows:"):
        values = entry.data.frame.iloc[[position]][model_views.features(entry)].T
        values.columns = ["value"]
        st.dataframe(values.astype(str), width="stretch", key="explain_row_values")
    show_reasons(position)


def score_label() -> str:
    model = entry.result.model
    if model.get("task") == "binary":
        return f"Probability of '{model.get('positive_class')}'"
    return "Predicted value" if model.get("task") == "regression" else "Probability of the predicted class"


def output_note(meta: dict) -> str:
    space = (meta or {}).get("output_space")
    return f" · attributions in {md(str(space).replace('_', ' '))} space" if space else ""


def show_local(method: str, position: int) -> None:
    features = model_views.features(entry)
    stored = explain_views.local_rows(explain_views.methods(entry.result.explanations).get(method) or {}, features)
    if stored is not None and position in stored.index:
        values = entry.data.frame.iloc[position]
        frame = pd.DataFrame({"feature": [names.column(entry, f) for f in features],
                              "value": [names.value(entry, f, values[f]) for f in features],
                              "contribution": stored.loc[position].to_numpy()})
        st.altair_chart(charts.contributions(frame, title=f"{method.upper()} · from the audit"),
                        key=f"explain_local_{method}")
        meta = explain_views.methods(entry.result.explanations)[method].get("meta")
        st.caption("Stored in the audit record" + output_note(meta))
        return
    try:
        with st.spinner(f"Explaining the row with {method.upper()}"):
            explanation = model_views.explain_rows(entry, method, (position,))
    except Exception as error:
        report_error(error, what=method.upper())
        return
    st.altair_chart(charts.contributions(model_views.contribution_frame(explanation), title=method.upper()),
                    key=f"explain_local_{method}")
    base = explanation.base_values
    base = float(base[0]) if getattr(base, "ndim", 0) else float(base)
    st.caption(f"Base value {fmt(base)} · output {fmt(float(explanation.output[0]))} · computed for this row"
               + output_note(explanation.meta))


def show_reasons(position: int) -> None:
    st.markdown("**Adverse-action reasons**")
    reasons = entry.result.reasons or []
    if not reasons:
        not_computed("Adverse-action reasons", "They are given for declined cases of binary classifiers.")
        return
    cases = [case for case in reasons if int(case.get("position", -1)) == position]
    if not cases:
        st.caption(f"Reasons were computed for a sample of {len(reasons)} declined cases; choose "
                   "'Declined, with adverse-action reasons' above to see one.")
        return
    case = cases[0]
    if not case.get("reasons"):
        st.caption("No single factor raised the approval score noticeably for this case.")
    for number, reason in enumerate(case.get("reasons", []), start=1):
        st.markdown(f"{number}\\. {md(reason.get('text', reason.get('feature')))}")
        if reason.get("stands_in_for"):
            st.warning(f"'{md(reason.get('feature'))}' stands in for {md(', '.join(reason['stands_in_for']))} "
                       "(a flagged proxy): check that it may be given as a reason.")
    st.caption(f"Compared with: {md(case.get('baseline', 'approved applicants'))}.")


if entry is not None:
    explanations = entry.result.explanations or {}
    explained = explain_views.methods(explanations)
    if not explained:
        why = explanations.get("skipped") or ("The audit record holds no explanations: predictions-only audits and "
                                              "audits with no explainer chosen have none.")
        not_computed("Explanations", why)
    else:
        show_global(explanations, explained)
    st.divider()
    if not model_views.can_explain(entry):
        not_computed("Per-row explanations", "They need a tabular model and the explainers module.")
    else:
        chosen = choose_row()
        if chosen is not None:
            show_row(chosen)
