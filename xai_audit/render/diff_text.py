"""``xai-audit diff`` as plain text and as Markdown, from an ``AuditDiff`` (:mod:`xai_audit.diff`).

Both say the same things in the same order: the verdict (a regression, and why), the findings that
changed status, the findings that got worse inside a status that stayed failed or warned, each group's
selection rate, TPR and FPR per sensitive attribute, the metrics that moved and the explanation drift.
This module reads the diff's fields only; it imports nothing from the record layer above it.
"""

from __future__ import annotations

from xai_audit.numbers import NOT_AVAILABLE, format_line, format_number, format_signed
from xai_audit.render.escape import markdown_text

RATE_NAMES = {"selection_rate": "selection rate", "tpr": "TPR", "fpr": "FPR"}


def format_text(diff) -> str:
    """The diff as plain text: the verdict line first, then findings, group rates, metrics and drift.

    Examples
    --------
    >>> from xai_audit.diff import AuditDiff
    >>> print(format_text(AuditDiff("pass", "pass", 0.01, names=("a.json", "b.json"))))
    xai-audit diff: a.json -> b.json
    Status: pass -> pass (no regression)
    No metric moved by more than 0.01; no finding changed; explanations kept their ranks.
    """
    lines = [f"xai-audit diff: {diff.names[0]} -> {diff.names[1]}",
             f"Status: {diff.old_status} -> {diff.new_status} ({verdict(diff)})"]
    lines += [f"Note: {note}" for note in notes(diff)]
    if not diff.changed:
        lines.append(_unchanged(diff))
        return "\n".join(lines)
    if diff.findings:
        lines += ["", f"Findings ({len(diff.findings)} changed)"]
        lines += _columns([[f.kind + (" (worse)" if f.worse else ""), f.id, _statuses(f),
                            f"observed {_observed(f)}"] for f in diff.findings])
    if diff.worsenings:
        lines += ["", _worsening_title(diff)]
        lines += _columns([[w.id, f"{w.status} -> {w.status}", f"observed {_num(w.old)} -> {_num(w.new)}",
                            f"{format_signed(w.delta)} ({_better(w)})"] for w in diff.worsenings])
    for attribute, changes in _by_attribute(diff.group_rates):
        lines += ["", f"Group rates by {attribute} (old -> new, change)"]
        lines += _columns([["group", *(RATE_NAMES[m] for m in _metrics(changes))]]
                          + [[group, *(_rate(row.get(m)) for m in _metrics(changes))]
                             for group, row in _rows(changes)])
    if diff.metrics:
        lines += ["", f"Metrics that moved by more than {format_line(diff.tolerance)} ({len(diff.metrics)})"]
        lines += _columns([[m.path, _num(m.old), "->", _num(m.new), format_signed(m.delta)] for m in diff.metrics])
    for drift in diff.explanations:
        lines += ["", f"Explanation drift ({drift.method}): {_drift_summary(drift)}"]
        lines += _columns([[c.feature, f"rank {_rank(c.old_rank)} -> {_rank(c.new_rank)}"] for c in drift.rank_changes])
    return "\n".join(lines)


def format_markdown(diff) -> str:
    """The diff as Markdown: a verdict line and one table per kind of change.

    Examples
    --------
    >>> from xai_audit.diff import AuditDiff
    >>> print(format_markdown(AuditDiff("pass", "fail", 0.01)).splitlines()[2])
    **Status:** pass → fail — **regressed**
    """
    lines = [f"### xai-audit diff: {_md(diff.names[0])} → {_md(diff.names[1])}", "",
             f"**Status:** {diff.old_status} → {diff.new_status} — "
             + (f"**{verdict(diff).lower()}**" if diff.regressed else "no regression")]
    lines += [f"> Note: {_md(note)}" for note in notes(diff)]
    if not diff.changed:
        lines += ["", _unchanged(diff)]
    if diff.findings:
        lines += ["", "| Finding | Change | Status | Observed |", "|---|---|---|---|"]
        lines += [f"| {_md(f.id)} | {f.kind}{' (worse)' if f.worse else ''} | {_statuses(f).replace('->', '→')} "
                  f"| {_md(_observed(f).replace('->', '→'))} |" for f in diff.findings]
    if diff.worsenings:
        lines += ["", _md(_worsening_title(diff)) + ":", "",
                  "| Finding | Status | Old | New | Change |", "|---|---|---:|---:|---:|"]
        lines += [f"| {_md(w.id)} | {w.status} → {w.status} | {_num(w.old)} | {_num(w.new)} | "
                  f"{format_signed(w.delta)} ({_better(w)}) |" for w in diff.worsenings]
    for attribute, changes in _by_attribute(diff.group_rates):
        metrics = _metrics(changes)
        lines += ["", f"Group rates by **{_md(attribute)}** (old → new, change):", "",
                  "| Group | " + " | ".join(RATE_NAMES[m] for m in metrics) + " |",
                  "|---|" + "---:|" * len(metrics)]
        lines += ["| " + " | ".join([_md(group), *(_rate(row.get(m)).replace("->", "→") for m in metrics)]) + " |"
                  for group, row in _rows(changes)]
    if diff.metrics:
        lines += ["", f"Metrics that moved by more than {format_line(diff.tolerance)}:", "",
                  "| Metric | Old | New | Change |", "|---|---:|---:|---:|"]
        lines += [f"| {_md(m.path)} | {_num(m.old)} | {_num(m.new)} | {format_signed(m.delta)} |" for m in diff.metrics]
    for drift in diff.explanations:
        lines += ["", f"Explanation drift (**{_md(drift.method)}**): {_md(_drift_summary(drift))}"]
        if drift.rank_changes:
            lines += ["", "| Feature | Old rank | New rank |", "|---|---:|---:|"]
            lines += [f"| {_md(c.feature)} | {_rank(c.old_rank)} | {_rank(c.new_rank)} |" for c in drift.rank_changes]
    return "\n".join(lines) + "\n"


def verdict(diff) -> str:
    """``no regression``, or ``REGRESSED`` with what got worse: findings that changed status, and
    findings that got worse inside a status that stayed failed or warned."""
    if not diff.regressed:
        return "no regression"
    if diff.status_worse:
        return "REGRESSED"
    parts = []
    worse = sum(f.worse for f in diff.findings)
    if worse:
        parts.append(f"{worse} finding{'s' if worse != 1 else ''} got worse")
    if diff.worsenings:
        count = len(diff.worsenings)
        parts.append(f"{count} finding{'s' if count != 1 else ''} worse inside an unchanged status")
    return "REGRESSED: " + "; ".join(parts)


def notes(diff) -> list[str]:
    """Why the two audits may not be comparable: another model, other data, another policy."""
    found = []
    if not diff.same_model:
        found.append("the model differs between the audits (its SHA-256 changed).")
    if not diff.same_data:
        found.append("the data differ between the audits (their SHA-256 changed); metric changes may come from the "
                     "data.")
    if not diff.same_policy:
        found.append("the policy differs between the audits; findings may have changed with its rules, not the model.")
    return found


def _unchanged(diff) -> str:
    return (f"No metric moved by more than {format_line(diff.tolerance)}; no finding changed; "
            "explanations kept their ranks.")


def _worsening_title(diff) -> str:
    count = len(diff.worsenings)
    return (f"Worse inside an unchanged failed or warned status ({count}; moved the wrong way by more than "
            f"{format_line(diff.worsening_tolerance)}, the policy's [diff] worsening_tolerance)")


def _better(worsening) -> str:
    return "higher is better" if worsening.direction == "above" else "lower is better"


def _by_attribute(changes) -> list:
    grouped = {}
    for change in changes:
        grouped.setdefault(change.attribute, []).append(change)
    return list(grouped.items())


def _metrics(changes) -> list:
    present = {change.metric for change in changes}
    return [metric for metric in RATE_NAMES if metric in present]


def _rows(changes) -> list:
    rows = {}
    for change in changes:
        rows.setdefault(change.group, {})[change.metric] = change
    return list(rows.items())


def _rate(change) -> str:
    if change is None:
        return NOT_AVAILABLE
    text = f"{_num(change.old)} -> {_num(change.new)}"
    return text if change.delta is None else f"{text} ({format_signed(change.delta)})"


def _statuses(change) -> str:
    return f"{change.old or '-'} -> {change.new or '-'}"


def _observed(change) -> str:
    if change.kind == "appeared":
        return _num(change.new_observed)
    if change.kind == "disappeared":
        return _num(change.old_observed)
    return f"{_num(change.old_observed)} -> {_num(change.new_observed)}"


def _drift_summary(drift) -> str:
    rho = NOT_AVAILABLE if drift.spearman is None else f"{drift.spearman:.3f}"
    overlap = round(drift.top_k_overlap * drift.top_k)
    text = (f"Spearman correlation of global importances {rho}; top-{drift.top_k} overlap "
            f"{overlap}/{drift.top_k} ({drift.top_k_overlap:.0%})")
    if drift.features_added:
        text += f"; new features {list(drift.features_added)}"
    if drift.features_removed:
        text += f"; features no longer explained {list(drift.features_removed)}"
    return text + ("" if drift.rank_changes else "; the top features kept their ranks") + "."


def _columns(rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _num(value) -> str:
    """A value of the diff: a number as findings write it, '-' where one audit has none."""
    if value is None:
        return "-"
    return format_number(value) if isinstance(value, (int, float)) else str(value)


def _rank(value) -> str:
    return "-" if value is None else str(value)


def _md(text) -> str:
    return markdown_text(text)
