"""Trend charts: what they draw, that text is escaped, and that WeasyPrint renders them."""

import math
import re
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.rules.catalogue import BY_CODE
from monitoring.rules.charts import Point, axis, trend_svg
from tests.conftest import on_ci

START = date(2026, 3, 2)


def chart(**changes) -> str:
    values = dict(
        title="Haemoglobin",
        unit="g/L",
        points=[
            Point(START + timedelta(days=d), Decimal(v)) for d, v in ((0, 82), (21, 101), (56, 131))
        ],
        band=(Decimal(120), Decimal(160)),
        markers=[START + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)],
        today=START + timedelta(days=60),
    )
    values.update(changes)
    return trend_svg(**values)


def test_draws_each_value_the_band_and_each_injection():
    svg = chart()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 3
    assert svg.count('class="dose"') == 6
    assert 'class="band"' in svg
    assert "3 results from 2 Mar 2026 to 27 Apr 2026, latest 131" in svg


def test_no_points_no_chart_and_no_band_without_a_range():
    assert chart(points=[]) == ""
    assert 'class="band"' not in chart(band=(None, None))


def test_text_is_escaped():
    svg = chart(title='<script>alert("x")</script>')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


@pytest.mark.parametrize("kind", ["range", "guideline"])
def test_the_same_svg_renders_in_weasyprint(tmp_path, kind):
    if shutil.which("pdftoppm") is None:
        if on_ci():
            pytest.fail("pdftoppm (poppler-utils) is required on CI")
        pytest.skip("pdftoppm not installed")
    from PIL import Image
    from weasyprint import HTML

    svg = chart() if kind == "range" else b12_chart("95", "221", "300")
    html = f"<html><body style='margin:0'><h1>Trend</h1>{svg}</body></html>"
    pdf = tmp_path / "chart.pdf"
    HTML(string=html).write_pdf(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    image = Image.open(tmp_path / "page.png").convert("RGB")
    raw = image.tobytes()
    colours = {tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)}

    # The line (#0d6efd), the band (#d1e7dd) and the injection ticks (#6f42c1) are drawn.
    def near(target: tuple[int, int, int]) -> bool:
        return any(sum(abs(a - b) for a, b in zip(c, target, strict=True)) < 40 for c in colours)

    assert near((0x0D, 0x6E, 0xFD))
    assert near((0xD1, 0xE7, 0xDD))
    assert near((0x6F, 0x42, 0xC1))
    if kind == "guideline":  # the deficient and indeterminate shades too
        assert near((0xF8, 0xD7, 0xDA)) and near((0xFF, 0xF3, 0xCD))


def test_a_deficient_folate_is_drawn_below_its_open_ended_range():
    """Folate 2.61–3.19 µg/L against a range of 4 and above: the band is in view, and every
    value sits below it (the axis once stopped at 3.19 and the band vanished)."""
    svg = chart(
        title="Serum folate",
        unit="µg/L",
        points=[Point(START, Decimal("2.61")), Point(START + timedelta(days=30), Decimal("3.19"))],
        band=(Decimal(4), None),
    )
    band = re.search(r'class="band" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    assert band and float(band[2]) > 10
    band_bottom = float(band[1]) + float(band[2])
    circles = [float(cy) for cy in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert circles and all(cy > band_bottom for cy in circles)


def test_ticks_fall_on_round_values_and_captions_say_the_unit_once():
    svg = chart(
        points=[
            Point(START, Decimal("83.7")),
            Point(START + timedelta(days=20), Decimal("134")),
            Point(START + timedelta(days=40), Decimal("183")),
        ],
        band=(None, None),
    )
    ticks = re.findall(r'text-anchor="end" fill="#495057">([\d.]+)<', svg)
    assert ticks == ["0", "50", "100", "150", "200"]
    caption = chart(title="Reticulocytes (%)", unit="%")
    assert "Reticulocytes (%) (%)" not in caption and "Reticulocytes (%) ·" in caption


def b12_chart(*values: str) -> str:
    return chart(
        title="Serum B12",
        unit="pmol/L",
        points=[Point(START + timedelta(days=30 * n), Decimal(v)) for n, v in enumerate(values)],
        band=(Decimal(133), None),
        guideline=BY_CODE["b12"].bands,
    )


def _rect(svg: str, label: str) -> tuple[float, float]:
    found = re.search(
        rf'<rect class="band" data-band="{label}" x="[\d.]+" y="([\d.]+)" width="[\d.]+" '
        r'height="([\d.]+)"',
        svg,
    )
    assert found, label
    return float(found[1]), float(found[1]) + float(found[2])


def test_b12_guideline_bands_are_shaded_and_each_value_flagged():
    """B12 221 pmol/L is indeterminate (NG239: 133-258): it once sat in a green band, unflagged,
    because the reference range (133 and above) was what was shaded."""
    svg = b12_chart("95", "221")
    deficient, indeterminate, fine = (
        _rect(svg, "deficient"),
        _rect(svg, "indeterminate"),
        _rect(svg, "deficiency unlikely"),
    )
    assert fine[1] <= indeterminate[0] + 0.1 and indeterminate[1] <= deficient[0] + 0.1
    circles = re.findall(
        r'<circle cx="[\d.]+" cy="([\d.]+)" r="3.5" fill="([^"]+)" data-band="([^"]*)"', svg
    )
    (low_y, low_fill, low_band), (mid_y, mid_fill, mid_band) = circles
    assert (low_band, mid_band) == ("deficient", "indeterminate")
    assert deficient[0] < float(low_y) < deficient[1]
    assert indeterminate[0] < float(mid_y) < indeterminate[1]
    assert low_fill != mid_fill != "#0d6efd"
    assert re.search(r'class="flag"[^>]*>221 indeterminate<', svg)
    assert "shaded: deficient (red), indeterminate (amber), deficiency unlikely (green)" in svg
    assert "shaded: reference range" not in svg
    assert ">450 deficiency unlikely<" in b12_chart("95", "450")


finite = st.floats(min_value=0.01, max_value=20000, allow_nan=False, allow_infinity=False)


@given(
    values=st.lists(finite, min_size=1, max_size=12),
    low=st.none() | finite,
    high=st.none() | finite,
)
def test_the_axis_holds_every_value_and_the_band_on_round_ticks(values, low, high):
    if low is not None and high is not None and low > high:
        low, high = high, low
    scale = axis(values, low=low, high=high)
    limits = [v for v in (low, high) if v is not None]
    assert scale.bottom <= min(values + limits) + 1e-9
    assert scale.top >= max(values + limits) - 1e-9
    mantissa = scale.step / 10 ** math.floor(math.log10(scale.step) + 1e-12)
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))
    assert 2 <= len(scale.ticks) <= 12
    for tick in scale.ticks:
        assert math.isclose(tick / scale.step, round(tick / scale.step), abs_tol=1e-6)
    if low is not None and high is None:
        assert scale.top > low  # some of an open-ended band is always in view
