"""Tables of the audit's ``fairness`` section, and group rates at other decision thresholds.

Every number at another threshold comes from the fairness layer's own ``fairness_report``, called on
the model's scores cut at that threshold; nothing is computed here but the cut.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_app import model_views
from audit_app.display import fmt
from audit_app.state import AuditEntry

GROUP_METRICS = ("selection_rate", "base_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "accuracy", "auc", "ece",
                 "mean_score", "mean_prediction", "mae", "rmse", "r2", "mean_residual")
SWEEP = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.05))


def tables(fairness: dict) -> dict:
    """The per-attribute and per-intersection tables (entries that have ``groups``)."""
    return {name: table for name, table in (fairness or {}).items() if isinstance(table, dict) and "groups" in table}


def with_interval(value, interval) -> str:
    """``0.620 [0.550, 0.690]``, or the value alone where there is no interval."""
    if value is None:
        return "n/a"
    if not interval or None in interval:
        return fmt(value)
    return f"{fmt(value)} [{fmt(interval[0])}, {fmt(interval[1])}]"


def groups_frame(table: dict) -> pd.DataFrame:
    """One row per group: size, share, each metric with its interval, and the small-group flag."""
    rows = []
    for label, group in table.get("groups", {}).items():
        intervals = group.get("ci") or {}
        row = {"group": str(label), "n": group.get("n"), "share": fmt(group.get("share"))}
        for metric in GROUP_METRICS:
            if metric in group:
                row[metric] = with_interval(group[metric], intervals.get(metric))
        row["small group"] = "yes" if group.get("small_group") else ""
        rows.append(row)
    return pd.DataFrame(rows)


def metric_frame(table: dict, metric: str) -> pd.DataFrame:
    """Numbers of one metric per group, with interval bounds, for a chart."""
    rows = []
    for label, group in table.get("groups", {}).items():
        interval = (group.get("ci") or {}).get(metric) or [None, None]
        if group.get(metric) is not None:
            rows.append({"group": str(label), metric: group[metric], "low": interval[0], "high": interval[1]})
    return pd.DataFrame(rows)


def relative_frame(part: dict) -> pd.DataFrame:
    """Differences or ratios against the reference group: group × metric, value [interval]."""
    rows = []
    for label, metrics in (part or {}).get("values", {}).items():
        row = {"group": str(label)}
        row.update({m: with_interval(v.get("value"), v.get("ci")) for m, v in metrics.items() if m in GROUP_METRICS})
        rows.append(row)
    return pd.DataFrame(rows)


def four_fifths_frame(part: dict) -> pd.DataFrame:
    rows = [{"group": str(label), "selection rate": fmt(g.get("selection_rate")),
             "impact ratio": with_interval(g.get("impact_ratio"), g.get("ci")),
             "below four fifths": "yes" if g.get("flagged") else "",
             "small group": "yes" if g.get("small_group") else ""}
            for label, g in (part or {}).get("groups", {}).items()]
    return pd.DataFrame(rows)


def ll144_frame(part: dict) -> pd.DataFrame:
    selection = (part or {}).get("selection") or {}
    scoring = (part or {}).get("scoring") or {}
    rows = []
    for label, category in selection.get("categories", {}).items():
        row = {"category": str(label), "n": category.get("n"), "selection rate": fmt(category.get("selection_rate")),
               "impact ratio (selection)": fmt(category.get("impact_ratio"))}
        scored = scoring.get("categories", {}).get(label)
        if scored:
            row["scoring rate"] = fmt(scored.get("scoring_rate"))
            row["impact ratio (scoring)"] = fmt(scored.get("impact_ratio"))
        row["small category"] = "yes" if category.get("small_category") else ""
        rows.append(row)
    return pd.DataFrame(rows)


def heatmap_frame(table: dict, metric: str) -> pd.DataFrame | None:
    """An intersection's groups ``"x*y"`` as (first attribute, second attribute, value) cells."""
    attributes = table.get("attributes") or []
    if len(attributes) != 2:
        return None
    rows = []
    for label, group in table.get("groups", {}).items():
        parts = str(label).split("*")
        if len(parts) != 2 or group.get(metric) is None:
            continue
        rows.append({attributes[0]: parts[0], attributes[1]: parts[1], metric: group[metric], "n": group.get("n")})
    return pd.DataFrame(rows) if rows else None


def summary_items(table: dict, plain=str) -> list[tuple[str, str, str | None, str]]:
    """The table's summary measures as cards: (label, value, interval text or None, full explanation);
    ``plain`` gives a group's plain words.

    A summary measure that is one group's comparison with the reference group (the same difference or
    ratio of the same metric, up to its sign or inverse) is shown as that comparison, with the value and
    interval the table beside the cards gives; a spread over several groups has no interval and says so.

    Examples
    --------
    >>> table = {"reference_group": "m", "summary": {"demographic_parity_ratio": 0.8, "judged_by": {
    ...     "demographic_parity_ratio": {"comparison": "ratio", "metrics": ["selection_rate"]}}},
    ...     "ratios": {"values": {"f": {"selection_rate": {"value": 1.25, "ci": [1.05, 1.4]}}}}}
    >>> label, value, interval, explanation = summary_items(table)[0]
    >>> label, value, interval
    ('Demographic parity ratio', '1.250', 'f vs m: 1.050 – 1.400')
    >>> explanation
    'f compared with the reference group m, with its interval, as in the table (value [interval]); the spread over groups, smallest over largest or largest minus smallest, is 0.800.'
    """
    summary = table.get("summary") or {}
    judged = summary.get("judged_by") or {}
    items = []
    for name, value in summary.items():
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        label = name.replace("_", " ").capitalize().replace("Auc ", "AUC ")
        same = same_comparison(table, name, value)
        if same is not None:
            group, compared, interval = same
            reference = plain(table.get("reference_group"))
            items.append((label, fmt(compared),
                          f"{plain(group)} vs {reference}: {fmt(interval[0])} – {fmt(interval[1])}",
                          f"{plain(group)} compared with the reference group {reference}, with its interval, as in "
                          f"the table (value [interval]); the spread over groups, smallest over largest or largest "
                          f"minus smallest, is {fmt(value)}."))
        elif name in judged:
            items.append((label, fmt(value), "no interval",
                          "A spread over groups (largest minus smallest, or smallest over largest): no bootstrap "
                          "interval of it holds its coverage, so none is shown; each group's comparison in the "
                          "table carries one."))
        else:
            items.append((label, fmt(value), None, label + "."))
    return items


def same_comparison(table: dict, name: str, value: float) -> tuple[str, float, list] | None:
    """The group whose comparison with the reference group is the summary measure ``name`` (same kind,
    same metric, same size), with that comparison's signed value and interval; None when there is none."""
    judged = ((table.get("summary") or {}).get("judged_by") or {}).get(name) or {}
    metrics = judged.get("metrics") or []
    kind = {"ratio": "ratios", "difference": "differences"}.get(judged.get("comparison"))
    if kind is None or len(metrics) != 1:
        return None
    for group, compared in ((table.get(kind) or {}).get("values") or {}).items():
        entry = compared.get(metrics[0]) or {}
        interval = entry.get("ci")
        if entry.get("value") is None or not interval or None in interval:
            continue
        compared_value = float(entry["value"])
        # a spread is unsigned (largest minus smallest) or at most 1 (smallest over largest): the
        # comparison against the reference group may be its negative or its inverse
        if kind == "differences":
            candidates = [abs(compared_value)]
        else:
            candidates = [compared_value] + ([1 / compared_value] if compared_value else [])
        if any(abs(v - float(value)) <= 1e-9 for v in candidates):
            return str(group), compared_value, interval
    return None


def compare_frame(table: dict, metric: str) -> pd.DataFrame:
    """One metric per group with its difference and ratio against the reference group."""
    differences = (table.get("differences") or {}).get("values", {})
    ratios = (table.get("ratios") or {}).get("values", {})
    reference = table.get("reference_group")
    rows = []
    for label, group in table.get("groups", {}).items():
        difference = differences.get(label, {}).get(metric) or {}
        ratio = ratios.get(label, {}).get(metric) or {}
        rows.append({
            "group": str(label) + (" (reference)" if label == reference else ""),
            "n": group.get("n"),
            metric: with_interval(group.get(metric), (group.get("ci") or {}).get(metric)),
            "difference": "—" if label == reference else with_interval(difference.get("value"), difference.get("ci")),
            "ratio": "—" if label == reference else with_interval(ratio.get("value"), ratio.get("ci")),
            "small group": "yes" if group.get("small_group") else "",
        })
    return pd.DataFrame(rows)


ATTRIBUTION_KEYS = ("disparity_attribution", "attribution")
PROXY_KEYS = ("proxies", "proxy_scan", "proxy")


def attribution_part(fairness: dict, name: str) -> dict | None:
    """The disparity attribution of ``name``: per group, the gap in mean output split by feature."""
    table = (fairness or {}).get(name) or {}
    for key in ATTRIBUTION_KEYS:
        part = table.get(key)
        if part is None:
            part = ((fairness or {}).get(key) or {}).get(name)
        if isinstance(part, dict) and isinstance(part.get("groups"), dict):
            return part
    return None


def attribution_groups(part: dict) -> list[str]:
    """Groups with a split gap (the reference group has none)."""
    return [label for label, group in (part.get("groups") or {}).items()
            if isinstance(group, dict) and group.get("contributions") and label != part.get("reference_group")]


def attribution_frame(part: dict, label: str) -> pd.DataFrame:
    """One group's gap against the reference group as (feature, contribution) rows."""
    contributions = part["groups"][label].get("contributions") or {}
    return pd.DataFrame({"feature": [str(f) for f in contributions], "value": [""] * len(contributions),
                         "contribution": [float(v or 0.0) for v in contributions.values()]})


def attribution_summary(part: dict, label: str) -> str:
    group = part["groups"][label]
    return (f"Mean output {fmt(group.get('mean_output'))}; gap to '{part.get('reference_group')}' "
            f"{fmt(group.get('output_difference'))}, of which the features account for "
            f"{fmt(group.get('explained_difference'))} (unexplained {fmt(group.get('unexplained_difference'))}).")


def proxies_frame(fairness: dict, name: str) -> tuple[pd.DataFrame, str] | None:
    """Features that stand in for the attribute: their AUC for group membership, and whether they are proxies."""
    table = (fairness or {}).get(name) or {}
    for key in PROXY_KEYS:
        part = table.get(key)
        if part is None:
            part = ((fairness or {}).get(key) or {}).get(name)
        if isinstance(part, dict) and isinstance(part.get("features"), dict):
            rows = [{"feature": str(feature), "kind": info.get("kind"), "AUC": fmt(info.get("auc")),
                     "best separated group": info.get("group"), "proxy": "yes" if info.get("proxy") else "",
                     "mean |attribution|": fmt(info.get("mean_abs_attribution"))}
                    for feature, info in part["features"].items() if isinstance(info, dict)]
            frame = pd.DataFrame(rows)
            if not frame.empty:
                frame = frame.sort_values("AUC", ascending=False, key=lambda c: pd.to_numeric(c, errors="coerce"))
            return frame, str(part.get("convention") or "")
    return None


def can_sweep(entry: AuditEntry) -> bool:
    """Thresholds apply to binary classifiers that give a probability of the favourable class."""
    if entry.result.model.get("task") != "binary" or entry.data.target is None:
        return False
    if entry.adapter is None:
        from xai_audit.spec import check_predictions_only

        return check_predictions_only(entry.data)
    return bool(getattr(entry.adapter, "has_proba", False))


def scores(entry: AuditEntry) -> np.ndarray:
    """The audit's probability of the favourable outcome per row (model or scores column)."""
    if entry.adapter is None:
        return entry.data.scores_array()
    return model_views.decisions(entry)["score"].to_numpy(dtype=float)


def at_threshold(entry: AuditEntry, name: str, threshold: float) -> dict:
    """The fairness layer's table for ``name`` when the favourable decision is ``score >= threshold``."""
    from xai_audit import fairness_at_threshold

    def compute():
        table = tables(entry.result.fairness).get(name) or {}
        attributes = table.get("attributes") or name.split("*")
        reference = {name: table["reference_group"]} if table.get("reference_group") else None
        report = fairness_at_threshold(entry.data.y_true_positive(), scores(entry), entry.data.groups[list(attributes)],
                                       threshold, intersections=len(attributes) > 1, n_resamples=0,
                                       reference_groups=reference)
        return report[name]

    return entry.view(("threshold", name, round(float(threshold), 4)), compute)


def sweep_frame(entry: AuditEntry, name: str) -> pd.DataFrame:
    """Selection rate per group at each threshold of :data:`SWEEP`."""
    rows = []
    for threshold in SWEEP:
        for label, group in at_threshold(entry, name, threshold)["groups"].items():
            if group.get("selection_rate") is not None:
                rows.append({"threshold": threshold, "group": str(label), "selection_rate": group["selection_rate"]})
    return pd.DataFrame(rows)


def run_resamples(entry: AuditEntry) -> int | None:
    """The bootstrap resamples the audit ran with, as its record states them (fairness tables first, then
    performance), else the run's setting: what every interval recomputed at another cut-off uses."""
    recorded = [(table.get("bootstrap") or {}).get("n_resamples") for table in tables(entry.result.fairness).values()]
    recorded.append(((entry.result.performance or {}).get("bootstrap") or {}).get("n_resamples"))
    recorded.append(entry.settings.get("n_resamples"))
    return next((int(n) for n in recorded if n), None)


def explored_fairness(entry: AuditEntry, threshold: float) -> dict:
    """The audit's fairness tables recomputed at ``threshold``, with the audit's own settings.

    The same resamples, seed, confidence, minimum group size and reference groups as the audit, so
    every card and table is comparable with the model's; computed by
    :func:`xai_audit.fairness.fairness_at_threshold`.
    """
    from xai_audit import fairness_at_threshold

    def compute():
        audited = tables(entry.result.fairness)
        policy = getattr(entry.spec, "policy", None)

        def setting(section, name, default):
            return policy.setting(section, name, default) if hasattr(policy, "setting") else default

        references = {name: table["reference_group"] for name, table in audited.items()
                      if table.get("reference_group") is not None}
        report = fairness_at_threshold(
            entry.data.y_true_positive(), scores(entry), entry.data.groups, threshold,
            reference_groups=references or None,
            intersections=any(len(t.get("attributes") or []) > 1 for t in audited.values()),
            n_resamples=run_resamples(entry) or setting("fairness", "n_resamples", 1000),
            confidence=setting("audit", "confidence", 0.95),
            min_group_size=setting("fairness", "min_group_size", 30),
            random_state=entry.settings.get("seed", 0))
        return {name: report[name] for name in audited if name in report}

    return entry.view(("explored_fairness", round(float(threshold), 4)), compute)
