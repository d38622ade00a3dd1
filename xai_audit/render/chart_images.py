"""Saliency galleries: each attribution map on its own colour scale, under its input image.

One shared scale lets the strongest map wash the others out, so every map gets its own scale and
its own colour bar. Signed maps (evidence for and against) use a diverging palette centred on zero;
unsigned maps (magnitudes such as saliency) use a sequential one that starts at zero.
"""

from __future__ import annotations

import io
import re

import numpy as np

from xai_audit.render.chart_style import FONT, wrap_label

SIGNED_PALETTE = "PuOr_r"  # purple: lowers the explained class's score; orange: raises it
UNSIGNED_PALETTE = "cividis"  # sequential, colour-blind safe: dark is little, yellow is much
PIXELS = 48


def map_limits(array, *, signed: bool) -> tuple[float, float]:
    """The colour scale of one map: symmetric about zero when signed, from zero when unsigned.

    Examples
    --------
    >>> map_limits(np.array([[0.5, -2.0]]), signed=True), map_limits(np.array([[0.5, 2.0]]), signed=False)
    ((-2.0, 2.0), (0.0, 2.0))
    """
    finite = np.abs(array[np.isfinite(array)]) if array.size else np.array([])
    top = float(finite.max()) if finite.size else 0.0
    top = top or 1.0
    return (-top, top) if signed else (0.0, top)


def draw_gallery(book, images, maps, captions, *, title, desc, reading, signed=True):
    """Input images (top row, when given) over their attribution maps, one colour bar per map."""
    maps = [shrink(np.asarray(m, dtype=float)) for m in maps]
    if not signed:
        maps = [np.abs(m) for m in maps]
    inputs = [as_picture(np.asarray(i, dtype=float)) for i in images] if images else []
    columns = max(len(maps), 1)
    rows = 2 if inputs else 1
    palette = SIGNED_PALETTE if signed else UNSIGNED_PALETTE
    captions = [wrap_label(c, 16) for c in captions]
    caption_lines = max((c.count("\n") + 1 for c in captions), default=1)

    def draw(fig):
        axes = fig.subplots(rows, columns, squeeze=False)
        for k in range(columns):
            top_axis = axes[0][k]
            if inputs:
                top_axis.imshow(inputs[k], cmap="gray" if inputs[k].ndim == 2 else None)
            top_axis.set_title(captions[k] if k < len(captions) else "", loc="center")
            if k < len(maps):
                low, high = map_limits(maps[k], signed=signed)
                shown = axes[-1][k].imshow(maps[k], cmap=palette, vmin=low, vmax=high)
                bar = fig.colorbar(shown, ax=axes[-1][k], orientation="horizontal", fraction=0.08, pad=0.04)
                bar.set_ticks([low, high] if not signed else [low, 0.0, high])
                ticks = bar.ax.set_xticklabels([f"{v:.2g}" for v in ([low, high] if not signed else [low, 0.0, high])])
                ticks[0].set_horizontalalignment("left")  # the end labels of neighbouring bars must not touch
                ticks[-1].set_horizontalalignment("right")
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        if inputs:
            axes[0][0].set_ylabel("input")
        axes[-1][0].set_ylabel("attribution" if signed else "magnitude")

    size = (1.55 * columns + 0.5, 1.75 * rows + 0.45 + 0.16 * caption_lines)
    return book._make(lambda prefix: matplotlib_svg(draw, size, prefix), title, desc, reading)


def shrink(array, size: int = PIXELS):
    """Average down to at most ``size`` pixels a side, so large images stay light in the report."""
    if array.ndim == 3:
        array = array.sum(axis=0) if array.shape[0] <= 4 else array.mean(axis=-1)
    step = max(1, -(-max(array.shape) // size))
    if step == 1:
        return array
    h, w = (array.shape[0] // step) * step, (array.shape[1] // step) * step
    return array[:h, :w].reshape(h // step, step, w // step, step).mean(axis=(1, 3))


def as_picture(image):
    """C×H×W (or H×W) scaled to [0, 1] for display: grey for one channel, RGB for three."""
    if image.ndim == 3 and image.shape[0] in (3, 4):
        picture = np.stack([shrink(channel) for channel in image[:3]], axis=-1)
    else:
        picture = shrink(image)
    low, high = float(np.min(picture)), float(np.max(picture))
    return (picture - low) / (high - low) if high > low else np.zeros_like(picture)


# -- matplotlib, for the galleries only: settings, drawing, and its SVG made ready to inline ----------

RC = {
    "svg.hashsalt": "xai-audit",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": FONT,
    "axes.titlesize": FONT,
    "axes.labelsize": FONT,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.fontsize": FONT,
    "figure.titlesize": FONT,
    "axes.edgecolor": "#333333",
    "figure.dpi": 72,
    "savefig.dpi": 72,
    "image.interpolation": "nearest",
}
_STYLE_BLOCK = re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_REFERENCE = re.compile(r"(url\(#|href=\"#)([^)\"]+)")
_ID = re.compile(r"\sid=\"([^\"]*)\"")


def matplotlib_svg(draw, size, prefix: str) -> str:
    """``draw(figure)`` on a constrained-layout figure of ``size`` inches, as an ``<svg>`` with ids prefixed.

    matplotlib escapes the text it writes; ids are rewritten only inside tags, never in text.
    """
    import gc

    import matplotlib
    from matplotlib.figure import Figure

    # A figure is thousands of small linked objects; the cyclic collector would otherwise walk the
    # whole heap (the loaded record included) many times per figure. It runs again once drawn.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with matplotlib.rc_context(RC):
            fig = Figure(figsize=size, layout="constrained")
            draw(fig)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    finally:
        if collecting:
            gc.enable()
    return _prefixed(buffer.getvalue(), prefix)


def _prefixed(raw: str, prefix: str) -> str:
    """matplotlib's SVG without prolog or style block, ids that are referenced prefixed, the rest dropped."""
    svg = raw[raw.index("<svg"):]
    svg = _STYLE_BLOCK.sub("", svg, count=1)
    referenced = {match.group(2) for tag in _TAG.findall(svg) for match in _REFERENCE.finditer(tag)}

    def fix_tag(match):
        tag = match.group(0)
        tag = _ID.sub(lambda m: f' id="{prefix}-{m.group(1)}"' if m.group(1) in referenced else "", tag)
        return _REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", tag)

    return re.sub(r"\n\s*", "\n", _TAG.sub(fix_tag, svg))
