"""The rows of the nurse's day list (`render_day_rows`, `render_done_rows`, kept rendered by
`plans.day_cache`), and `{% flags patient version %}`.

Written here rather than as an included template for speed: a clinic's list runs to a few hundred
rows, each with some 40 values, and the template engine spent about 0.2 ms a row resolving them,
half the page's time (bench/day_list.py). Django's admin builds its change-list cells the same
way. Every value is escaped on its way in; the browser and page tests read what this writes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import quote
from uuid import UUID

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import localtime

from b12clinic.core.links import link_shape, link_to
from plans.rules import dates

register = template.Library()

_FLAGS = (
    ("cobalt_or_b12_sensitivity", "danger", "Cobalt/B12 sensitivity"),
    ("leber_optic_neuropathy", "warning", "Leber's optic neuropathy"),
    ("pregnant_or_breastfeeding", "info", "Pregnant/breastfeeding"),
)


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _e(value: object) -> str:
    """Django's `escape` is lazy-aware and costs 2 µs a call; every value here is plain."""
    return html.escape(str(value))


@register.simple_tag
def flags(patient: Any, version: Any) -> SafeString:
    """`{% flags patient version %}`: the badges a nurse must see before injecting: allergies,
    conditions, neurological involvement."""
    parts = []
    if patient.allergies:
        lines = "<br>".join(_e(line) for line in patient.allergies.splitlines())
        parts.append(
            '<span class="badge text-bg-danger text-wrap text-start" '
            f'data-testid="allergy-badge">Allergy: {lines}</span>'
        )
    for field, tone, label in _FLAGS:
        if getattr(patient, field):
            parts.append(f'<span class="badge text-bg-{tone}">{_e(label)}</span>')
    if patient.other_conditions:
        conditions = _e(Truncator(patient.other_conditions).chars(60))
        parts.append(
            f'<span class="badge text-bg-light border text-wrap text-start">{conditions}</span>'
        )
    if version.neurological:
        parts.append(
            '<span class="badge text-bg-warning" data-testid="neuro-badge">Neurological</span>'
        )
    return mark_safe("\n".join(parts))


class _Links:
    """The rows' links, each name's path looked up once per list rather than once per row."""

    NAMES = (
        "monitoring:patient_detail",
        "plans:dose_give",
        "plans:dose_not_given",
        "monitoring:checkin_new",
        "plans:administration_correct",
    )

    def __init__(self) -> None:
        self.shapes = {name: link_shape(name) for name in self.NAMES}

    def __call__(self, name: str, key: UUID) -> str:
        shape = self.shapes[name]
        return f"{shape[0]}{key}{shape[1]}" if shape else link_to(name, key)


def _row(row: Any, *, today: date, next_query: str, link: _Links) -> str:
    dose, patient, version = row.dose, row.patient, row.version
    overdue = row.days_overdue
    due = _e(dates.short_date(dose.due_date, today=today, weekday=True))
    if overdue:
        days = f"{overdue} day{'' if overdue == 1 else 's'}"
        due += f' · <span class="text-danger fw-semibold">{days} overdue</span>'
    if row.more_open:
        due += f" · {row.more_open} more open"
    notes = ""
    if row.alert:
        notes += (
            '\n    <div class="alert alert-danger py-1 px-2 mt-1 mb-0 small" '
            f'data-testid="overdue-alert">{_e(row.alert)}</div>'
        )
    if row.recorded_today:
        notes += f'\n    <div class="small text-body-secondary mt-1">{_e(row.recorded_today)}</div>'
    home = (
        '\n    <div class="small text-body-secondary">Usually given at home</div>'
        if version.self_administered
        else ""
    )
    record, after = _e(patient.record_number), _e(next_query)
    give, not_given = link("plans:dose_give", dose.pk), link("plans:dose_not_given", dose.pk)
    symptoms = link("monitoring:checkin_new", patient.pk)
    return (
        f'<tr data-testid="day-row" data-patient="{record}" '
        f'class="{"day-overdue" if overdue else ""}">\n'
        "  <td>\n"
        f'    <a class="fw-semibold" href="{link("monitoring:patient_detail", patient.pk)}">'
        f"{_e(patient)}</a>\n"
        f'    <div class="small">Born {patient.date_of_birth:%-d %b %Y} · {record}</div>\n'
        f'    <div class="d-flex flex-wrap gap-1 mt-1">{flags(patient, version)}</div>{notes}\n'
        "  </td>\n"
        "  <td>\n"
        f"    {_e(_capfirst(version.product_name))} {_e(version.dose_display)} "
        f"{_e(version.route)}\n"
        f'    <div class="small">{_e(_capfirst(row.position))}</div>\n'
        f'    <div class="small text-body-secondary">Due {due}</div>{home}\n'
        "  </td>\n"
        '  <td class="small">\n'
        f"    <div>Last: {_e(row.last_site_display or 'none recorded')}</div>\n"
        '    <div>Use: <strong data-testid="suggested-site">'
        f"{_e(row.suggested_display)}</strong></div>\n"
        "  </td>\n"
        '  <td class="text-end d-print-none">\n'
        '    <div class="d-flex flex-wrap gap-1 justify-content-end">\n'
        f'      <a class="btn btn-sm btn-primary" href="{give}?{after}">Give</a>\n'
        '      <a class="btn btn-sm btn-outline-secondary" '
        f'href="{not_given}?{after}">Not given</a>\n'
        '      <a class="btn btn-sm btn-outline-secondary" '
        f'href="{symptoms}?dose={dose.pk}">Symptoms</a>\n'
        "    </div>\n"
        "  </td>\n"
        '  <td class="d-none d-print-table-cell print-tick"></td>\n'
        "</tr>"
    )


def _done_row(row: Any, *, link: _Links, back: str) -> str:
    patient = row.patient
    record = _e(patient.record_number)
    if row.given:
        when = localtime(row.at).strftime("%H:%M") if row.at else _e(row.setting)
        what = f'<span class="badge text-bg-success">Given</span> {when}'
        details = _e(_capfirst(row.site_display))
        if row.batch:
            details += f" · batch {_e(row.batch)}"
        if row.outcome:
            details += f' · <span class="text-danger">{_e(row.outcome)}</span>'
        correct = (
            '<a class="btn btn-sm btn-outline-secondary" '
            f'href="{link("plans:administration_correct", row.administration)}?next={back}" '
            'data-testid="correct-link">Correct</a>'
        )
    else:
        when = localtime(row.at).strftime("%H:%M")
        what = f'<span class="badge text-bg-warning">Not given</span> {when}'
        details = _e(f"{row.reason}: {row.detail}" if row.detail else row.reason)
        correct = ""
    return (
        f'<tr data-testid="done-row" data-patient="{record}">\n'
        f'  <td><a href="{link("monitoring:patient_detail", patient.pk)}">{_e(patient)}</a>'
        f'<div class="small">{record}</div></td>\n'
        f"  <td>{what}</td>\n"
        f'  <td class="small">{details}</td>\n'
        f'  <td class="small">{_e(row.by)}</td>\n'
        f'  <td class="d-print-none">{correct}</td>\n'
        "</tr>"
    )


def render_done_rows(rows: Iterable[Any], *, this_url: str) -> SafeString:
    link, back = _Links(), _e(quote(this_url, safe="/"))
    return mark_safe("".join(_done_row(row, link=link, back=back) for row in rows))


def render_day_rows(rows: Iterable[Any], *, today: date, next_query: str) -> SafeString:
    link = _Links()
    return mark_safe(
        "".join(_row(row, today=today, next_query=next_query, link=link) for row in rows)
    )
