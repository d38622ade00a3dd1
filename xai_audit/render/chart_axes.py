"""Axes of a chart drawn as SVG: data mapped to points, grid, ticks, tick labels, axis titles, legends.

One :class:`Axes` is a plot area placed by its margins in a :class:`~xai_audit.render.svg.Drawing`.
The look follows the report's earlier matplotlib charts: a light grid, spines left and bottom only,
ticks outside, labels at 9 points. The functions ``*_room`` say how much space text needs, so that
a chart sizes its margins before it draws and no label is ever clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from xai_audit.render.chart_style import AXIS, FONT, GRID, LINE, wrap_to
from xai_audit.render.svg import Drawing, nice_ticks, text_width, tick_labels

TICK = 3.5  # points: the length of a tick mark
GAP = 3.0  # points between a tick and its label, or between blocks of text
ASCENT = 0.72 * FONT  # from a line's baseline to the top of its capitals
SWATCH = 14.0  # points: the width of a legend's sample


@dataclass(frozen=True)
class Entry:
    """One legend entry: its text and how its series is drawn.

    ``kind`` is ``"bar"`` (a filled box, optionally hatched), ``"line"`` (a stroke, optionally dashed)
    or ``"marker"`` (``shape`` ``o``, ``s`` or ``D``).
    """

    text: str
    color: str
    kind: str = "bar"
    hatch: str = ""
    dash: str | None = None
    shape: str = "o"


def limits(values, *, margin: float = 0.05, include_zero: bool = False) -> tuple[float, float]:
    """The axis range of ``values`` with ``margin`` of the span added on both sides (1 wide when flat).

    Examples
    --------
    >>> limits([0.0, 1.0])
    (-0.05, 1.05)
    >>> limits([2.0])
    (1.5, 2.5)
    """
    values = [float(v) for v in values] + ([0.0] if include_zero else [])
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        return low - 0.5, high + 0.5
    pad = margin * (high - low)
    return low - pad, high + pad


def fitted_ticks(low: float, high: float, length: float, *, bins: int = 5, across: bool = True) -> list[float]:
    """Ticks for an axis ``length`` points long whose labels never touch: fewer when they would.

    ``across``: the labels sit side by side along the axis (an x axis), so their widths count;
    otherwise (a y axis) their height does.

    Examples
    --------
    >>> fitted_ticks(-1000, 400, 300)
    [-1000.0, -750.0, -500.0, -250.0, 0.0, 250.0]
    >>> fitted_ticks(-1000, 400, 60)
    [-1000.0, 0.0]
    """
    ticks: list[float] = []
    for allowed in range(bins, 0, -1):
        ticks = nice_ticks(low, high, allowed, at_least=min(4, allowed))
        if len(ticks) < 2:
            return ticks
        spacing = length * (ticks[1] - ticks[0]) / (high - low)
        need = max(text_width(t, FONT) for t in tick_labels(ticks)) if across else FONT
        if need + 2 * GAP <= spacing:
            return ticks
    return ticks


def edge_room(low: float, high: float, bins: int = 5) -> float:
    """Room in points beside a plot for half of its widest x tick label (ticks may sit on the edges)."""
    return max((text_width(t, FONT) for t in tick_labels(nice_ticks(low, high, bins))), default=0.0) / 2 + 4


def tick_room(ticks) -> float:
    """The width in points of the widest tick label of ``ticks`` (for the left margin)."""
    return max((text_width(t, FONT) for t in tick_labels(ticks)), default=0.0)


def x_axis_room(title_lines: int) -> float:
    """The height in points below the plot taken by x tick labels and a title of ``title_lines`` lines."""
    return TICK + GAP + FONT + (GAP + title_lines * LINE if title_lines else 0.0) + GAP


def legend_rows(entries, width: float) -> list[tuple[Entry, list[str]]]:
    """Each entry with its text wrapped to fit ``width`` points beside its sample."""
    return [(e, wrap_to(e.text, max(width - SWATCH - 2 * GAP, 40))) for e in entries]


def legend_height(rows) -> float:
    """The height in points of a legend of ``rows`` (from :func:`legend_rows`)."""
    return sum(len(lines) * LINE + 2 for _, lines in rows)


def draw_legend(drawing: Drawing, rows, x: float, y: float, *, background: bool = False) -> None:
    """The legend at (x, y), its top left corner, as the group ``<prefix>-legend``."""
    inner = Drawing(0, 0, drawing.prefix)
    inner.patterns = drawing.patterns
    if background:
        width = SWATCH + 2 * GAP + max(text_width(line, FONT) for _, lines in rows for line in lines)
        inner.rect(x - GAP, y - GAP, width + GAP, legend_height(rows) + GAP, fill="#ffffff", kind="legend-box")
    top = y
    for entry, lines in rows:
        middle = top + LINE / 2
        if entry.kind == "line":
            inner.line([(x, middle), (x + SWATCH, middle)], stroke=entry.color, width=1.3, dash=entry.dash)
        elif entry.kind == "marker":
            inner.marker(x + SWATCH / 2, middle, shape=entry.shape, size=7.0, fill=entry.color, stroke="#000000")
        else:
            inner.rect(x, middle - 3.5, SWATCH, 7.0, fill=entry.color, hatch=entry.hatch)
        for k, line in enumerate(lines):
            inner.text(x + SWATCH + 2 * GAP, top + k * LINE + LINE / 2 + ASCENT / 2, line)
        top += len(lines) * LINE + 2
    drawing.group("legend", inner.parts)


class Axes:
    """A plot area of ``drawing``: ``left``/``top`` its corner, ``width``/``height`` its size, in points;
    ``x``/``y`` the data ranges shown (y grows upwards); ``bins`` the most tick intervals per axis.

    Examples
    --------
    >>> ax = Axes(Drawing(200, 100, "f"), left=20, top=10, width=100, height=50, x=(0, 1), y=(0, 1))
    >>> ax.px(0.5), ax.py(1.0)
    (70.0, 10.0)
    """

    def __init__(self, drawing: Drawing, *, left, top, width, height, x, y, bins=5):
        self.drawing = drawing
        self.left, self.top, self.width, self.height = left, top, width, height
        self.x, self.y = x, y
        self.ticks = (fitted_ticks(*x, width, bins=bins), fitted_ticks(*y, height, bins=bins, across=False))

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def px(self, value: float) -> float:
        """The horizontal position of data value ``value``."""
        low, high = self.x
        return self.left + (float(value) - low) / (high - low) * self.width

    def py(self, value: float) -> float:
        """The vertical position of data value ``value`` (larger values higher up)."""
        low, high = self.y
        return self.bottom - (float(value) - low) / (high - low) * self.height

    def x_ticks(self) -> list[float]:
        return self.ticks[0]

    def y_ticks(self) -> list[float]:
        return self.ticks[1]

    def grid(self, *, vertical: bool = True, horizontal: bool = True) -> None:
        """Light lines at the ticks, under everything else."""
        d = self.drawing
        if vertical:
            for tick in self.x_ticks():
                d.line([(self.px(tick), self.top), (self.px(tick), self.bottom)], stroke=GRID, width=0.6)
        if horizontal:
            for tick in self.y_ticks():
                d.line([(self.left, self.py(tick)), (self.right, self.py(tick))], stroke=GRID, width=0.6)

    def spines(self) -> None:
        """The left and bottom edges of the plot."""
        self.drawing.line([(self.left, self.top), (self.left, self.bottom), (self.right, self.bottom)],
                          stroke=AXIS, width=0.8)

    def x_axis(self, title_lines=()) -> None:
        """Ticks and their labels under the plot, then the title lines centred under them."""
        d, ticks = self.drawing, self.x_ticks()
        baseline = self.bottom + TICK + GAP + ASCENT
        for tick, text in zip(ticks, tick_labels(ticks)):
            d.line([(self.px(tick), self.bottom), (self.px(tick), self.bottom + TICK)], stroke="#000000", width=0.8)
            d.text(self.px(tick), baseline, text, anchor="middle")
        self.x_title(title_lines, baseline + FONT - ASCENT + GAP)

    def x_title(self, title_lines, top: float) -> None:
        """Lines centred under the plot from ``top`` (kept inside the figure when wider than the plot)."""
        d = self.drawing
        for k, line in enumerate(title_lines):
            half = text_width(line, FONT) / 2
            centre = min(max(self.left + self.width / 2, half + 2), d.width - half - 2)
            d.text(centre, top + k * LINE + ASCENT, line, anchor="middle")

    def y_axis(self, title_lines=()) -> None:
        """Ticks and their labels left of the plot, then the title turned to read upwards."""
        d, ticks = self.drawing, self.y_ticks()
        for tick, text in zip(ticks, tick_labels(ticks)):
            d.line([(self.left - TICK, self.py(tick)), (self.left, self.py(tick))], stroke="#000000", width=0.8)
            d.text(self.left - TICK - GAP, self.py(tick) + ASCENT / 2, text, anchor="end")
        room = tick_room(ticks)
        for k, line in enumerate(title_lines):
            x = self.left - TICK - GAP - room - GAP - (len(title_lines) - 1 - k) * LINE - (LINE - ASCENT)
            d.text(x, self.top + self.height / 2, line, anchor="middle", rotate=True)

    def category_labels(self, positions, labels) -> None:
        """Labels right-aligned left of the plot, each (of one or more lines) centred on its position."""
        d = self.drawing
        for position, text in zip(positions, labels):
            lines = str(text).split("\n")
            first = self.py(position) - (len(lines) - 1) * LINE / 2 + ASCENT / 2
            for k, line in enumerate(lines):
                d.text(self.left - GAP - 1, first + k * LINE, line, anchor="end")

    def vline(self, value, *, stroke, width=1.0, dash=None) -> None:
        """A line across the plot at x = ``value``."""
        self.drawing.line([(self.px(value), self.top), (self.px(value), self.bottom)], stroke=stroke, width=width,
                          dash=dash)

    def hline(self, value, *, stroke, width=1.0, dash=None) -> None:
        """A line across the plot at y = ``value``."""
        self.drawing.line([(self.left, self.py(value)), (self.right, self.py(value))], stroke=stroke, width=width,
                          dash=dash)


def y_title_room(title_lines, ticks) -> float:
    """The left margin a y axis needs: its tick labels and its turned title of ``title_lines`` lines."""
    return TICK + GAP + tick_room(ticks) + GAP + len(title_lines) * LINE + GAP
