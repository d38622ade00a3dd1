"""Adverse-action reasons: why a declined applicant was declined, in plain language.

For each declined case in a sample, every feature is in turn set to the values of a baseline group
— applicants the model approves — while the rest of the case stays as it is; the average rise in the
approval score is that feature's contribution to the decline. Up to four features with the largest
positive contributions are the principal reasons, as Regulation B §1002.9 asks a lender to state.
The method is model-agnostic, works on the original features (no encoded columns), and uses only the
factors the model actually scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_REASONS = 4
MIN_CONTRIBUTION = 0.005


def adverse_action_reasons(adapter, data, features, *, n_cases=20, baseline_rows=50, random_state=None,
                           scores=None, decisions=None) -> list:
    """Principal reasons for a seeded sample of declined cases.

    Parameters
    ----------
    adapter : ModelAdapter
        A binary tabular model with probabilities.
    data : AuditDataset
    features : list of str
        The model's input columns.
    n_cases : int
        How many declined cases to explain (a seeded sample when more are declined).
    baseline_rows : int
        How many approved cases form the baseline (a seeded sample).
    random_state : int, optional
    scores, decisions : array-like, optional
        The model's approval probabilities and predicted labels for every row, when the caller has
        them already (the audit does): saves scoring all rows again.

    Returns
    -------
    list of dict
        One entry per case: ``row`` (the data's index label), ``position``, ``score`` (approval
        probability), ``baseline`` (what the reasons compare with), and ``reasons``: up to four
        ``{"feature", "value", "baseline_value", "contribution", "text"}``, largest first.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"income": [10.0, 20, 30, 40, 50, 60], "y": [0, 0, 0, 1, 1, 1]})
    >>> model = load_model(LogisticRegression().fit(df[["income"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y")
    >>> cases = adverse_action_reasons(model, data, ["income"], random_state=0)
    >>> cases[0]["reasons"][0]["feature"]
    'income'
    """
    if adapter.task != "binary" or not adapter.has_proba or adapter.input_kind != "tabular":
        return []
    rng = np.random.default_rng(random_state)
    X = data.frame.loc[:, list(features)]
    score = adapter.output(X) if scores is None else np.asarray(scores, dtype=float)
    labels = adapter.predict(X) if decisions is None else np.asarray(decisions)
    is_approved = np.asarray(labels == adapter.positive_class)
    approved = np.flatnonzero(is_approved)
    declined = np.flatnonzero(~is_approved)
    if len(approved) == 0 or len(declined) == 0:
        return []
    cases = np.sort(rng.choice(declined, size=min(n_cases, len(declined)), replace=False))
    baseline = np.sort(rng.choice(approved, size=min(baseline_rows, len(approved)), replace=False))
    rises = _substitution_rises(adapter, X, cases, baseline, score)
    description = (f"{len(baseline)} applicants the model approves (sampled); each factor of the case is "
                   "set to theirs in turn and the average rise in the approval score is its contribution")
    return [_case_entry(X, data, position, score[position], rises[k], baseline, description)
            for k, position in enumerate(cases)]


def _substitution_rises(adapter, X, cases, baseline, score) -> np.ndarray:
    """(n_cases, n_features): mean approval score with feature j taken from each baseline row, minus
    the case's own score. All variants are scored in one batched call."""
    n_cases, n_base, n_features = len(cases), len(baseline), X.shape[1]
    variants = X.iloc[np.repeat(cases, n_features * n_base)].reset_index(drop=True)
    base_values = X.iloc[baseline]
    for j, column in enumerate(X.columns):
        rows = (np.arange(n_cases)[:, None] * n_features * n_base + j * n_base + np.arange(n_base)[None, :]).ravel()
        values = np.tile(base_values[column].to_numpy(), n_cases)
        variants.iloc[rows, j] = values
    scored = adapter.output(variants).reshape(n_cases, n_features, n_base).mean(axis=2)
    return scored - score[cases][:, None]


def _case_entry(X, data, position, score, rises, baseline, description) -> dict:
    order = [j for j in np.argsort(-rises, kind="stable") if rises[j] >= MIN_CONTRIBUTION][:MAX_REASONS]
    reasons = []
    for j in order:
        column = X.columns[j]
        kind = data.feature_kinds.get(column, "numeric")
        typical = _typical(X.iloc[baseline][column], kind)
        value = _plain(X.iloc[position][column])
        reasons.append({
            "feature": str(column), "value": value, "baseline_value": typical,
            "contribution": float(rises[j]),
            "text": _sentence(column, value, typical, kind, float(rises[j])),
        })
    return {"row": _plain(X.index[position]), "position": int(position), "score": float(score),
            "baseline": description, "reasons": reasons}


def _typical(values: pd.Series, kind):
    if kind == "categorical" or not pd.api.types.is_numeric_dtype(values):
        return _plain(values.mode(dropna=True).iloc[0]) if values.notna().any() else None
    return float(values.median())


def _sentence(column, value, typical, kind, rise) -> str:
    """One reason in plain words. The rise is measured against the approved applicants' own values of
    the factor (a mix), so the sentence says so rather than comparing with their most common value alone.

    Examples
    --------
    >>> _sentence("purpose", "car", "car", "categorical", 0.19)
    'purpose is car. With the values approved applicants have for it (most often car), the approval score would have been 0.19 higher on average.'
    """
    typical_name = "most often" if kind == "categorical" else "median"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    base = f"{typical:g}" if isinstance(typical, float) else str(typical)
    return (f"{column} is {shown}. With the values approved applicants have for it ({typical_name} {base}), "
            f"the approval score would have been {rise:.2f} higher on average.")


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
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
