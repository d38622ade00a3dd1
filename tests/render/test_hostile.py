"""Hostile names (feature names, category values, group labels, model and file names holding markup,
quotes and very long unicode strings) never become markup, and the layout holds."""

import re

import pytest
from render_helpers import HOSTILE, Document

from xai_audit.render.html import REPORT_ORDER, render_html
from xai_audit.render.markdown import render_markdown

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# The only elements the templates themselves put in a report (SVG drawing elements from matplotlib included).
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "a", "header", "h1", "h2", "h3", "h4", "dl", "dt", "dd", "div",
    "nav", "ol", "ul", "li", "span", "main", "section", "p", "strong", "table", "caption", "thead", "tbody", "tr",
    "th", "td", "figure", "figcaption", "footer", "br", "wbr",
    "svg", "desc", "g", "path", "defs", "use", "clippath", "text", "pattern", "rect", "image", "polyline", "circle",
}


@pytest.fixture(scope="module")
def hostile_html(hostile_record):
    return render_html(hostile_record)


@pytest.fixture(scope="module")
def benign_html(full_record):
    return render_html(full_record)


def test_no_markup_is_injected(hostile_html, benign_html):
    hostile, benign = Document(hostile_html), Document(benign_html)
    assert hostile.count("script") == 0 and hostile.count("iframe") == 0
    assert hostile.count("img") == 0 == benign.count("img")
    assert hostile.count("svg") == benign.count("svg")
    assert {tag for tag, _ in hostile.tags} <= ALLOWED_TAGS
    for tag, attrs in hostile.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not any("javascript:" in (value or "") for name, value in attrs.items() if name != "content"), attrs


def test_hostile_strings_show_as_text(hostile_html):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in hostile_html or "&quot;&gt;&lt;img" in hostile_html
    text = "".join(Document(hostile_html).text)
    assert HOSTILE["income"] in text and HOSTILE["female"] in text


def test_hostile_strings_inside_charts_are_escaped(hostile_html):
    for svg in re.findall(r"<svg .*?</svg>", hostile_html, flags=re.DOTALL):
        assert "<script" not in svg and "<img" not in svg and "<iframe" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</text>" in hostile_html


def test_the_layout_holds(hostile_html, benign_html):
    hostile, benign = Document(hostile_html), Document(benign_html)
    sections = [attrs["id"] for tag, attrs in hostile.tags if tag == "section" and "report-section" in attrs.get("class", "")]
    assert sections == list(REPORT_ORDER)
    assert len(hostile.tables) == len(benign.tables)
    for table in hostile.tables:
        if table["header"]:
            assert all(cells == table["header"] for cells in table["rows"] if cells != 1 or table["header"] == 1), table
    # Nothing is cut: a long user string reaches the page whole, and wraps (it has break opportunities).
    assert "characters)" not in "".join(hostile.text) and "(+" not in "".join(hostile.text)
    for chunk in hostile.text:
        assert len(chunk) < 200 or any(ch.isspace() or ch == "\u200b" for ch in chunk[:200]), chunk[:80]


def test_long_names_are_cut_in_charts(hostile_html):
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", hostile_html)
    assert labels and max(len(label) for label in labels) <= 90


def test_markdown_cells_cannot_break_the_table(hostile_record):
    markdown = render_markdown(hostile_record)
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + len(hostile_record["findings"])
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 6, row
    assert "<" not in markdown and ">" not in markdown.replace("&gt;", "")


BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def test_no_bidirectional_control_reaches_the_page_raw(hostile_html, hostile_record):
    """Every bidi control of the hostile names (finding-id link text, chart captions and SVG labels
    included) is shown as visible text, so no name can reverse the text around it."""
    import json

    assert BIDI_CONTROLS.search(json.dumps(hostile_record, ensure_ascii=False))  # the record does hold them
    assert BIDI_CONTROLS.findall(hostile_html) == []
