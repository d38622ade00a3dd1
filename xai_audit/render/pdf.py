"""The compliance report as PDF, through WeasyPrint (the ``pdf`` extra), from the same HTML.

The HTML already carries the print stylesheet (A4 pages, page numbers, page breaks between long
sections, table headers repeated on each page), so the PDF is the printed report.
"""

from __future__ import annotations

from xai_audit._optional import require
from xai_audit.render.html import render_html


def _refuse_fetch(url, *args, **kwargs):
    # The report is self-contained: nothing may be fetched while printing it, not even a file.
    raise ValueError(f"The report refers to {url!r}; a report must not load anything.")


def render_pdf(result) -> bytes:
    """The report as PDF bytes.

    Parameters
    ----------
    result : AuditResult or dict
        A result, or its JSON record.

    Raises
    ------
    MissingDependencyError
        When WeasyPrint is not installed (``pip install 'xai-audit[pdf]'``).

    Examples
    --------
    >>> record = {"status": "pass", "findings": [], "model": {"name": "m", "task": "binary"},
    ...           "data": {"n_rows": 10, "features": ["x"]}, "performance": {}, "manifest": {}}
    >>> render_pdf(record)[:5]  # doctest: +SKIP
    b'%PDF-'
    """
    weasyprint = require("weasyprint", extra="pdf", purpose="Writing the report as PDF")
    html = render_html(result)
    return weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
