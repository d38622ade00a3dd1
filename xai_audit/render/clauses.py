"""The rules the report is mapped to: which clause each section serves, and which clause a finding cites.

The mapping is a reviewer's aid. It says where in the report the evidence a clause asks for can be
found; it does not say the clause is satisfied, and it is not legal advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    """One clause of one rule: its anchor key, where it sits, and what it asks for, in a line."""

    key: str
    regulation: str
    ref: str
    asks: str
    patterns: tuple[str, ...] = ()
    fallback: str | None = None

    @property
    def short(self) -> str:
        return f"{self.regulation} {self.ref}"


def _c(key, regulation, ref, asks, *patterns, fallback=None) -> Clause:
    return Clause(key, regulation, ref, asks, tuple(patterns), fallback)


EU = "EU AI Act"
GDPR = "GDPR"
REGB = "Regulation B"
SR = "Fed SR 11-7"
LL = "NYC Local Law 144"
HKMA = "HKMA AI principles"
FEAT = "MAS FEAT"
NIST = "NIST AI RMF"
UGESP = "UGESP"

CLAUSES: tuple[Clause, ...] = (
    _c("eu-art10", EU, "Art. 10(2)(f)\u2013(g)", "Data sets are examined for possible biases, and the biases are "
       "detected, prevented and mitigated.", r"AI Act.*Art\.? ?10\b"),
    _c("eu-art13", EU, "Art. 13(3)(b)", "Deployers are told the system's purpose, its level of accuracy, its "
       "performance for specific persons or groups, its input data and how to interpret its output.",
       r"AI Act.*Art\.? ?13\b"),
    _c("eu-art14", EU, "Art. 14 / 13(3)(d)", "Human oversight measures are designed in and described.",
       r"AI Act.*Art\.? ?14\b"),
    _c("eu-art15", EU, "Art. 15(1)\u2013(3)", "The system reaches an appropriate level of accuracy, declared "
       "with its metrics, consistently across its life cycle.", r"AI Act.*Art\.? ?15\b"),
    _c("eu-art86", EU, "Art. 86", "A person affected by a decision has the right to a clear and meaningful "
       "explanation of the system's role and of the main elements of the decision.", r"AI Act.*Art\.? ?86\b"),
    _c("eu-annex4", EU, "Annex IV", "Technical documentation: intended purpose and versions (1), data, "
       "validation and testing with metrics incl. discriminatory impacts (2), capabilities and limitations, "
       "accuracy for groups and oversight measures (3).", r"Annex IV"),
    _c("gdpr-22", GDPR, "Art. 22", "No decision based solely on automated processing with legal or similarly "
       "significant effects without safeguards: human intervention, a hearing, a way to contest.",
       r"GDPR.*Art\.? ?22\b"),
    _c("gdpr-15", GDPR, "Art. 15(1)(h)", "A data subject can obtain meaningful information about the logic "
       "involved in automated decision-making and its significance and consequences.",
       r"GDPR.*15\s*\(1\)\s*\(h\)"),
    _c("regb-9", REGB, "12 CFR \u00a71002.9(a)(2), (b)(2)", "An applicant against whom adverse action is taken "
       "receives the specific principal reasons for it (no more than four are normally useful).",
       r"1002\.9", r"Regulation B", r"\bECOA\b"),
    _c("sr117-dev", SR, "\u00a7IV", "Model development: purpose and design, data quality and relevance, "
       "testing, and known limitations are documented.", r"SR ?11-7.*(section|\u00a7) ?IV\b"),
    _c("sr117-val", SR, "\u00a7V", "Validation: conceptual soundness, ongoing monitoring and outcomes analysis "
       "(back-testing, benchmarking), by parties independent of development.",
       r"SR ?11-7.*(section|\u00a7) ?V\b", fallback=r"SR ?11-7"),
    _c("sr117-gov", SR, "\u00a7VI", "Governance: documentation detailed enough for a third party to understand "
       "and recreate the model; roles, approvals and sign-off.", r"SR ?11-7.*(section|\u00a7) ?VI\b"),
    _c("ll144-bias", LL, "6 RCNY \u00a75-301", "Bias audit: selection rates and impact ratios by sex, race/ethnicity "
       "and their intersections, with the number of individuals in each category.",
       r"Local Law 144", r"\bLL ?144\b", r"5-301"),
    _c("ll144-summary", LL, "6 RCNY \u00a75-303", "A summary of the bias audit's results, its date and data source, "
       "is published before use.", r"5-303"),
    _c("ugesp-4d", UGESP, "29 CFR \u00a71607.4(D)", "A selection rate for any group below four-fifths of the highest "
       "group's rate is generally regarded as evidence of adverse impact.", r"UGESP", r"four-fifths", r"1607\.4"),
    _c("hkma-gov", HKMA, "Governance", "The board and senior management remain accountable for AI outcomes; "
       "roles and approvals are documented.", r"HKMA.*governance"),
    _c("hkma-explain", HKMA, "Explainability", "AI applications are explainable to the appropriate level, and "
       "their decisions can be explained to customers.", r"HKMA.*explain"),
    _c("hkma-data", HKMA, "Data quality and fairness", "Data are of good quality and relevant, and models are "
       "tested so that they do not treat customers unfairly or discriminate.", r"HKMA.*(data|fair|bias)"),
    _c("hkma-validation", HKMA, "Model validation and auditability", "Models are validated before use and "
       "re-validated periodically; records allow the model's results to be audited and reproduced.",
       r"HKMA.*(valid|audit|monitor)", fallback=r"HKMA"),
    _c("feat-f1", FEAT, "Fairness 1\u20132", "Individuals or groups are not systematically disadvantaged unless "
       "justified; using personal attributes as inputs is justified.", r"FEAT.*F(airness)? ?[12]\b", fallback=r"FEAT.*fair"),
    _c("feat-f3", FEAT, "Fairness 3\u20134", "Data and models are regularly reviewed and validated for accuracy, "
       "relevance and unintentional bias, and behave as designed.", r"FEAT.*F(airness)? ?[34]\b"),
    _c("feat-a", FEAT, "Accountability 7\u201311", "Use is approved by an appropriate internal authority; data "
       "subjects can enquire about, appeal and request review of decisions.", r"FEAT.*A(ccountability) ?([789]|1[01])?\b"),
    _c("feat-t", FEAT, "Transparency 12\u201314", "Data subjects are given, on request, clear explanations of what "
       "data is used and how it affects the decision, and of its consequences.", r"FEAT.*T(ransparency) ?(1[234])?\b", fallback=r"FEAT"),
    _c("nist-map1.1", NIST, "MAP 1.1", "Intended purposes, context of use and applicable laws and norms are "
       "understood and documented.", r"MAP 1\.1"),
    _c("nist-map2.2", NIST, "MAP 2.2 / 3.5", "The system's knowledge limits, how its output is used and how "
       "humans oversee it are documented.", r"MAP (2\.2|3\.5)"),
    _c("nist-measure2.1", NIST, "MEASURE 2.1", "Test sets, metrics and details of the tools used in testing "
       "and evaluation are documented.", r"MEASURE 2\.1\b"),
    _c("nist-measure2.3", NIST, "MEASURE 2.3 / 2.5", "Performance is measured and demonstrated for conditions "
       "like deployment; validity, reliability and limits of generalisation are documented.",
       r"MEASURE 2\.(3|5)\b"),
    _c("nist-measure2.9", NIST, "MEASURE 2.9", "The model is explained, validated and documented, and its output "
       "is interpreted in context.", r"MEASURE 2\.9\b"),
    _c("nist-measure2.11", NIST, "MEASURE 2.11", "Fairness and bias are evaluated and the results documented.",
       r"MEASURE 2\.11\b"),
    _c("nist-govern", NIST, "GOVERN 2.1 / 4", "Roles, responsibilities and lines of accountability for AI risk "
       "are documented.", r"GOVERN"),
)

BY_KEY = {clause.key: clause for clause in CLAUSES}

SECTION_CLAUSES: dict[str, tuple[str, ...]] = {
    "summary": ("eu-art13", "eu-annex4", "sr117-gov", "hkma-gov", "nist-govern"),
    "identification": ("eu-annex4", "sr117-gov", "hkma-validation", "nist-measure2.1"),
    "model-card": ("eu-art13", "eu-art14", "eu-annex4", "gdpr-22", "sr117-dev", "feat-a", "nist-map1.1",
                   "nist-map2.2"),
    "data": ("eu-art10", "eu-annex4", "sr117-dev", "hkma-data", "feat-f3", "nist-measure2.1"),
    "performance": ("eu-art13", "eu-art15", "eu-annex4", "sr117-val", "hkma-validation", "feat-f3",
                    "nist-measure2.3"),
    "fairness": ("eu-art10", "eu-annex4", "ll144-bias", "ll144-summary", "ugesp-4d", "hkma-data", "feat-f1",
                 "feat-f3", "nist-measure2.11"),
    "explanations": ("eu-art13", "eu-art86", "eu-annex4", "gdpr-15", "sr117-val", "hkma-explain", "feat-t",
                     "nist-measure2.9"),
    "reasons": ("regb-9", "eu-art86", "gdpr-22", "gdpr-15", "hkma-explain", "feat-t", "feat-a"),
    "recourse": ("gdpr-22", "eu-art14", "regb-9"),
    "challenger": ("eu-art13", "sr117-val"),
    "glass-box": ("eu-art13", "sr117-val", "hkma-explain"),
    "findings": ("eu-annex4", "sr117-val", "nist-measure2.1"),
    "appendix": ("eu-annex4", "sr117-gov", "hkma-validation", "nist-measure2.1"),
    "signoff": ("sr117-gov", "hkma-gov", "feat-a", "nist-govern"),
}


def match_reference(reference: str) -> list[str]:
    """The clause keys a free-text policy reference cites.

    Specific patterns ("SR 11-7 ... section V") win; a bare name ("SR 11-7") falls back to that
    rule's most general clause only when no specific clause of the same rule matched.

    Examples
    --------
    >>> match_reference("Fed SR 11-7 (2011), section V: outcomes analysis")
    ['sr117-val']
    >>> match_reference("Fed SR 11-7 (2011), section VI")
    ['sr117-gov']
    >>> match_reference("EU AI Act Art. 15(1) (accuracy across groups)")
    ['eu-art15']
    >>> match_reference("An internal memo")
    []
    """
    def hit(pattern):
        return re.search(pattern, reference, flags=re.IGNORECASE) is not None

    matched = [c.key for c in CLAUSES if any(hit(p) for p in c.patterns)]
    covered = {BY_KEY[k].regulation for k in matched}
    for clause in CLAUSES:
        if clause.fallback and clause.regulation not in covered and hit(clause.fallback):
            matched.append(clause.key)
            covered.add(clause.regulation)
    return matched
