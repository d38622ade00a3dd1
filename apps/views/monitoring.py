"""Monitoring: compare today's data with the audited data — inputs, predictions, performance, fairness
and explanations — with ``xai_audit.drift``, on an explicit click."""

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

import xai_audit
from audit_app import inputs, monitoring_views
from audit_app.display import (STATUS_ICON, STATUS_LABEL, STATUS_ORDER, fmt, md, not_computed, page_header,
                                require_audit, table, verdict)
from audit_app.setup_sources import report_error
from audit_app.monitoring_views import CURRENT

page_header("Monitoring", "Compare a current period's data with the audited data (the reference): which inputs "
            "changed, whether the model's decisions, performance, fairness and explanations moved, each with an "
            "interval. The audited model scores both periods.")
entry = require_audit()


def choose_current():
    """The current period's table: ``(name, sha256, frame)``, kept in the session across pages, or None."""
    splits = monitoring_views.sample_splits(entry)
    sources = (["sample"] if splits else []) + ["upload"]
    if st.session_state.get("keep_monitoring_source") not in sources:
        st.session_state["keep_monitoring_source"] = sources[0]
    source = st.radio("Current data", sources, key="keep_monitoring_source", horizontal=True,
                      format_func=monitoring_views.SOURCE_LABELS.get)
    if source == "sample":
        names = [p.name for p in splits]
        if st.session_state.get("keep_monitoring_split") not in names:
            st.session_state["keep_monitoring_split"] = names[0]
        name = st.selectbox("Bundled file", names, key="keep_monitoring_split",
                            help="The other split of the audited sample's data.")
        path = splits[names.index(name)]
        kept = st.session_state.get(CURRENT + "::sample")
        if not kept or kept[0] != name:
            frame = monitoring_views.read_file(path)
            st.session_state[CURRENT + "::sample"] = (name, _hash(path.read_bytes()), frame)
        return st.session_state[CURRENT + "::sample"]
    upload = st.file_uploader("Current period's data (CSV or Parquet, same columns as the audited data)",
                              type=["csv", "parquet", "pq"], key="monitoring_upload")
    if upload is not None:
        content = upload.getvalue()
        kept = st.session_state.get(CURRENT + "::upload")
        if not kept or kept[1] != _hash(content):
            try:
                with inputs.saved_uploads([upload]) as [path]:
                    frame = monitoring_views.read_file(path)
            except Exception as error:
                report_error(error, what="Reading the current data")
                return None
            st.session_state[CURRENT + "::upload"] = (upload.name, _hash(content), frame)
    kept = st.session_state.get(CURRENT + "::upload")
    if kept:
        st.caption(f"Using the uploaded file {md(kept[0])} (kept while you move between pages).")
    return kept


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def settings() -> tuple[int, int]:
    st.session_state.setdefault("keep_monitoring_explain_rows", monitoring_views.DEFAULT_EXPLAIN_ROWS)
    st.session_state.setdefault("keep_monitoring_resamples", monitoring_views.DEFAULT_RESAMPLES)
    left, right = st.columns(2)
    rows = left.number_input("Rows of each period explained", min_value=0, max_value=5000, step=50,
                             key="keep_monitoring_explain_rows",
                             help="A seeded sample of each period is explained for explanation drift; 0 skips it. "
                                  "Data and prediction drift always use every row.")
    resamples = right.number_input("Bootstrap resamples", min_value=50, max_value=5000, step=50,
                                   key="keep_monitoring_resamples",
                                   help="Resamples of the explanation-drift intervals.")
    return int(rows), int(resamples)


def run_drift(current, explain_rows: int, resamples: int):
    """The drift result for these choices: stored on the audit's entry, computed only on a click."""
    name, digest, frame = current
    key = ("drift", digest, explain_rows, resamples)
    if key in entry.views:
        return entry.views[key]
    dataset, notes = monitoring_views.current_dataset(entry, frame, name=name)
    for note in notes:
        st.info(md(note), icon=":material/info:")
    if not st.button("Compare with the audited data", key="monitoring_run", type="primary",
                     icon=":material/monitoring:"):
        st.caption("Nothing runs until you press the button.")
        return None
    policy = getattr(entry.spec, "policy", None) or "default"
    seed = entry.result.manifest.get("random_state")
    with st.spinner("Comparing the two periods: inputs, decisions, performance, fairness and explanations"):
        result = xai_audit.drift(entry.adapter, entry.data, dataset, policy=policy, random_state=seed,
                                 explain_rows=explain_rows, n_resamples=resamples)
    entry.views[key] = result
    return result


def show(result, current_name: str) -> None:
    record = result.to_dict()
    labels = entry.data.labels
    verdict(result.status, subject="The drift check")
    st.markdown(md(xai_audit.drift_summary(result)))
    reference, current = record.get("reference") or {}, record.get("current") or {}
    st.caption(f"Reference: the audited data ({reference.get('n_rows', 0):,} rows). Current: {md(current_name)} "
               f"({current.get('n_rows', 0):,} rows).")
    for finding in sorted(result.findings, key=lambda f: STATUS_ORDER.get(f.status, 9)):
        st.markdown(f"- {STATUS_ICON.get(finding.status, '')} **{STATUS_LABEL.get(finding.status, finding.status)}**"
                    f" · {md(finding.message)}")
    st.subheader("Inputs")
    drifted = monitoring_views.drifted_inputs(record)
    share = (record.get("features") or {}).get("share_drifted")
    st.markdown(md(f"{len(drifted)} input(s) changed distribution"
                   + (f" ({', '.join(labels.name(d) for d in drifted)})" if drifted else "")
                   + (f"; share {fmt(share)}." if share is not None else ".")))
    table(monitoring_views.feature_table(record, labels), key="monitoring_features")
    st.subheader("Decisions and performance")
    predictions = monitoring_views.prediction_table(record)
    if predictions.empty:
        not_computed("Prediction drift")
    else:
        table(predictions, key="monitoring_predictions")
    line = monitoring_views.score_line(record)
    if line:
        st.caption(line)
    st.subheader("Fairness")
    fairness = monitoring_views.fairness_table(record, labels)
    if fairness.empty:
        not_computed("Fairness change", "It needs the target and the sensitive attributes in both periods.")
    else:
        table(fairness, key="monitoring_fairness")
    st.subheader("Explanations")
    explained = monitoring_views.explanation_frame(record, labels)
    if explained.empty:
        not_computed("Explanation drift", "No rows were explained (or the model has no explainer).")
    else:
        st.altair_chart(monitoring_views.explanation_chart(
            explained, title="How much the model uses each input: change between the periods, with intervals"),
            key="monitoring_explanation_chart")
    downloads(result)


def downloads(result) -> None:
    html = entry.view(("drift_html", id(result)), lambda: _html(result))
    left, right = st.columns(2)
    left.download_button("Download the drift report (HTML)", html, file_name="drift.html", mime="text/html",
                         key="monitoring_download_html", icon=":material/download:")
    right.download_button("Download the drift record (JSON)", result.to_json().encode("utf-8"),
                          file_name="drift.json", mime="application/json", key="monitoring_download_json",
                          icon=":material/download:")


def _html(result) -> bytes:
    with tempfile.TemporaryDirectory(prefix="xai-audit-drift-") as folder:
        return result.save_html(Path(folder) / "drift.html").read_bytes()


if entry is not None:
    if entry.adapter is None and not (entry.data.predictions and entry.data.predictions in entry.data.frame):
        not_computed("Monitoring", "It needs the audited model, or a predictions column.")
    elif entry.data.images is not None:
        not_computed("Monitoring", "Image data has no per-input distributions to compare.")
    else:
        chosen = choose_current()
        rows, resamples = settings()
        if chosen is not None:
            try:
                result = run_drift(chosen, rows, resamples)
            except Exception as error:
                report_error(error, what="Comparing the two periods")
                result = None
            if result is not None:
                show(result, chosen[0])
