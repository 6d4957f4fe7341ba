"""`{% link "plans:dose_give" dose.pk %}`: `{% url %}` for long lists of rows keyed by UUID
(b12clinic/core/links.py)."""

from __future__ import annotations

from django import template

from b12clinic.core.links import link_to

register = template.Library()


@register.simple_tag
def link(name: str, key: object) -> str:
    return link_to(name, key)
