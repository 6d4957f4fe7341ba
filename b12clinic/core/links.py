"""Paths for long lists of rows keyed by UUID: `{% link %}` (b12clinic/templatetags/links.py)
and the day list's rows; and paths ending in a signed token, two in every reminder email.

Django's `reverse` tries each pattern of the name against the arguments, about 50 µs a call; a
day list of 150 rows spends a fifth of its render there. The path of a name with one UUID
argument is the same on every row but for the UUID, so it is reversed once per process (per
URLconf and script prefix) with a stand-in UUID, and each row swaps its own in.
"""

from __future__ import annotations

import re
from uuid import UUID

from django.urls import get_script_prefix, get_urlconf, reverse

STAND_IN = UUID("b12cb12c-b12c-4b12-8b12-b12cb12cb12c")
TOKEN_STAND_IN = "b12-stand-in.b12:b12_b12"
# What `django.core.signing` writes (URL-safe base64, ":" between parts, "." before a
# compressed payload): characters `reverse` puts in a path as they are.
SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_\-.:]+")
_shapes: dict[tuple[str, str, str | None, str], tuple[str, str]] = {}


def link_shape(name: str, stand_in: object = STAND_IN) -> tuple[str, str] | None:
    """The path of `name` for any UUID (or any value shaped like `stand_in`), as (before,
    after) the value; None where the path is not that simple (a URLconf module set per
    request, the stand-in in the pattern itself)."""
    urlconf = get_urlconf()
    if urlconf is not None and not isinstance(urlconf, str):
        return None
    shape_key = (name, str(stand_in), urlconf, get_script_prefix())
    shape = _shapes.get(shape_key)
    if shape is None:
        path = reverse(name, args=[stand_in])
        head, found, tail = path.partition(str(stand_in))
        if not found or str(stand_in) in tail:
            return None
        shape = _shapes.setdefault(shape_key, (head, tail))
    return shape


def token_link(name: str, token: str) -> str:
    """The path of `name` for a signed token, as `reverse(name, args=[token])` writes it."""
    shape = link_shape(name, TOKEN_STAND_IN) if SIGNED_TOKEN.fullmatch(token) else None
    if shape is None:
        return reverse(name, args=[token])
    return f"{shape[0]}{token}{shape[1]}"


def link_to(name: str, key: object) -> str:
    shape = link_shape(name) if isinstance(key, UUID) else None
    if shape is None:
        return reverse(name, args=[key])
    return f"{shape[0]}{key}{shape[1]}"
