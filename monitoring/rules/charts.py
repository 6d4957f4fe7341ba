"""Trend charts as inline SVG, drawn on the server. Pure: no Django, no JavaScript, nothing
fetched; the same markup renders in a browser and in WeasyPrint. Every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 16, 40


@dataclass(frozen=True)
class Point:
    on: date
    value: Decimal


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def trend_svg(
    *,
    title: str,
    unit: str,
    points: Sequence[Point],
    band: tuple[Decimal | None, Decimal | None] = (None, None),
    markers: Sequence[date] = (),
    today: date,
) -> str:
    """A line of values over time, the reference band shaded, injections as ticks along the
    bottom. Empty when there is nothing to draw."""
    if not points:
        return ""
    points = sorted(points, key=lambda p: p.on)
    first = min([points[0].on, *(m for m in markers if m >= points[0].on - timedelta(days=30))])
    last = max(points[-1].on, min(today, points[-1].on + timedelta(days=30)))
    if last <= first:
        last = first + timedelta(days=1)
    values = [float(p.value) for p in points]
    low, high = (None if b is None else float(b) for b in band)
    top = max(values + [v for v in (high,) if v is not None])
    bottom = min(values + [v for v in (low,) if v is not None])
    if low is None:
        bottom = min(bottom, 0.0)
    spread = (top - bottom) or max(abs(top), 1.0)
    top, bottom = top + spread * 0.1, max(0.0, bottom - spread * 0.1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    days = (last - first).days

    def x(on: date) -> float:
        return LEFT + plot_w * (on - first).days / days

    def y(value: float) -> float:
        return TOP + plot_h * (top - value) / (top - bottom)

    label = f"{title} ({unit})" if unit else title
    summary = (
        f"{label}: {len(points)} results from {points[0].on:%-d %b %Y} to "
        f"{points[-1].on:%-d %b %Y}, latest {_fmt(values[-1])}"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" class="trend" role="img" data-test="{escape(title)}">',
        f"<title>{escape(summary)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#adb5bd" stroke-width="1"/>',
    ]
    if low is not None or high is not None:
        band_top = y(min(high, top)) if high is not None else TOP
        band_bottom = y(max(low, bottom)) if low is not None else TOP + plot_h
        parts.append(
            f'<rect class="band" x="{LEFT}" y="{band_top:.1f}" width="{plot_w}" '
            f'height="{max(0.0, band_bottom - band_top):.1f}" fill="#d1e7dd"/>'
        )
    for value in (bottom, (top + bottom) / 2, top):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#495057">{escape(_fmt(value))}</text>'
        )
    for on in markers:
        if first <= on <= last:
            parts.append(
                f'<line class="dose" x1="{x(on):.1f}" x2="{x(on):.1f}" y1="{TOP + plot_h}" '
                f'y2="{TOP + plot_h - 8}" stroke="#6f42c1" stroke-width="2"/>'
            )
    line = " ".join(f"{x(p.on):.1f},{y(float(p.value)):.1f}" for p in points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#0d6efd" stroke-width="2"/>')
    for point in points:
        parts.append(
            f'<circle cx="{x(point.on):.1f}" cy="{y(float(point.value)):.1f}" r="3.5" '
            f'fill="#0d6efd"><title>{escape(f"{point.on:%-d %b %Y}: {point.value}")}</title>'
            "</circle>"
        )
    for on, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f'<text x="{x(on):.1f}" y="{TOP + plot_h + 16}" font-size="11" '
            f'text-anchor="{anchor}" fill="#495057">{on:%-d %b %Y}</text>'
        )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="11" fill="#495057">'
        f"{escape(label)} · shaded: reference range · purple ticks: injections</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
