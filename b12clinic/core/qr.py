"""QR codes as inline SVG: an authenticator's set-up link, a calendar subscription."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, label: str = "") -> SafeString:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    if label:
        # A picture a screen reader can name; the label is ours, never user text.
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    # Made here from a URL the server built (no user text): safe to inline.
    return mark_safe(svg)
