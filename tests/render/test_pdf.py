"""The PDF report through WeasyPrint (the pdf extra)."""

import sys

import pytest
from render_helpers import load_record

import xai_audit.render.pdf as pdf
from xai_audit.exceptions import MissingDependencyError


@pytest.mark.slow
def test_pdf_is_written():
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed: pip install 'xai-audit[pdf]'")
    data = pdf.render_pdf(load_record("minimal"))
    assert data.startswith(b"%PDF-") and len(data) > 5000


def test_a_missing_weasyprint_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes the import fail as if not installed
    with pytest.raises(MissingDependencyError, match=r"xai-audit\[pdf\]"):
        pdf.render_pdf(load_record("minimal"))


def test_printing_never_fetches_anything():
    with pytest.raises(ValueError, match="must not load anything"):
        pdf._refuse_fetch("https://example.com/font.woff")
