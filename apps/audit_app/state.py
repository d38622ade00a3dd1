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
    """

    key: str
    result: object
    adapter: object
    data: object
    settings: dict
    label: str
    views: dict = field(default_factory=dict)

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
