"""Images and their attribution maps as Altair pixel grids (crisp at any size, with values on hover).

The audit's ``explanations["images"]`` holds ``samples`` (row, image, true and predicted label,
probability), ``methods`` (one map per sample and method) and ``sanity_check`` (per method: does
the map change when the model's weights are randomised).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from audit_app.display import fmt

ON_DEMAND_METHODS = ("saliency", "integrated_gradients")


def pixel_frame(array: np.ndarray) -> pd.DataFrame:
    """A (C, H, W) or (H, W) array as one row per pixel, channels averaged."""
    array = np.asarray(array, dtype=float)
    if array.ndim == 3:
        array = array.mean(axis=0)
    rows, columns = np.indices(array.shape)
    return pd.DataFrame({"row": rows.ravel(), "column": columns.ravel(), "value": array.ravel()})


def pixel_chart(array: np.ndarray, *, title: str, signed: bool, size: int = 220) -> alt.Chart:
    """The image (grey) or an attribution map (red raises the explained class's score, blue lowers it)."""
    frame = pixel_frame(array)
    if signed:
        bound = float(np.abs(frame["value"]).max()) or 1.0
        scale = alt.Scale(scheme="redblue", domain=[bound, -bound])
    else:
        scale = alt.Scale(scheme="greys", reverse=True)
    return alt.Chart(frame, title=title).mark_rect().encode(
        x=alt.X("column:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("value:Q", scale=scale, legend=alt.Legend(orient="bottom", title=None) if signed else None),
        tooltip=["row", "column", alt.Tooltip("value:Q", format=".4f")],
    ).properties(width=size, height=size)


def samples(section: dict) -> list[dict]:
    """The audited sample of images (each with ``row``, ``image``, labels and probability)."""
    images = (section or {}).get("images") or {}
    return [s for s in images.get("samples") or [] if isinstance(s, dict) and "image" in s]


def stored_maps(section: dict, index: int) -> dict:
    """``{method: map}`` for the ``index``-th audited sample."""
    methods = ((section or {}).get("images") or {}).get("methods") or {}
    maps = {}
    for method, part in methods.items():
        entries = (part or {}).get("maps") or []
        if index < len(entries) and entries[index] is not None:
            maps[method] = np.asarray(entries[index], dtype=float)
    return maps


def sanity_frame(section: dict) -> pd.DataFrame | None:
    """The model-randomisation sanity check per method."""
    checks = ((section or {}).get("images") or {}).get("sanity_check") or {}
    rows = [{"method": method.replace("_", " "), "passed": "yes" if c.get("passed") else "no",
             "rank correlation": fmt(c.get("mean_rank_correlation")), "SSIM": fmt(c.get("mean_ssim")),
             "threshold": fmt(c.get("threshold")), "verdict": c.get("verdict", "")}
            for method, c in checks.items() if isinstance(c, dict)]
    return pd.DataFrame(rows) if rows else None


def error(section: dict) -> str | None:
    images = (section or {}).get("images") or {}
    return str(images["error"]) if isinstance(images, dict) and "error" in images else None
