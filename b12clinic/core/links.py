"""Paths for long lists of rows keyed by UUID: `{% link %}` (b12clinic/templatetags/links.py)
and the day list's rows.

Django's `reverse` tries each pattern of the name against the arguments, about 50 µs a call; a
day list of 150 rows spends a fifth of its render there. The path of a name with one UUID
argument is the same on every row but for the UUID, so it is reversed once per process (per
URLconf and script prefix) with a stand-in UUID, and each row swaps its own in.
"""

from __future__ import annotations

from uuid import UUID

from django.urls import get_script_prefix, get_urlconf, reverse

STAND_IN = UUID("b12cb12c-b12c-4b12-8b12-b12cb12cb12c")
_shapes: dict[tuple[str, str | None, str], tuple[str, str]] = {}


def link_shape(name: str) -> tuple[str, str] | None:
    """The path of `name` for any UUID, as (before, after) the UUID; None where the path is not
    that simple (a URLconf module set per request, a UUID in the pattern itself)."""
    urlconf = get_urlconf()
    if urlconf is not None and not isinstance(urlconf, str):
        return None
    shape_key = (name, urlconf, get_script_prefix())
    shape = _shapes.get(shape_key)
    if shape is None:
        path = reverse(name, args=[STAND_IN])
        head, found, tail = path.partition(str(STAND_IN))
        if not found or str(STAND_IN) in tail:
            return None
        shape = _shapes.setdefault(shape_key, (head, tail))
    return shape


def link_to(name: str, key: object) -> str:
    shape = link_shape(name) if isinstance(key, UUID) else None
    if shape is None:
        return reverse(name, args=[key])
    return f"{shape[0]}{key}{shape[1]}"
