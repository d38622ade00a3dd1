"""The audit record from summaries: performance and fairness computed from merged counts, the sections
that need rows taken from an audit of a sample of rows when there is one, and stated as not available
from summaries when there is none (a federated audit). Findings and verdicts come from the policy's
checks, as for any audit.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from xai_audit.checks import evaluate, overall_status
from xai_audit.manifest import build_manifest
from xai_audit.model_card import check_model_card
from xai_audit.policy import load_policy
from xai_audit.result import AuditResult
from xai_audit.summaries import Summary, computed_from, fairness_from_summary, performance_from_summary
from xai_audit.summaries.scores import SCORE_BINS

ROW_SECTIONS = ("explanations", "reasons", "recourse", "challenger", "fairness proxy scan",
                "fairness disparity attribution", "calibration curve", "decision curves",
                "Local Law 144 scoring rates", "intervals of score metrics")


def audit_from_summary(summary: Summary, *, policy="default", random_state=None, n_resamples: int | None = None,
                       model_card: dict | None = None, sample_result: AuditResult | None = None,
                       how: dict | None = None) -> AuditResult:
    """The audit record of ``summary``.

    Parameters
    ----------
    summary : Summary
        Merged summaries of every row (of every site).
    policy, random_state, n_resamples, model_card
        As for :class:`xai_audit.Audit`.
    sample_result : AuditResult, optional
        The audit of a stratified sample of the same rows: its explanations, reasons, recourse,
        challenger and the proxy scan and disparity attribution of its fairness tables are kept,
        labelled as computed on the sample. None: those sections are stated as not available.
    how : dict, optional
        How the summaries were computed (partitions, backend, sample), recorded in the data section.

    Examples
    --------
    >>> import pandas as pd
    >>> from xai_audit.summaries import summarize
    >>> groups = pd.DataFrame({"g": ["a", "b"] * 50})
    >>> result = audit_from_summary(summarize([1, 0, 0, 1] * 25, [1, 0, 1, 1] * 25, groups), n_resamples=50)
    >>> result.data["n_rows"], result.fairness["g"]["groups"]["a"]["selection_rate"]
    (100, 1.0)
    """
    policy = load_policy(policy)
    model_card = check_model_card(model_card or {})
    resamples = n_resamples or policy.setting("fairness", "n_resamples", 1000)
    confidence = policy.setting("audit", "confidence", 0.95)
    if summary.intersections and not policy.setting("fairness", "intersections", True):
        summary = replace(summary, intersections=False,
                          tables={name: table for name, table in summary.tables.items() if "*" not in name})
    sections = {"model": _model_section(summary), "data": _data_section(summary, sample_result, how),
                "performance": performance_from_summary(summary, n_resamples=resamples, confidence=confidence,
                                                        random_state=random_state)}
    if summary.task == "binary" and summary.sensitive:
        sections["fairness"] = fairness_from_summary(
            summary, reference_groups=policy.setting("fairness", "reference_groups") or None, n_resamples=resamples,
            confidence=confidence, min_group_size=policy.setting("fairness", "min_group_size", 30),
            random_state=random_state)
    if sample_result is not None:
        _take_row_sections(sections, sample_result)
    findings = evaluate(policy, sections)
    config = {"policy": policy.to_dict(), "n_resamples": n_resamples, "computed_from": computed_from(summary),
              "sample_audit": sample_result is not None}
    return AuditResult(
        status=overall_status(findings), findings=tuple(findings), model=sections["model"], data=sections["data"],
        performance=sections["performance"], explanations=sections.get("explanations", {}),
        fairness=sections.get("fairness", {}), reasons=sections.get("reasons", []),
        reasons_summary=sections.get("reasons_summary", {}), recourse=sections.get("recourse", {}),
        challenger=sections.get("challenger", {}), model_card=model_card,
        manifest=build_manifest(random_state=random_state, config=config,
                                model_sha256=sections["model"].get("sha256"), data_sha256=sections["data"]["sha256"]))


def _model_section(summary: Summary) -> dict:
    model = dict(summary.meta.get("model") or {})
    model.setdefault("name", "decisions from summaries (model not named)")
    model.setdefault("framework", "predictions")
    model.setdefault("task", summary.task)
    model.setdefault("sha256", None)
    return model


def _data_section(summary: Summary, sample_result, how) -> dict:
    """The data section: sizes from the summary; columns from the sample's data section when there is one."""
    site_hashes = [str(site.get("data_sha256")) for site in summary.sites]
    digest = hashlib.sha256("\n".join(site_hashes).encode()).hexdigest()
    base = dict(sample_result.data) if sample_result is not None else {
        "source": None, "classes": None, "features": list(summary.meta.get("features") or []), "feature_kinds": {},
        "bins": {}, "labels": {}, "missing_values": {}}
    base.update({
        "n_rows": summary.n_rows, "sha256": digest, "target": summary.meta.get("target"),
        "positive_label": summary.meta.get("positive_label"), "task": summary.task,
        "sensitive": list(summary.sensitive), "predictions": summary.meta.get("predictions"),
        "scores": summary.meta.get("scores"),
        "group_sizes": {name: {label: summary.tables[name][label].n for label in summary.ordered_labels(name)}
                        for name in summary.sensitive},
        "computed_from": computed_from(summary),
        "summary_basis": {"parts": len(summary.sites), "part_kind": "partition" if how else "site",
                          "score_bins": SCORE_BINS if summary.has_scores else None},
        "sites": [{key: site.get(key) for key in ("name", "n_rows", "data_sha256", "withheld_groups")}
                  for site in summary.sites],
        "suppression": {"min_cell": summary.min_cell,
                        "withheld_groups": [g for site in summary.sites for g in site.get("withheld_groups", [])],
                        "note": ("no secondary suppression: a withheld group's counts can be derived from the "
                                 "overall counts minus the other groups'") if summary.min_cell else None},
    })
    if sample_result is not None:
        base["sample"] = {"n_rows": sample_result.data["n_rows"], "how": (how or {}).get("sample"),
                          "used_for": ["explanations", "reasons", "recourse", "challenger", "fairness proxy scan",
                                       "fairness disparity attribution"]}
        base["partitions"] = how
        base.pop("class_counts", None)
    else:
        base["not_available_from_summaries"] = list(ROW_SECTIONS)
    return base


def _take_row_sections(sections: dict, sample_result: AuditResult) -> None:
    """The sample audit's row-based sections, and its proxy scan and disparity attribution per table."""
    n = sample_result.data["n_rows"]
    for name in ("explanations", "reasons", "reasons_summary", "recourse", "challenger"):
        sections[name] = getattr(sample_result, name)
    for name, table in (sections.get("fairness") or {}).items():
        sampled = (sample_result.fairness or {}).get(name) or {}
        for key in ("proxies", "disparity_attribution"):
            if key in sampled:
                table[key] = {**sampled[key], "computed_from": f"a stratified sample of {n:,} rows"}
