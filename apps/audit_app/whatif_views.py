"""What the What-if page shows beside the edit form: the edited values, the before-and-after chart on
one axis, and the recourse for a declined case (``xai_audit.recourse_for``), each value stored on the
audit's entry so that showing the page again never recomputes it.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from audit_app import model_views, state
from audit_app.state import AuditEntry

VALUE_PREFIX = "keep_whatif_value::"
VERSIONS = ("Original", "Edited")
VERSION_COLOURS = ("#9aa5b1", "#1f4e79")
TOP_FEATURES = 12


def value_key(name: str) -> str:
    return VALUE_PREFIX + name


def widget_value(column: pd.Series, value):
    """``value`` as the edit widget of ``column`` holds it: int, float or text."""
    if pd.api.types.is_bool_dtype(column):
        return str(value)
    if pd.api.types.is_integer_dtype(column):
        return int(round(float(value)))
    if pd.api.types.is_numeric_dtype(column):
        return float(value)
    return str(value)


def set_values(values: dict) -> None:
    """Put ``values`` (``{widget key: value}``, as :func:`widget_value` gives them) into the edit widgets.

    A button callback: it runs before the widgets are drawn, so they show the new values.
    """
    saved = st.session_state.setdefault(state.SAVED, {})
    for key, value in values.items():
        st.session_state[key] = value
        saved[key] = value


def widget_values(entry: AuditEntry, values: dict) -> dict:
    """``{feature: value}`` as ``{widget key: widget value}`` for :func:`set_values`."""
    frame = entry.data.frame
    return {value_key(name): widget_value(frame[name], value) for name, value in values.items()}


def edits(entry: AuditEntry, position: int) -> dict:
    """The features whose edit widget differs from the case's original value, with the widget's value."""
    row = entry.data.frame.iloc[position]
    changed = {}
    for name in model_views.features(entry):
        key = value_key(name)
        if key not in st.session_state:
            continue
        shown, original = st.session_state[key], widget_value(entry.data.frame[name], row[name])
        same = (math.isclose(float(shown), float(original), rel_tol=1e-12, abs_tol=1e-12)
                if isinstance(original, (int, float)) else str(shown) == str(original))
        if not same:
            changed[name] = shown
    return changed


def edit_tag(changes: dict) -> str:
    """A stable text naming a set of edits (the key of what is stored for them)."""
    return repr(sorted((str(k), str(v)) for k, v in changes.items()))


def before_after_frame(before: pd.DataFrame, after: pd.DataFrame | None, *, top: int = TOP_FEATURES) -> pd.DataFrame:
    """The contributions of both versions in one long table (``feature``, ``version``, ``value``,
    ``contribution``), for the ``top`` features with the largest contribution in either version."""
    versions = [(VERSIONS[0], before)] + ([(VERSIONS[1], after)] if after is not None else [])
    size = pd.concat([f.set_index("feature")["contribution"].abs() for _, f in versions], axis=1).max(axis=1)
    keep = size.sort_values(ascending=False, kind="stable").index[:top]
    rows = []
    for version, frame in versions:
        for _, row in frame.set_index("feature").loc[keep].reset_index().iterrows():
            rows.append({"feature": str(row["feature"]), "version": version,
                         "value": "" if row["value"] is None else str(row["value"]),
                         "contribution": float(row["contribution"])})
    return pd.DataFrame(rows, columns=["feature", "version", "value", "contribution"])


def shared_domain(frame: pd.DataFrame) -> list[float]:
    """One x range for both versions: from the smallest to the largest contribution, zero included, padded 5%."""
    low = min(0.0, float(frame["contribution"].min()))
    high = max(0.0, float(frame["contribution"].max()))
    pad = 0.05 * ((high - low) or 1.0)
    return [low - pad, high + pad]


def before_after_chart(frame: pd.DataFrame, *, title: str, axis_title: str) -> alt.Chart:
    """Both versions' contributions as paired bars on one axis: one x scale, so lengths compare directly."""
    order = list(dict.fromkeys(frame["feature"]))
    versions = [v for v in VERSIONS if v in set(frame["version"])]
    return alt.Chart(frame, title=title).mark_bar().encode(
        x=alt.X("contribution:Q", title=axis_title, scale=alt.Scale(domain=shared_domain(frame), nice=False)),
        y=alt.Y("feature:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("version:N", sort=versions),
        color=alt.Color("version:N",
                        scale=alt.Scale(domain=list(versions), range=list(VERSION_COLOURS[:len(versions)])),
                        legend=alt.Legend(title=None, orient="bottom")),
        tooltip=["feature", "version", alt.Tooltip("value:N", title="value"),
                 alt.Tooltip("contribution:Q", format="+.4f")],
    ).properties(height=alt.Step(14))


def axis_title(explanation, entry: AuditEntry) -> str:
    """What the contributions add up to, in the explanation's own output space."""
    space = str((getattr(explanation, "meta", None) or {}).get("output_space", "output"))
    adapter = model_views.model(entry)
    if space == "probability" and adapter.positive_class is not None:
        label = entry.data.labels.value(entry.data.target, adapter.positive_class) if entry.data.target else \
            str(adapter.positive_class)
        return f"contribution to the probability of '{label}'"
    return f"contribution to the model's output ({space})"


# -- recourse ---------------------------------------------------------------------------------------


def can_suggest(entry: AuditEntry) -> bool:
    """Recourse needs a binary model with probabilities (the library says why otherwise)."""
    adapter = model_views.model(entry)
    return adapter.task == "binary" and adapter.has_proba and adapter.positive_class is not None


def recourse(entry: AuditEntry, case: pd.DataFrame, tag: str) -> dict:
    """``xai_audit.recourse_for`` on one case under the audit's policy and seed, stored on the entry.

    The suggestion is kept only if the model, asked again here, approves the case with it applied.
    """
    import xai_audit

    def compute():
        spec = entry.spec
        policy = getattr(spec, "policy", None) or "default"
        seed = entry.result.manifest.get("random_state")
        [answer] = xai_audit.recourse_for(entry.adapter, entry.data, case, policy=policy, random_state=seed)
        if answer["found"]:
            changed = case.copy()
            for change in answer["changes"]:
                changed[change["feature"]] = [change["to"]]
            decision, _ = model_views.score_row(entry, changed)
            answer = dict(answer, confirmed=bool(decision == model_views.model(entry).positive_class))
        return answer

    return entry.view(("recourse", tag), compute)


def changes_frame(entry: AuditEntry, answer: dict) -> pd.DataFrame:
    """A suggestion's changes with plain names and values."""
    labels = entry.data.labels
    return pd.DataFrame([{"Feature": labels.name(c["feature"]), "Now": labels.value(c["feature"], c["from"]),
                          "Would be": labels.value(c["feature"], c["to"])} for c in answer["changes"]],
                        columns=["Feature", "Now", "Would be"])


def constraints_text(entry: AuditEntry) -> str:
    """The constraints a suggestion keeps, as the audit's record states them (sensitive and immutable fixed)."""
    section = entry.result.recourse or {}
    constraints = section.get("constraints") or {}
    labels = entry.data.labels
    fixed = sorted(constraints.get("immutable", {})) or list(entry.data.sensitive)
    parts = [f"never changes {', '.join(labels.name(f) for f in fixed) or 'no feature'} (sensitive or immutable)"]
    rising = constraints.get("increase_only") or []
    falling = constraints.get("decrease_only") or []
    if rising:
        parts.append(f"only raises {', '.join(labels.name(f) for f in rising)}")
    if falling:
        parts.append(f"only lowers {', '.join(labels.name(f) for f in falling)}")
    parts.append(f"changes at most {constraints.get('max_features', 3)} features, within the values seen in the data")
    return "The search " + "; ".join(parts) + "."
