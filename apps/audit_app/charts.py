"""Interactive Altair charts for the app (tooltips, zoom where it helps); data in, chart out.

Charts with a nominal y axis size their rows with ``alt.Step``: a fixed pixel height collapses
their bands when Streamlit lays the chart out.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

POSITIVE = "#1f77b4"
NEGATIVE = "#d62728"
NEUTRAL = "#1f4e79"
# names on a nominal axis are shown whole (up to this many pixels) at 12 px; the tooltip has them too
NAME_AXIS = alt.Axis(labelLimit=280, labelFontSize=12)
CATEGORY_AXIS = alt.Axis(labelLimit=200, labelFontSize=12, labelAngle=-40, labelOverlap=False)


def importance(values: dict, *, title: str, top: int = 20, x_title: str = "mean |attribution|") -> alt.Chart:
    """Horizontal bars of global importance, largest at the top; ``x_title`` names the output's scale."""
    frame = pd.DataFrame({"feature": [str(k) for k in values], "importance": [float(v) for v in values.values()]})
    frame = frame.sort_values("importance", ascending=False).head(top)
    return alt.Chart(frame, title=title).mark_bar(color=NEUTRAL).encode(
        x=alt.X("importance:Q", title=x_title),
        y=alt.Y("feature:N", sort="-x", title=None, axis=NAME_AXIS),
        tooltip=["feature", alt.Tooltip("importance:Q", format=".4f")],
    ).properties(height=alt.Step(22))


def contributions(frame: pd.DataFrame, *, title: str, top: int = 12) -> alt.Chart:
    """Signed per-feature contributions of one row (columns ``feature``, ``value``, ``contribution``)."""
    frame = frame.assign(size=frame["contribution"].abs()).sort_values("size", ascending=False).head(top)
    frame = frame.assign(direction=["raises" if c >= 0 else "lowers" for c in frame["contribution"]],
                         shown=["" if v is None else str(v) for v in frame["value"]]).drop(columns="value")
    return alt.Chart(frame, title=title).mark_bar().encode(
        x=alt.X("contribution:Q", title="contribution to the output"),
        y=alt.Y("feature:N", sort=alt.EncodingSortField("size", order="descending"), title=None, axis=NAME_AXIS),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["raises", "lowers"], range=[POSITIVE, NEGATIVE]),
                        legend=alt.Legend(title="the output", orient="bottom")),
        tooltip=["feature", alt.Tooltip("shown:N", title="value"), alt.Tooltip("contribution:Q", format=".4f")],
    ).properties(height=alt.Step(24))


def grouped_bars(frame: pd.DataFrame, *, x: str, y: str, title: str, interval: tuple | None = None) -> alt.Chart:
    """One bar per group, with interval whiskers where ``interval`` names the low and high columns."""
    bars = alt.Chart(frame, title=title).mark_bar(color=NEUTRAL, opacity=0.85, width={"band": 0.6}).encode(
        x=alt.X(f"{x}:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y.replace("_", " ")),
        tooltip=[x, alt.Tooltip(f"{y}:Q", format=".3f")],
    )
    if interval is None:
        return bars
    low, high = interval
    whiskers = alt.Chart(frame).mark_errorbar(color="#333333").encode(
        x=alt.X(f"{x}:N", sort=None), y=alt.Y(f"{low}:Q", title=y.replace("_", " ")), y2=f"{high}:Q")
    return bars + whiskers


def heatmap(frame: pd.DataFrame, *, x: str, y: str, value: str, title: str) -> alt.Chart:
    """A heat map of ``value`` over two group attributes, with the numbers written in the cells."""
    base = alt.Chart(frame, title=title).encode(
        x=alt.X(f"{x}:N", title=x, axis=alt.Axis(labelAngle=0)), y=alt.Y(f"{y}:N", title=y))
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value.replace("_", " "), scale=alt.Scale(scheme="blues")),
        tooltip=[x, y, alt.Tooltip(f"{value}:Q", format=".3f"), *(["n"] if "n" in frame else [])],
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text(f"{value}:Q", format=".2f"),
        color=alt.condition(f"datum['{value}'] > 0.6", alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(height=alt.Step(44))


def lines(frame: pd.DataFrame, *, x: str, y: str, color: str, title: str, rule_at=None) -> alt.Chart:
    """Lines of ``y`` over ``x`` per ``color``, with an optional vertical rule (a chosen threshold)."""
    chart = alt.Chart(frame, title=title).mark_line(point=True).encode(
        x=alt.X(f"{x}:Q", title=x.replace("_", " ")),
        y=alt.Y(f"{y}:Q", title=y.replace("_", " ")),
        color=alt.Color(f"{color}:N", title=color),
        tooltip=[color, alt.Tooltip(f"{x}:Q", format=".2f"), alt.Tooltip(f"{y}:Q", format=".3f")],
    )
    if rule_at is not None:
        rule = alt.Chart(pd.DataFrame({x: [rule_at]})).mark_rule(color="#888888", strokeDash=[4, 4]).encode(x=f"{x}:Q")
        chart = chart + rule
    return chart.interactive(bind_y=False)


def calibration(bins: list, *, title: str) -> alt.Chart:
    """Reliability diagram: observed rate against mean predicted probability, with the diagonal."""
    frame = pd.DataFrame([{"predicted": b["mean_predicted"], "observed": b["observed_rate"], "n": b["n"]}
                          for b in bins])
    diagonal = alt.Chart(pd.DataFrame({"predicted": [0.0, 1.0], "observed": [0.0, 1.0]})).mark_line(
        color="#999999", strokeDash=[4, 4]).encode(x="predicted:Q", y="observed:Q")
    points = alt.Chart(frame, title=title).mark_line(point=True, color=NEUTRAL).encode(
        x=alt.X("predicted:Q", title="mean predicted probability", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("observed:Q", title="observed rate", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("predicted:Q", format=".3f"), alt.Tooltip("observed:Q", format=".3f"), "n"],
    )
    return diagonal + points


def curve(frame: pd.DataFrame, *, x: str, y: str, title: str, points: pd.DataFrame | None = None,
          x_title: str | None = None) -> alt.Chart:
    """A dependence or partial-dependence curve, optionally over the scattered per-row values."""
    kind = _kind(frame[x])
    line = alt.Chart(frame, title=title).mark_line(color=NEUTRAL, point=kind == "N").encode(
        x=alt.X(f"{x}:{kind}", title=x_title or x, axis=CATEGORY_AXIS if kind == "N" else alt.Axis()),
        y=alt.Y(f"{y}:Q", title=y.replace("_", " ")), tooltip=[x, alt.Tooltip(f"{y}:Q", format=".4f")])
    if points is None or points.empty:
        return line
    pkind = _kind(points[x])
    dots = alt.Chart(points).mark_circle(opacity=0.45, color=POSITIVE).encode(
        x=alt.X(f"{x}:{pkind}", title=x_title or x), y=alt.Y(f"{y}:Q"), tooltip=[x, alt.Tooltip(f"{y}:Q", format=".4f")])
    return dots + line if kind == pkind else dots


def scatter(frame: pd.DataFrame, *, x: str, y: str, title: str, color: str | None = None,
            x_title: str | None = None) -> alt.Chart:
    """Per-row attributions against the feature's value."""
    kind = _kind(frame[x])
    encoding = {"x": alt.X(f"{x}:{kind}", title=x_title or x, axis=CATEGORY_AXIS if kind == "N" else alt.Axis()),
                "y": alt.Y(f"{y}:Q", title=y.replace("_", " ")),
                "tooltip": [x, alt.Tooltip(f"{y}:Q", format=".4f")]}
    if color:
        encoding["color"] = alt.Color(f"{color}:N")
    points = alt.Chart(frame, title=title).mark_circle(opacity=0.6, color=POSITIVE, size=40)
    return points.encode(**encoding).interactive()


def _kind(values: pd.Series) -> str:
    """Vega-Lite type of a column: quantitative for numbers, nominal for anything else."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "Q" if numeric else "N"


def threshold_curve(frame: pd.DataFrame, *, x: str, y: str, title: str, x_title: str, y_title: str,
                    point: pd.DataFrame | None = None) -> alt.Chart:
    """A ROC or precision-recall curve on fixed [0, 1] axes, with the chosen cut-off marked."""
    scale = alt.Scale(domain=[0, 1])
    line = alt.Chart(frame, title=title).mark_line(color=NEUTRAL).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=scale), y=alt.Y(f"{y}:Q", title=y_title, scale=scale),
        tooltip=[alt.Tooltip(f"{x}:Q", format=".3f"), alt.Tooltip(f"{y}:Q", format=".3f"),
                 alt.Tooltip("threshold:Q", format=".3f", title="cut-off")])
    if point is None or point.empty:
        return line
    dot = alt.Chart(point).mark_point(color=NEGATIVE, size=120, filled=True).encode(
        x=f"{x}:Q", y=f"{y}:Q", tooltip=["label", alt.Tooltip(f"{x}:Q", format=".3f"),
                                          alt.Tooltip(f"{y}:Q", format=".3f")])
    return line + dot
