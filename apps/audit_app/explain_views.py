"""Read the audit's ``explanations`` section into tables the Explanations page can chart.

The section holds, per method, ``global_importance`` (with ``global_importance_ci``), ``quality``,
``meta``, ``local`` (rows, values, base values, outputs), ``dependence`` (per top feature: its values
and their attributions) and ``pdp`` (grid and average); next to the methods, ``agreement``,
``coverage`` and, where nothing could be explained, ``skipped``. A method that failed holds
``{"error": message}``. Each reader returns None where its part is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_app.display import fmt


def methods(explanations: dict) -> dict:
    """The explained methods: ``{name: section}`` for entries with a global importance."""
    return {name: part for name, part in (explanations or {}).items()
            if isinstance(part, dict) and "global_importance" in part}


def failures(explanations: dict) -> dict:
    """``{method: message}`` for explainers that failed."""
    return {name: str(part["error"]) for name, part in (explanations or {}).items()
            if isinstance(part, dict) and "error" in part and name != "images"}


def importance_frame(section: dict) -> pd.DataFrame:
    """Global importance with its interval, largest first."""
    values = section.get("global_importance") or {}
    intervals = section.get("global_importance_ci") or {}
    rows = []
    for feature, value in values.items():
        interval = intervals.get(feature) or [None, None]
        rows.append({"feature": str(feature), "importance": value, "low": interval[0], "high": interval[1]})
    return pd.DataFrame(rows)


def ranks_frame(explained: dict) -> pd.DataFrame:
    """Features × methods: each method's global importance as a rank (1 = most important)."""
    ranks = {name: {feature: position + 1 for position, feature in enumerate(part.get("global_importance") or {})}
             for name, part in explained.items()}
    frame = pd.DataFrame(ranks)
    if frame.empty:
        return frame
    frame.index.name = "feature"
    return frame.sort_values(list(frame.columns)[0]).reset_index()


def agreement_frame(explanations: dict) -> pd.DataFrame | None:
    """Pairwise agreement of the methods' importances (rank correlation and top-k overlap)."""
    agreement = (explanations or {}).get("agreement") or {}
    pairs = agreement.get("pairs") if isinstance(agreement.get("pairs"), (dict, list)) else agreement
    rows = []
    items = pairs.items() if isinstance(pairs, dict) else ((p.get("methods"), p) for p in pairs)
    for pair, values in items:
        if isinstance(values, dict) and ("spearman" in values or "top_k_overlap" in values):
            rows.append({"methods": pair if isinstance(pair, str) else " vs ".join(map(str, pair or [])),
                         "rank correlation": fmt(values.get("spearman")),
                         "top-k overlap": fmt(values.get("top_k_overlap")), "k": values.get("k")})
    return pd.DataFrame(rows) if rows else None


def quality_frame(section: dict) -> pd.DataFrame | None:
    """The explanation-quality measures of one method as measure / value rows."""
    quality = (section or {}).get("quality") or {}
    rows = [{"measure": str(name).replace("_", " "), "value": fmt(value) if not isinstance(value, str) else value}
            for name, value in quality.items() if value is None or isinstance(value, (int, float, str, bool))]
    return pd.DataFrame(rows) if rows else None


def local_rows(section: dict, feature_names: list) -> pd.DataFrame | None:
    """Stored local attributions: rows × features, indexed by the rows' positions in the data."""
    local = (section or {}).get("local") or {}
    positions, values = local.get("rows"), local.get("values")
    if not positions or not values:
        return None
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(feature_names) or len(positions) != len(values):
        return None
    return pd.DataFrame(values, columns=list(feature_names), index=[int(p) for p in positions])


def dependence_frame(section: dict, feature: str) -> pd.DataFrame | None:
    """One feature's values against their attributions, one point per explained row."""
    part = ((section or {}).get("dependence") or {}).get(feature)
    if not isinstance(part, dict) or "x" not in part:
        return None
    values = part.get("shap", part.get("attribution"))
    if values is None or len(values) != len(part["x"]):
        return None
    frame = pd.DataFrame({feature: part["x"], "attribution": values}).dropna()
    if frame[feature].map(lambda v: isinstance(v, str)).any():
        frame[feature] = frame[feature].astype(str)
    return frame


def pdp_frame(section: dict, feature: str) -> pd.DataFrame | None:
    """One feature's partial-dependence curve: the grid and the average output."""
    curve = ((section or {}).get("pdp") or {}).get(feature)
    if not isinstance(curve, dict) or "grid" not in curve or "average" not in curve:
        return None
    if len(curve["grid"]) != len(curve["average"]):
        return None
    frame = pd.DataFrame({feature: curve["grid"], "average output": curve["average"]})
    if curve.get("kind") == "categorical" or frame[feature].map(lambda v: isinstance(v, str)).any():
        frame[feature] = frame[feature].astype(str)
    return frame


def curve_features(section: dict) -> list[str]:
    """Features with a dependence or a partial-dependence curve, most important first."""
    names = list((section or {}).get("dependence") or {}) + list((section or {}).get("pdp") or {})
    return list(dict.fromkeys(names))
