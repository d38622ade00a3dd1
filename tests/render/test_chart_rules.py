"""What every chart of a report must do for a reviewer: add up, name its colours, stay readable and light.

Charts are drawn for real here (``charts=True``) and their SVG is read back: bar values against the
record, legends against the styles used, font sizes, label text, point counts and report size.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_helpers import load_record

from xai_audit.render.chart_points import MAX_POINTS, sample_points
from xai_audit.render.charts import FONT, ChartBook
from xai_audit.render.html import build_context, render_html

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FEATURES = [f"feature_{j:02d}" for j in range(12)]
_SVG = re.compile(r"<svg .*?</svg>", re.DOTALL)
_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")
_FONT = re.compile(r'font-size(?:="|:\s*)([0-9.]+)')
_WIDTH = re.compile(r'<svg [^>]*width="([0-9.]+)pt"[^>]*viewBox="0 0 ([0-9.]+) ')


def local_record(n_rows: int = 6, n_features: int = 12, *, seed: int = 0) -> dict:
    """The full record with a SHAP local section of ``n_features`` features and chosen examples."""
    record = copy.deepcopy(load_record("full"))
    rng = np.random.default_rng(seed)
    names = [f"feature_{j:02d}" for j in range(n_features)]
    values = rng.normal(0, 0.3, (n_rows, n_features))
    base = rng.normal(0, 1, n_rows)
    shap = record["explanations"]["shap"]
    shap["meta"] = {**(shap.get("meta") or {}), "output_space": "log_odds"}
    shap["local"] = {
        "rows": list(range(100, 100 + n_rows)), "values": values.tolist(), "base_values": base.tolist(),
        "output": (base + values.sum(axis=1)).tolist(), "feature_names": names,
        "data": rng.integers(0, 9, (n_rows, n_features)).tolist(),
        "examples": [{"index": 4, "row": 104, "reason": "misclassified", "reason_chosen": "misclassified: test case"},
                     {"index": 1, "row": 101, "reason": "declined", "reason_chosen": "declined: test case"}],
    }
    return record


def figures(context) -> list:
    found = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif type(value).__name__ == "Chart":
            found.append(value)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            walk(vars(value))

    walk(context["sections"])
    return found


# -- local explanations add up ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40), st.floats(-3, 3), st.integers(1, 10))
def test_local_bars_sum_to_output_minus_base(contributions, base, top):
    output = base + sum(contributions)
    chart = ChartBook(enabled=False).local_bars([f"f{j}" for j in range(len(contributions))], contributions,
                                                base=base, output=output, top=top, title="t", desc_start="d",
                                                reading="r", xlabel="x")
    assert abs(sum(chart.values) - (output - base)) <= 1e-9
    assert len(chart.values) == min(len(contributions), top + (len(contributions) > top))


def test_report_local_explanations_add_up_and_say_why_they_were_chosen():
    record = local_record()
    local = record["explanations"]["shap"]["local"]
    charts = [c for c in figures(build_context(record, charts=False)) if c.title.startswith("Why row")]
    assert [c.title.split()[2] for c in charts] == ["104", "101"]  # the chosen rows, in order
    for chart, example in zip(charts, local["examples"]):
        k = example["index"]
        assert abs(sum(chart.values) - (local["output"][k] - local["base_values"][k])) <= 1e-9
        assert len(chart.values) == 9 and "other 4 features (sum)" in chart.desc
        assert example["reason_chosen"] in chart.reading


def test_records_without_examples_still_show_the_first_rows_and_say_so():
    record = local_record()
    del record["explanations"]["shap"]["local"]["examples"]
    charts = [c for c in figures(build_context(record, charts=False)) if c.title.startswith("Why row")]
    assert [c.title.split()[2] for c in charts] == ["100", "101", "102"]
    assert all("first explained rows" in c.reading for c in charts)


# -- legends, fonts, labels ------------------------------------------------------------------------


def data_styles(svg: str) -> set:
    """Fills of the data marks (the bars), hatch patterns counted by their pattern."""
    styles = set()
    for tag in re.findall(r'<rect class="bar"[^>]*>', svg):
        fill = re.search(r'fill="([^"]+)"', tag)
        if fill and fill.group(1).strip() not in ("none", "#ffffff"):
            styles.add(re.sub(r"fig\d+-", "", fill.group(1).strip()))
    return styles


@pytest.fixture(scope="module")
def drawn():
    from render_helpers import hostile_copy

    record = local_record()
    return {name: render_html(r) for name, r in (("local", record), ("hostile", hostile_copy(record)),
                                                   ("image", load_record("image")))}


def test_every_chart_with_more_than_one_style_has_a_legend(drawn):
    checked = 0
    for html in drawn.values():
        for svg in _SVG.findall(html):
            if len(data_styles(svg)) > 1:
                checked += 1
                assert re.search(r'id="fig\d+-legend"', svg), svg[:300]
    assert checked >= 3


def test_text_is_at_least_10_px_when_drawn_at_its_own_size(drawn):
    for html in drawn.values():
        for svg in _SVG.findall(html):
            width = _WIDTH.search(svg)
            assert width, svg[:200]
            px_per_unit = float(width.group(1)) * 4 / 3 / float(width.group(2))
            sizes = [float(s) * px_per_unit for s in _FONT.findall(svg)]
            assert sizes and min(sizes) >= 10.0, (min(sizes), svg[:200])
    assert FONT * 4 / 3 >= 10


def test_no_label_is_cut_with_an_ellipsis(drawn):
    for html in drawn.values():
        texts = [t for svg in _SVG.findall(html) for t in _TEXT.findall(svg)]
        assert texts
        assert not [t for t in texts if t.rstrip().endswith("\u2026")]


def test_long_category_names_are_wrapped_whole():
    name = "credit history: all credits at this bank paid back duly"
    svg = str(ChartBook().bars([name, "other"], [1, 2], title="t", desc="d", reading="r", xlabel="x").svg)
    lines = [t for t in _TEXT.findall(svg) if len(t) > 3 and t in name]
    assert len(lines) > 1 and " ".join(lines) == name


# -- light at any size -----------------------------------------------------------------------------


def test_scatter_draws_at_most_the_cap_and_the_caption_says_so():
    rng = np.random.default_rng(0)
    x = rng.normal(size=50_000)
    y = x * 0.2 + rng.normal(0, 0.1, 50_000)
    chart = ChartBook().scatter(x.tolist(), y.tolist(), title="t", desc="d", reading="r.", xlabel="x", ylabel="y")
    assert len(chart.values) <= MAX_POINTS
    assert str(chart.svg).count("<circle ") == len(chart.values) <= MAX_POINTS
    assert f"{len(chart.values):,} of 50,000 points" in chart.reading


@settings(max_examples=25, deadline=None)
@given(st.integers(1001, 6000), st.integers(0, 10_000))
def test_the_sample_keeps_both_signs_and_both_tails(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.02, -1.0, 1.0)
    kept = sample_points(x, y, random_state=seed)
    assert len(kept) <= MAX_POINTS and len(np.unique(kept)) == len(kept)
    assert (y[kept] < 0).any() and (y[kept] > 0).any()
    assert x[kept].min() <= np.quantile(x, 0.1) and x[kept].max() >= np.quantile(x, 0.9)


def test_report_stays_under_3_mb_at_50000_explained_rows():
    n = 50_000
    record = local_record()
    rng = np.random.default_rng(1)
    values = rng.normal(0, 0.2, (n, 4))
    shap = record["explanations"]["shap"]
    shap["local"] = {"rows": list(range(n)), "values": values.tolist(), "base_values": [0.1] * n,
                     "output": (0.1 + values.sum(axis=1)).tolist(), "data": rng.integers(0, 5, (n, 4)).tolist(),
                     "examples": [{"index": 7, "row": 7, "reason": "declined", "reason_chosen": "declined"}]}
    shap["dependence"] = {f: {"x": rng.normal(size=n).tolist(), "shap": values[:, j].tolist()}
                          for j, f in enumerate(record["data"]["features"][:3])}
    html = render_html(record)
    assert len(html.encode("utf-8")) < 3_000_000
    assert html.count("of 50,000 points") == 3


def test_regression_group_chart_shows_observed_beside_predicted():
    from types import SimpleNamespace

    from xai_audit.fairness.table import GroupTable
    from xai_audit.render.sections.fairness_tables import observed_beside_predicted

    groups = {"f": {"mean_prediction": 12.0, "mean_residual": 2.5}, "m": {"mean_prediction": 9.0, "mean_residual": -1.0}}
    ctx = SimpleNamespace(charts=ChartBook())
    rows = GroupTable.from_dict("sex", {"groups": groups}).rows
    chart = observed_beside_predicted(ctx, "sex", rows, {"f": "female", "m": "male"}, "Reading.")
    assert chart.values == (9.5, 10.0, 12.0, 9.0)  # observed = prediction - residual, then predicted
    assert "observed mean" in str(chart.svg) and "mean prediction" in str(chart.svg)
    assert re.search(r'id="fig1-legend"', str(chart.svg))


def test_saliency_maps_each_have_their_own_scale():
    from xai_audit.render.chart_images import map_limits

    strong, weak = np.array([[10.0, -2.0]]), np.array([[0.01, 0.002]])
    assert map_limits(weak, signed=True) == (-0.01, 0.01) and map_limits(strong, signed=False) == (0.0, 10.0)
    svg = str(ChartBook().gallery(None, [strong, weak], ["a", "b"], title="t", desc="d", reading="r", signed=False).svg)
    assert svg.count("data:image/png;base64,") >= 4  # two maps and two colour bars
