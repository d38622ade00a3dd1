"""The check ``prohibited_reliance``: do the model's declines lean on a prohibited basis?

A prohibited basis (a sensitive attribute, or a feature the policy's ``[reasons]`` table declares
``prohibited``, such as marital status under ECOA) is never given as an adverse-action reason
(:mod:`xai_audit.reasons`). Leaving it out of the reasons does not stop the model from using it,
so this check measures how much the model relies on it, two ways where both are available:

- the reasons' own measure: of the approval score the explained declined cases lost to factors
  that differ from approved applicants' typical values (re-scored on the model), the share lost to
  prohibited features;
- the attributions: the share of the mean |attribution| of the first global explanation (SHAP
  first) carried by prohibited features.

The observed value is the larger of the two (the finding names both). The rule's
``options.max_status`` caps the verdict: ``"warn"`` in the default policy (a reviewer decides),
``"fail"`` in the credit policy.
"""

from __future__ import annotations

from xai_audit.policy import Finding, Rule

METHOD_ORDER = ("shap", "permutation", "lime")


def check_prohibited_reliance(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """One finding: the share of the decisions carried by prohibited features, against the rule's line."""
    summary = sections.get("reasons_summary") or {}
    reliance = summary.get("prohibited_reliance")
    if not reliance:
        return []
    prohibited = summary.get("prohibited") or []
    inputs = reliance.get("inputs") or []
    method, attribution_share = attribution_share_of(sections.get("explanations") or {}, inputs)
    impact_share = float(reliance.get("impact_share") or 0.0)
    observed = max(impact_share, attribution_share or 0.0)
    status = rule.verdict(observed)
    cap = str(rule.options.get("max_status", "fail"))
    if status == "fail" and cap == "warn":
        status = "warn"
    message = _message(rule, prohibited, inputs, reliance, impact_share, method, attribution_share, observed, status)
    return [Finding(id=rule.id, check=rule.check, status=status, observed=observed, threshold=rule.threshold,
                    message=message, references=rule.references)]


def attribution_share_of(explanations: dict, features) -> tuple:
    """(method, share): the share of a method's global importance (mean |attribution|) carried by
    ``features``; SHAP first, then permutation, then LIME; (None, None) without any."""
    for method in METHOD_ORDER:
        importance = (explanations.get(method) or {}).get("global_importance") if isinstance(explanations, dict) else None
        if not importance:
            continue
        total = sum(abs(float(v)) for v in importance.values() if v is not None)
        if total <= 0:
            continue
        carried = sum(abs(float(importance[f])) for f in features if importance.get(f) is not None)
        return method, carried / total
    return None, None


def _message(rule, prohibited, inputs, reliance, impact_share, method, attribution_share, observed, status) -> str:
    listed = ", ".join(f"'{f}'" for f in prohibited) or "none declared"
    line = f"the line of at most {rule.threshold:.1%}"
    if not inputs:
        return (f"Prohibited bases ({listed}): none is an input of the model, so no decision rests on one directly "
                f"(proxies are checked separately); share 0.0%; meets {line}.")
    carried = ", ".join(f"'{f}' {share:.1%}" for f, share in sorted((reliance.get("by_feature") or {}).items()))
    n_cases = reliance.get("n_cases", 0)
    parts = [f"Prohibited bases ({listed}): the model takes {', '.join(repr(f) for f in inputs)} as input. "
             f"Of the approval score the {n_cases} explained declined cases lost to factors unlike approved "
             f"applicants' (re-scored on the model), prohibited features carry {impact_share:.1%} ({carried}); "
             f"one would have been among the principal reasons in {reliance.get('cases_with_prohibited_reason', 0)} "
             f"of {n_cases} cases had it not been excluded"]
    if method is not None:
        parts.append(f"they carry {attribution_share:.1%} of the mean |attribution| ({method})")
    verdict = {"pass": f"meets {line}", "warn": f"beyond {line}, which calls for review",
               "fail": f"does not meet {line}"}[status]
    if status == "warn" and observed <= rule.threshold + 1e-12:
        verdict = f"meets {line} but not the warning line"
    return "; ".join(parts) + f". Share {observed:.1%}: {verdict}."
