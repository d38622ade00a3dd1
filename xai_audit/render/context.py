"""What the templates receive: the audit record turned into section views of formatted text.

``build_context(result)`` reads the record (never the live objects), so a report can be rendered
from a saved JSON record as well as from a fresh result. Each section view is a dict with ``id``,
``title``, ``clauses`` (the clauses it serves), ``computed`` and, when not computed, ``missing``
(why), plus its own tables, figures and sentences. Sections are built in report order so that
tables and figures are numbered as they appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xai_audit.render import clauses as clause_registry
from xai_audit.render.charts import ChartBook
from xai_audit.render.names import plain_message, value_name
from xai_audit.render.tables import TableBook
from xai_audit.render.text import STATUS_SYMBOLS, num, quoted, plain, status_label

SECTION_TITLES = {
    "summary": "Executive summary",
    "identification": "Identification",
    "model-card": "Intended use, decision role, human oversight and limitations",
    "data": "Data",
    "performance": "Performance",
    "fairness": "Fairness across groups",
    "explanations": "Explanations and their quality",
    "glass-box": "The model itself",
    "reasons": "Adverse-action reasons",
    "recourse": "Recourse for declined cases",
    "challenger": "Glass-box challenger",
    "findings": "All findings",
    "appendix": "Reproducibility appendix",
    "signoff": "Review and sign-off",
    "glossary": "Glossary",
    "index": "Index of rules and clauses",
}
FINDING_SECTIONS = (("performance", "performance"), ("data", "data"), ("fairness", "fairness"),
                    ("explanation", "explanations"), ("quality", "explanations"), ("reason", "reasons"), ("recourse", "recourse"),
                    ("challenger", "challenger"))


@dataclass
class Context:
    """The record being rendered and the numbering shared by every section."""

    record: dict
    charts: ChartBook
    tables: TableBook = field(default_factory=TableBook)
    findings: list = field(default_factory=list)

    def part(self, name, default=None):
        value = self.record.get(name)
        return value if value not in (None, {}, []) else ({} if default is None else default)

    @property
    def task(self) -> str:
        return self.part("model").get("task") or self.part("data").get("task") or ""

    @property
    def outcome(self) -> str:
        """How sentences name the favourable outcome."""
        label = self.part("data").get("positive_label", self.part("model").get("positive_class"))
        if label is None:
            return "the favourable outcome"
        return f"the favourable outcome {quoted(value_name(self.record, self.part('data').get('target'), label))}"

    @property
    def min_group_size(self) -> int:
        policy = self.part("manifest").get("config", {}).get("policy") or {}
        return int((policy.get("settings") or {}).get("fairness", {}).get("min_group_size", 30))

    def findings_for(self, section_id: str) -> list:
        return [f for f in self.findings if f["section"] == section_id]


def section(section_id: str, **content) -> dict:
    """A section view with its title and the clauses it serves."""
    view = {"id": section_id, "title": SECTION_TITLES[section_id], "computed": True, "missing": "",
            "clauses": [clause_registry.BY_KEY[k] for k in clause_registry.SECTION_CLAUSES.get(section_id, ())]}
    view.update(content)
    return view


def not_computed(section_id: str, why: str, **content) -> dict:
    """A section whose data is absent from the record: it still renders, and says why."""
    return section(section_id, computed=False, missing=why, **content)


def finding_views(findings, record: dict | None = None) -> list:
    """Views of every finding, their anchors made unique even when ids collide once sanitised; the
    messages name columns and groups by the plain names of ``record``'s labels file."""
    views, seen = [], set()
    for finding in findings or []:
        if not isinstance(finding, dict):
            continue
        view = finding_view(finding, record)
        anchor, k = view["anchor"], 1
        while view["anchor"] in seen:
            k += 1
            view["anchor"] = f"{anchor}-{k}"
        seen.add(view["anchor"])
        views.append(view)
    return views


def finding_view(finding: dict, record: dict | None = None) -> dict:
    """One finding as the report shows it, with the section it belongs to and the clauses it cites."""
    status = finding.get("status", "info")
    references = [str(r) for r in finding.get("references") or []]
    keys = list(dict.fromkeys(k for r in references for k in clause_registry.match_reference(r)))
    return {
        "id": str(finding.get("id", "")),
        "anchor": "f-" + "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_"
                                 for ch in str(finding.get("id", "")))[:80],
        "check": str(finding.get("check", "")),
        "status": status if status in STATUS_SYMBOLS else "info",
        "status_label": status_label(status),
        "symbol": STATUS_SYMBOLS.get(status, "i"),
        "message": plain(plain_message(record or {}, finding)),
        "observed": _shown(finding.get("observed")),
        "threshold": _shown(finding.get("threshold")),
        "references": references,
        "clauses": [clause_registry.BY_KEY[k] for k in keys],
        "section": _section_of(finding),
    }


def _shown(value) -> str:
    from xai_audit.render.tables import show

    return show(value) if not isinstance(value, float) else num(value)


def _section_of(finding: dict) -> str:
    name = f"{finding.get('id', '')} {finding.get('check', '')}".lower()
    for needle, section_id in FINDING_SECTIONS:
        if name.startswith(needle) or f" {needle}" in name:
            return section_id
    return "summary"
