"""Findings in the report and the Markdown summary name columns and groups by the labels file's plain names."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from xai_audit.render.html import render_html
from xai_audit.render.markdown import render_markdown
from xai_audit.render.names import feature_name

RECORDS = Path(__file__).parent / "records"


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
    page = re.sub(r'<span class="finding-id">.*?</span>', "", page, flags=re.S)  # ids stay as the checks wrote them
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("name", ["full", "regression"])
def test_no_labelled_column_is_quoted_by_its_raw_name_in_a_finding(name):
    record = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
    labelled = [c for c in (record["data"].get("labels") or {}) if feature_name(record, c) != c]
    if not labelled:
        pytest.skip(f"the {name} record has no labels file")
    quoted = [c for c in labelled if any(f"'{c}'" in f["message"] for f in record["findings"])]
    assert quoted, "the record's findings should quote a labelled column, or this test checks nothing"
    text = _visible_text(render_html(record))
    markdown = render_markdown(record).replace("\\", "")
    for column in quoted:
        assert f"'{column}'" not in text and f"'{column}'" not in markdown
        assert f"'{feature_name(record, column)}'" in text
