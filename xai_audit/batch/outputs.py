"""What a batch writes: ``summary.json`` (:class:`BatchReport`), ``index.html``, JUnit suites and Markdown."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from xai_audit._version import __version__
from xai_audit.batch.config import BatchPlan
from xai_audit.gate import SuiteSpec, worst_exit_code, worst_status
from xai_audit.render.escape import markdown_cell, markdown_text

SUMMARY_FILE = "summary.json"
INDEX_FILE = "index.html"


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did: one record per entry (as in ``summary.json``) and where it wrote."""

    plan: BatchPlan
    records: tuple[dict, ...]
    backend: dict
    duration_s: float
    created_at: str

    @property
    def status(self) -> str:
        """The worst entry status: ``pass``, ``warn``, ``fail`` or ``error``."""
        return worst_status(r["status"] for r in self.records)

    @property
    def exit_code(self) -> int:
        """2 if any entry errored, else 1 if any failed, else 0."""
        return worst_exit_code(r["status"] for r in self.records)

    def counts(self) -> dict:
        counts = {status: 0 for status in ("pass", "warn", "fail", "error")}
        for record in self.records:
            counts[record["status"]] += 1
        counts["skipped"] = sum(r["skipped"] for r in self.records)
        return counts

    def to_dict(self) -> dict:
        """The ``summary.json`` document."""
        return {
            "summary_version": 1, "tool_version": __version__, "batch_file": str(self.plan.source),
            "out": str(self.plan.out), "created_at": self.created_at, "backend": self.backend,
            "status": self.status, "exit_code": self.exit_code, "counts": self.counts(),
            "duration_s": round(self.duration_s, 3), "entries": list(self.records),
        }



def render_index(report: BatchReport) -> str:
    """``index.html``: every entry with its verdict and links to its reports (jinja2, autoescape).

    The template is ``batch_index.html.j2`` in ``reports/templates`` (the package ``xai_audit.templates``),
    loaded by the report's own jinja2 environment (:func:`xai_audit.render.html.environment`).

    Examples
    --------
    >>> record = {"name": "<b>x</b>", "status": "error", "error": "no file", "skipped": False,
    ...           "duration_s": 0.1, "findings": {}, "paths": {}, "finished_at": "2026-01-01"}
    >>> page = render_index(BatchReport(BatchPlan(Path("a.toml"), Path("out"), ()), (record,), {}, 0.1, "2026-01-01"))
    >>> "&lt;b&gt;x&lt;/b&gt;" in page and "Not audited: no file" in page
    True
    """
    from xai_audit.render.html import environment

    rows = [{**record, "links": {fmt: urllib.parse.quote(path) for fmt, path in record["paths"].items()},
             "error_line": first_line(record["error"])} for record in report.records]
    return environment().get_template("batch_index.html.j2").render(
        title=f"xai-audit batch: {report.plan.source.name}", batch_file=str(report.plan.source),
        created_at=report.created_at, status=report.status, counts=report.counts(), entries=rows,
        duration_s=report.duration_s, tool_version=__version__,
    )


def batch_markdown(report: BatchReport) -> str:
    """A pull-request comment for a batch: the overall verdict and a table of entries.

    Examples
    --------
    >>> plan = BatchPlan(Path("audits.toml"), Path("out"), ())
    >>> record = {"name": "credit", "status": "fail", "error": None, "skipped": False, "duration_s": 2.0,
    ...           "findings": {"fail": 1, "warn": 0}, "paths": {"html": "credit.html"}}
    >>> print(batch_markdown(BatchReport(plan, (record,), {}, 2.0, "2026-01-01")).splitlines()[4])
    | credit | ✗ fail | 1 | 0 | 2.0 s | credit.html |
    """
    symbols = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "error": "⚠ error"}
    counts = report.counts()
    lines = [f"### xai-audit batch {markdown_text(report.plan.source.name, 120)}: **{report.status}** (exit code {report.exit_code})",
             "", "| Entry | Verdict | Failed | Warnings | Time | Report or error |", "|---|---|---:|---:|---:|---|"]
    for record in report.records:
        findings = record.get("findings") or {}
        detail = (markdown_cell(first_line(record["error"]), 300) if record["status"] == "error"
                  else markdown_cell(record["paths"].get("html") or record["paths"].get("json", "")))
        lines.append(f"| {markdown_cell(record['name'], 120)} | {symbols[record['status']]}{' (unchanged)' if record['skipped'] else ''} "
                     f"| {findings.get('fail', '')} | {findings.get('warn', '')} | {record['duration_s']:.1f} s | {detail} |")
    lines += ["", f"{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail, {counts['error']} error; "
                  f"{counts['skipped']} unchanged entries were not re-run."]
    return "\n".join(lines) + "\n"


def junit_suites(report: BatchReport) -> list[SuiteSpec]:
    """One JUnit suite per entry: its findings (read from its JSON record), or its error.

    Examples
    --------
    >>> record = {"name": "a", "status": "error", "error": "no file", "error_type": "InvalidInputError",
    ...           "duration_s": 0.1}
    >>> suite = junit_suites(BatchReport(BatchPlan(Path("a.toml"), Path("out"), ()), (record,), {}, 0.1, ""))[0]
    >>> suite.name, suite.error
    ('a', 'no file')
    """
    from xai_audit.result import AuditResult

    suites = []
    for record in report.records:
        if record["status"] == "error":
            suites.append(SuiteSpec(record["name"], error=record["error"], error_type=record["error_type"],
                                    time=record["duration_s"]))
            continue
        result = AuditResult.load_json(report.plan.out / record["paths"]["json"])
        suites.append(SuiteSpec(record["name"], findings=tuple(result.findings), time=record["duration_s"]))
    return suites


def first_line(text: str) -> str:
    """The first non-empty line of ``text`` ("" for none)."""
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
