"""Helpers of the report tests: the fixed records, hostile names, the golden-file check, an HTML parser.

Goldens live in ``tests/render/golden/``; after reviewing a deliberate change, rewrite them with

    XAI_AUDIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/render

(A module of its own, not conftest.py, so that it imports by a unique name from anywhere.)
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "records"
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("XAI_AUDIT_UPDATE_GOLDEN") == "1"
MAX_DIFF = 8000

LONG_UNICODE = "\u03a9\U0001d518\u202e\u0645\u0631\u062d\u0628\u0627 \u4e2d\u6587\u200b" * 400 + "\U0001f4a5" * 200
HOSTILE = {
    "income": "<script>alert(1)</script>",
    "debt": "\"><img src=x onerror=alert(2)>",
    "female": "'><svg onload=alert(3)>",
    "car": "<iframe src=javascript:alert(4)></iframe>",
    "credit-gbm": "<img src=x onerror=alert(5)>" + LONG_UNICODE,
    "credit_sample.csv": "javascript:alert(6)//" + LONG_UNICODE,
    "Retail credit risk team": "</textarea></title><script>alert(7)</script>",
    "performance.roc_auc": "performance.<script>alert(8)</script>",
}
SUBSTRINGS = ("income", "female")


def load_record(name: str) -> dict:
    return json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))


def hostile(value):
    """A deep copy of ``value`` with the benign names of the full record swapped for hostile ones,
    in keys and values alike (feature names, group labels, category values, model and file names)."""
    if isinstance(value, dict):
        return {hostile(k): hostile(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v) for v in value]
    if isinstance(value, str):
        if value in HOSTILE:
            return HOSTILE[value]
        for token in SUBSTRINGS:
            value = value.replace(token, HOSTILE[token])
        return value
    return copy.deepcopy(value)


def hostile_copy(record: dict) -> dict:
    """The full record with hostile names, plus line breaks, pipes and a javascript: reference."""
    result = hostile(record)
    result["model_card"]["limitations"].append("line one\nline two | with a pipe ` and `backticks`")
    result["findings"][0]["references"].append("javascript:alert(9)")
    return result


def assert_matches_golden(text: str, name: str) -> None:
    """Compare ``text`` with ``golden/<name>``, showing a unified diff; rewrite it when asked."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"There is no golden file {path.relative_to(HERE)}; create it with XAI_AUDIT_UPDATE_GOLDEN=1.")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                            fromfile=f"golden/{name}", tofile="rendered now", n=2))
        cut = f"\n... ({len(diff) - MAX_DIFF} more characters of diff)" if len(diff) > MAX_DIFF else ""
        pytest.fail(f"The rendering differs from golden/{name}. If the change is intended, review it and rewrite "
                    f"the goldens with XAI_AUDIT_UPDATE_GOLDEN=1.\n{diff[:MAX_DIFF]}{cut}", pytrace=False)


class Document(HTMLParser):
    """The elements of an HTML document: tags with their attributes, text, and table shapes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.tables: list[dict] = []
        self._stack: list[dict] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self._in_style = tag == "style"
        self.tags.append((tag, attributes))
        if tag == "table":
            self._stack.append({"id": attributes.get("id"), "header": 0, "rows": [], "in_head": False})
        elif self._stack and tag == "thead":
            self._stack[-1]["in_head"] = True
        elif self._stack and tag == "tr":
            self._stack[-1]["rows"].append(0) if not self._stack[-1]["in_head"] else None
        elif self._stack and tag in ("td", "th"):
            table = self._stack[-1]
            span = int(attributes.get("colspan", 1))
            if table["in_head"]:
                table["header"] += span
            else:
                table["rows"][-1] += span

    def handle_endtag(self, tag):
        self._in_style = False
        if self._stack and tag == "thead":
            self._stack[-1]["in_head"] = False
        elif self._stack and tag == "table":
            self.tables.append(self._stack.pop())

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)
