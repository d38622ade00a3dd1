"""Pipeline gate: exit codes and JUnit XML, checked against the Jenkins xUnit plugin's junit-10.xsd.

``xmlschema`` is not a dependency, so the XSD's rules (which elements may contain which, required and
known attributes, the time pattern, no stray text) are read from tests/data/junit.xsd with xml.etree
and applied by a small validator; a test shows the validator rejects broken documents.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from xai_audit.gate import (
    SuiteSpec,
    exit_code,
    junit_xml,
    suite_for_result,
    worst_exit_code,
    worst_status,
    write_gate_outputs,
    write_junit,
)
from xai_audit.policy import Finding

XSD = Path(__file__).parent / "data" / "junit.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"


def load_rules(path=XSD) -> dict:
    """Per element name: allowed children, known attributes (with a pattern or None), required ones, mixed."""
    schema = ET.parse(path).getroot()
    patterns = {simple.get("name"): simple.find(f"{XS}restriction/{XS}pattern").get("value")
                for simple in schema.findall(f"{XS}simpleType")}
    named_types = {complex_.get("name"): complex_ for complex_ in schema.findall(f"{XS}complexType")}
    rules = {}
    for element in schema.findall(f"{XS}element"):
        body = element.find(f"{XS}complexType")
        if body is None:
            body = named_types.get(element.get("type"))
        rule = {"children": set(), "attributes": {}, "required": set(), "mixed": True}
        if body is not None:
            rule["mixed"] = body.get("mixed") == "true"
            rule["children"] = {child.get("ref") or child.get("name") for child in body.iter(f"{XS}element")}
            for attribute in body.findall(f"{XS}attribute"):
                rule["attributes"][attribute.get("name")] = patterns.get(attribute.get("type"))
                if attribute.get("use") == "required":
                    rule["required"].add(attribute.get("name"))
        rules[element.get("name")] = rule
    return rules


def schema_problems(root: ET.Element, rules: dict) -> list[str]:
    problems = []

    def visit(node, path):
        rule = rules.get(node.tag)
        if rule is None:
            problems.append(f"{path}: <{node.tag}> is not in the schema")
            return
        problems.extend(f"{path}: missing attribute '{name}'" for name in sorted(rule["required"] - set(node.attrib)))
        for name, value in node.attrib.items():
            if name not in rule["attributes"]:
                problems.append(f"{path}: unknown attribute '{name}'")
            elif rule["attributes"][name] and not re.fullmatch(rule["attributes"][name], value):
                problems.append(f"{path}: {name}={value!r} does not match {rule['attributes'][name]}")
        if not rule["mixed"] and ((node.text or "").strip() or any((c.tail or "").strip() for c in node)):
            problems.append(f"{path}: text inside <{node.tag}>, which holds elements only")
        for child in node:
            if child.tag not in rule["children"]:
                problems.append(f"{path}: <{child.tag}> may not appear in <{node.tag}>")
            visit(child, f"{path}/{child.tag}")

    if root.tag not in ("testsuites", "testsuite"):
        problems.append(f"the root is <{root.tag}>, not <testsuites>")
    visit(root, root.tag)
    return problems


def finding(id_, status, message="m"):
    return Finding(id=id_, check=id_.split(".")[0], status=status, observed=0.5, threshold=0.8,
                   message=message, references=("EEOC UGESP 29 CFR 1607.4(D)",))


SUITES = [
    SuiteSpec("credit", findings=(finding("fairness.di", "fail", "Disparate impact 0.5 < 0.8"),
                                  finding("performance.auc", "warn", "AUC 0.70, warning below 0.75"),
                                  finding("data.unknown", "pass"), finding("note.info", "info")), time=12.25),
    SuiteSpec("vendor", error="The data file 'v.csv' does not exist; check the path.", error_type="InvalidInputError",
              time=0.1),
]


def test_exit_codes():
    assert [exit_code(s) for s in ("pass", "warn", "info", "fail", "error")] == [0, 0, 0, 1, 2]
    assert worst_exit_code(["pass", "warn"]) == 0
    assert worst_exit_code(["warn", "fail", "pass"]) == 1
    assert worst_exit_code(["fail", "error"]) == 2
    assert worst_status(["pass", "fail", "warn"]) == "fail" and worst_status([]) == "pass"


def test_junit_follows_the_schema_and_maps_verdicts():
    root = ET.fromstring(junit_xml(SUITES, name="xai-audit batch"))
    assert schema_problems(root, load_rules()) == []
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "1")
    credit, vendor = root.findall("testsuite")
    assert (credit.get("tests"), credit.get("failures"), credit.get("errors"), credit.get("skipped")) == ("4", "1", "0", "1")
    cases = {case.get("name"): case for case in credit.findall("testcase")}
    assert cases["fairness.di"].find("failure").get("message") == "Disparate impact 0.5 < 0.8"
    assert "EEOC UGESP" in cases["fairness.di"].find("failure").text
    skipped = cases["performance.auc"].find("skipped")
    assert skipped.get("message").startswith("warning (the check ran; not a failure): AUC 0.70")
    assert cases["data.unknown"].find("failure") is None and cases["data.unknown"].find("skipped") is None
    assert cases["data.unknown"].find("system-out").text.startswith("PASS: m")
    assert cases["fairness.di"].get("classname") == "credit.fairness"
    assert credit.get("time") == "12.250"
    error = vendor.find("testcase/error")
    assert error.get("type") == "InvalidInputError" and "does not exist" in error.get("message")
    assert (vendor.get("tests"), vendor.get("errors")) == ("1", "1")


def test_validator_rejects_broken_documents():
    rules = load_rules()
    broken = ET.fromstring('<testsuites><testsuite name="a" tests="1" failures="0" time="1,5.x">'
                           '<testcase classname="c"><oops/></testcase>text</testsuite></testsuites>')
    problems = "\n".join(schema_problems(broken, rules))
    for expected in ("missing attribute 'errors'", "missing attribute 'name'", "<oops> may not appear",
                     "time='1,5.x' does not match", "text inside <testsuite>"):
        assert expected in problems


def test_junit_text_is_clean_xml_even_for_odd_messages():
    odd = "bad \x00byte, <tag> & \"quotes\"\nsecond line " + "x" * 600
    root = ET.fromstring(junit_xml([SuiteSpec("s", error=odd), SuiteSpec("t", findings=(finding("a.b", "fail", odd),))]))
    message = root.find("testsuite/testcase/error").get("message")
    assert "\x00" not in message and "<tag> & \"quotes\" second line" in message and len(message) <= 500
    assert schema_problems(root, load_rules()) == []


def test_write_junit_and_gate_outputs(tmp_path):
    path = write_junit(tmp_path / "deep" / "junit.xml", SUITES)
    assert ET.parse(path).getroot().get("tests") == "5"

    class Result:
        findings = SUITES[0].findings

    assert suite_for_result(Result(), name="credit", time=2.0).findings == SUITES[0].findings
    written = write_gate_outputs(Result(), name="credit", junit=tmp_path / "gate.xml")
    assert set(written) == {"junit"} and ET.parse(written["junit"]).getroot().get("failures") == "1"


def test_empty_suite_is_valid():
    root = ET.fromstring(junit_xml([SuiteSpec("nothing")]))
    assert schema_problems(root, load_rules()) == []
    assert root.find("testsuite").get("tests") == "0"


@pytest.mark.parametrize("status", ["pass", "warn", "fail"])
def test_one_finding_per_testcase(status):
    root = ET.fromstring(junit_xml([SuiteSpec("s", findings=(finding("x.y", status),))]))
    case = root.find("testsuite/testcase")
    children = [child.tag for child in case]
    assert children == {"pass": ["system-out"], "warn": ["skipped", "system-out"], "fail": ["failure"]}[status]
