"""Trend charts as inline SVG, drawn on the server. Pure: no Django, no JavaScript, nothing
fetched; the same markup renders in a browser and in WeasyPrint. Every text is escaped."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape

from .catalogue import Band

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 16, 40
KEY_LINE = 16  # a line below the caption for the guideline bands' key


@dataclass(frozen=True)
class Point:
    on: date
    value: Decimal


@dataclass(frozen=True)
class Axis:
    bottom: float
    top: float
    step: float

    @property
    def ticks(self) -> list[float]:
        count = round((self.top - self.bottom) / self.step)
        return [self.bottom + self.step * n for n in range(count + 1)]

    def label(self, value: float) -> str:
        """The tick as written: as many decimals as the step has (0.25 → two), no more."""
        places = 0
        while abs(self.step * 10**places - round(self.step * 10**places)) > 1e-6 and places < 6:
            places += 1
        return f"{value:.{places}f}"


def nice_step(span: float, ticks: int = 4) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into about `ticks`."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for mantissa in (1, 2, 2.5, 5, 10):
        if mantissa * power >= raw - 1e-12:
            return mantissa * power
    return 10 * power


def axis(values: Sequence[float], *, low: float | None, high: float | None) -> Axis:
    """The value axis: round ticks, every value on it, and the reference band in view. An
    open-ended range (folate ≥ 4) shows a stretch beyond its limit, so a value below the band
    is seen below it, not on an axis that stops short of the band."""
    top = max([*values, *(v for v in (low, high) if v is not None)])
    bottom = min([*values, *(v for v in (low, high) if v is not None)])
    spread = (top - bottom) or max(abs(top), 1.0)
    if high is None and low is not None:
        top = max(top, low + max(spread, abs(low) * 0.25))
    if low is None:
        bottom = min(bottom, 0.0)
    pad = (top - bottom) * 0.05 or max(abs(top), 1.0) * 0.5
    top, bottom = top + pad, max(0.0, bottom - pad)
    step = nice_step(top - bottom)
    return Axis(
        bottom=math.floor(bottom / step + 1e-9) * step,
        top=math.ceil(top / step - 1e-9) * step,
        step=step,
    )


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def trend_svg(
    *,
    title: str,
    unit: str,
    points: Sequence[Point],
    band: tuple[Decimal | None, Decimal | None] = (None, None),
    markers: Sequence[date] = (),
    guideline: Sequence[Band] = (),
    today: date,
) -> str:
    """A line of values over time, the reference band shaded, injections as ticks along the
    bottom. Empty when there is nothing to draw. With `guideline` bands (B12: deficient,
    indeterminate, deficiency unlikely), those are shaded instead and each value is flagged
    with its band: 221 pmol/L is "indeterminate", not a point in a green reference range."""
    if not points:
        return ""
    points = sorted(points, key=lambda p: p.on)
    first = min([points[0].on, *(m for m in markers if m >= points[0].on - timedelta(days=30))])
    last = max(points[-1].on, min(today, points[-1].on + timedelta(days=30)))
    if last <= first:
        last = first + timedelta(days=1)
    values = [float(p.value) for p in points]
    low, high = (None if b is None else float(b) for b in band)
    limits = [float(b.limit) for b in guideline if b.limit is not None]
    if limits:
        # The bands, not the laboratory's range: every limit on the axis, a stretch above.
        # Half the lowest limit too, so the deficient band shows as a band, not a sliver.
        low, high = max(limits), None
        values = [*values, *limits, min(limits) / 2]
    scale = axis(values, low=low, high=high)
    values = values[: len(points)]
    top, bottom = scale.top, scale.bottom
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    days = (last - first).days

    def x(on: date) -> float:
        return LEFT + plot_w * (on - first).days / days

    def y(value: float) -> float:
        return TOP + plot_h * (top - value) / (top - bottom)

    label = title if not unit or f"({unit})" in title else f"{title} ({unit})"
    summary = (
        f"{label}: {len(points)} results from {points[0].on:%-d %b %Y} to "
        f"{points[-1].on:%-d %b %Y}, latest {_fmt(values[-1])}"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT + (KEY_LINE if limits else 0)}" '
        f'width="100%" class="trend" role="img" data-test="{escape(title)}">',
        f"<title>{escape(summary)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#adb5bd" stroke-width="1"/>',
    ]
    if limits:
        parts.extend(_guideline_rects(guideline, y=y, top=top, bottom=bottom))
    elif low is not None or high is not None:
        band_top = y(min(high, top)) if high is not None else TOP
        band_bottom = y(max(low, bottom)) if low is not None else TOP + plot_h
        parts.append(
            f'<rect class="band" x="{LEFT}" y="{band_top:.1f}" width="{plot_w}" '
            f'height="{max(0.0, band_bottom - band_top):.1f}" fill="#d1e7dd"/>'
        )
    for value in scale.ticks:
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#495057">{escape(scale.label(value))}</text>'
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
        found = band_of(point.value, guideline)
        colour = FLAG_COLOURS.get(_shade(found, guideline), "#0d6efd")
        said = f"{point.on:%-d %b %Y}: {point.value}" + (f" ({found.label})" if found else "")
        parts.append(
            f'<circle cx="{x(point.on):.1f}" cy="{y(float(point.value)):.1f}" r="3.5" '
            f'fill="{colour}" data-band="{escape(found.label if found else "")}">'
            f"<title>{escape(said)}</title></circle>"
        )
    latest = band_of(points[-1].value, guideline)
    if latest is not None:
        px, py = x(points[-1].on), y(float(points[-1].value))
        anchor = "end" if px > LEFT + plot_w / 2 else "start"
        parts.append(
            f'<text class="flag" x="{px + (-6 if anchor == "end" else 6):.1f}" y="{py - 6:.1f}" '
            f'font-size="11" font-weight="bold" text-anchor="{anchor}" '
            f'fill="{FLAG_COLOURS.get(_shade(latest, guideline), "#212529")}">'
            f"{escape(f'{_fmt(float(points[-1].value))} {latest.label}')}</text>"
        )
    for on, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f'<text x="{x(on):.1f}" y="{TOP + plot_h + 16}" font-size="11" '
            f'text-anchor="{anchor}" fill="#495057">{on:%-d %b %Y}</text>'
        )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="11" fill="#495057">'
        f"{escape(label)} · {'' if limits else 'shaded: reference range · '}"
        "purple ticks: injections</text>"
    )
    if limits:
        parts.append(
            f'<text class="key" x="{LEFT}" y="{HEIGHT + KEY_LINE - 6}" font-size="11" '
            f'fill="#495057">{escape(_key(guideline))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# Shades by what a band means: the first is deficient, the last reassuring, any between unsure.
SHADES = {"low": "#f8d7da", "middle": "#fff3cd", "high": "#d1e7dd"}
FLAG_COLOURS = {"low": "#b02a37", "middle": "#8a5300"}
SHADE_WORDS = {"low": "red", "middle": "amber", "high": "green"}


def band_of(value: Decimal, bands: Sequence[Band]) -> Band | None:
    return next((b for b in bands if b.holds(value)), None)


def _shade(found: Band | None, bands: Sequence[Band]) -> str:
    if found is None or not bands:
        return ""
    index = list(bands).index(found)
    return "low" if index == 0 else "high" if index == len(bands) - 1 else "middle"


def _guideline_rects(
    bands: Sequence[Band], *, y: Callable[[float], float], top: float, bottom: float
) -> list[str]:
    rects = []
    floor = bottom
    for band in bands:
        ceiling = min(float(band.limit), top) if band.limit is not None else top
        if ceiling > floor:
            rects.append(
                f'<rect class="band" data-band="{escape(band.label)}" x="{LEFT}" '
                f'y="{y(ceiling):.1f}" width="{WIDTH - LEFT - RIGHT}" '
                f'height="{y(floor) - y(ceiling):.1f}" fill="{SHADES[_shade(band, bands)]}"/>'
            )
        floor = max(floor, ceiling)
    return rects


def _key(bands: Sequence[Band]) -> str:
    if not bands:
        return "shaded: reference range"
    return "shaded: " + ", ".join(
        f"{band.label} ({SHADE_WORDS[_shade(band, bands)]})" for band in bands
    )
