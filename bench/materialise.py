"""Benchmark: materialise 12 months of doses for 100k lifelong plans on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench \\
        .venv/bin/python bench/materialise.py [plans]

Seeds the plans with bulk writes (not timed), then times the real daily task's service,
`doses_extend`, and prints seconds, rows per second and SQL queries per plan. The floor, in
the same run: a bare `COPY` of the same rows into the same table (rolled back), so the ratio
shows what scheduling and reading the plans cost on top of the writes. Goal: <= 2x the floor.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench")

import django


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def seed(count: int, today: date) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from b12clinic.core.models import Clinic, Patient, Product
    from plans.models import Phase, Plan, PlanVersion
    from plans.rules.regimens import REGIMENS

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE plans_dose, plans_phase, plans_planoverride, plans_planversion, "
            "plans_plan, plans_patient CASCADE"
        )
    clinic, _ = Clinic.objects.get_or_create(name="Bench clinic")
    prescriber, _ = User.objects.get_or_create(username="bench-clinician")
    prescriber.groups.add(Group.objects.get(name="clinician"))
    clinic.staff.add(prescriber)
    regimens = [REGIMENS[c] for c in ("uk_standard", "uk_prophylaxis", "us_weekly", "uk_standard")]
    products = {p.code: p for p in Product.objects.all()}
    with transaction.atomic():
        patients, plans, versions, phases = [], [], [], []
        for index in range(count):
            regimen = regimens[index % len(regimens)]
            patient = Patient(
                id=uuid.uuid4(),
                clinic=clinic,
                record_number=f"B{index:07}",
                given_name="Bench",
                family_name=f"Patient{index}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=index % 20000),
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
                cause="pernicious_anaemia",
                neurological=False,
                start_date=today - timedelta(days=index % 28),
                prescriber=prescriber,
            )
            patients.append(patient)
            plans.append(plan)
            versions.append(version)
            phases.extend(
                Phase.from_rule(version=version, order=order, rule=rule)
                for order, rule in enumerate(regimen.phases)
            )
        Patient.objects.bulk_create(patients, batch_size=5000)
        Plan.objects.bulk_create(plans, batch_size=5000)
        PlanVersion.objects.bulk_create(versions, batch_size=5000)
        Phase.objects.bulk_create(phases, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE plans_plan p SET current_id = v.id FROM plans_planversion v "
                "WHERE v.plan_id = p.id"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from plans.materialise import doses_extend

    if connection.vendor != "postgresql":
        sys.exit("bench/materialise.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    call_command("migrate", verbosity=0)
    today = date(2026, 11, 24)

    started = time.perf_counter()
    seed(count, today)
    print(f"seeded {count:,} lifelong plans in {time.perf_counter() - started:.1f} s (not timed)")

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        created = doses_extend(today=today)
    elapsed = time.perf_counter() - started
    print(f"materialise: {created:,} dose rows for {count:,} plans in {elapsed:.1f} s")
    print(
        f"  {created / elapsed:,.0f} rows/s, {counter.count} queries, "
        f"{counter.count / count:.4f} queries per plan"
    )

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        again = doses_extend(today=today)
    print(
        f"second run (idempotent): {again} rows in {time.perf_counter() - started:.1f} s, "
        f"{counter.count} queries"
    )

    # The floor: the same rows, already as COPY text in memory, copied into an empty table with
    # its indexes and constraints (rolled back). Nothing can write them faster. Django's foreign
    # keys are deferred to the commit, which a rolled-back COPY never reaches; the floor checks
    # them at once, as the commit of each real chunk does.
    text = io.StringIO()
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY (SELECT id, plan_id, clinic_id, phase_id, sequence, due_date, status, given_on, "
            "cancelled_reason, created_at, updated_at FROM plans_dose) TO STDOUT",
            text,
        )
    floors = {}
    for constraints in ("DEFERRED", "IMMEDIATE"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM plans_dose")
                cursor.execute(f"SET CONSTRAINTS ALL {constraints}")
            text.seek(0)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.copy_expert(
                    "COPY plans_dose (id, plan_id, clinic_id, phase_id, sequence, due_date, "
                    "status, given_on, cancelled_reason, created_at, updated_at) FROM STDIN",
                    text,
                )
            floors[constraints] = time.perf_counter() - started
            transaction.set_rollback(True)
    floor = floors["IMMEDIATE"]
    print(
        f"floor: a bare COPY of the same {created:,} rows took {floor:.1f} s with the foreign "
        f"keys checked ({floors['DEFERRED']:.1f} s without, which no commit skips)"
    )
    print(
        f"ratio materialise / COPY: {elapsed / floor:.2f} "
        f"(goal <= 2: {'met' if elapsed <= 2 * floor else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
