"""What the Monitoring page reads and shows: the current period's data (an upload or a bundled split),
``xai_audit.drift`` against the audited data, and the drift record as tables and a chart.

Every number comes from the drift record (``DriftResult.to_dict()``); this module only arranges it.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from audit_app import inputs, names
from audit_app.display import fmt
from audit_app.state import AuditEntry
from xai_audit import AuditDataset
from xai_audit.spec import read_data_file

CURRENT = "monitoring_current"
SOURCE_LABELS = {"sample": "Bundled sample split", "upload": "Upload a file"}
DEFAULT_EXPLAIN_ROWS = 200
DEFAULT_RESAMPLES = 500
PERFORMANCE_NAMES = {"accuracy": "accuracy", "outcome_rate": "share of favourable outcomes", "brier": "Brier score",
                     "calibration_in_the_large": "mean score minus outcome", "mae": "mean absolute error",
                     "outcome_mean": "mean outcome"}
FAIRNESS_NAMES = {"selection_rate": "selection rate", "tpr": "true positive rate", "fpr": "false positive rate"}


def sample_splits(entry: AuditEntry) -> list[Path]:
    """The bundled data files of the audited sample other than the audited one (its other split).

    ``german_credit_test.csv`` pairs with ``german_credit.csv``: files whose name, without ``_test``,
    is the audited file's name without ``_test``.
    """
    source = Path(str(entry.data.source or ""))
    folder = inputs.SAMPLE_DIR / "data"
    if source.parent.resolve() != folder.resolve() or not source.name:
        return []
    stem = source.stem.removesuffix("_test")
    return [p for p in sorted(folder.glob(f"{stem}*{source.suffix}"))
            if p.name != source.name and p.stem.removesuffix("_test") == stem]


def read_file(path: Path) -> pd.DataFrame:
    """A data file's table, read by the library's readers (CSV dialect sniffed, Parquet)."""
    return read_data_file(path).frame


def current_dataset(entry: AuditEntry, frame: pd.DataFrame, *, name: str) -> tuple[AuditDataset, list[str]]:
    """The current period as an :class:`AuditDataset` with the audited data's roles, and what it lacks.

    Returns
    -------
    (dataset, notes)
        ``notes`` says, in plain words, which roles of the audited data the file does not have (no
        target: no performance change; a sensitive attribute missing: no fairness change for it).
    """
    reference = entry.data
    columns = set(frame.columns)
    notes = []
    target = reference.target if reference.target in columns else None
    if reference.target is not None and target is None:
        notes.append(f"The file has no '{reference.target}' column (the target): the change in performance is not "
                     "measured.")
    sensitive = [s for s in reference.sensitive if s in columns]
    missing = [s for s in reference.sensitive if s not in columns]
    if missing:
        notes.append(f"The file lacks the sensitive attribute(s) {', '.join(missing)}: their fairness change is "
                     "not measured.")
    labels = reference.labels.only(columns) if reference.labels else None
    dataset = AuditDataset.from_frame(
        frame, target=target, positive_label=reference.positive_label if target else None,
        sensitive=sensitive, bins={k: v for k, v in (reference.bins or {}).items() if k in sensitive} or None,
        features=reference.features, task=reference.task if target else None,
        predictions=reference.predictions if reference.predictions in columns else None,
        scores=reference.scores if reference.scores in columns else None, source=name, labels=labels)
    return dataset, notes


def feature_table(record: dict, labels) -> pd.DataFrame:
    """One row per input: test, corrected p-value, effect size with its interval, PSI and verdict; drifted first."""
    section = record.get("features") or {}
    rows = []
    for name, row in (section.get("features") or {}).items():
        ci = row.get("effect_ci") or [None, None]
        effect_name = "KS distance" if row.get("effect_name") == "ks_statistic" else "total variation"
        rows.append({
            "Input": labels.name(name),
            "Test": "KS" if row.get("test") == "ks" else "χ²",
            "Adjusted p": fmt(row.get("p_adjusted")),
            "Effect (interval)": f"{fmt(row.get('effect'))} {effect_name}"
                                 + ("" if ci[0] is None else f" ({fmt(ci[0])} to {fmt(ci[1])})"),
            "PSI": fmt(row.get("psi")),
            "Verdict": row.get("verdict", ""),
            "_order": (row.get("verdict") != "drifted", -(row.get("effect") or 0.0)),
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def drifted_inputs(record: dict) -> list[str]:
    """The inputs the record marks as drifted."""
    return [name for name, row in ((record.get("features") or {}).get("features") or {}).items()
            if row.get("verdict") == "drifted"]


def _change_row(what: str, row: dict) -> dict:
    """A measure in both periods and its change (current − reference) with the change's interval."""
    ci = row.get("ci")
    moved = bool(ci) and (ci[0] > 0 or ci[1] < 0)
    change = "n/a" if row.get("change") is None else f"{row['change']:+.3f}"
    return {"Measure": what, "Reference → current": f"{fmt(row.get('reference'))} → {fmt(row.get('current'))}",
            "Change (interval)": change + ("" if not ci else f" ({fmt(ci[0])} to {fmt(ci[1])})"),
            "Beyond chance": "yes" if moved else "no"}


def prediction_table(record: dict) -> pd.DataFrame:
    """The decision rate and each performance measure in both periods, with the change and its interval."""
    section = record.get("predictions") or {}
    rows = []
    if section.get("decision_rate"):
        rows.append(_change_row("rate of favourable decisions", section["decision_rate"]))
    for name, row in (section.get("performance") or {}).items():
        rows.append(_change_row(PERFORMANCE_NAMES.get(name, name.replace("_", " ")), row))
    return pd.DataFrame(rows)


def score_line(record: dict) -> str | None:
    """The score distribution's change in one sentence (KS test and its effect), or None without scores."""
    scores = (record.get("predictions") or {}).get("scores")
    if not scores or scores.get("p_value") is None:
        return None
    ci = scores.get("effect_ci") or [None, None]
    return (f"Scores: Kolmogorov–Smirnov distance {fmt(scores.get('effect'))} (interval {fmt(ci[0])} to "
            f"{fmt(ci[1])}), p-value {fmt(scores.get('p_value'))}, PSI {fmt(scores.get('psi'))}.")


def fairness_table(record: dict, labels) -> pd.DataFrame:
    """Each group's selection rate, TPR and FPR in both periods, with the change and its interval."""
    rows = []
    for attribute, part in (record.get("fairness") or {}).items():
        for group, metrics in (part.get("groups") or {}).items():
            for metric, row in metrics.items():
                if metric in FAIRNESS_NAMES and isinstance(row, dict):
                    rows.append({"Attribute": names.column_name(labels, attribute),
                                 "Group": names.value_words(labels, attribute, group),
                                 **_change_row(FAIRNESS_NAMES[metric], row)})
    return pd.DataFrame(rows)


def explanation_frame(record: dict, labels) -> pd.DataFrame:
    """Per input: the change of mean |attribution| between the periods, with its interval."""
    table = (record.get("explanations") or {}).get("features") or {}
    rows = [{"feature": labels.name(name), "reference": row["reference"], "current": row["current"],
             "change": row["change"], "low": row["ci"][0], "high": row["ci"][1],
             "reading": row.get("class", ""), "rank": row.get("rank_current", 0)}
            for name, row in table.items() if row.get("ci")]
    return pd.DataFrame(rows).sort_values("rank", kind="stable") if rows else pd.DataFrame(rows)


def explanation_chart(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """The change of each input's mean |attribution| as a point with its interval, and the zero line."""
    order = frame["feature"].tolist()
    low, high = min(0.0, float(frame["low"].min())), max(0.0, float(frame["high"].max()))
    pad = 0.05 * ((high - low) or 1.0)
    base = alt.Chart(frame, title=title)
    y = alt.Y("feature:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    whiskers = base.mark_rule(color="#333333").encode(
        x=alt.X("low:Q", title="change of mean |attribution| (current − reference)",
                scale=alt.Scale(domain=[low - pad, high + pad], nice=False)), x2="high:Q", y=y)
    points = base.mark_point(filled=True, size=60).encode(
        x="change:Q", y=y,
        color=alt.Color("reading:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=400)),
        tooltip=["feature", alt.Tooltip("reference:Q", format=".4f"), alt.Tooltip("current:Q", format=".4f"),
                 alt.Tooltip("change:Q", format="+.4f"), alt.Tooltip("low:Q", format="+.4f", title="interval from"),
                 alt.Tooltip("high:Q", format="+.4f", title="interval to"), "reading"])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#888888", strokeDash=[4, 4]).encode(x="x:Q")
    return (whiskers + points + zero).properties(height=alt.Step(20))
