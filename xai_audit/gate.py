"""Pipeline gate outputs: exit codes and JUnit XML from audit results.

A CI system reads two things from an audit: the exit code (0 pass or warn, 1 fail, 2 an input or
usage error; for a batch, the worst over its entries) and a JUnit XML file it shows as a test report.

In the JUnit file every audit is a ``<testsuite>`` and every finding a ``<testcase>``:

- ``fail`` → the testcase holds a ``<failure>`` (the pipeline's test report goes red);
- ``warn`` → the testcase holds a ``<skipped>`` whose message starts with ``warning``. Jenkins,
  GitLab, GitHub test reporters, Azure DevOps and CircleCI all count and list skipped tests without
  failing the build, which is what a warning should do; a ``<system-out>`` note would pass silently,
  visible only to someone who opens that one test. The message says the check did run;
- ``pass`` and ``info`` → a passing testcase;
- an audit that could not run (a batch entry that errored) → one testcase with an ``<error>``.

The finding's full message, observed value, threshold and references are in the ``<failure>`` text, or
in ``<system-out>`` for the other testcases. The XML follows the
Jenkins xUnit plugin's ``junit-10.xsd``, the schema most CI systems' parsers are written against.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from xai_audit._io import write_atomic
from xai_audit.render.escape import isolate_bidi

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
EXIT_CODES = {"pass": EXIT_PASS, "warn": EXIT_PASS, "info": EXIT_PASS, "fail": EXIT_FAIL, "error": EXIT_ERROR}
VERDICT_RANK = {"pass": 0, "info": 0, "warn": 1, "fail": 2, "error": 3}
# Characters XML 1.0 forbids even when escaped (an exception message may carry them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def exit_code(status: str) -> int:
    """The process exit code for an audit status (``"error"`` for an audit that could not run).

    Examples
    --------
    >>> exit_code("pass"), exit_code("warn"), exit_code("fail"), exit_code("error")
    (0, 0, 1, 2)
    """
    return EXIT_CODES[status]


def worst_exit_code(statuses: Iterable[str]) -> int:
    """The exit code of a batch: 2 if any entry errored, else 1 if any failed, else 0.

    Examples
    --------
    >>> worst_exit_code(["pass", "fail", "warn"]), worst_exit_code(["fail", "error"]), worst_exit_code([])
    (1, 2, 0)
    """
    return max((exit_code(s) for s in statuses), default=EXIT_PASS)


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of some statuses, ``error`` worst of all; ``pass`` for none.

    Examples
    --------
    >>> worst_status(["pass", "warn"]), worst_status(["fail", "error"])
    ('warn', 'error')
    """
    return max(statuses, key=VERDICT_RANK.__getitem__, default="pass")


@dataclass(frozen=True)
class SuiteSpec:
    """One ``<testsuite>``: an audit's findings, or the error that stopped it.

    Parameters
    ----------
    name : str
        The audit's name (a batch entry's name, or the report name of ``run``).
    findings : sequence of Finding or dict
        The audit's findings; empty when ``error`` is set.
    error : str, optional
        Why the audit could not run; the suite then holds one testcase with an ``<error>``.
    error_type : str, optional
        The exception type, for the ``<error type=...>`` attribute.
    time : float
        Seconds the audit took.
    """

    name: str
    findings: tuple = ()
    error: str | None = None
    error_type: str | None = None
    time: float = 0.0


def suite_for_result(result, *, name: str, time: float = 0.0) -> SuiteSpec:
    """A :class:`SuiteSpec` for an :class:`~xai_audit.AuditResult`.

    Examples
    --------
    >>> from xai_audit.policy import Finding
    >>> class Result:  # any object with findings will do
    ...     findings = (Finding("performance.roc_auc", "performance", "pass", 0.8, 0.65, "ROC AUC 0.8"),)
    >>> suite_for_result(Result(), name="credit").findings[0].id
    'performance.roc_auc'
    """
    return SuiteSpec(name=name, findings=tuple(result.findings), time=time)


def junit_xml(suites: Iterable[SuiteSpec], *, name: str = "xai-audit") -> str:
    """The JUnit XML document for some audits (one ``<testsuite>`` each), as text.

    Parameters
    ----------
    suites : iterable of SuiteSpec
    name : str
        The ``name`` of the ``<testsuites>`` root.

    Returns
    -------
    str
        UTF-8 XML with a declaration, indented.

    Examples
    --------
    >>> from xai_audit.policy import Finding
    >>> failing = Finding("fairness.di.sex", "disparate_impact", "fail", 0.6, 0.8, "Ratio 0.6 < 0.8")
    >>> text = junit_xml([SuiteSpec("credit", findings=(failing,)), SuiteSpec("vendor", error="no file")])
    >>> root = ET.fromstring(text)
    >>> root.get("tests"), root.get("failures"), root.get("errors")
    ('2', '1', '1')
    """
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    timestamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    hostname = socket.gethostname()
    for spec in suites:
        suite = _suite_element(spec, timestamp=timestamp, hostname=hostname)
        root.append(suite)
        for key in ("tests", "failures", "errors"):
            totals[key] += int(suite.get(key))
        totals["time"] += spec.time
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", _seconds(totals["time"]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path, suites: Iterable[SuiteSpec], *, name: str = "xai-audit"):
    """Write :func:`junit_xml` to ``path`` atomically and return the path.

    Examples
    --------
    >>> import tempfile, os
    >>> path = write_junit(os.path.join(tempfile.mkdtemp(), "junit.xml"), [SuiteSpec("empty")])
    >>> path.read_text().startswith("<?xml")
    True
    """
    return write_atomic(path, junit_xml(suites, name=name))


def _suite_element(spec: SuiteSpec, *, timestamp: str, hostname: str) -> ET.Element:
    suite = ET.Element("testsuite", name=_one_line(spec.name), timestamp=timestamp, hostname=hostname)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if spec.error is not None:
        case = ET.SubElement(suite, "testcase", name="audit", classname=_one_line(f"{spec.name}.audit"), time=_seconds(spec.time))
        error = ET.SubElement(case, "error", type=spec.error_type or "error", message=_one_line(spec.error))
        error.text = _clean(spec.error)
        counts["tests"], counts["errors"] = 1, 1
    for finding in spec.findings:
        case = _case_element(spec.name, _as_dict(finding))
        suite.append(case)
        counts["tests"] += 1
        counts["failures"] += case.find("failure") is not None
        counts["skipped"] += case.find("skipped") is not None
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", _seconds(spec.time))
    return suite


def _case_element(suite_name: str, finding: dict) -> ET.Element:
    case = ET.Element("testcase", name=_one_line(finding["id"]), classname=_one_line(f"{suite_name}.{finding['check']}"),
                      time="0")
    message = finding["message"]
    if finding["status"] == "fail":
        failure = ET.SubElement(case, "failure", type="fail", message=_one_line(message))
        failure.text = _details(finding)
        return case
    if finding["status"] == "warn":
        ET.SubElement(case, "skipped", type="warn",
                      message=_one_line(f"warning (the check ran; not a failure): {message}"))
    out = ET.SubElement(case, "system-out")
    out.text = _details(finding)
    return case


def _details(finding: dict) -> str:
    lines = [f"{finding['status'].upper()}: {finding['message']}",
             f"observed: {finding['observed']}", f"threshold: {finding['threshold']}"]
    lines += [f"reference: {reference}" for reference in finding.get("references") or ()]
    return _clean("\n".join(lines))


def _as_dict(finding) -> dict:
    return finding if isinstance(finding, dict) else finding.to_dict()


def _clean(text: str) -> str:
    # XML escaping is ElementTree's; bidirectional controls are made visible so no name reverses the text.
    return _NOT_XML.sub("\ufffd", isolate_bidi(text))


def _one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(_clean(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def write_gate_outputs(result, *, name: str, junit=None, markdown=None) -> dict:
    """Write the pipeline outputs of one audit: JUnit XML and/or the Markdown pull-request comment.

    Parameters
    ----------
    result : AuditResult
    name : str
        The audit's name in the JUnit report (the report file stem).
    junit, markdown : str or Path, optional
        Where to write each; None skips it.

    Returns
    -------
    dict
        ``{"junit": path, "markdown": path}`` for those written.

    Examples
    --------
    >>> import tempfile, os
    >>> class Result:
    ...     findings = ()
    >>> paths = write_gate_outputs(Result(), name="m", junit=os.path.join(tempfile.mkdtemp(), "j.xml"))
    >>> sorted(paths)
    ['junit']
    """
    paths = {}
    if junit:
        paths["junit"] = write_junit(junit, [suite_for_result(result, name=name)])
    if markdown:
        paths["markdown"] = result.save_markdown(markdown)
    return paths
