"""Benchmark: the written schedule PDF.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench_docs \\
        .venv/bin/python bench/schedule_pdf.py [renders]

A typical plan (UK standard regimen, two weeks in, loading doses given, a year of maintenance
and its blood tests) is rendered three ways, alternating so both see the same machine:

- cold: `schedule_pdf` with an empty cache (queries, template, WeasyPrint), against WeasyPrint
  rendering the same HTML string directly. Goal: ratio 1.2 or less.
- download: the whole `/plans/<id>/schedule.pdf` view through Django's test client, cached
  against cold. Goal: cached at least 50 times faster.
- memory: resident memory of this process after `renders` cold renders (default 500), against
  after the first 20. Goal: grows by less than 50 MB.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench_docs")

import django
from materialise import ensure_database

ROUNDS = 25


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(days_in: int = 14) -> Any:
    """A UK-standard plan started `days_in` days ago, every dose due so far given."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.utils import timezone

    from b12clinic.core.models import Clinic, Product
    from plans.recording.given import dose_record_given
    from plans.rules import dosing
    from plans.rules.regimens import REGIMENS
    from plans.services.patients import patient_create
    from plans.services.prescriptions import Prescription, plan_create

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    clinic, _ = Clinic.objects.get_or_create(
        name="Bench clinic",
        defaults={
            "open_weekdays": "0123456",
            "phone": "01632 960 000",
            "address": "12 River Street\nRiverside RV1 2AB",
        },
    )
    clinician, _ = User.objects.get_or_create(username="bench-clinician")
    clinician.groups.add(Group.objects.get(name="clinician"))
    nurse, _ = User.objects.get_or_create(username="bench-nurse")
    nurse.groups.add(Group.objects.get(name="nurse"))
    clinic.staff.add(clinician, nurse)
    patient = patient_create(
        clinic=clinic,
        by=clinician,
        today=today,
        record_number=f"B-{time.time_ns()}",
        given_name="Margaret",
        family_name="Hughes",
        date_of_birth=today - timedelta(days=24000),
        allergies="Latex",
    )
    regimen = REGIMENS["uk_standard"]
    product = Product.objects.get(code=regimen.product)
    start = today - timedelta(days=days_in)
    plan = plan_create(
        patient=patient,
        prescriber=clinician,
        prescription=Prescription(
            regimen=regimen.code,
            product=product,
            dose=dosing.parse_dose(
                regimen.dose_text, strength_mcg_per_ml=product.strength_mcg_per_ml
            ),
            route=dosing.Route(regimen.route),
            cause="pernicious_anaemia",
            neurological=False,
            start_date=start,
            review_date=None,
            phases=regimen.phases,
        ),
        today=start,
    )
    zone = clinic.zone
    from datetime import datetime
    from datetime import time as clock

    for dose in plan.doses.filter(status="due", due_date__lt=today).order_by("due_date"):
        at = datetime.combine(dose.due_date, clock(10), tzinfo=zone)
        dose_record_given(
            dose=dose,
            by=nurse,
            given_at=at,
            now=at,
            site="deltoid",
            side="left" if dose.sequence % 2 else "right",
            batch="HX1",
            expiry=today + timedelta(days=300),
            identity_confirmed=True,
            allergies_checked=True,
        )
    return plan


def main() -> None:
    renders = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone
    from weasyprint import HTML

    from monitoring.documents.schedule import schedule_document, schedule_html, schedule_pdf

    plan = seed()
    today = timezone.localdate()
    html = schedule_html(schedule_document(plan=plan, today=today), generated=today)
    client = Client()
    client.force_login(User.objects.get(username="bench-clinician"))
    url = f"/plans/{plan.pk}/schedule.pdf"

    def ours() -> float:
        cache.clear()
        started = time.perf_counter()
        schedule_pdf(schedule_document(plan=plan, today=today), generated=today)
        return time.perf_counter() - started

    def direct() -> float:
        started = time.perf_counter()
        HTML(string=html).write_pdf()
        return time.perf_counter() - started

    def download(cold: bool) -> float:
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        return elapsed

    for _ in range(3):  # warm up fonts, templates, connections
        ours(), direct(), download(True), download(False)
    timings: dict[str, list[float]] = {"ours": [], "direct": [], "cold": [], "cached": []}
    for _ in range(ROUNDS):
        timings["ours"].append(ours())
        timings["direct"].append(direct())
        timings["cold"].append(download(True))
        for _ in range(5):
            timings["cached"].append(download(False))
    median = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    pages = html.count("<tr")  # rough size indicator only
    print(f"typical plan: {len(plan.doses.all())} doses, ~{pages} table rows, 2 pages")
    print(
        f"cold render: ours {median['ours']:.1f} ms, WeasyPrint on the same HTML "
        f"{median['direct']:.1f} ms, ratio {median['ours'] / median['direct']:.2f} (goal <= 1.2)"
    )
    print(
        f"download: cold {median['cold']:.1f} ms, cached {median['cached']:.2f} ms, "
        f"{median['cold'] / median['cached']:.0f}x faster (goal >= 50x)"
    )
    for _ in range(20):
        ours()
    baseline = rss_mb()
    for _ in range(renders - 20):
        ours()
    grown = rss_mb() - baseline
    print(
        f"memory: {rss_mb():.0f} MB after {renders} renders, grew {grown:.1f} MB after the "
        f"first 20 (goal < 50 MB)"
    )


if __name__ == "__main__":
    main()
