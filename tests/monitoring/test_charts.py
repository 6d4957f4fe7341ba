"""Trend charts: what they draw, that text is escaped, and that WeasyPrint renders them."""

import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest

from monitoring.rules.charts import Point, trend_svg
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


def test_the_same_svg_renders_in_weasyprint(tmp_path):
    if shutil.which("pdftoppm") is None:
        if on_ci():
            pytest.fail("pdftoppm (poppler-utils) is required on CI")
        pytest.skip("pdftoppm not installed")
    from PIL import Image
    from weasyprint import HTML

    html = f"<html><body style='margin:0'><h1>Trend</h1>{chart()}</body></html>"
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
