"""The sidebar under the navigation: the audit the result pages show, and the app's safety settings."""

from __future__ import annotations

import streamlit as st

from audit_app import state
from audit_app.display import STATUS_ICON, STATUS_LABEL, md
from xai_audit import __version__


def settings_lines(settings: dict) -> list[str]:
    """The settings that produced the audit on screen, one 'name: value' line each.

    Examples
    --------
    >>> settings_lines({"explain_rows": 300, "sensitive": ["sex", "age_group"]})
    ['rows explained: 300', 'sensitive attributes: sex, age_group']
    """
    return [f"{state.SETTING_LABELS.get(name, name)}: {state.setting_text(value)}" for name, value in settings.items()]


def show() -> None:
    """The current audit's name and verdict, and how uploads are treated."""
    with st.sidebar:
        entry = state.current()
        if entry is None:
            st.caption("No audit yet: start on **Setup**.")
        else:
            result = entry.result
            counts = {s: sum(f.status == s for f in result.findings) for s in ("fail", "warn", "pass")}
            st.markdown(f"{STATUS_ICON.get(result.status, '')} **{STATUS_LABEL.get(result.status, result.status)}**"
                        f" · {md(entry.label)}")
            st.caption(f"{counts['fail']} failed · {counts['warn']} warnings · {counts['pass']} passed · "
                       f"{result.data.get('n_rows', '?')} rows")
            with st.expander("Settings of this audit", icon=":material/tune:"):
                for line in settings_lines(entry.settings):
                    st.caption(md(line))
        pickle = "accepted (--allow-pickle)" if state.allow_pickle() else "refused"
        st.caption(f"xai-audit {__version__} · runs offline, no telemetry · pickle uploads {pickle}")
