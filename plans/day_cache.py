"""The nurse's day list, rendered once per change to it rather than once per look.

Nurses open the list far more often than anything on it changes. At a clinic of a thousand
patients its three queries cost PostgreSQL 4.8 ms and building and rendering its rows 4 ms of the
page's 8 (bench/load.py), while a dose is recorded a few times an hour.

Freshness rests on a token per clinic, kept in the cache beside the rendered list:
- Every write to what the list shows draws a new token for its clinic: the model signals below
  and, for the bulk writes that send none, `plans.materialise` by hand. It is drawn when the
  write is made and again when its transaction commits.
- A reader reads the token before it reads the database and keeps what it built under that
  token, so a list built from before a commit is never served after that commit's token.
- A token that is missing (a cleared cache) is drawn anew, and matches nothing kept before.
- What this cannot see (a write that reached the tables some other way, a token lost while the
  cache was failing) lasts at most `TTL_SECONDS`: the age of a list already open in a nurse's
  browser. Recording a dose checks the dose again, whatever the list showed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from b12clinic.core.models import Clinic, Patient, Product

from .day_list import day_list
from .models import Administration, Dose, DoseNotGiven, Phase, Plan, PlanVersion
from .templatetags.day_rows import render_day_rows, render_done_rows

TTL_SECONDS = 60
_TOKEN_SECONDS = 24 * 3600
_CLINIC_TOKEN = "day-list-token:{}"
_EVERY_TOKEN = "day-list-token:*"  # for what every clinic's list shows: products, staff names


def _code_digest() -> str:
    """A release that changes how rows are read or written makes new lists, not stale ones."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("day_list.py", "day_cache.py", "templatetags/day_rows.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


_CODE = _code_digest()


@dataclass(frozen=True)
class RenderedDayList:
    """What the page shows of a day list: the number of rows in each part and their HTML."""

    overdue_count: int
    due_count: int
    done_count: int
    overdue_html: str
    due_html: str
    done_html: str

    @property
    def overdue_rows(self) -> SafeString:
        return mark_safe(self.overdue_html)

    @property
    def due_rows(self) -> SafeString:
        return mark_safe(self.due_html)

    @property
    def done_rows(self) -> SafeString:
        return mark_safe(self.done_html)


def rendered_day_list(
    *, clinic: Clinic, day: date, today: date, next_query: str, this_url: str
) -> RenderedDayList:
    """The day list of `clinic` on `day`, as `today` shows it. `next_query` and `this_url` are
    the list's own address, which `clinic` and `day` decide."""
    keys = [_CLINIC_TOKEN.format(clinic.pk), _EVERY_TOKEN]
    entry = f"day-list:{_CODE}:{clinic.pk}:{day}:{today}:{timezone.get_current_timezone_name()}"
    found = cache.get_many([*keys, entry])
    tokens = tuple(found.get(key) for key in keys)
    kept = found.get(entry)
    if kept is not None and None not in tokens and kept[0] == tokens:
        return kept[1]
    listing = day_list(clinic=clinic, day=day)
    rendered = RenderedDayList(
        overdue_count=len(listing.overdue),
        due_count=len(listing.due),
        done_count=len(listing.done),
        overdue_html=str(render_day_rows(listing.overdue, today=today, next_query=next_query)),
        due_html=str(render_day_rows(listing.due, today=today, next_query=next_query)),
        done_html=str(render_done_rows(listing.done, this_url=this_url)),
    )
    if None in tokens:
        for key, token in zip(keys, tokens, strict=True):
            if token is None:
                cache.add(key, uuid4().hex, _TOKEN_SECONDS)
    else:
        cache.set(entry, (tokens, rendered), TTL_SECONDS)
    return rendered


def _draw(key: str) -> None:
    def draw() -> None:
        cache.set(key, uuid4().hex, _TOKEN_SECONDS)

    draw()
    transaction.on_commit(draw)


def clinic_changed(clinic_id: UUID | str) -> None:
    """Something a clinic's day list shows has changed, or will when this transaction commits."""
    _draw(_CLINIC_TOKEN.format(clinic_id))


def every_clinic_changed() -> None:
    _draw(_EVERY_TOKEN)


# --- What moves a clinic's token -----------------------------------------------------------


def _patient_clinic(**where: Any) -> None:
    for clinic_id in Patient.objects.filter(**where).values_list("clinic_id", flat=True)[:1]:
        clinic_changed(clinic_id)


def _dose_saved(instance: Dose, **_: Any) -> None:
    clinic_changed(instance.clinic_id)


def _patient_saved(instance: Patient, **_: Any) -> None:
    clinic_changed(instance.clinic_id)


def _clinic_saved(instance: Clinic, **_: Any) -> None:
    clinic_changed(instance.pk)


def _plan_saved(instance: Plan, **_: Any) -> None:
    _patient_clinic(pk=instance.patient_id)


def _version_saved(instance: PlanVersion, **_: Any) -> None:
    _patient_clinic(plans=instance.plan_id)


def _phase_saved(instance: Phase, **_: Any) -> None:
    _patient_clinic(plans__versions=instance.version_id)


def _administration_saved(instance: Administration, **_: Any) -> None:
    # Recording a dose locked its plan with the patient: no query for what is at hand.
    dose = instance.dose if Administration.dose.is_cached(instance) else None
    plan = dose.plan if dose is not None and Dose.plan.is_cached(dose) else None
    patient = plan.patient if plan is not None and Plan.patient.is_cached(plan) else None
    if patient is not None and patient.pk == instance.patient_id:
        clinic_changed(patient.clinic_id)
    else:
        _patient_clinic(pk=instance.patient_id)


def _not_given_saved(instance: DoseNotGiven, **_: Any) -> None:
    for clinic_id in Dose.objects.filter(pk=instance.dose_id).values_list("clinic_id", flat=True):
        clinic_changed(clinic_id)


def _product_saved(**_: Any) -> None:
    every_clinic_changed()


_NAMES = {"username", "first_name", "last_name"}


def _user_saved(update_fields: frozenset[str] | None = None, **_: Any) -> None:
    # Signing in saves the user's last_login, which no list shows.
    if update_fields is None or _NAMES & set(update_fields):
        every_clinic_changed()


_RECEIVERS: list[tuple[type[Any], Any]] = [
    (Dose, _dose_saved),
    (Patient, _patient_saved),
    (Clinic, _clinic_saved),
    (Plan, _plan_saved),
    (PlanVersion, _version_saved),
    (Phase, _phase_saved),
    (Administration, _administration_saved),
    (DoseNotGiven, _not_given_saved),
    (Product, _product_saved),
    (User, _user_saved),
]


def connect() -> None:
    for model, receiver in _RECEIVERS:
        uid = f"day-cache:{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=uid, weak=False)
