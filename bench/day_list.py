"""Benchmark: does the nurse's day list slow down as the database grows from 1k to 100k patients?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench \\
        .venv/bin/python bench/day_list.py [patients]

One measured clinic holds 1,000 patients on lifelong plans started over the past year, with
their past doses given (an administration each) and a few left overdue. The day list of that
clinic is requested through Django's test client (the whole view: session, query, template) and
timed: median and 95th percentile. Then 99,000 patients in other clinics are added the same way
(over 1M dose rows in all) and the same page is timed again. The ratio shows what the other
99% of the table costs the page; the goal is 1.5 or less.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench")

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
from materialise import QueryCounter, ensure_database

TODAY = date(2026, 11, 24)
REQUESTS = 40
MEASURED = 1_000
OVERDUE_EVERY = 97  # about 1% of past doses stay open


def seed_clinic(name: str, patients: int, first: int) -> list[object]:
    """Patients with active plans of four regimens started over the past year. Returns the
    plan ids. Bulk writes, not timed."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from plans.models import Clinic, Patient, Phase, Plan, PlanVersion, Product
    from plans.regimens import REGIMENS

    clinic, _ = Clinic.objects.get_or_create(name=name, defaults={"open_weekdays": "01234"})
    prescriber = User.objects.get(username="bench-clinician")
    clinic.staff.add(prescriber, User.objects.get(username="bench-nurse"))
    regimens = [REGIMENS[c] for c in ("uk_standard", "uk_prophylaxis", "us_weekly", "uk_standard")]
    products = {p.code: p for p in Product.objects.all()}
    plan_ids = []
    with transaction.atomic():
        rows: dict[str, list] = {"patients": [], "plans": [], "versions": [], "phases": []}
        for index in range(first, first + patients):
            regimen = regimens[index % len(regimens)]
            patient = Patient(
                id=uuid.uuid4(),
                clinic=clinic,
                record_number=f"B{index:07}",
                given_name="Bench",
                family_name=f"Patient{index:07}",
                date_of_birth=date(1940, 1, 1) + timedelta(days=index % 25000),
                allergies="Latex" if index % 11 == 0 else "",
            )
            plan = Plan(id=uuid.uuid4(), patient=patient)
            version = PlanVersion(
                id=uuid.uuid4(),
                plan=plan,
                number=1,
                regimen=regimen.code,
                product=products[regimen.product],
                dose_mcg=regimen.dose_mcg,
                dose_amount=1,
                dose_unit="mg",
                route=regimen.route,
                cause="pernicious_anaemia" if index % 3 else "dietary",
                neurological=index % 10 == 0,
                start_date=TODAY - timedelta(days=index % 365),
                prescriber=prescriber,
            )
            rows["patients"].append(patient)
            rows["plans"].append(plan)
            rows["versions"].append(version)
            rows["phases"].extend(
                Phase.from_rule(version=version, order=order, rule=rule)
                for order, rule in enumerate(regimen.phases)
            )
            plan_ids.append(plan.id)
        Patient.objects.bulk_create(rows["patients"], batch_size=5000)
        Plan.objects.bulk_create(rows["plans"], batch_size=5000)
        PlanVersion.objects.bulk_create(rows["versions"], batch_size=5000)
        Phase.objects.bulk_create(rows["phases"], batch_size=5000)
    return plan_ids


def materialise_and_give(plan_ids: list[object]) -> None:
    """Doses for a year ahead; past ones given on their date by the nurse, with a record
    each, except about 1% left overdue."""
    from django.contrib.auth.models import User
    from django.db import connection

    from plans.materialise import doses_extend

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE plans_plan p SET current_id = v.id FROM plans_planversion v "
            "WHERE v.plan_id = p.id AND p.current_id IS NULL"
        )
    doses_extend(plan_ids=plan_ids, today=TODAY)
    nurse = User.objects.get(username="bench-nurse").pk
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE plans_dose SET status = 'given', given_on = due_date "
            "WHERE status = 'due' AND due_date < %s "
            "AND abs(hashtext(id::text)) %% %s <> 0",
            [TODAY, OVERDUE_EVERY],
        )
        cursor.execute(
            "INSERT INTO plans_administration (id, dose_id, is_void, setting, given_at, "
            "given_on, given_by_id, given_by_name, site, side, batch, expiry, outcome, "
            "identity_confirmed, allergies_checked, warnings, notes, reason, recorded_by_id, "
            "recorded_at) "
            "SELECT gen_random_uuid(), d.id, false, 'clinic', d.due_date + time '10:00', "
            "d.due_date, %s, '', 'deltoid', "
            "CASE WHEN d.sequence %% 2 = 0 THEN 'left' ELSE 'right' END, 'B1', "
            "d.due_date + 365, 'none', true, true, '[]', '', '', %s, now() "
            "FROM plans_dose d LEFT JOIN plans_administration a ON a.dose_id = d.id "
            "WHERE d.status = 'given' AND a.id IS NULL",
            [nurse, nurse],
        )
        cursor.execute("VACUUM ANALYZE")


def measure(url: str) -> tuple[float, float, int, int]:
    """Median and 95th percentile milliseconds, queries per request, rows on the page."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="bench-nurse"))
    for _ in range(5):
        client.get(url)
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        page = client.get(url).content.decode()
    p95 = statistics.quantiles(timings, n=20)[-1]
    return statistics.median(timings), p95, counter.count, page.count('data-testid="day-row"')


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    from plans.models import Clinic, Dose

    if connection.vendor != "postgresql":
        sys.exit("bench/day_list.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE monitoring_alert, plans_administration, plans_dosenotgiven, plans_dose, "
            "plans_phase, plans_planoverride, plans_planversion, plans_plan, plans_patient, "
            "plans_clinic_staff, plans_clinic CASCADE"
        )
    for username, role in (("bench-clinician", "clinician"), ("bench-nurse", "nurse")):
        user, _ = User.objects.get_or_create(username=username)
        user.groups.add(Group.objects.get(name=role))

    started = time.perf_counter()
    materialise_and_give(seed_clinic("Measured clinic", MEASURED, 0))
    print(f"seeded {MEASURED:,} patients in {time.perf_counter() - started:.1f} s (not timed)")
    clinic = Clinic.objects.get(name="Measured clinic")
    url = f"/today/?date={TODAY.isoformat()}&clinic={clinic.pk}"
    small = measure(url)
    small_doses = Dose.objects.count()

    started = time.perf_counter()
    others = total - MEASURED
    per_clinic = 11_000
    for number, first in enumerate(range(MEASURED, total, per_clinic)):
        size = min(per_clinic, total - first)
        materialise_and_give(seed_clinic(f"Other clinic {number + 1}", size, first))
    print(f"added {others:,} patients in other clinics in {time.perf_counter() - started:.1f} s")
    large = measure(url)
    large_doses = Dose.objects.count()

    for label, (p50, p95, queries, shown), doses in (
        (f"{MEASURED:,} patients", small, small_doses),
        (f"{total:,} patients", large, large_doses),
    ):
        print(
            f"day list at {label:>16} ({doses:>9,} dose rows): median {p50:6.1f} ms, "
            f"p95 {p95:6.1f} ms, {queries} queries, {shown} patients listed"
        )
    ratio, ratio95 = large[0] / small[0], large[1] / small[1]
    print(f"ratio {total:,} / {MEASURED:,}: median {ratio:.2f}, p95 {ratio95:.2f}")
    print(f"goal (median ratio 1.5 or less): {'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
