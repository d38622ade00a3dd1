"""Property: any string a user controls (feature names, category values, model and entry names) with
markup, quotes, backticks, pipes, control and bidirectional characters stays inert and parseable in
every output: HTML, Markdown, JUnit, JSON (and the PDF's text where WeasyPrint is installed)."""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xai_audit as xa
from xai_audit.batch.config import BatchPlan
from xai_audit.batch.outputs import BatchReport, batch_markdown
from xai_audit.gate import junit_xml, suite_for_result
from xai_audit.render.escape import BIDI_CODES, markdown_cell, markdown_text
from xai_audit.render.html import render_html
from xai_audit.render.markdown import render_markdown

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

BIDI = "".join(chr(code) for code in BIDI_CODES)
PIECES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</td>", "`rm -rf`", "|", "||", "\"'",
          "&amp;", "*x*", "[a](javascript:x)", "\n", "\r", "\t", "\x00", "\x1b[31m", "\u202e", "\u2066", "# h",
          "- item", "{{ 7*7 }}", "]]>", "<!--", "é", "\U0001f600", "x" * 300]
hostile = st.lists(st.sampled_from(PIECES) | st.text(alphabet=BIDI + "<>&|`'\"\\*_[]x \n", max_size=8),
                   min_size=1, max_size=5).map("".join)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.bidi_outside, self.depth = set(), set(), 0, 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.depth += tag == "bdi"
        self.handlers |= {name for name, _ in attrs if name.startswith("on")}

    def handle_endtag(self, tag):
        self.depth -= tag == "bdi"

    def handle_data(self, data):
        if self.depth == 0 and any(ch in BIDI for ch in data):
            self.bidi_outside += 1


def parse(page):
    parser = Tags()
    parser.feed(page)
    return parser


def audit_with(feature, category, model_name):
    rng = np.random.default_rng(0)
    n = 160
    frame = pd.DataFrame({feature: rng.normal(size=n), "grp": rng.choice(["plain", category], n),
                          "y": rng.integers(0, 2, n)})
    frame["p"] = (frame[feature] > 0).astype(int)
    data = xa.AuditDataset.from_frame(frame, target="y", predictions="p", sensitive=["grp"])
    result = xa.audit(None, data, n_resamples=20, random_state=0)
    record = result.to_dict()
    record["model"]["name"] = model_name
    return xa.AuditResult.from_dict(record) if hasattr(xa.AuditResult, "from_dict") else result, record


@pytest.fixture(scope="module")
def benign():
    result, record = audit_with("income", "other", "credit model")
    return parse(render_html(result))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(feature=hostile, category=hostile, model_name=hostile)
def test_every_output_stays_inert(benign, feature, category, model_name):
    feature = feature.strip() or "f"
    if feature in ("grp", "y", "p") or "\x00" in feature:
        feature = f"f{feature}".replace("\x00", "")
    if category.strip() in ("", "plain", "unknown"):
        category = f"c{category}"
    result, record = audit_with(feature, category, model_name)

    page = parse(render_html(result))
    assert page.tags <= benign.tags, page.tags - benign.tags  # no element a name brought in
    assert page.handlers <= benign.handlers
    assert page.bidi_outside == 0  # bidi controls shown as [U+202E] or isolated in <bdi>

    markdown = render_markdown(record)
    check_markdown(markdown)

    root = ET.fromstring(junit_xml([suite_for_result(result, name=model_name or "m")]))
    assert not any(ch in BIDI for ch in ET.tostring(root, encoding="unicode"))

    back = json.loads(json.dumps(record))  # the record keeps every name exactly (it is data, not display)
    assert back["model"]["name"] == model_name
    assert len(back["fairness"]["grp"]["groups"]) == 2  # (the data layer may clean control characters)


def check_markdown(markdown):
    assert "<" not in markdown and not any(ch in BIDI for ch in markdown)
    assert not any(ord(ch) < 32 and ch != "\n" for ch in markdown)
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    if rows:
        cells = {len(split_cells(row)) for row in rows}
        assert len(cells) == 1, rows  # no name added or removed a column


def split_cells(row):
    cells, current, escaped = [], "", False
    for ch in row:
        if ch == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += ch
        escaped = ch == "\\" and not escaped
    return cells


@settings(max_examples=60, deadline=None)
@given(text=hostile)
def test_markdown_escaping_is_inert(text):
    for escaped in (markdown_text(text), markdown_cell(text, 40)):
        assert "<" not in escaped and ">" not in escaped and "\n" not in escaped
        assert not any(ch in BIDI for ch in escaped)
        assert len(split_cells(f"| {escaped} |")) == 2  # the cells before the two unescaped pipes
        # every backtick, asterisk, underscore and bracket is escaped
        for i, ch in enumerate(escaped):
            if ch in "`*_[]|~":
                assert i > 0 and escaped[i - 1] == "\\", escaped


@settings(max_examples=40, deadline=None)
@given(name=hostile, error=hostile)
def test_batch_markdown_is_inert(tmp_path_factory, name, error):
    from pathlib import Path

    record = {"name": name, "status": "error", "error": error, "skipped": False, "duration_s": 0.1,
              "findings": {}, "paths": {}}
    markdown = batch_markdown(BatchReport(BatchPlan(Path(f"{name}.toml"), Path("out"), ()), (record,), {}, 0.1, ""))
    check_markdown(markdown)
    assert len(markdown) < 2000  # a 10,000-character name is shortened


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feature=hostile, model_name=hostile)
def test_the_pdf_text_stays_inert(feature, model_name):
    """The PDF report of hostile names is a valid PDF whose text shows every bidi control as visible
    text (none raw) and no name becomes anything but text."""
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    import io

    feature = feature.strip().replace("\x00", "") or "f"
    if feature in ("grp", "y", "p"):
        feature = f"f{feature}"
    result, _ = audit_with(feature, "other", model_name)
    content = result.to_pdf()
    assert content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert text.strip() and not any(ch in BIDI for ch in text)
    assert "/JavaScript" not in content.decode("latin-1") and "/JS " not in content.decode("latin-1")
