"""What the explore pages ask of the audited model, through the library, computed once per audit.

The model's decisions and scores on the audited rows, single-row explanations with
``xai_audit.explain``, and the "what if" variant of a row: each value is stored on the audit's
entry, so showing a page again never recomputes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_app.state import AuditEntry
from xai_audit import AuditDataset
from xai_audit.spec import model_features, model_for_data

ROW_FILTERS = {
    "explained": "Explained in the audit",
    "all": "All rows",
    "declined": "Declined (unfavourable decision)",
    "approved": "Approved (favourable decision)",
    "misclassified": "Decision differs from the true outcome",
    "reasons": "Declined, with adverse-action reasons",
}


def explain_function():
    """``xai_audit.explain``, or None where this installation has no explainers."""
    import xai_audit

    try:
        return xai_audit.explain
    except (AttributeError, ImportError):
        return None


def can_explain(entry: AuditEntry) -> bool:
    return (entry.adapter is not None and explain_function() is not None
            and getattr(entry.adapter, "input_kind", "tabular") == "tabular")


def model(entry: AuditEntry):
    """The adapter with its favourable class set from the data, as the audit used it."""
    return entry.view("aligned", lambda: model_for_data(entry.adapter, entry.data))


def features(entry: AuditEntry) -> list[str]:
    return entry.view("features", lambda: model_features(entry.adapter, entry.data))


def decisions(entry: AuditEntry) -> pd.DataFrame:
    """Per audited row: the decision, the explained output (score), and the true outcome."""
    def compute():
        adapter = model(entry)
        X = entry.data.model_input(features(entry))
        frame = pd.DataFrame({"decision": adapter.predict(X)}, index=entry.data.frame.index)
        if adapter.has_proba or adapter.task == "regression":
            frame["score"] = adapter.output(X)
        if entry.data.target is not None:
            frame["truth"] = entry.data.frame[entry.data.target].to_numpy()
        return frame

    return entry.view("decisions", compute)


def filtered_positions(entry: AuditEntry, how: str) -> np.ndarray:
    """Row positions that pass a filter of :data:`ROW_FILTERS`."""
    n_rows = entry.data.n_rows
    if how == "reasons":
        return np.array(sorted({int(case["position"]) for case in entry.result.reasons or []}), dtype=int)
    if how == "explained":
        explained = [part.get("local", {}).get("rows") or [] for part in (entry.result.explanations or {}).values()
                     if isinstance(part, dict)]
        return np.array(sorted({int(p) for rows in explained for p in rows}), dtype=int)
    if how == "all" or entry.adapter is None:
        return np.arange(n_rows)
    table = decisions(entry)
    favourable = model(entry).positive_class
    decided = table["decision"].to_numpy()
    if how == "declined" and favourable is not None:
        return np.flatnonzero(decided != favourable)
    if how == "approved" and favourable is not None:
        return np.flatnonzero(decided == favourable)
    if how == "misclassified" and "truth" in table:
        return np.flatnonzero(decided.astype(str) != table["truth"].to_numpy().astype(str))
    return np.arange(n_rows)


def explain_rows(entry: AuditEntry, method: str, positions: tuple[int, ...], *, data: AuditDataset | None = None,
                 tag: str = ""):
    """``xai_audit.explain`` on some rows of the audited data (or of ``data``), stored on the entry."""
    seed = entry.result.manifest.get("random_state")

    def compute():
        return explain_function()(entry.adapter, data if data is not None else entry.data, method=method,
                                  rows=list(positions), random_state=seed)

    return entry.view(("explain", method, positions, tag), compute)


def contribution_frame(explanation, row: int = 0) -> pd.DataFrame:
    """One row of an :class:`Explanation` as a table of feature, value and contribution."""
    values = np.asarray(explanation.values)[row].reshape(-1)
    data = explanation.data
    if isinstance(data, pd.DataFrame):
        shown = [data.iloc[row].get(name) for name in explanation.feature_names]
    else:
        shown = [None] * len(values)
    return pd.DataFrame({"feature": list(explanation.feature_names), "value": shown, "contribution": values})


def with_edited_row(entry: AuditEntry, position: int, edits: dict) -> tuple[AuditDataset, int]:
    """The audited data with a copy of row ``position`` changed by ``edits`` appended at its end.

    Returns the new dataset and the new row's position; the original row keeps its position, so
    both can be explained together against the same background.
    """
    data = entry.data
    frame = data.frame
    row = frame.iloc[[position]].copy()
    for column, value in edits.items():
        row[column] = [_like(frame[column], value)]
    row.index = pd.Index([_new_label(frame.index)], dtype=frame.index.dtype if _integer(frame.index) else object)
    combined = pd.concat([frame, row])
    for column in frame.columns:
        if combined[column].dtype != frame[column].dtype:
            try:
                combined[column] = combined[column].astype(frame[column].dtype)
            except (TypeError, ValueError):
                pass
    variant = AuditDataset.from_frame(
        combined, target=data.target, positive_label=data.positive_label, features=data.features,
        sensitive=list(data.sensitive), bins=data.bins or None, predictions=data.predictions,
        scores=data.scores, task=data.task, source=data.source)
    return variant, len(combined) - 1


def _like(column: pd.Series, value):
    """``value`` as the column's type: whole numbers for integer columns, floats for float columns."""
    if pd.api.types.is_bool_dtype(column):
        return bool(value)
    if pd.api.types.is_integer_dtype(column):
        return int(round(float(value)))
    if pd.api.types.is_float_dtype(column):
        return float(value)
    return value


def _integer(index: pd.Index) -> bool:
    return pd.api.types.is_integer_dtype(index)


def _new_label(index: pd.Index):
    if _integer(index):
        return int(index.max()) + 1 if len(index) else 0
    return "what-if"


def score_row(entry: AuditEntry, frame_row: pd.DataFrame) -> tuple[object, float | None]:
    """The model's decision and explained output for a one-row frame."""
    adapter = model(entry)
    X = frame_row.loc[:, features(entry)]
    decision = adapter.predict(X)[0]
    score = float(adapter.output(X)[0]) if adapter.has_proba or adapter.task == "regression" else None
    return decision, score
