"""Adverse-action reasons: why a declined applicant was declined, in words a lender could send.

Regulation B (12 CFR 1002.9(b)(2)) asks for the specific principal reasons of a decline; the CFPB
(Circulars 2022-03 and 2023-03) holds that this applies to complex models too. Here a reason is a
factor that actually lowered this applicant's approval score against a stated comparison:

- the comparison is the typical value of the applicants the model approves: the median for a
  numeric factor (an observed value, the lower middle one), the most common value for a category;
- the impact of a factor is the rise in the approval score when that factor alone is set to the
  comparison and the model scores the case again (the approval probability, re-scored on the
  model; other factors stay as they are, so the impacts of two factors need not add up);
- a factor whose value equals the comparison is never a reason, nor one whose impact is below
  :data:`MIN_IMPACT`; at most :data:`MAX_REASONS` are given, the largest impact first;
- a prohibited basis (every sensitive attribute, and every feature the policy's ``[reasons]``
  table declares ``prohibited``) is never given as a reason. How much the declines lean on such a
  feature is measured all the same (:func:`prohibited_reliance`) and judged by the check
  ``prohibited_reliance`` (:mod:`xai_audit.checks.reasons`).

Plain names come from the dataset's labels, normalised as ``{column: {"name": str, "values":
{code: str}}}``; without labels the column name and the raw value are shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_REASONS = 4
MIN_IMPACT = 0.005
SPACE = "approval probability, re-scored on the model"
METHOD = ("each factor of a declined case is in turn set to the comparison value and the model scores the case "
          "again; the rise in the approval probability is that factor's score impact")
COMPARISON = ("the typical values of the applicants the model approves in the audited data: the median for a "
              "numeric factor, the most common value for a category")


def adverse_action_reasons(adapter, data, features, *, labels=None, prohibited=(), n_cases=20, random_state=None,
                           scores=None, decisions=None) -> dict:
    """Principal reasons for a seeded sample of declined cases, and the facts the section states.

    Parameters
    ----------
    adapter : ModelAdapter
        A binary tabular model with probabilities.
    data : AuditDataset
    features : list of str
        The model's input columns.
    labels : dict, optional
        Plain names, ``{column: {"name": str, "values": {code: str}}}``; default: ``data.labels``
        when the dataset has them (a mapping, or an object with ``to_dict()``).
    prohibited : sequence of str
        Features never given as reasons, beside the data's sensitive attributes (which always are).
    n_cases : int
        How many declined cases to explain (a seeded sample when more are declined).
    random_state : int, optional
    scores, decisions : array-like, optional
        The model's approval probabilities and predicted labels for every row, when the caller has
        them already (the audit does).

    Returns
    -------
    dict
        ``{"cases": [...], "summary": {...}}``; both empty where reasons do not apply (not a binary
        tabular model with probabilities, or no declined or no approved case). Each case has ``row``,
        ``position``, ``score`` and ``reasons``: up to four dicts with ``feature``, ``name``,
        ``value``, ``value_label``, ``comparison``, ``comparison_label``, ``comparison_kind``,
        ``direction``, ``score_impact``, ``space`` and ``text``, largest impact first.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"income": [10.0, 20, 30, 40, 50, 60], "y": [0, 0, 0, 1, 1, 1]})
    >>> model = load_model(LogisticRegression().fit(df[["income"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y")
    >>> found = adverse_action_reasons(model, data, ["income"], random_state=0)
    >>> found["cases"][0]["reasons"][0]["text"]
    'income: 10, lower than the 50 typical of approved applicants (their median).'
    """
    empty = {"cases": [], "summary": {}}
    if adapter.task != "binary" or not adapter.has_proba or adapter.input_kind != "tabular":
        return empty
    X = data.frame.loc[:, list(features)]
    score = adapter.output(X) if scores is None else np.asarray(scores, dtype=float)
    predicted = adapter.predict(X) if decisions is None else np.asarray(decisions)
    is_approved = np.asarray(predicted == adapter.positive_class)
    approved, declined = np.flatnonzero(is_approved), np.flatnonzero(~is_approved)
    if len(approved) == 0 or len(declined) == 0:
        return empty
    labels = normalize_labels(labels if labels is not None else getattr(data, "labels", None))
    kinds = {c: _kind(X[c], data.feature_kinds.get(c)) for c in X.columns}
    comparison = {c: typical_value(X.iloc[approved][c], kinds[c]) for c in X.columns}
    blocked_names = prohibited_features(data.sensitive, prohibited)
    blocked = np.array([c in blocked_names for c in X.columns])

    rng = np.random.default_rng(random_state)
    cases = np.sort(rng.choice(declined, size=min(n_cases, len(declined)), replace=False))
    impacts = score_impacts(adapter, X, cases, comparison, score)
    rows = [X.iloc[position] for position in cases]  # each case's row taken out once
    same = np.array([[_same(row[c], comparison[c]) for c in X.columns] for row in rows], dtype=bool)
    entries = []
    for k, (position, row) in enumerate(zip(cases, rows)):
        chosen = select_reasons(impacts[k], same[k], blocked)
        entries.append({
            "row": _plain(X.index[position]), "position": int(position), "score": float(score[position]),
            "baseline": COMPARISON,
            "reasons": [_reason(X.columns[j], row[X.columns[j]], comparison[X.columns[j]],
                                kinds[X.columns[j]], float(impacts[k, j]), labels) for j in chosen],
        })
    summary = {
        "method": METHOD, "space": SPACE, "comparison": COMPARISON,
        "comparison_values": {str(c): {"value": comparison[c], "label": _value_label(c, comparison[c], labels),
                                       "kind": _comparison_kind(kinds[c])} for c in X.columns},
        "n_rows": int(len(X)), "n_declined": int(len(declined)), "n_approved": int(len(approved)),
        "cutoff": decision_cutoff(score, is_approved),
        "selection": {"n_cases": int(len(cases)), "random_state": random_state,
                      "how": _selection_text(len(cases), len(declined), random_state)},
        "max_reasons": MAX_REASONS, "min_impact": MIN_IMPACT,
        "prohibited": sorted(blocked_names),
        "prohibited_declared": sorted(str(f) for f in prohibited),
        "sensitive": sorted(str(s) for s in data.sensitive),
        "names": {str(c): plain_name(c, labels) for c in X.columns},
        "prohibited_reliance": prohibited_reliance(impacts, same, blocked, list(X.columns)),
    }
    return {"cases": entries, "summary": summary}


def prohibited_features(sensitive, declared) -> set:
    """Every sensitive attribute and every feature a policy declares prohibited, as strings."""
    return {str(f) for f in (sensitive or ())} | {str(f) for f in (declared or ())}


def select_reasons(impacts, same, blocked, *, max_reasons=MAX_REASONS, min_impact=MIN_IMPACT) -> list:
    """Positions of the principal reasons: factors not equal to the comparison, not prohibited, whose
    impact is at least ``min_impact``; the largest impact first (ties by position); at most ``max_reasons``.

    Examples
    --------
    >>> select_reasons([0.2, 0.3, 0.1, 0.4], [False, False, False, True], [False, True, False, False])
    [0, 2]
    """
    candidates = [j for j in range(len(impacts))
                  if not same[j] and not blocked[j] and impacts[j] >= min_impact]
    return sorted(candidates, key=lambda j: (-impacts[j], j))[:max_reasons]


def score_impacts(adapter, X, cases, comparison, score) -> np.ndarray:
    """(n_cases, n_features): the approval score of each case with one factor set to its comparison
    value, minus the case's own score. All variants are scored in one batched call."""
    n_cases, n_features = len(cases), X.shape[1]
    variants = X.iloc[np.repeat(cases, n_features)].reset_index(drop=True)
    for j, column in enumerate(X.columns):
        rows = np.arange(n_cases) * n_features + j
        variants.iloc[rows, j] = comparison[column]
    rescored = adapter.output(variants).reshape(n_cases, n_features)
    return rescored - np.asarray(score)[cases][:, None]


def prohibited_reliance(impacts, same, blocked, columns) -> dict:
    """How much the sampled declines lean on prohibited features.

    ``impact_share``: of the score the explained cases lost to factors that differ from the comparison
    (the sum of positive impacts), the share lost to prohibited features. ``cases_with_prohibited_reason``:
    in how many cases a prohibited feature would have been among the principal reasons had it not been
    excluded. ``by_feature``: each prohibited input's share.
    """
    gains = np.where(~np.asarray(same, dtype=bool), np.clip(impacts, 0.0, None), 0.0)
    total = float(gains.sum())
    inputs = [c for c, b in zip(columns, blocked) if b]
    by_feature = {str(c): (float(gains[:, j].sum()) / total if total > 0 else 0.0)
                  for j, c in enumerate(columns) if blocked[j]}
    unfiltered = [select_reasons(impacts[k], same[k], np.zeros(len(columns), dtype=bool)) for k in range(len(impacts))]
    would = sum(any(blocked[j] for j in chosen) for chosen in unfiltered)
    return {"inputs": [str(c) for c in inputs], "impact_share": float(sum(by_feature.values())),
            "by_feature": by_feature, "cases_with_prohibited_reason": int(would), "n_cases": int(len(impacts))}


def decision_cutoff(scores, approved) -> dict:
    """The approval score at which the model's decisions change, as far as the decisions show it.

    Returns ``{"value", "rule", "consistent"}``: 0.5 with the rule "above" or "at or above" when the
    decisions are exactly that cut-off on the approval probability; otherwise ``value`` None and a
    rule stating the range of scores between the highest declined and the lowest approved case, or
    that the decisions are no single cut-off on the score.

    Examples
    --------
    >>> decision_cutoff(np.array([0.2, 0.6, 0.5]), np.array([False, True, False]))["rule"]
    'approved when the approval score is above 0.5'
    """
    scores, approved = np.asarray(scores, dtype=float), np.asarray(approved, dtype=bool)
    if np.array_equal(approved, scores > 0.5):
        return {"value": 0.5, "rule": "approved when the approval score is above 0.5", "consistent": True}
    if np.array_equal(approved, scores >= 0.5):
        return {"value": 0.5, "rule": "approved when the approval score is 0.5 or above", "consistent": True}
    highest_declined, lowest_approved = float(scores[~approved].max()), float(scores[approved].min())
    if highest_declined < lowest_approved:
        return {"value": None, "consistent": True,
                "rule": (f"declined at approval scores up to {highest_declined:.3f} and approved from "
                         f"{lowest_approved:.3f}; the cut-off lies between")}
    return {"value": None, "consistent": False,
            "rule": "the model's decisions are not a single cut-off on its approval score"}


def typical_value(values: pd.Series, kind: str):
    """The comparison value: the most common value of a category (ties: the first in sorted order),
    or the lower median of a numeric factor (a value approved applicants actually have)."""
    present = values.dropna()
    if present.empty:
        return None
    if kind == "categorical":
        return _plain(present.mode().iloc[0])
    return _plain(np.quantile(present.to_numpy(), 0.5, method="lower"))


def normalize_labels(labels) -> dict:
    """Labels as ``{column: {"name": str, "values": {str(code): str}}}``; accepts None, an object with
    ``to_dict()``, a mapping of column to name, or the normalised form itself."""
    if labels is None:
        return {}
    if hasattr(labels, "to_dict") and not isinstance(labels, dict):
        labels = labels.to_dict()
    result = {}
    for column, entry in dict(labels).items():
        if isinstance(entry, str):
            entry = {"name": entry}
        entry = dict(entry or {})
        result[str(column)] = {"name": str(entry.get("name") or column),
                               "values": {str(k): str(v) for k, v in (entry.get("values") or {}).items()}}
    return result


def plain_name(column, labels: dict) -> str:
    """The plain name of a column, or the column name itself."""
    return (labels.get(str(column)) or {}).get("name") or str(column)


def _reason(column, value, comparison, kind, impact, labels) -> dict:
    value = _plain(value)
    if value is None:
        direction = "not_recorded"
    else:
        direction = "differs" if kind == "categorical" else ("above" if value > comparison else "below")
    name, value_label = plain_name(column, labels), _value_label(column, value, labels)
    comparison_label = _value_label(column, comparison, labels)
    return {"feature": str(column), "name": name, "value": value, "value_label": value_label,
            "comparison": comparison, "comparison_label": comparison_label,
            "comparison_kind": _comparison_kind(kind), "direction": direction, "score_impact": impact,
            "space": SPACE, "text": reason_text(name, value_label, comparison_label, direction)}


def reason_text(name, value_label, comparison_label, direction) -> str:
    """One reason as a sentence a lender could send.

    Examples
    --------
    >>> reason_text("Loan duration (months)", "42", "16", "above")
    'Loan duration (months): 42, higher than the 16 typical of approved applicants (their median).'
    >>> reason_text("Checking account", "balance below 0 DM", "no checking account", "differs")
    'Checking account: balance below 0 DM; approved applicants most often have no checking account.'
    """
    if direction == "not_recorded":
        return f"{name}: not recorded; approved applicants typically have {comparison_label}."
    if direction == "differs":
        return f"{name}: {value_label}; approved applicants most often have {comparison_label}."
    side = "higher" if direction == "above" else "lower"
    return f"{name}: {value_label}, {side} than the {comparison_label} typical of approved applicants (their median)."


def _value_label(column, value, labels) -> str:
    if value is None:
        return "not recorded"
    values = (labels.get(str(column)) or {}).get("values") or {}
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return values.get(str(value), values.get(shown, shown))


def _comparison_kind(kind) -> str:
    return "most common value among approved applicants" if kind == "categorical" else "median of approved applicants"


def _kind(values: pd.Series, declared) -> str:
    if declared == "categorical" or not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "categorical"
    return "numeric"


def _selection_text(n_cases, n_declined, random_state) -> str:
    if n_cases == n_declined:
        return f"all {n_declined} declined cases"
    seed = "no fixed seed" if random_state is None else f"seed {random_state}"
    return (f"a simple random sample of {n_cases} of the {n_declined} declined cases, drawn without replacement "
            f"({seed}), shown in the order of the data")


def _same(value, comparison) -> bool:
    value = _plain(value)
    if value is None or comparison is None:
        return value is None and comparison is None
    return bool(value == comparison)


def mark_proxy_reasons(cases: list, fairness: dict) -> None:
    """Mark each reason whose factor the proxy scan flagged for a sensitive attribute: giving it as a
    reason may disclose, or rest on, a protected characteristic, which a reviewer must check."""
    flagged: dict[str, list[str]] = {}
    for attribute, table in (fairness or {}).items():
        for feature in ((table or {}).get("proxies") or {}).get("proxies") or []:
            flagged.setdefault(str(feature), []).append(str(attribute))
    for case in cases:
        for reason in case.get("reasons", []):
            if reason["feature"] in flagged:
                reason["stands_in_for"] = sorted(flagged[reason["feature"]])


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
