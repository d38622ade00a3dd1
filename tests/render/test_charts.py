"""Charts: byte-stable inline SVG with text alternatives, escaped text, ids local to their figure."""

import re

import pytest

from xai_audit.render.charts import BLUE, ChartBook

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def draw(book, names=("a", "b"), title="Title", desc="Description"):
    return book.bars(list(names), [0.4, 0.9], ci=[[0.3, 0.5], [0.8, 1.0]], title=title, desc=desc,
                     reading="b is higher.", xlabel="value", line=0.8, line_label="four-fifths")


def test_svg_is_byte_stable():
    assert draw(ChartBook()).svg == draw(ChartBook()).svg


def test_svg_has_no_prolog_metadata_or_date():
    svg = str(draw(ChartBook()).svg)
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<metadata" not in svg and "<dc:date" not in svg


def test_title_and_desc_are_escaped_and_referenced():
    chart = draw(ChartBook(), title="<b>bold</b>", desc='say "hi" & <i>')
    svg = str(chart.svg)
    assert '<title id="fig1-title">&lt;b&gt;bold&lt;/b&gt;</title>' in svg
    assert "<desc id=\"fig1-desc\">say &#34;hi&#34; &amp; &lt;i&gt;</desc>" in svg
    assert 'role="img" aria-labelledby="fig1-title fig1-desc"' in svg


def test_hostile_labels_stay_text():
    names = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "$x$ id=\"q\" ^{2}"]
    svg = str(ChartBook().bars(names, [1, 2, 3], title="t", desc="d", reading="r", xlabel="x").svg)
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "$x$ id=&#34;q&#34; ^{2}" in svg  # no mathtext; quotes escaped, so no attribute can be formed


def test_ids_are_prefixed_per_figure_and_references_follow():
    book = ChartBook()
    first, second = str(draw(book).svg), str(draw(book).svg)
    ids_first = set(re.findall(r' id="([^"]+)"', first))
    ids_second = set(re.findall(r' id="([^"]+)"', second))
    assert ids_first and not ids_first & ids_second
    for svg, ids in ((first, ids_first), (second, ids_second)):
        references = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg))
        assert references <= ids


def test_series_differ_by_more_than_colour():
    book = ChartBook()
    svg = str(book.bars(["a", "b"], [0.5, 0.9], hatches=["//", ""], legend=[("ref", BLUE, "//"), ("other", BLUE, "")],
                        title="t", desc="d", reading="r", xlabel="x").svg)
    assert "<pattern" in svg and BLUE.lower() in svg.lower()


def test_two_styles_without_a_legend_are_refused():
    with pytest.raises(ValueError, match="no legend"):
        ChartBook().bars(["a", "b"], [0.5, 0.9], hatches=["//", ""], title="t", desc="d", reading="r", xlabel="x")


def test_placeholders_keep_numbering_and_alternatives():
    book = ChartBook(enabled=False)
    draw(book)
    chart = draw(book, title="Second")
    assert chart.number == 2 and '<title id="fig2-title">Second</title>' in str(chart.svg)
    assert "<path" not in str(chart.svg)


def test_gallery_and_reliability_draw():
    book = ChartBook()
    gallery = book.gallery([[[[0.0, 1.0], [1.0, 0.0]]]], [[[0.5, -0.5], [0.0, 0.2]]], ["row 0"], title="g",
                           desc="d", reading="r")
    assert "<image" in str(gallery.svg) and "data:image/png;base64," in str(gallery.svg)
    reliability = book.reliability([{"bin": [0, 0.5], "n": 10, "mean_predicted": 0.3, "observed_rate": 0.2}],
                                   title="r", desc="d", reading="r", what="probability of 'good'")
    assert reliability.number == 2
