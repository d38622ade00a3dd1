"""Policy checks over the explanation section: each rule's metric, judged per method or pair.

Two checks, listed by name in :data:`xai_audit.checks.CHECKS`:

- ``explanation_quality``: reads ``rule.metric`` (``additivity_error``, ``completeness_error``,
  ``faithfulness``, ``stability``) from each method's ``"quality"`` dict; one finding per method that
  reports it (a method that does not — LIME has no additivity — yields none).
- ``explanation_agreement``: reads ``rule.metric`` (``spearman``, ``top_k_overlap``) from every pair
  in ``explanations["agreement"]["pairs"]``; one finding per pair of methods.
"""

from __future__ import annotations

from xai_audit.checks.common import make_finding
from xai_audit.policy import Finding, Rule

SUBJECTS = {
    "additivity_error": "{method}: largest gap between the attributions' sum plus base value and the model output "
                        "(relative to the output where it exceeds 1)",
    "completeness_error": "{method}: largest convergence delta (attributions' sum versus the output change they explain)",
    "faithfulness": "{method}: deletion-curve faithfulness (how much faster the output moves when the most-attributed "
                    "features are replaced than in random order; 0 is no better than random)",
    "stability": "{method}: stability (median rank correlation of each row's attributions when explained again "
                 "with another seed or background sample)",
}
PAIR_SUBJECTS = {
    "spearman": "Agreement of {first} and {second} on which features matter (Spearman rank correlation of global importances)",
    "top_k_overlap": "Agreement of {first} and {second} on the top {k} features (share in common)",
}


def check_explanation_quality(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    findings = []
    for method, entry in _methods(sections):
        value = entry.get("quality", {}).get(rule.metric)
        if value is None:
            continue
        subject = (rule.title + f" ({method})") if rule.title else SUBJECTS.get(rule.metric, "{method}: " + rule.metric).format(method=method)
        findings.append(make_finding(rule, f"{rule.id}.{method}", value, subject))
    return findings


def check_explanation_agreement(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    findings = []
    pairs = sections.get("explanations", {}).get("agreement", {}).get("pairs", [])
    for pair in pairs:
        value = pair.get(rule.metric)
        if value is None:
            continue
        first, second = pair["methods"]
        template = PAIR_SUBJECTS.get(rule.metric, "{first} versus {second}: " + rule.metric)
        subject = template.format(first=first, second=second, k=pair.get("k"))
        findings.append(make_finding(rule, f"{rule.id}.{first}-{second}", value, subject))
    return findings


def _methods(sections: dict):
    for method, entry in sections.get("explanations", {}).items():
        if isinstance(entry, dict) and "quality" in entry:
            yield method, entry
