"""Golden-file tests: each section of the report, rendered from a fixed record, against its golden file.

Figures are drawn as placeholders (``charts=False``) that keep their numbers and text alternatives,
so the goldens do not depend on matplotlib's exact output; ``test_charts.py`` covers the drawing.
"""

import pytest
from render_helpers import assert_matches_golden, load_record

from xai_audit.render.html import REPORT_ORDER, render_section
from xai_audit.render.markdown import render_markdown

CASES = [("full", section) for section in REPORT_ORDER]
CASES += [("minimal", section) for section in ("summary", "identification", "model-card", "data", "performance",
                                              "fairness", "explanations", "reasons", "findings")]
CASES += [("image", "explanations")]
CASES += [(record, section) for record in ("multiclass", "regression")
          for section in ("summary", "identification", "data", "performance", "fairness", "explanations")]


@pytest.mark.parametrize(("record", "section"), CASES, ids=[f"{r}-{s}" for r, s in CASES])
def test_section_matches_golden(record, section):
    html = render_section(load_record(record), section, charts=False)
    assert_matches_golden(html, f"{record}/{section}.html")


@pytest.mark.parametrize("record", ["full", "minimal"])
def test_markdown_matches_golden(record):
    assert_matches_golden(render_markdown(load_record(record)), f"{record}/summary.md")
