"""Setup, steps 1 and 2: where the model and the data come from (a bundled sample or uploads).

Each step shows its own errors right under its control and keeps what was loaded before, so one
bad upload never loses the rest of the session's choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from audit_app import inputs, state
from audit_app.display import md
from xai_audit import XaiAuditError, load_model

SOURCE_LABELS = {"sample": "Bundled sample", "upload": "Upload a model", "predictions": "Predictions column only"}


@dataclass(frozen=True)
class ModelChoice:
    """The model side of the audit: a loaded adapter (None for predictions-only) and its identity."""

    source: str
    adapter: object
    label: str
    sha256: str
    sample: inputs.Sample | None = None
    file: str | None = None


def report_error(error: Exception, *, what: str) -> None:
    """Show an error from a control: the library's own message, or a short unexpected-error note."""
    if isinstance(error, XaiAuditError):
        st.error(md(error), icon=":material/error:")
    else:
        st.error(md(f"{what} failed unexpectedly ({type(error).__name__}): {error}"), icon=":material/error:")


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def model_step() -> ModelChoice | None:
    """Step 1: choose a sample, upload a model, or audit a predictions column."""
    st.subheader("1 · Model")
    samples = inputs.available_samples()
    options = ["sample", "upload", "predictions"] if samples else ["upload", "predictions"]
    if st.session_state.get("keep_source") not in options:
        st.session_state["keep_source"] = options[0]
    source = st.radio("Where the model comes from", options, format_func=SOURCE_LABELS.get, horizontal=True,
                      key="keep_source")
    if source == "sample":
        return _sample_model(samples)
    if source == "upload":
        return _uploaded_model()
    st.caption("No model: the audit reads the decisions (and optionally scores) from columns of the data. "
               "Performance and fairness are measured; explanations need a model and are skipped.")
    return ModelChoice(source="predictions", adapter=None, label="predictions column", sha256="predictions")


def _sample_model(samples) -> ModelChoice | None:
    labels = [s.label for s in samples]
    if st.session_state.get("keep_sample") not in labels:
        st.session_state["keep_sample"] = labels[0]
    label = st.selectbox("Sample model", labels, key="keep_sample")
    sample = samples[labels.index(label)]
    st.caption(sample.description)
    loaded = st.session_state.setdefault("sample_models", {})
    if label not in loaded:
        try:
            with st.spinner("Loading the sample model"):
                loaded[label] = load_model(sample.model_path)
        except Exception as error:  # the sample files are ours; any failure is shown, not raised
            report_error(error, what="Loading the sample model")
            return None
    adapter = loaded[label]
    _model_caption(adapter)
    return ModelChoice(source="sample", adapter=adapter, label=adapter.name, sha256=adapter.sha256 or "", sample=sample,
                       file=sample.model_path.name)


def _uploaded_model() -> ModelChoice | None:
    trusted = state.allow_pickle()
    files = st.file_uploader(
        "Model file(s)", type=inputs.MODEL_TYPES, accept_multiple_files=True, key="upload_model",
        help="A .skops file (scikit-learn, XGBoost, LightGBM); a TorchScript or torch.export file (.pt, "
             ".pt2); or a .toml manifest uploaded together with the weights and preprocessor it names.")
    pickle_note = ("Pickle files are accepted: this app was started with --allow-pickle."
                   if trusted else "Pickle files are refused (they run code when loaded).")
    st.caption(f"Up to {upload_limit_mb()} MB per file. {pickle_note}")
    if files:
        ids = tuple(f.file_id for f in files)
        if st.session_state.get("model_upload_ids") != ids:
            st.session_state["model_upload_ids"] = ids
            st.session_state.pop("uploaded_model", None)
            st.session_state.pop("model_upload_error", None)
            st.session_state["uploaded_model_file"] = inputs.main_model_name([f.name for f in files])
            try:
                with st.spinner("Loading the model"), inputs.saved_uploads(files) as paths:
                    st.session_state["uploaded_model"] = inputs.load_uploaded_model(paths, allow_code=trusted)
            except Exception as error:
                st.session_state["model_upload_error"] = error
    else:
        st.session_state.pop("model_upload_error", None)
    if "model_upload_error" in st.session_state:
        report_error(st.session_state["model_upload_error"], what="Loading the model")
    adapter = st.session_state.get("uploaded_model")
    if adapter is None:
        return None
    _model_caption(adapter)
    return ModelChoice(source="upload", adapter=adapter, label=adapter.name, sha256=adapter.sha256 or "",
                       file=st.session_state.get("uploaded_model_file"))


def _model_caption(adapter) -> None:
    sha = (adapter.sha256 or "")[:12]
    classes = "" if adapter.classes is None else f" · classes {md(', '.join(map(str, adapter.classes)))}"
    st.caption(f":material/check: **{md(adapter.name)}** · {adapter.framework} · {adapter.task}{classes}"
               + (f" · sha256 {sha}…" if sha else ""))


def data_step(model: ModelChoice | None) -> inputs.Table | None:
    """Step 2: the sample's data, or an uploaded CSV, Parquet or NPZ file."""
    st.subheader("2 · Data")
    if model is not None and model.sample is not None:
        return _sample_data(model.sample)
    if st.session_state.get("keep_source") == "sample":
        return None
    files = st.file_uploader(
        "Data file", type=inputs.DATA_TYPES, key="upload_data",
        help="CSV or Parquet with one row per case: the model's input columns, the true outcome and the "
             "sensitive attributes. For image models, an .npz with 'images' (N×C×H×W) and 'labels'.")
    st.caption(f"CSV or Parquet, or .npz for images. Up to {upload_limit_mb()} MB.")
    if files is not None and st.session_state.get("data_upload_id") != files.file_id:
        st.session_state["data_upload_id"] = files.file_id
        st.session_state.pop("uploaded_table", None)
        st.session_state.pop("data_upload_error", None)
        try:
            with st.spinner("Reading the data"), inputs.saved_uploads([files]) as paths:
                st.session_state["uploaded_table"] = inputs.read_table(paths[0], source=paths[0].name)
        except Exception as error:
            st.session_state["data_upload_error"] = error
    if files is None:
        st.session_state.pop("data_upload_error", None)
    if "data_upload_error" in st.session_state:
        report_error(st.session_state["data_upload_error"], what="Reading the data")
    table = st.session_state.get("uploaded_table")
    if table is not None:
        _table_caption(table)
    return table


def _sample_data(sample: inputs.Sample) -> inputs.Table | None:
    tables = st.session_state.setdefault("sample_tables", {})
    if sample.label not in tables:
        try:
            tables[sample.label] = inputs.sample_table(sample)
        except Exception as error:
            report_error(error, what="Reading the sample data")
            return None
    table = tables[sample.label]
    _table_caption(table)
    return table


def _table_caption(table: inputs.Table) -> None:
    if table.images is not None:
        shape = "×".join(str(n) for n in table.images.images.shape[1:])
        st.caption(f":material/check: **{md(table.name)}** · {table.n_rows} images of {shape}")
        return
    dialect = f" · read as {md(table.dialect)}" if table.dialect else ""
    st.caption(f":material/check: **{md(table.name)}** · {table.n_rows} rows × {table.frame.shape[1]} columns{dialect}")
    with st.expander("Preview the data"):
        st.dataframe(table.frame.head(50), hide_index=False, width="stretch", key="data_preview")
