"""Chart geometry for server-rendered SVG: the templates draw what these compute.

Hand-written rather than a vendored charting library: three small charts (stacked bars,
points with two reference lines, a sparkline) are a few lines of arithmetic each, need no
JavaScript, and draw in the page's own colours (CSS classes), so both themes hold. Text
stays in the HTML around each chart and in its table, where it keeps a readable size on a
phone; the SVG itself scales to its container's width.
"""

from dataclasses import dataclass

WIDTH = 600
HEIGHT = 160


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Line:
    y: float
    css: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: tuple[Rect, ...] = ()
    points: str = ""  # an SVG polyline's points
    dots: tuple[tuple[float, float, str], ...] = ()
    lines: tuple[Line, ...] = ()
    top: float = 0  # the value at the top edge, for the axis label in the HTML


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** len(str(int(value))) / 10 if value >= 1 else 1
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always ends at 10


def stacked_bars(columns, statuses, labels) -> Chart:
    """One bar per column, its segments stacked bottom-up in the order of `statuses`.

    `columns` are (label, {status: count}); `labels` name each status for the titles."""
    top = _nice_top(max((sum(counts.values()) for _, counts in columns), default=0))
    slot = WIDTH / max(len(columns), 1)
    gap = min(2.0, slot / 4)
    rects = []
    for index, (label, counts) in enumerate(columns):
        bottom = HEIGHT
        for status in statuses:
            count = counts.get(status, 0)
            if not count:
                continue
            height = HEIGHT * count / top
            bottom -= height
            rects.append(
                Rect(
                    round(index * slot + gap / 2, 2),
                    round(bottom, 2),
                    round(slot - gap, 2),
                    round(height, 2),
                    f"bar-{status}",
                    f"{label}: {count} {labels[status]}",
                )
            )
    return Chart(WIDTH, HEIGHT, rects=tuple(rects), top=top)


def points_with_lines(values, lines=(), titles=()) -> Chart:
    """`values` as dots left to right (evenly spaced, in order) under a shared scale with
    the horizontal `lines` ((value, css, title)); `titles` label each dot."""
    top = _nice_top(max([*values, *(value for value, _, _ in lines)], default=0))
    count = len(values)
    step = WIDTH / count if count else 0
    dots = tuple(
        (
            round(step * (index + 0.5), 2),
            round(HEIGHT - HEIGHT * value / top, 2),
            titles[index] if index < len(titles) else "",
        )
        for index, value in enumerate(values)
    )
    drawn = tuple(
        Line(round(HEIGHT - HEIGHT * value / top, 2), css, title) for value, css, title in lines
    )
    return Chart(WIDTH, HEIGHT, dots=dots, lines=drawn, top=top)


def polyline(values, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """`values` (None for a gap, skipped) joined left to right, scaled to the largest."""
    known = [value for value in values if value is not None]
    top = _nice_top(max(known, default=0))
    step = width / max(len(values) - 1, 1)
    inset = 2  # keeps a stroke at the top or bottom edge inside the box
    points = " ".join(
        f"{round(index * step, 2)},{round(inset + (height - 2 * inset) * (1 - value / top), 2)}"
        for index, value in enumerate(values)
        if value is not None
    )
    return Chart(width, height, points=points, top=top)
