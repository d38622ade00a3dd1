"""Setup: the plain names of columns and category codes (a labels TOML file, as ``--labels`` on the CLI).

The labels become part of the dataset (``AuditDataset.from_frame(labels=...)``), so they are part of the
run's spec and its reuse key, and every page, the report and the reasons use the plain names.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass

import streamlit as st

from audit_app import inputs
from audit_app.display import md
from audit_app.setup_sources import ModelChoice, report_error

UPLOADED = "uploaded_labels"
ERROR = "labels_upload_error"
UPLOAD_ID = "labels_upload_id"


@dataclass(frozen=True)
class LabelsChoice:
    """The plain names chosen: a table ``{column: name or {name, values}}`` and where it came from."""

    table: dict | None = None
    source: str = ""


def labels_step(model: ModelChoice | None) -> LabelsChoice | None:
    """The labels upload (or the sample's labels file); None while an uploaded file cannot be read."""
    upload = st.file_uploader(
        "Plain names (optional): a labels file (TOML)", type=["toml"], key="upload_labels",
        help="Plain names for columns and plain words for category codes, the same file as --labels on the "
             "command line: duration_months = \"Loan duration (months)\", or a table with name and values.")
    if upload is not None and st.session_state.get(UPLOAD_ID) != upload.file_id:
        st.session_state[UPLOAD_ID] = upload.file_id
        st.session_state.pop(UPLOADED, None)
        st.session_state.pop(ERROR, None)
        try:
            table = tomllib.loads(upload.getvalue().decode("utf-8-sig"))
            digest = hashlib.sha256(upload.getvalue()).hexdigest()[:12]
            st.session_state[UPLOADED] = LabelsChoice(table, f"{upload.name} (sha256 {digest}…)")
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            st.session_state[ERROR] = ValueError(
                f"The labels file '{upload.name}' is not valid TOML ({error}). Write one line per column, "
                "column = \"Plain name\", or a [column] table with name and values.")
    if upload is None:
        for key in (UPLOADED, ERROR, UPLOAD_ID):
            st.session_state.pop(key, None)
    if ERROR in st.session_state:
        report_error(st.session_state[ERROR], what="Reading the labels file")
        return None
    chosen = st.session_state.get(UPLOADED)
    sample = model.sample if model is not None else None
    if chosen is None and sample is not None and sample.labels_path is not None:
        chosen = LabelsChoice(tomllib.loads(sample.labels_path.read_text(encoding="utf-8")), sample.labels_path.name)
    if chosen is None:
        st.caption("No labels file: pages show the data's own column names and codes.")
        return LabelsChoice()
    st.caption(f":material/check: Plain names from **{md(chosen.source)}** for {len(chosen.table)} columns.")
    return chosen
