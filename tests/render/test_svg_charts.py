"""Charts written as SVG text: the numbers drawn are where the axes say, text fits and never overlaps,
ticks are round, and saving a tabular report never imports matplotlib.

The SVG of each chart is parsed back (it is XML) and measured with the same character widths the
charts are laid out with (:func:`xai_audit.render.svg.text_width`).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from render_helpers import hostile_copy, load_record

from xai_audit.render.chart_performance import blues
from xai_audit.render.charts import BLUE, ChartBook
from xai_audit.render.html import render_html
from xai_audit.render.svg import MINUS, Drawing, nice_ticks, text_width, tick_labels

NS = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]
_SVG = re.compile(r"<svg .*?</svg>", re.DOTALL)


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def texts(root) -> list[ET.Element]:
    return [t for t in root.iter(f"{NS}text")]


def value_of(text: str) -> float | None:
    try:
        return float(text.replace(MINUS, "-").replace(",", ""))
    except ValueError:
        return None


def x_scale(root):
    """The data-to-points mapping of the x axis, read from two of its tick labels."""
    bottom = max(float(t.get("y")) for t in texts(root) if t.get("text-anchor") == "middle" and value_of(t.text))
    ticks = [(value_of(t.text), float(t.get("x"))) for t in texts(root)
             if t.get("text-anchor") == "middle" and value_of(t.text) is not None and t.get("transform") is None
             and abs(float(t.get("y")) - bottom) < 30]
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    return lambda v: x0 + (v - v0) * (x1 - x0) / (v1 - v0)


def boxes(root) -> list[tuple[str, float, float, float, float]]:
    """(text, left, top, right, bottom) of every line of text, from its anchor, rotation and font size."""
    found = []
    for t in texts(root):
        size = float(t.get("font-size", root.get("font-size", "9")))
        width = text_width(t.text or "", size)
        x, y = float(t.get("x")), float(t.get("y"))
        anchor = t.get("text-anchor", "start")
        start = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor]
        if t.get("transform"):  # turned to read upwards: the text runs from y + ... up to y - ...
            found.append((t.text, x - 0.8 * size, y - start - width, x + 0.25 * size, y - start))
        else:
            found.append((t.text, x + start, y - 0.8 * size, x + start + width, y + 0.25 * size))
    return found


# -- the primitives --------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e7, 1e7, allow_nan=False), st.floats(1e-6, 1e7, allow_nan=False), st.integers(3, 10))
def test_ticks_are_round_evenly_spaced_and_inside(low, span, bins):
    assume(span > 1e-6 * abs(low))  # an axis spans more than a millionth of its values
    high = low + span
    ticks = nice_ticks(low, high, bins)
    assert ticks and all(low - 1e-9 * span <= t <= high + 1e-9 * span for t in ticks)
    steps = np.diff(ticks)
    if len(steps):
        step = steps[0]
        assert np.allclose(steps, step, rtol=1e-6)
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5, 10)), step
        assert all(abs(t / step - round(t / step)) < 1e-6 + 1e-9 * abs(t / step) for t in ticks)
        assert 4 <= len(ticks) <= 2 * bins + 2 or step >= span / bins


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(1e-3, 1e6, allow_nan=False))
def test_tick_labels_read_back_as_their_values_and_differ(low, span):
    assume(span > 1e-6 * abs(low))
    ticks = nice_ticks(low, low + span)
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels)
    step = (ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    for tick, text in zip(ticks, labels):
        assert "-" not in text  # a true minus sign
        assert abs(value_of(text) - tick) <= step * 1e-3, (tick, text)


def test_text_width_follows_the_characters():
    assert text_width("", 9) == 0
    assert text_width("W" * 10, 9) > text_width("i" * 10, 9)
    assert text_width("abc", 18) == pytest.approx(2 * text_width("abc", 9))
    assert text_width("\u4e2d\u6587", 10) == pytest.approx(20.0)  # wide characters take an em
    assert text_width("a\u200bb", 9) == text_width("ab", 9)  # zero-width characters take nothing


def test_drawing_escapes_text_and_colours():
    d = Drawing(10, 10, "fig1")
    d.text(1, 2, '</text><script>alert(1)</script>"')
    d.text(1, 2, "x", fill='red" onload="alert(2)')
    svg = d.svg()
    assert "<script" not in svg and 'onload="' not in svg and "&lt;/text&gt;" in svg
    root = parse(svg)
    assert [t.text for t in texts(root)] == ['</text><script>alert(1)</script>"', "x"]


# -- numbers drawn where the axis says ---------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=12))
def test_bars_start_at_zero_and_end_at_their_value(values):
    chart = ChartBook().signed_bars([f"f{k}" for k in range(len(values))], values, title="t", desc="d", reading="r",
                                    xlabel="x")
    root = parse(chart.svg)
    scale = x_scale(root)
    bars = [r for r in root.iter(f"{NS}rect") if r.get("class") == "bar"]
    assert len(bars) == len(values)
    order = sorted(range(len(bars)), key=lambda k: float(bars[k].get("y")))  # top to bottom
    span = max(abs(v) for v in values) or 1
    for k, value in zip(order, values):
        left, width = float(bars[k].get("x")), float(bars[k].get("width"))
        expected = sorted((scale(0.0), scale(value)))
        assert left == pytest.approx(expected[0], abs=0.02 + 1e-3 * span) and \
            left + width == pytest.approx(expected[1], abs=0.02 + 1e-3 * span)
        assert ("hatch" in bars[k].get("fill")) == (value > 0)  # raising bars hatched, lowering ones plain


def test_intervals_and_the_threshold_line_sit_at_their_values():
    chart = ChartBook().bars(["a", "b"], [0.4, 0.9], ci=[[0.3, 0.5], [0.8, 1.0]], title="t", desc="d", reading="r",
                             xlabel="value", line=0.8, line_label="four-fifths")
    root = parse(chart.svg)
    scale = x_scale(root)
    paths = [p.get("d") for p in root.iter(f"{NS}path") if p.get("stroke") == "#000000"]
    segments = [tuple(float(v) for v in re.findall(r"-?[0-9.]+", d)) for d in paths]
    horizontal = [(a, c) for a, b, c, e in (s for s in segments if len(s) == 4) if b == e and a != c]
    for low, high in ((0.3, 0.5), (0.8, 1.0)):
        assert any(abs(a - scale(low)) < 0.02 and abs(c - scale(high)) < 0.02 for a, c in horizontal)
    dashed = [p for p in root.iter(f"{NS}path") if p.get("stroke-dasharray") and p.get("stroke") == "#000000"]
    assert len(dashed) == 1 and float(re.findall(r"[0-9.]+", dashed[0].get("d"))[0]) == pytest.approx(scale(0.8), abs=0.02)
    assert "four-fifths (0.8)" in [t.text for t in texts(root)]


def test_scatter_points_are_drawn_at_their_values():
    x = [1.0, 2.0, 3.0, 10.0]
    y = [-0.5, 0.25, 0.0, 1.0]
    root = parse(ChartBook().scatter(x, y, title="t", desc="d", reading="r", xlabel="x", ylabel="y").svg)
    scale = x_scale(root)
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(f"{NS}circle")]
    assert [cx for cx, _ in circles] == pytest.approx([scale(v) for v in x], abs=0.02)
    heights = [cy for _, cy in circles]
    assert sorted(range(4), key=lambda k: -heights[k]) == sorted(range(4), key=lambda k: y[k])  # higher is larger


def test_reliability_markers_grow_with_rows_and_the_diagonal_is_drawn():
    bins = [{"mean_predicted": 0.2, "observed_rate": 0.1, "n": 5}, {"mean_predicted": 0.5, "observed_rate": 0.6, "n": 50},
            {"mean_predicted": 0.8, "observed_rate": 0.7, "n": 500}]
    root = parse(ChartBook().reliability(bins, title="t", desc="d", reading="r", what="probability of 'good'").svg)
    squares = [float(r.get("width")) for r in root.findall(f"{NS}rect") if r.get("fill") == BLUE and r.get("stroke")]
    assert len(squares) == 3 and squares[0] < squares[1] < squares[2]
    assert any(p.get("stroke-dasharray") for p in root.iter(f"{NS}path"))
    assert {"perfect calibration", "observed (marker area \u221d rows)"} <= {t.text for t in texts(root)}


def test_roc_marks_the_operating_point_on_the_axes():
    decisions = {"positive_label": "good", "cut_off": 0.5, "operating_point": {"fpr": 0.25, "tpr": 0.75},
                 "roc": [{"fpr": [0.0, 0.25, 1.0], "tpr": [0.0, 0.75, 1.0], "auc": 0.75}]}
    root = parse(ChartBook().roc(decisions, title="t", desc="d", reading="r").svg)
    scale = x_scale(root)
    diamond = [p for p in root.iter(f"{NS}path") if p.get("d", "").endswith("Z") and p.get("stroke") == "#000000"][0]
    xs = [float(v) for v in re.findall(r"-?[0-9.]+", diamond.get("d"))[0::2]]
    assert (min(xs) + max(xs)) / 2 == pytest.approx(scale(0.25), abs=0.05)
    assert "the model's decisions (cut-off 0.5)" in {t.text for t in texts(root)}


def test_confusion_cells_hold_counts_and_row_shares_shaded_by_share():
    root = parse(ChartBook().confusion([[45, 45], [19, 191]], ["bad", "good"], title="t", desc="d", reading="r").svg)
    words = [t.text for t in texts(root)]
    for count, share in (("45", "50%"), ("19", "9%"), ("191", "91%")):
        assert count in words and share in words
    cells = [r.get("fill") for r in root.iter(f"{NS}rect") if r.get("class") == "cell"]
    assert cells == [blues(0.5), blues(0.5), blues(19 / 210), blues(191 / 210)]


# -- text that fits, in every chart of real reports -------------------------------------------------


@pytest.fixture(scope="module")
def reports():
    return {name: render_html(record) for name, record in (
        ("full", load_record("full")), ("hostile", hostile_copy(load_record("full"))),
        ("regression", load_record("regression")), ("multiclass", load_record("multiclass")))}


def test_every_text_lies_inside_its_figure_and_none_overlap(reports):
    checked = 0
    for name, html in reports.items():
        for svg in _SVG.findall(html):
            if "<image" in svg:  # the saliency gallery is drawn by matplotlib
                continue
            root = parse(svg)
            width, height = (float(v) for v in root.get("viewBox").split()[2:])
            found = boxes(root)
            for text, left, top, right, bottom in found:
                assert left >= -0.5 and right <= width + 0.5 and top >= -0.5 and bottom <= height + 0.5, (name, text)
            for k, a in enumerate(found):
                for b in found[k + 1:]:
                    overlap_x = min(a[3], b[3]) - max(a[1], b[1])
                    overlap_y = min(a[4], b[4]) - max(a[2], b[2])
                    assert overlap_x <= 0.5 or overlap_y <= 0.5, (name, a, b)
            checked += 1
    assert checked >= 30


def test_wide_confusion_matrices_and_long_names_still_fit():
    labels = [f"class number {k} with a long name" for k in range(8)]
    matrix = np.arange(64).reshape(8, 8).tolist()
    for chart in (ChartBook().confusion(matrix, labels, title="t", desc="d", reading="r"),
                  ChartBook().bars(["a very long category name that needs wrapping over lines", "b"], [-1234.5, 2e4],
                                   title="t", desc="d", reading="r", xlabel="a long axis label " * 8, line=1e4,
                                   line_label="threshold")):
        root = parse(chart.svg)
        width, height = (float(v) for v in root.get("viewBox").split()[2:])
        found = boxes(root)
        assert all(a[1] >= -0.5 and a[3] <= width + 0.5 and a[2] >= -0.5 and a[4] <= height + 0.5 for a in found)
        for k, a in enumerate(found):
            for b in found[k + 1:]:
                assert min(a[3], b[3]) - max(a[1], b[1]) <= 0.5 or min(a[4], b[4]) - max(a[2], b[2]) <= 0.5, (a, b)


def assert_fits(svg) -> None:
    root = parse(svg)
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    found = boxes(root)
    for text, left, top, right, bottom in found:
        assert left >= -0.5 and right <= width + 0.5 and top >= -0.5 and bottom <= height + 0.5, text
    for k, a in enumerate(found):
        for b in found[k + 1:]:
            assert min(a[3], b[3]) - max(a[1], b[1]) <= 0.5 or min(a[4], b[4]) - max(a[2], b[2]) <= 0.5, (a, b)


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co")), min_size=1, max_size=70)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(NAMES, st.floats(-1e4, 1e4, allow_nan=False)), min_size=1, max_size=8), NAMES)
def test_any_names_and_values_fit_a_bar_chart(rows, axis):
    names, values = [n for n, _ in rows], [v for _, v in rows]
    assert_fits(ChartBook().signed_bars(names, values, title="t", desc="d", reading="r", xlabel=axis,
                                        up=axis, down="lowers " + axis).svg)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(NAMES, st.floats(-1e3, 1e3, allow_nan=False)), min_size=1, max_size=30), NAMES, NAMES)
def test_any_categories_fit_a_dependence_chart(rows, feature, output):
    assert_fits(ChartBook().scatter([n for n, _ in rows], [v for _, v in rows], title="t", desc="d", reading="r",
                                    xlabel=feature, ylabel=output).svg)


# -- no matplotlib for a tabular report ------------------------------------------------------------


def test_saving_a_tabular_report_does_not_import_matplotlib(tmp_path):
    code = (
        "import sys\n"
        "import xai_audit as xa\n"
        f"result = xa.AuditResult.load_json({str(ROOT / 'tests/render/records/full.json')!r})\n"
        f"result.save_html({str(tmp_path / 'report.html')!r})\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "report.html").read_text(encoding="utf-8").count('<svg role="img"') > 10
