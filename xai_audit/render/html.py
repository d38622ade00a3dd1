"""The compliance report as one self-contained HTML file.

HTML is made only by the jinja2 templates in ``reports/templates/`` (shipped as the package
``xai_audit.templates``), with autoescape on; this module turns the audit record into section views
(:mod:`xai_audit.render.context`) and hands them to the templates. The output has no scripts and
no external references, and is byte-identical for identical records.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from xai_audit._json import json_copy
from xai_audit.exceptions import InvalidInputError
from xai_audit.render.charts import ChartBook
from xai_audit.render.context import SECTION_TITLES, Context, finding_views
from xai_audit.render.sections.explain import explanations
from xai_audit.render.sections_reasons import reasons
from xai_audit.render.sections.fairness import fairness
from xai_audit.render.sections.glass_box import glass_box
from xai_audit.render.sections_challenger import challenger
from xai_audit.render.sections_recourse import recourse
from xai_audit.render.sections_metrics import performance
from xai_audit.render.sections_overview import (appendix, clause_index, data_section, findings_section, glossary,
                                                identification, model_card, signoff)
from xai_audit.render.sections_summary import counts_line, summary
from xai_audit.render.template_cache import template_cache
from xai_audit.render.text import plain

TEMPLATES = "xai_audit.templates"
REPORT_ORDER = ("summary", "identification", "model-card", "data", "performance", "fairness", "explanations",
                "glass-box", "reasons", "recourse", "challenger", "findings", "appendix", "signoff", "glossary", "index")
BUILDERS = {
    "identification": identification, "model-card": model_card, "data": data_section,
    "performance": performance, "fairness": fairness, "explanations": explanations, "reasons": reasons, "recourse": recourse,
    "challenger": challenger, "glass-box": glass_box,
    "findings": findings_section, "appendix": appendix, "signoff": signoff, "glossary": glossary,
}


def _load_template(name: str):
    # Read through importlib.resources so it works from a wheel, a zip or an editable install alike.
    path = resources.files(TEMPLATES).joinpath(*name.split("/"))
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8"), None, lambda: True


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment of the report: packaged templates, autoescape on, strict undefined,
    compiled templates kept between processes (:mod:`xai_audit.render.template_cache`).

    Examples
    --------
    >>> environment().autoescape
    True
    """
    options = dict(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)
    env = jinja2.Environment(loader=jinja2.FunctionLoader(_load_template), bytecode_cache=template_cache(options),
                             **options)
    env.globals["counts_line"] = counts_line
    env.filters["breakable"] = breakable
    return env


_LONG_RUN = re.compile(r"\S{21,}")


def breakable(text) -> Markup:
    """Escape ``text`` and let long unbroken runs (ids, hashes, hostile strings) wrap inside table
    cells: ``<wbr>`` after dots, underscores, slashes and hyphens, and every 20 characters.

    Examples
    --------
    >>> str(breakable("performance.accuracy_gap.sex"))
    'performance.<wbr>accuracy_<wbr>gap.<wbr>sex'
    >>> str(breakable("<b> short"))
    '&lt;b&gt; short'
    """
    from xai_audit.render.escape import isolate_bidi

    text = isolate_bidi(text)  # a bidi control would reverse the link text and what follows it
    pieces, last = [], 0
    for match in _LONG_RUN.finditer(text):
        pieces.append(escape(text[last:match.start()]))
        run = match.group(0)
        parts = [run[i:j] for i, j in _cut_points(run)]
        pieces.append(Markup("<wbr>").join(escape(part) for part in parts))
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def _cut_points(run: str):
    """Slices of ``run``: cut after separators, and so that no slice is longer than 20 characters."""
    start, since = 0, 0
    for index, char in enumerate(run):
        since += 1
        if (char in "._/-" or since >= 20) and index + 1 < len(run):
            yield start, index + 1
            start, since = index + 1, 0
    yield start, len(run)


def stylesheet() -> Markup:
    """The report's CSS, inlined into its ``<style>`` element (a packaged, trusted file)."""
    return Markup(resources.files(TEMPLATES).joinpath("report.css").read_text(encoding="utf-8"))


def _record(result) -> dict:
    # Keys sorted as save_json writes them: a fresh result and its reloaded record render the same bytes.
    if isinstance(result, dict):
        return json_copy(result, sort_keys=True, default=str)
    return result.to_dict(sort_keys=True)


def build_context(result, *, charts: bool = True) -> dict:
    """The section views of a report, in report order, with figures and tables numbered.

    Parameters
    ----------
    result : AuditResult or dict
        A result, or its JSON record.
    charts : bool
        False draws no figures (placeholders keep their numbers and text alternatives); used by
        the golden-file tests so that they do not depend on the exact drawing of each chart.

    Examples
    --------
    >>> record = {"status": "pass", "findings": [], "model": {"name": "m", "task": "binary"},
    ...           "data": {"n_rows": 10, "features": ["x"]}, "performance": {}, "manifest": {}}
    >>> [s["id"] for s in build_context(record, charts=False)["sections"]][:3]
    ['summary', 'identification', 'model-card']
    """
    record = _record(result)
    ctx = Context(record=record, charts=ChartBook(enabled=charts))
    ctx.findings = finding_views(record.get("findings"), record)
    views = {}
    for section_id in REPORT_ORDER:
        if section_id in BUILDERS:
            views[section_id] = BUILDERS[section_id](ctx)
    views["summary"] = summary(ctx, views)
    ordered = [views[s] for s in REPORT_ORDER if s in views]
    views["index"] = clause_index(ctx, ordered)
    ordered.append(views["index"])
    for number, view in enumerate(ordered, 1):
        view["number"] = number
    model = record.get("model") or {}
    manifest = record.get("manifest") or {}
    name = plain(model.get("name") or "unnamed model")
    return {
        "title": f"Model audit report: {name}",
        "model_name": name,
        "status": record.get("status") or "pass",
        "created_at": manifest.get("created_at") or "",
        "tool_version": manifest.get("tool_version") or "",
        "sections": ordered,
        "toc": [{"id": v["id"], "title": v["title"], "computed": v["computed"]} for v in ordered],
        "titles": SECTION_TITLES,
    }


def render_html(result, *, charts: bool = True) -> str:
    """The whole report as one self-contained HTML document.

    Parameters
    ----------
    result : AuditResult or dict
        A result, or its JSON record.
    charts : bool
        Draw the figures (default); False gives placeholders.

    Examples
    --------
    >>> record = {"status": "warn", "findings": [], "model": {"name": "m", "task": "binary"},
    ...           "data": {"n_rows": 10, "features": ["x"]}, "performance": {}, "manifest": {}}
    >>> html = render_html(record, charts=False)
    >>> html.startswith("<!DOCTYPE html>"), "<script" in html
    (True, False)
    """
    context = build_context(result, charts=charts)
    return environment().get_template("report.html.j2").render(css=stylesheet(), **context)


def render_section(result, section_id: str, *, charts: bool = False) -> str:
    """One section of the report as an HTML fragment (what the golden-file tests compare).

    Examples
    --------
    >>> record = {"status": "pass", "findings": [], "model": {"name": "m"}, "data": {}, "performance": {},
    ...           "manifest": {}}
    >>> "Not computed in this audit" in render_section(record, "performance")
    True
    """
    context = build_context(result, charts=charts)
    view = next((s for s in context["sections"] if s["id"] == section_id), None)
    if view is None:
        raise InvalidInputError(f"Unknown report section {section_id!r}; sections are {list(REPORT_ORDER)}.")
    template = environment().get_template("partials/_section.html.j2")
    return template.render(s=view, titles=context["titles"])
