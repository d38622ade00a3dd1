"""A plain Markdown summary of an audit for a pull-request comment: the verdict and the findings.

Every string that comes from the user (model name, finding ids and messages, references) is
escaped for Markdown and for the HTML that Markdown renderers let through, and made safe for a
table cell (no pipes, no line breaks).
"""

from __future__ import annotations

from xai_audit.render.escape import markdown_text
from xai_audit.render.names import plain_message
from xai_audit.render.text import STATUS_LABELS, plural, rule_directions, serious_order

STATUS_MARKS = {"fail": "\u274c", "warn": "\u26a0\ufe0f", "pass": "\u2705", "info": "\u2139\ufe0f"}
MAX_ROWS = 50


def md_escape(text) -> str:
    """``text`` whole, as literal Markdown inline text, safe inside a table cell
    (:func:`xai_audit.render.escape.markdown_text`, the one escaping of every Markdown output; the
    report's summary never cuts a name or a message).

    Examples
    --------
    >>> md_escape("a|b\\n<script>*x*</script>")
    'a\\\\|b &lt;script&gt;\\\\*x\\\\*&lt;/script&gt;'
    """
    return markdown_text(text, limit=None)


def render_markdown(result) -> str:
    """A Markdown summary of the verdict and findings: failed and warned first, most serious first
    (worst verdict, then farthest beyond its line), then information (what could not be judged), then
    passes; the verdict is the findings' worst status.

    Parameters
    ----------
    result : AuditResult or dict
        A result, or its JSON record.

    Examples
    --------
    >>> record = {"status": "warn", "model": {"name": "credit|gbm"}, "manifest": {"tool_version": "0.1.0"},
    ...           "findings": [{"id": "performance.ece", "status": "warn", "observed": 0.07, "threshold": 0.1,
    ...                         "message": "ECE: 0.070", "references": ["Fed SR 11-7"]}]}
    >>> print(render_markdown(record).splitlines()[0])
    ### ⚠️ xai-audit: Warning for credit\\|gbm
    """
    record = result if isinstance(result, dict) else result.to_dict()
    model = record.get("model") or {}
    manifest = record.get("manifest") or {}
    findings = [f for f in record.get("findings") or [] if isinstance(f, dict)]
    statuses = {f.get("status") for f in findings}
    status = ("fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass") if findings else (
        record.get("status") or "pass")
    serious = serious_order(findings, rule_directions(record))
    rest = {"info": 0, "pass": 1}
    later = sorted((i for i in range(len(findings)) if i not in set(serious)),
                   key=lambda i: (rest.get(findings[i].get("status"), 2), i))
    findings = [findings[i] for i in serious + later]
    counts = {s: sum(1 for f in findings if f.get("status") == s) for s in ("fail", "warn", "pass")}
    policy = ((manifest.get("config") or {}).get("policy") or {}).get("name")
    lines = [
        f"### {STATUS_MARKS.get(status, '')} xai-audit: {STATUS_LABELS.get(status, status)} for "
        f"{md_escape(model.get('name') or 'the model')}",
        "",
        f"**{counts['fail']} failed, {counts['warn']} warned, {counts['pass']} passed** "
        f"({plural(len(findings), 'finding')}"
        + (f", policy `{md_escape(policy)}`" if policy else "")
        + (f", xai-audit {md_escape(manifest.get('tool_version'))}" if manifest.get("tool_version") else "")
        + (f", {md_escape(manifest.get('created_at'))}" if manifest.get("created_at") else "") + ")",
        "",
    ]
    if findings:
        lines += ["| | Finding | Observed | Line | Message |", "|---|---|---:|---:|---|"]
        for f in findings[:MAX_ROWS]:
            lines.append(f"| {STATUS_MARKS.get(f.get('status'), '')} | {md_escape(f.get('id'))} | "
                         f"{_number(f.get('observed'))} | {_number(f.get('threshold'))} | "
                         f"{md_escape(plain_message(record, f))} |")
        if len(findings) > MAX_ROWS:
            lines.append(f"\n{len(findings) - MAX_ROWS} more findings are in the full report.")
    else:
        lines.append("No rule of the policy applied to this audit.")
    lines += ["", "The full HTML report holds the evidence: performance and fairness per group, explanations and "
              "their quality, adverse-action reasons, and the clause index."]
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, (int, float)):
        return f"{value:.3g}"
    return md_escape(value)
