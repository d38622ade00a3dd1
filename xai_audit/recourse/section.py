"""The ``recourse`` section of the audit record, and the plain sentences built from it.

For a seeded sample of the declined cases (the policy's ``[recourse] sample``, 1000 by default) and for
the declined cases the report shows (those given adverse-action reasons), the cheapest change found
that turns the decline into an approval (:mod:`search`; for a logistic model also the exact
minimum over the numeric features, :mod:`linear`, and the cheaper of the two is kept). Every
suggestion is re-scored on the model itself and dropped if the model does not approve it. The
burden of recourse per group (:mod:`burden`) is computed over the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.recourse.burden import burden_by_group
from xai_audit.recourse.constraints import POLICY_ONLY_KEYS, build_constraints, read_recourse_toml
from xai_audit.recourse.cost import fit_costs
from xai_audit.recourse.linear import closed_form_recourse, linear_form
from xai_audit.recourse.scoring import apply_changes, approved_by_model, make_codec
from xai_audit.recourse.search import search_recourse


def recourse_section(adapter, data, policy, *, features=None, random_state=None, decisions=None,
                     shown=None, labels=None, n_resamples=None) -> dict:
    """The recourse section for a binary tabular model with probabilities; ``{}`` for any other model.

    Parameters
    ----------
    adapter : ModelAdapter
    data : AuditDataset
    policy : Policy
        Its ``[recourse]`` table sets the constraints, budget, sample size and ``enabled``; a
        ``constraints = "recourse.toml"`` entry names a file with more constraints
        (:func:`xai_audit.recourse.constraints.read_recourse_toml`).
    features : list of str, optional
        The model's input columns (default: the adapter's).
    random_state : int, optional
    decisions : array-like, optional
        The model's predicted labels for every row, when the caller has them.
    shown : list of int, optional
        Positions of the declined cases to describe one by one (default: the first 20 of the sample).
    labels : dict, optional
        Plain names of columns and category codes for the sentences (``{column: name}`` or
        ``{column: {"name": ..., "values": {code: name}}}``).
    n_resamples : int, optional
        Bootstrap resamples of the per-group intervals (default: the policy's ``[recourse] n_resamples``,
        else its ``[fairness] n_resamples``).

    Returns
    -------
    dict
        ``method``, ``distance``, ``constraints``, ``budget``, ``n_declined``, ``sample``, ``summary``,
        ``cases`` (the shown cases, each with ``changes`` and ``text``) and ``by_group``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model, load_policy
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"income": rng.normal(50, 10, 200), "g": ["a", "b"] * 100})
    >>> df["y"] = (df["income"] + rng.normal(0, 5, 200) > 50).astype(int)
    >>> model = load_model(LogisticRegression().fit(df[["income"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y", sensitive=["g"], features=["income"])
    >>> section = recourse_section(model, data, load_policy("default"), random_state=0)
    >>> section["summary"]["n_cases"] == section["n_declined"], section["summary"]["share_found"]
    (True, 1.0)
    """
    settings = dict(policy.settings.get("recourse", {}))
    if not settings.get("enabled", True) or adapter.task != "binary" or not adapter.has_proba \
            or adapter.input_kind != "tabular":
        return {}
    features = list(features or adapter.feature_names or data.candidate_features())
    labels = _label_dict(labels)
    constraints, costs = constraints_and_costs(data, features, settings)
    frame = data.frame.loc[:, features]
    decisions = adapter.predict(frame) if decisions is None else np.asarray(decisions)
    declined = np.flatnonzero(np.asarray(decisions) != adapter.positive_class)
    if len(declined) == 0:
        return {}
    rng = np.random.default_rng(random_state)
    size = int(settings.get("sample", 1000))
    sample = np.sort(rng.choice(declined, size=min(size, len(declined)), replace=False))
    shown = list(sample[:20]) if shown is None else [int(p) for p in shown if p in set(declined.tolist())]
    positions = np.array(sorted(set(sample.tolist()) | set(shown)), dtype=int)
    cases = frame.iloc[positions].reset_index(drop=True)

    codec = make_codec(adapter, features, constraints.kinds, frame, random_state=random_state)
    found = search_recourse(codec, constraints, costs, cases, frame)
    form = linear_form(adapter, constraints, frame)
    method = "search over observed values, refined to the decision boundary"
    if form is not None:
        exact = closed_form_recourse(form, constraints, costs, cases)
        holds = approved_by_model(adapter, cases, exact)
        found = [b if ok and (a is None or b.cost < a.cost) else a for a, b, ok in zip(found, exact, holds)]
        method += "; for this logistic model also the exact minimum over the numeric features (the cheaper is kept)"
    suggestions, rejected = _rescore(adapter, cases, found)
    by_position = dict(zip(positions.tolist(), suggestions))
    original_scores = adapter.output(cases)
    score_of = dict(zip(positions.tolist(), original_scores.tolist()))

    sample_costs = np.array([np.inf if by_position[p] is None else by_position[p]["cost"] for p in sample.tolist()])
    confidence = policy.setting("audit", "confidence", 0.95)
    reference = policy.setting("fairness", "reference_groups") or _largest_groups(data.groups)
    section = {
        "method": method,
        "scoring": codec.name,
        "distance": costs.to_dict(),
        "constraints": constraints.to_dict(),
        "budget": float(constraints.budget),
        "n_declined": int(len(declined)),
        "sample": {"n": int(len(sample)), "of": int(len(declined)), "random_state": random_state,
                   "basis": "a seeded sample of the declined cases" if len(sample) < len(declined)
                   else "every declined case"},
        "summary": _summary(sample_costs, [by_position[p] for p in sample.tolist()], constraints.budget, rejected),
        "by_group": burden_by_group(
            sample_costs, data.groups.iloc[sample].reset_index(drop=True), budget=constraints.budget,
            reference_groups=reference, confidence=confidence, random_state=random_state,
            n_resamples=int(n_resamples or settings.get("n_resamples", policy.setting("fairness", "n_resamples", 1000)))),
        "cases": [],
    }
    for position in shown:
        case = _case_record(data, frame, position, score_of[position], by_position[position], constraints)
        case["text"] = case_sentence(case, max_features=constraints.max_features, labels=labels)
        section["cases"].append(case)
    return section


def constraints_and_costs(data, features: list, settings: dict):
    """The recourse constraints (policy ``[recourse]`` settings and any ``recourse.toml`` they name) and
    the per-feature costs fitted on ``data``: what every recourse search of an audit uses."""
    file_settings = read_recourse_toml(settings["constraints"]) if settings.get("constraints") else None
    constraints = build_constraints(
        data, features, policy_settings={k: v for k, v in settings.items() if k not in POLICY_ONLY_KEYS},
        file_settings=file_settings)
    numeric = [f for f in constraints.mutable if constraints.kinds[f] == "numeric"]
    return constraints, fit_costs(data.frame, numeric, category_cost=constraints.category_cost)


def case_sentence(case: dict, *, max_features: int = 3, labels=None) -> str:
    """One declined case's recourse in plain words, built from its record.

    Examples
    --------
    >>> case = {"found": True, "changes": [
    ...     {"feature": "duration_months", "from": 42, "to": 24, "kind": "numeric"},
    ...     {"feature": "credit_amount", "from": 7174, "to": 4500.0, "kind": "numeric"}]}
    >>> case_sentence(case, labels={"duration_months": "the loan duration (months)", "credit_amount": "the amount"})
    'Approval would follow if the loan duration (months) were 24 instead of 42 and the amount were 4,500 instead of 7,174.'
    >>> case_sentence({"found": False, "changes": []}, max_features=2)
    'No change of at most 2 of the features that may change, within the values seen in the data, leads to approval.'
    """
    if not case.get("found"):
        return (f"No change of at most {max_features} of the features that may change, within the values seen in "
                "the data, leads to approval.")
    parts = [f"{_name(c['feature'], labels)} were {_value(c['feature'], c['to'], labels)} instead of "
             f"{_value(c['feature'], c['from'], labels)}" for c in case.get("changes", [])]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Approval would follow if {joined}."


# -- helpers --------------------------------------------------------------------------------------


def _rescore(adapter, cases: pd.DataFrame, found: list) -> tuple[list, int]:
    """Apply each suggestion to its case, ask the model, and keep only those it approves."""
    approved = approved_by_model(adapter, cases, found)
    scores = adapter.output(apply_changes(cases, found)) if len(cases) else np.zeros(0)
    kept = [{"changes": s.changes, "cost": float(s.cost), "new_score": float(scores[k])} if approved[k] else None
            for k, s in enumerate(found)]
    rejected = int(sum(1 for k, s in enumerate(found) if s is not None and not approved[k]))
    return kept, rejected


def _case_record(data, frame, position, score, suggestion, constraints) -> dict:
    record = {"row": _plain(frame.index[position]), "position": int(position), "score": float(score),
              "found": suggestion is not None}
    if suggestion is None:
        record.update({"cost": None, "new_score": None, "n_changed": 0, "within_budget": False, "changes": []})
        return record
    record.update({
        "cost": suggestion["cost"], "new_score": suggestion["new_score"], "n_changed": len(suggestion["changes"]),
        "within_budget": bool(suggestion["cost"] <= constraints.budget),
        "changes": [{"feature": f, "from": _plain(old), "to": _plain(new), "kind": constraints.kinds[f]}
                    for f, old, new in suggestion["changes"]],
    })
    return record


def _summary(costs: np.ndarray, suggestions: list, budget: float, rejected: int) -> dict:
    found = np.isfinite(costs)
    counts = [len(s["changes"]) for s in suggestions if s is not None]
    return {
        "n_cases": int(len(costs)),
        "n_found": int(found.sum()),
        "share_found": float(found.mean()) if len(costs) else None,
        "share_within_budget": float((costs <= budget).mean()) if len(costs) else None,
        "median_cost": float(np.median(costs[found])) if found.any() else None,
        "changed_features": {str(k): int(counts.count(k)) for k in sorted(set(counts))},
        "rejected_on_rescore": int(rejected),
    }


def _largest_groups(groups: pd.DataFrame) -> dict:
    """Each attribute's largest group over all rows (ties: the first label in sorted order), as the fairness tables choose."""
    out = {}
    for name in groups.columns:
        sizes = groups[name].astype(str).value_counts()
        if len(sizes):
            out[name] = sorted(sizes.index, key=lambda g: (-sizes[g], g))[0]
    return out


def _label_dict(labels) -> dict | None:
    """Labels as a plain dict: a dict as is, an object with ``to_dict()`` (a labels table) through it."""
    if labels is None or isinstance(labels, dict):
        return labels
    to_dict = getattr(labels, "to_dict", None)
    return to_dict() if callable(to_dict) else None


def _name(feature, labels) -> str:
    entry = (labels or {}).get(feature)
    if isinstance(entry, dict):
        return str(entry.get("name", feature))
    return str(entry) if entry else str(feature)


def _value(feature, value, labels) -> str:
    entry = (labels or {}).get(feature)
    if isinstance(entry, dict) and value in (entry.get("values") or {}):
        return str(entry["values"][value])
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return format(float(value), ",.6g") if float(value) != int(value) else f"{int(value):,}"
    return str(value)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
