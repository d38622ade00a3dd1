"""The app's session state: audits cached by content hash, the current one, and kept widget values.

An audit is identified by its ``AuditSpec.key()``: the hashes of the model and the data and every
setting that changes the result; running the same inputs again, or switching pages, never recomputes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import streamlit as st

ALLOW_PICKLE_ENV = "XAI_AUDIT_ALLOW_PICKLE"
KEEP_PREFIX = "keep_"
RESULTS = "audit_results"
CURRENT = "audit_current"
SAVED = "saved_widget_values"
MAX_KEPT_AUDITS = 5
FORM_MARKERS = ("roles_for", "sampling_defaults")


@dataclass
class AuditEntry:
    """One finished audit and what the pages need to explore it.

    Attributes
    ----------
    key : str
        The content hash the audit is cached under.
    result : xai_audit.AuditResult
    adapter : xai_audit.ModelAdapter or None
        The loaded model (None for a predictions-only audit).
    data : xai_audit.AuditDataset
    settings : dict
        The choices made on the Setup page, as plain values.
    label : str
        A short name for the sidebar: model and data.
    views : dict
        Values derived from the result on demand (report bytes, single-row explanations), kept so
        that a page shown again does not compute them again.
    spec : xai_audit.spec.AuditSpec or None
        The run description that produced ``result`` (its ``key()`` is ``key``).
    widgets : dict
        The Setup form's ``keep_*`` values when the audit was run, so the form can be put back
        exactly as it was (:func:`restore_form`).
    """

    key: str
    result: object
    adapter: object
    data: object
    settings: dict
    label: str
    views: dict = field(default_factory=dict)
    spec: object = None
    widgets: dict = field(default_factory=dict)

    def view(self, name, compute):
        """``compute()`` the first time ``name`` is asked for, the stored value afterwards."""
        if name not in self.views:
            self.views[name] = compute()
        return self.views[name]


def allow_pickle() -> bool:
    """Whether the app was started with ``xai-audit app --allow-pickle``."""
    return os.environ.get(ALLOW_PICKLE_ENV) == "1"


def restore_widget_values() -> None:
    """Give ``keep_*`` widgets back the values they had when their page was last shown.

    Streamlit drops a widget's value when a run does not draw it (another page is shown); the
    values saved by :func:`save_widget_values` at the end of each run are put back before the page
    draws its widgets.
    """
    saved = st.session_state.setdefault(SAVED, {})
    for key, value in saved.items():
        if key not in st.session_state:
            st.session_state[key] = value


def save_widget_values() -> None:
    """Remember the current value of every ``keep_*`` widget (call at the end of each run)."""
    saved = st.session_state.setdefault(SAVED, {})
    for key in list(st.session_state.keys()):
        if str(key).startswith(KEEP_PREFIX):
            saved[key] = st.session_state[key]


def results() -> dict:
    """Finished audits of this session by key, oldest first."""
    if RESULTS not in st.session_state:
        st.session_state[RESULTS] = {}
    return st.session_state[RESULTS]


def cached(key: str) -> AuditEntry | None:
    return results().get(key)


def store(entry: AuditEntry) -> None:
    """Keep ``entry`` (and at most a few earlier audits) and make it the current audit."""
    kept = results()
    kept.pop(entry.key, None)
    kept[entry.key] = entry
    while len(kept) > MAX_KEPT_AUDITS:
        kept.pop(next(iter(kept)))
    st.session_state[CURRENT] = entry.key


def select(key: str) -> None:
    st.session_state[CURRENT] = key


def current() -> AuditEntry | None:
    """The audit the result pages show, or None before the first run."""
    return results().get(st.session_state.get(CURRENT))


def reset_keys(*names: str) -> None:
    """Forget widget values (e.g. the column choices when another table is loaded)."""
    saved = st.session_state.setdefault(SAVED, {})
    for name in names:
        st.session_state.pop(name, None)
        saved.pop(name, None)


def reset_prefix(prefix: str) -> None:
    saved = st.session_state.setdefault(SAVED, {})
    names = {str(k) for k in st.session_state.keys() if str(k).startswith(prefix)}
    reset_keys(*names, *[k for k in saved if k.startswith(prefix)])


SETTING_LABELS = {
    "source": "model source", "model": "model", "model_file": "model file", "data": "data file",
    "target": "target", "positive_label": "favourable outcome", "sensitive": "sensitive attributes",
    "bins": "bin edges", "predictions": "predictions column", "scores": "scores column", "policy": "policy",
    "seed": "random seed", "explain_rows": "rows explained", "n_resamples": "bootstrap resamples",
    "explainers": "explainers", "model_card": "model card", "labels": "plain names",
}


def setting_text(value) -> str:
    """A setting as the analyst reads it: lists joined, nothing shown as 'none'."""
    if value is None or value == [] or value == {} or value == "":
        return "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {setting_text(v)}" for k, v in value.items())
    return str(value)


def setting_changes(old: dict, new: dict) -> list[str]:
    """What differs between the settings of two runs, one plain line per setting.

    Examples
    --------
    >>> setting_changes({"explain_rows": 300, "seed": 0}, {"explain_rows": 1, "seed": 0})
    ['rows explained: 300 → 1']
    >>> setting_changes({"sensitive": ["sex"]}, {"sensitive": []})
    ['sensitive attributes: sex → none']
    """
    lines = []
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if setting_text(before) != setting_text(after):
            lines.append(f"{SETTING_LABELS.get(name, name)}: {setting_text(before)} → {setting_text(after)}")
    return lines


def form_values() -> dict:
    """The Setup form's kept widget values now (what :func:`restore_form` puts back)."""
    values = {str(k): v for k, v in st.session_state.items() if str(k).startswith(KEEP_PREFIX)}
    # the markers that say which table the choices belong to: restored with them, so the
    # restored choices are not taken for a new table's and reset
    values.update({k: st.session_state[k] for k in FORM_MARKERS if k in st.session_state})
    return values


def restore_form(key: str) -> None:
    """Put the Setup form back to the values that produced the audit ``key`` (a button callback).

    Runs before the page draws its widgets, so every control shows the restored value.
    """
    entry = cached(key)
    if entry is None:
        return
    saved = st.session_state.setdefault(SAVED, {})
    for name in [k for k in list(st.session_state.keys()) if str(k).startswith(KEEP_PREFIX)]:
        if name not in entry.widgets:
            st.session_state.pop(name, None)
            saved.pop(name, None)
    for name, value in entry.widgets.items():
        st.session_state[name] = value
        if name.startswith(KEEP_PREFIX):
            saved[name] = value
    st.session_state[CURRENT] = key
