"""Display helpers shared by the pages: safe text, the "not computed" note, verdicts, tables.

Strings that come from the user's files (column names, group labels, messages quoting them) go
through :func:`md` before they reach Markdown, so they show as typed and never as links, images or
formatting; raw HTML is never enabled.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from audit_app import state

STATUS_LABEL = {"pass": "Pass", "warn": "Warning", "fail": "Fail", "info": "Info"}
STATUS_ICON = {"pass": ":material/check_circle:", "warn": ":material/warning:", "fail": ":material/cancel:",
               "info": ":material/info:"}
STATUS_ORDER = {"fail": 0, "warn": 1, "info": 2, "pass": 3}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def md(text) -> str:
    """``text`` with every Markdown control character escaped, for labels and messages.

    Examples
    --------
    >>> md("[click](http://x)")
    '\\\\[click\\\\]\\\\(http\\\\:\\\\/\\\\/x\\\\)'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("/", "\\/")


def fmt(value) -> str:
    """A number as the report shows it (three decimals), or 'n/a': the library's one formatter."""
    from xai_audit import format_number as library_fmt

    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(library_fmt(v) for v in value) + "]"
    return library_fmt(value)


def require_audit():
    """The current audit, or None after telling the user to run one first."""
    entry = state.current()
    if entry is None:
        st.info("No audit has been run in this session yet. Choose a model and data on the Setup page, "
                "then run the audit.", icon=":material/info:")
        st.page_link("views/setup.py", label="Go to Setup", icon=":material/tune:")
    return entry


def not_computed(what: str, why: str = "") -> None:
    """The note shown where a section of the result is absent."""
    st.info(f"**{md(what)}**: not computed in this audit." + (f" {md(why)}" if why else ""), icon=":material/info:")


def verdict(status: str, *, subject: str = "The audit") -> None:
    """The overall verdict as a coloured banner."""
    text = {"pass": f"{subject} passed every check of the policy.",
            "warn": f"{subject} passed, with warnings to review.",
            "fail": f"{subject} failed at least one check of the policy."}.get(status, f"Status: {status}")
    show = {"pass": st.success, "warn": st.warning, "fail": st.error}.get(status, st.info)
    show(f"**{STATUS_LABEL.get(status, status)}** — {text}", icon=STATUS_ICON.get(status, ":material/info:"))


def coverage_gaps(result) -> list:
    """The findings that say a part of the audit was not checked (the ``coverage`` check, not passed)."""
    return [f for f in result.findings if f.check == "coverage" and f.status != "pass"]


def result_verdict(result) -> None:
    """The verdict banner, followed by every part of the audit that was not checked, by its finding's status.

    A verdict never reads better than what was checked: no target, a failed explainer or a failed
    sanity check is listed right under it.
    """
    verdict(result.status)
    gaps = coverage_gaps(result)
    if gaps:
        st.markdown("**Not checked** — the verdict covers only what the audit could check:")
        for finding in gaps:
            st.markdown(f"- {STATUS_ICON.get(finding.status, '')} **{STATUS_LABEL.get(finding.status, finding.status)}**"
                        f" · {md(finding.message)}")


def findings_frame(findings) -> pd.DataFrame:
    """The findings as a table, worst first."""
    rows = [{"Status": STATUS_LABEL.get(f.status, f.status), "Check": f.id, "Observed": fmt(f.observed),
             "Threshold": fmt(f.threshold), "Finding": f.message, "_order": STATUS_ORDER.get(f.status, 9)}
            for f in findings]
    frame = pd.DataFrame(rows, columns=["Status", "Check", "Observed", "Threshold", "Finding", "_order"])
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def rule_titles(result):
    """A function from a finding id to (the id of its policy rule, the rule's title).

    Finding ids extend their rule's id with the subject (``fairness.four_fifths.sex.female``);
    the titles come from the policy recorded in the result's manifest.
    """
    rules = ((result.manifest.get("config") or {}).get("policy") or {}).get("rules") or []
    titles = {str(rule.get("id")): str(rule.get("title") or "") for rule in rules}

    def lookup(finding_id: str) -> tuple[str, str]:
        matches = [rid for rid in titles if finding_id == rid or finding_id.startswith(rid + ".")]
        if not matches:
            return "", ""
        best = max(matches, key=len)
        return best, titles[best]

    return lookup


def metrics_frame(by_key: dict, *, key_name: str) -> pd.DataFrame:
    """``{key: {metric: value}}`` as a table with one row per key; nested values are left out."""
    rows = []
    for key, metrics in by_key.items():
        row = {key_name: str(key)}
        row.update({name: value for name, value in (metrics or {}).items()
                    if value is None or isinstance(value, (int, float, str, bool))})
        rows.append(row)
    return pd.DataFrame(rows)


def table(frame: pd.DataFrame, *, key: str, height=None) -> None:
    """A read-only table that fits the page width; each header's tooltip gives its full name, so a
    narrow column never hides what it holds."""
    options = {"hide_index": True, "width": "stretch", "key": key,
               "column_config": {str(column): st.column_config.Column(help=md(column)) for column in frame.columns}}
    if height is not None:
        options["height"] = height
    st.dataframe(frame, **options)


def page_header(title: str, caption: str) -> None:
    st.title(title)
    st.caption(caption)
