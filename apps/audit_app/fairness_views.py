"""Tables of the audit's ``fairness`` section, and group rates at other decision thresholds.

Every number at another threshold comes from the fairness layer's own ``fairness_report``, called on
the model's scores cut at that threshold; nothing is computed here but the cut.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_app import model_views, names
from audit_app.display import fmt
from audit_app.state import AuditEntry

GROUP_METRICS = ("selection_rate", "base_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "accuracy", "auc", "ece",
                 "mean_score", "mean_prediction", "mae", "rmse", "r2", "mean_residual")
SWEEP = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.05))


def tables(fairness: dict) -> dict:
    """A fairness section (the audit's, a live one, or one recomputed at another cut-off) as typed tables:
    ``{name: GroupTable}`` for every attribute and intersection (the entries that have ``groups``); the
    same tables as ``AuditResult.fairness_tables()`` gives for the audit's own section."""
    from xai_audit import GroupTable

    return {name: GroupTable.from_dict(name, table) for name, table in (fairness or {}).items()
            if isinstance(table, dict) and "groups" in table}


def with_interval(value, interval) -> str:
    """``0.620 [0.550, 0.690]``, or the value alone where there is no interval (the library's formatter)."""
    from xai_audit import format_interval

    return format_interval(value, interval)


def number(value) -> str:
    """A value as :func:`with_interval` writes it, for a card beside a table."""
    from xai_audit import format_decimal

    return format_decimal(value)


def metrics_of(table) -> list[str]:
    """The group metrics the table reports, in :data:`GROUP_METRICS` order."""
    reported = {metric for row in table.rows for metric in row.metrics}
    return [metric for metric in GROUP_METRICS if metric in reported]


def groups_frame(table) -> pd.DataFrame:
    """One row per group: size, share, each metric with its interval (plain column names), and the
    small-group flag."""
    rows = []
    for group in table.rows:
        if not group.listed:
            continue
        row = {"group": group.group, "n": group.n, "share": fmt(group.share)}
        for metric in GROUP_METRICS:
            if metric in group.metrics:
                row[names.metric(metric)] = with_interval(group.value(metric), group.interval(metric))
        row["small group"] = "yes" if group.small_group else ""
        rows.append(row)
    return pd.DataFrame(rows)


def metric_frame(table, metric: str) -> pd.DataFrame:
    """Numbers of one metric per group, with interval bounds, for a chart."""
    rows = []
    for group in table.rows:
        low, high = group.interval(metric) or (None, None)
        if group.listed and group.value(metric) is not None:
            rows.append({"group": group.group, metric: group.value(metric), "low": low, "high": high})
    return pd.DataFrame(rows)


def relative_frame(table, kind: str) -> pd.DataFrame:
    """Differences or ratios (``kind``) against the reference group: group × metric, value [interval]."""
    rows = []
    for group in table.rows:
        compared = getattr(group, kind)
        if compared is None:
            continue
        row = {"group": group.group}
        row.update({names.metric(m): with_interval(c.value, c.ci) for m, c in compared.items() if m in GROUP_METRICS})
        rows.append(row)
    return pd.DataFrame(rows)


def four_fifths_frame(table) -> pd.DataFrame:
    """Each group's selection rate over the highest group's, with its interval and the flags."""
    rows = [{"group": group.group, "selection rate": fmt(group.four_fifths.selection_rate),
             "impact ratio": with_interval(group.four_fifths.impact_ratio, group.four_fifths.ci),
             "below four fifths": "yes" if group.four_fifths.flagged else "",
             "small group": "yes" if group.four_fifths.small_group else ""}
            for group in table.rows if group.four_fifths is not None]
    return pd.DataFrame(rows)


def ll144_frame(table) -> pd.DataFrame:
    """NYC Local Law 144's impact ratios per category (selection, and scoring where scores were given)."""
    part = table.sections.get("ll144") or {}
    selection = part.get("selection") or {}
    scoring = part.get("scoring") or {}
    rows = []
    for label, category in (selection.get("categories") or {}).items():
        row = {"category": str(label), "n": category.get("n"), "selection rate": fmt(category.get("selection_rate")),
               "impact ratio (selection)": fmt(category.get("impact_ratio"))}
        scored = (scoring.get("categories") or {}).get(label)
        if scored:
            row["scoring rate"] = fmt(scored.get("scoring_rate"))
            row["impact ratio (scoring)"] = fmt(scored.get("impact_ratio"))
        row["small category"] = "yes" if category.get("small_category") else ""
        rows.append(row)
    return pd.DataFrame(rows)


def part_convention(table, part: str) -> str | None:
    """The convention line of a part of the table (differences, ratios, four-fifths, LL144)."""
    conventions = {"differences": table.differences_convention, "ratios": table.ratios_convention,
                   "four_fifths": table.four_fifths_convention}
    if part in conventions:
        return conventions[part]
    return (table.sections.get(part) or {}).get("convention")


def has_part(table, part: str) -> bool:
    """True when the table holds ``part`` (differences, ratios, four-fifths or LL144)."""
    if part == "four_fifths":
        return table.has_four_fifths
    if part in ("differences", "ratios"):
        return any(getattr(row, part) for row in table.rows)
    return bool(table.sections.get(part))


PARTS = {"differences": lambda table: relative_frame(table, "differences"),
         "ratios": lambda table: relative_frame(table, "ratios"),
         "four_fifths": four_fifths_frame, "ll144": ll144_frame}


def heatmap_frame(table, metric: str) -> pd.DataFrame | None:
    """An intersection's groups ``"x*y"`` as (first attribute, second attribute, value) cells."""
    if len(table.attributes) != 2:
        return None
    first, second = table.attributes
    rows = []
    for group in table.rows:
        parts = group.group.split("*")
        if len(parts) != 2 or not group.listed or group.value(metric) is None:
            continue
        rows.append({first: parts[0], second: parts[1], metric: group.value(metric), "n": group.n})
    return pd.DataFrame(rows) if rows else None


def summary_items(table, plain=str) -> list[tuple[str, str, str | None, str]]:
    """The table's summary measures as cards: (label, value, interval text or None, full explanation);
    ``plain`` gives a group's plain words.

    A summary measure that is one group's comparison with the reference group (the same difference or
    ratio of the same metric, up to its sign or inverse) is shown as that comparison, with the value and
    interval the table beside the cards gives; a spread over several groups has no interval and says so.

    Examples
    --------
    >>> from xai_audit import GroupTable
    >>> table = GroupTable.from_dict("sex", {"reference_group": "m", "summary": {"demographic_parity_ratio": 0.8,
    ...     "judged_by": {"demographic_parity_ratio": {"comparison": "ratio", "metrics": ["selection_rate"]}}},
    ...     "ratios": {"values": {"f": {"selection_rate": {"value": 1.25, "ci": [1.05, 1.4]}}}}})
    >>> label, value, interval, explanation = summary_items(table)[0]
    >>> label, value, interval
    ('Demographic parity ratio', '1.250', 'f vs m: 1.050 – 1.400')
    >>> explanation
    'f compared with the reference group m, with its interval, as in the table (value [interval]); the spread over groups, smallest over largest or largest minus smallest, is 0.800.'
    """
    judged = table.summary.get("judged_by") or {}
    items = []
    for name, value in table.summary.items():
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        label = name.replace("_", " ").capitalize().replace("Auc ", "AUC ")
        same = same_comparison(table, name, value)
        if same is not None:
            group, compared = same
            reference = plain(table.reference_group)
            low, high = compared.ci
            items.append((label, number(compared.value), f"{plain(group)} vs {reference}: {number(low)} – {number(high)}",
                          f"{plain(group)} compared with the reference group {reference}, with its interval, as in "
                          f"the table (value [interval]); the spread over groups, smallest over largest or largest "
                          f"minus smallest, is {number(value)}."))
        elif name in judged:
            items.append((label, number(value), "no interval",
                          "A spread over groups (largest minus smallest, or smallest over largest): no bootstrap "
                          "interval of it holds its coverage, so none is shown; each group's comparison in the "
                          "table carries one."))
        else:
            items.append((label, number(value), None, label + "."))
    return items


def same_comparison(table, name: str, value: float):
    """The group whose comparison with the reference group is the summary measure ``name`` (same kind,
    same metric, same size), with that comparison (a ``Comparison`` with its interval); None when there
    is none."""
    judged = (table.summary.get("judged_by") or {}).get(name) or {}
    metrics = judged.get("metrics") or []
    kind = {"ratio": "ratios", "difference": "differences"}.get(judged.get("comparison"))
    if kind is None or len(metrics) != 1:
        return None
    for row in table.rows:
        compared = (getattr(row, kind) or {}).get(metrics[0])
        if compared is None or compared.value is None or not compared.ci or None in compared.ci:
            continue
        signed = float(compared.value)
        # a spread is unsigned (largest minus smallest) or at most 1 (smallest over largest): the
        # comparison against the reference group may be its negative or its inverse
        candidates = [abs(signed)] if kind == "differences" else [signed] + ([1 / signed] if signed else [])
        if any(abs(v - float(value)) <= 1e-9 for v in candidates):
            return row.group, compared
    return None


def compare_frame(table, metric: str) -> pd.DataFrame:
    """One metric per group with its difference and ratio against the reference group."""
    rows = []
    for group in table.rows:
        if not group.listed:
            continue
        reference = group.group == table.reference_group
        difference, ratio = group.difference(metric), group.ratio(metric)
        rows.append({
            "group": group.group + (" (reference)" if reference else ""),
            "n": group.n,
            names.metric(metric): with_interval(group.value(metric), group.interval(metric)),
            "difference": "—" if reference else with_interval(*_pair(difference)),
            "ratio": "—" if reference else with_interval(*_pair(ratio)),
            "small group": "yes" if group.small_group else "",
        })
    return pd.DataFrame(rows)


def _pair(compared) -> tuple:
    return (None, None) if compared is None else (compared.value, compared.ci)


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
        table = entry.result.fairness_tables().get(name)
        attributes = (table.attributes if table is not None else ()) or name.split("*")
        reference = {name: table.reference_group} if table is not None and table.reference_group else None
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
    recorded = [(table.sections.get("bootstrap") or {}).get("n_resamples")
                for table in entry.result.fairness_tables().values()]
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
        audited = entry.result.fairness_tables()
        policy = getattr(entry.spec, "policy", None)

        def setting(section, name, default):
            return policy.setting(section, name, default) if hasattr(policy, "setting") else default

        references = {name: table.reference_group for name, table in audited.items()
                      if table.reference_group is not None}
        report = fairness_at_threshold(
            entry.data.y_true_positive(), scores(entry), entry.data.groups, threshold,
            reference_groups=references or None,
            intersections=any(len(t.attributes) > 1 for t in audited.values()),
            n_resamples=run_resamples(entry) or setting("fairness", "n_resamples", 1000),
            confidence=setting("audit", "confidence", 0.95),
            min_group_size=setting("fairness", "min_group_size", 30),
            random_state=entry.settings.get("seed", 0))
        return {name: report[name] for name in audited if name in report}

    return entry.view(("explored_fairness", round(float(threshold), 4)), compute)
