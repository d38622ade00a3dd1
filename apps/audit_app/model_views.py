"""What the explore pages ask of the audited model, through the library, computed once per audit.

The model's decisions and scores on the audited rows, single-row explanations with
``xai_audit.explain``, and the "what if" variant of a row: each value is stored on the audit's
entry, so showing a page again never recomputes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_app.state import AuditEntry
from xai_audit import AuditDataset, InvalidInputError
from xai_audit.spec import model_features, model_for_data

ROW_FILTERS = {
    "explained": "Explained in the audit",
    "all": "All rows",
    "declined": "Declined (unfavourable decision)",
    "approved": "Approved (favourable decision)",
    "misclassified": "Decision differs from the true outcome",
    "reasons": "Declined, with adverse-action reasons",
}
# How the What-if page finds its case, in the order it offers them.
CASE_SOURCES = {
    "declined": "Declined cases",
    "borderline": "Borderline cases (nearest the cut-off)",
    "misclassified": "Misclassified cases (decision differs from the true outcome)",
    "all": "All rows",
    "id": "By id or row number",
    "filter": "By a condition on a column",
}
FILTER_OPERATORS = ("=", "≠", "<", "≤", ">", "≥", "contains")
# The cut-off on the probability of the favourable class at which a binary model's decision changes.
CUT_OFF = 0.5
BORDERLINE_CASES = 100


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
    """Per audited row: the decision, the explained output (score), and the true outcome.

    Read from the audit's own per-row predictions (``AuditResult.predictions``), so the pages show
    the values every section was computed from; the model is asked again only where the result
    holds none (a regression model's output is its decision).
    """
    def from_result():
        try:
            rows = entry.result.predictions()
        except (AttributeError, InvalidInputError):
            return None
        if len(rows) != len(entry.data.frame):
            return None
        frame = pd.DataFrame({"decision": rows["decision"].to_numpy()}, index=entry.data.frame.index)
        if "score" in rows:
            frame["score"] = rows["score"].to_numpy()
        elif model(entry).task == "regression":
            frame["score"] = rows["decision"].to_numpy()
        elif model(entry).has_proba:
            return None
        if entry.data.target is not None:
            frame["truth"] = entry.data.frame[entry.data.target].to_numpy()
        return frame

    def compute():
        kept = from_result()
        if kept is not None:
            return kept
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


# -- finding a case ---------------------------------------------------------------------------------


def case_sources(entry: AuditEntry) -> list[str]:
    """The ways of finding a case that make sense for this audit (declined and borderline: binary with scores)."""
    adapter = model(entry)
    binary = adapter.task == "binary" and adapter.positive_class is not None
    sources = []
    if binary:
        sources.append("declined")
        if adapter.has_proba:
            sources.append("borderline")
    if entry.data.target is not None and adapter.task != "regression":
        sources.append("misclassified")
    return sources + ["all", "id", "filter"]


def case_positions(entry: AuditEntry, source: str) -> np.ndarray:
    """Row positions found by ``source`` (a key of :data:`CASE_SOURCES` other than id and filter).

    Borderline cases are the :data:`BORDERLINE_CASES` rows whose score is nearest the cut-off,
    nearest first; the other sources keep the data's order.
    """
    if source == "borderline":
        scores = decisions(entry)["score"].to_numpy(dtype=float)
        distance = np.abs(scores - CUT_OFF)
        return np.argsort(distance, kind="stable")[:BORDERLINE_CASES]
    if source in ("declined", "misclassified"):
        return filtered_positions(entry, source)
    return np.arange(entry.data.n_rows)


def id_columns(entry: AuditEntry) -> list[str]:
    """Columns that identify a row: not read by the model nor given a role, with a distinct value on every row."""
    data = entry.data
    roles = {data.target, data.predictions, data.scores, *data.sensitive, *features(entry)}
    frame = data.frame
    return [str(c) for c in frame.columns if c not in roles and not pd.api.types.is_float_dtype(frame[c])
            and frame[c].notna().all() and frame[c].is_unique]


def find_by_id(entry: AuditEntry, text: str) -> np.ndarray:
    """Positions of the rows whose label (row number) or identifier column equals ``text``."""
    text = str(text).strip()
    if not text:
        return np.zeros(0, dtype=int)
    frame = entry.data.frame
    hits = frame.index.astype(str) == text
    for column in id_columns(entry):
        hits = hits | (frame[column].astype(str).to_numpy() == text)
    return np.flatnonzero(hits)


def filter_positions(entry: AuditEntry, column: str, operator: str, text: str) -> np.ndarray:
    """Positions of the rows where ``column operator text`` holds (numbers compared as numbers).

    Raises
    ------
    InvalidInputError
        For an order comparison of a column that is not numeric, or a value that is not a number there.
    """
    values = entry.data.frame[column]
    text = str(text).strip()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if operator == "contains":
        return np.flatnonzero(values.astype(str).str.contains(text, case=False, regex=False).to_numpy())
    if numeric:
        try:
            target = float(text)
        except ValueError:
            raise InvalidInputError(
                f"'{column}' holds numbers; give a number to compare it with (got {text!r}).") from None
        numbers = values.to_numpy(dtype=float)
    elif operator in ("=", "≠"):
        numbers, target = values.astype(str).to_numpy(), text
    else:
        raise InvalidInputError(f"'{column}' is not numeric: compare it with = , ≠ or contains, not {operator}.")
    compare = {"=": np.equal, "≠": np.not_equal, "<": np.less, "≤": np.less_equal, ">": np.greater,
               "≥": np.greater_equal}[operator]
    return np.flatnonzero(compare(numbers, target))


def case_label(entry: AuditEntry, position: int, source: str) -> str:
    """A case as the analyst reads it: its row and identifier, its decision and score, and why it is listed."""
    data = entry.data
    frame = data.frame
    parts = [f"Row {frame.index[position]}"]
    parts += [f"{data.labels.name(c)} {frame.iloc[position][c]}" for c in id_columns(entry)[:1]]
    table = decisions(entry)
    decided = table["decision"].iloc[position]
    if model(entry).task == "regression":
        why = f"prediction {float(decided):.4g}"
        if "truth" in table:
            why += f", true value {float(table['truth'].iloc[position]):.4g}"
        return " · ".join([" ".join(parts[:1] + ([f"({parts[1]})"] if len(parts) > 1 else [])), why])
    name = data.labels.value(data.target, decided) if data.target is not None else str(decided)
    why = f"decision {name}"
    if "score" in table:
        score = float(table["score"].iloc[position])
        why += f", score {score:.3f}"
        if source == "borderline":
            why += f" ({abs(score - CUT_OFF):.3f} from the cut-off {CUT_OFF})"
    if source == "misclassified" and "truth" in table:
        why += f", true outcome {data.labels.value(data.target, table['truth'].iloc[position])}"
    return " · ".join([" ".join(parts[:1] + ([f"({parts[1]})"] if len(parts) > 1 else [])), why])
