"""The written schedule a patient holds: the PDF (WeasyPrint) and the calendar file (icalendar).

`schedule_document` gathers what the documents show in a fixed number of queries; the PDF is
cached under a hash of exactly that content, so any change to the plan, its doses, its rechecks,
the patient's details on it or the clinic's details gives a new document.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.template.loader import render_to_string

from b12clinic.core.models import Clinic, Patient
from b12clinic.core.prepared import prepared_statement
from plans.models import Dose, DoseStatus, Plan, PlanVersion

from .words import CAUSE_FOR_PATIENT, FOR_LIFE, FOR_THE_PATIENT, TITLE_FOR_THE_PATIENT

PDF_CACHE_SECONDS = 30 * 24 * 3600
STATIC_DIR = (Path(settings.BASE_DIR) / "static").resolve()
MAINTENANCE_MONTHS_SHOWN = 12
LOADING_UPCOMING_SHOWN = 24


@dataclass(frozen=True)
class DoseLine:
    id: str
    due: date
    status: str  # due / given / not_given / cancelled
    given_on: date | None
    kind: str
    number: int
    updated: datetime


@dataclass(frozen=True)
class LabLine:
    id: str
    kind: str
    title: str
    purpose: str
    caveat: str
    opens: date
    due: date
    closes: date
    status: str
    done_on: date | None

    @property
    def for_the_patient(self) -> str:
        return FOR_THE_PATIENT.get(self.kind, self.purpose)

    @property
    def patient_title(self) -> str:
        return TITLE_FOR_THE_PATIENT.get(self.kind, self.title)


@dataclass(frozen=True)
class ScheduleDoc:
    clinic: Clinic
    patient: Patient
    plan: Plan
    version: PlanVersion
    loading: list[DoseLine]
    maintenance: list[DoseLine]
    labs: list[LabLine]
    today: date
    review_date: date | None
    prescriber: str

    @property
    def loading_shown(self) -> list[DoseLine]:
        """Every loading dose given or missed, and those to come up to the review date (or the
        next dozen when loading runs until a review with no date): an open-ended loading phase
        would otherwise fill pages with alternate days."""
        done = [d for d in self.loading if d.status != DoseStatus.DUE]
        upcoming = [d for d in self.loading if d.status == DoseStatus.DUE]
        if self.review_date is not None:
            shown = [d for d in upcoming if d.due <= self.review_date]
        else:
            shown = upcoming
        return done + shown[:LOADING_UPCOMING_SHOWN]

    def _lab_due(self, kind: str) -> date | None:
        return next((lab.due for lab in self.labs if lab.kind == kind and not lab.done_on), None)

    @property
    def feel_better_by(self) -> date | None:
        """The review when there is one, else the 3-month symptom review."""
        return self.review_date or self._lab_due("symptom_review_3m")

    @property
    def first_injection_on(self) -> date | None:
        """The first dose's date while none has been given (the baseline comes before it)."""
        lines = self.loading + self.maintenance
        if any(line.status == DoseStatus.GIVEN for line in lines):
            return None
        return min((line.due for line in lines), default=None)

    @property
    def blood_count_by(self) -> date | None:
        return self._lab_due("fbc_8w")

    @property
    def why(self) -> str:
        return CAUSE_FOR_PATIENT.get(self.version.cause, "")

    @property
    def for_life(self) -> bool:
        """Said only where the cause does not go away (clinical-reference.md §7)."""
        return self.version.cause in FOR_LIFE

    @property
    def loading_hidden(self) -> int:
        return len(self.loading) - len(self.loading_shown)

    @property
    def has_doses(self) -> bool:
        return bool(self.loading or self.maintenance)

    @property
    def next_dose(self) -> DoseLine | None:
        upcoming = [d for d in self.loading + self.maintenance if d.status == DoseStatus.DUE]
        return min(upcoming, key=lambda d: d.due) if upcoming else None


@functools.cache
def _template_digest() -> str:
    """A changed template (a new release) makes new documents, not stale cached ones."""
    source = Path(settings.BASE_DIR, "templates", "pdf", "schedule.html").read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


STAMP_SQL = """
SELECT c.time_zone, pt.record_number, pt.id, c.id, pt.family_name, pt.given_name, p.status,
    p.current_id, v.number, u.first_name, u.last_name, u.username, pt.updated_at, c.name,
    c.address, c.phone, c.email, c.paper_size,
    (SELECT COUNT(*) || ' ' || CAST(MAX(d.updated_at) AS TEXT) || ' '
        || SUM(CASE WHEN d.status = 'given' THEN 1 ELSE 0 END) || ' '
        || SUM(CASE WHEN d.status = 'cancelled' THEN 1 ELSE 0 END)
     FROM plans_dose d WHERE d.plan_id = p.id),
    (SELECT COUNT(*) || ' ' || CAST(MAX(r.updated_at) AS TEXT)
     FROM monitoring_recheck r WHERE r.plan_id = p.id)
FROM plans_plan p
JOIN plans_patient pt ON pt.id = p.patient_id
JOIN plans_clinic c ON c.id = pt.clinic_id
LEFT JOIN plans_planversion v ON v.id = p.current_id
LEFT JOIN auth_user u ON u.id = v.prescriber_id
WHERE p.id = %s
"""


@dataclass(frozen=True)
class Stamp:
    key: str
    today: date
    record_number: str
    patient_id: object
    clinic_id: object
    patient_label: str


def schedule_stamp(*, plan_id: object, clinics: QuerySet[Clinic] | None = None) -> Stamp | None:
    """The cache key of a plan's written schedule, from one plain SQL query: no document is
    built for a cached download. Every write to what the schedule shows moves it: doses and
    rechecks (their count, status counts and latest `updated_at`), the plan's status and
    version, the patient (`updated_at`), the clinic's details, the template, and the day
    (dates are shown relative to today). None when the plan does not exist, or is not in one
    of `clinics` (a staff member's, from the one access rule, `staff_clinics`)."""
    from django.db import connection

    pk = Plan._meta.get_field("id").get_db_prep_value(plan_id, connection)
    sql, params = STAMP_SQL, [pk]
    if clinics is not None:
        try:
            within, within_params = clinics.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return None
        sql, params = f"{sql} AND c.id IN ({within})", [pk, *within_params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # planning it cost 1.6 ms, running it 0.3 ms
            cursor.execute(*prepared_statement(connection, cursor, sql, params))
        else:
            cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    today = datetime.now(ZoneInfo(row[0])).date()
    material = json.dumps([_template_digest(), today.isoformat(), *row[1:]], default=str)
    return Stamp(
        key=f"schedule-pdf:{hashlib.sha256(material.encode()).hexdigest()}",
        today=today,
        record_number=row[1],
        patient_id=row[2],
        clinic_id=row[3],
        patient_label=f"{row[4].upper()}, {row[5]} ({row[1]})",
    )


def schedule_document(*, plan: Plan, today: date) -> ScheduleDoc:
    """The plan's loading doses (given ones with the date given), its maintenance dates for the
    next 12 months, and its planned blood tests. Four queries."""
    plan = Plan.objects.select_related(
        "patient__clinic", "current__product", "current__prescriber"
    ).get(pk=plan.pk)
    version = plan.version
    until = today + timedelta(days=round(365.25 * MAINTENANCE_MONTHS_SHOWN / 12))
    doses = list(
        plan.doses.exclude(status=DoseStatus.CANCELLED)
        .select_related("phase")
        .order_by("due_date", "phase__order", "sequence")
    )
    loading = [dose_line(d) for d in doses if d.phase.kind == "loading"]
    maintenance = [
        dose_line(d)
        for d in doses
        if d.phase.kind == "maintenance"
        and (d.due_date >= today or d.status == DoseStatus.DUE)
        and d.due_date <= until
    ]
    labs = [
        LabLine(
            id=str(r.pk),
            kind=r.kind,
            title=r.title,
            purpose=r.purpose,
            caveat=r.caveat,
            opens=r.opens,
            due=r.due_date,
            closes=r.closes,
            status=r.status,
            done_on=r.done_on,
        )
        # What still matters: not cancelled, not lapsed (recorded so, or past its lapse date).
        for r in plan.rechecks.exclude(status__in=["cancelled", "lapsed"])
        .exclude(status="pending", lapses_on__lt=today)
        .order_by("due_date")
    ]
    prescriber = version.prescriber
    return ScheduleDoc(
        clinic=plan.patient.clinic,
        patient=plan.patient,
        plan=plan,
        version=version,
        loading=loading,
        maintenance=maintenance,
        labs=labs,
        today=today,
        review_date=version.review_date,
        prescriber=(prescriber.get_full_name() or prescriber.get_username()) if prescriber else "",
    )


def dose_line(dose: Dose) -> DoseLine:
    return DoseLine(
        id=str(dose.pk),
        due=dose.due_date,
        status=dose.status,
        given_on=dose.given_on,
        kind=dose.phase.kind,
        number=dose.sequence,
        updated=dose.updated_at,
    )


# --- PDF ------------------------------------------------------------------------------------


class RefusedFetch(ValueError):
    pass


def _static_only_fetcher() -> Any:
    """WeasyPrint's URL fetcher, limited to files under static/: rendering never reaches the
    network or the rest of the disk. A refused resource is left out, with a warning logged."""
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            if parsed.scheme != "file" or not Path(unquote(parsed.path)).resolve().is_relative_to(
                STATIC_DIR
            ):
                raise RefusedFetch(f"Refused {url!r}: the schedule may only use files in static/.")
            return super().fetch(url, headers)

    return StaticOnlyFetcher(allowed_protocols={"file"})


def schedule_html(doc: ScheduleDoc, *, generated: date) -> str:
    return render_to_string("pdf/schedule.html", {"doc": doc, "generated": generated})


@functools.cache
def _font_config() -> Any:
    # One per process: a new FontConfiguration per render is never freed (measured: +0.2 MB a
    # render, 109 MB after 500, bench/schedule_pdf.py); a shared one stays flat.
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # PDF/UA: tagged (a structure tree in reading order), with the title and language read
    # from the page, so a screen reader can follow the schedule.
    return HTML(
        string=html, base_url=str(STATIC_DIR), url_fetcher=_static_only_fetcher()
    ).write_pdf(font_config=_font_config(), pdf_variant="pdf/ua-1")


def schedule_pdf(doc: ScheduleDoc, *, generated: date) -> tuple[bytes, bool]:
    """The PDF, from the cache when the same content was rendered before. Returns the bytes
    and whether they came from the cache."""
    stamp = schedule_stamp(plan_id=doc.plan.pk)
    assert stamp is not None
    cached = cache.get(stamp.key)
    if cached is not None:
        return cached, True
    pdf = render_pdf(schedule_html(doc, generated=generated))
    cache.set(stamp.key, pdf, PDF_CACHE_SECONDS)
    return pdf, False


def cached_schedule_pdf(stamp: Stamp) -> bytes | None:
    return cache.get(stamp.key)
