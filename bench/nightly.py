"""Benchmark: one night's work for 100k patients across 500 clinics, through real Celery
workers and Redis, with 1, 2 and 4 workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench_nightly \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/nightly.py [patients]

Seeds the patients (lifelong plans, reminders by email) and their doses up to yesterday's
horizon (not timed). Then, for each worker count, from an empty outbox: beat's horizon
extension (chunks of plans), then beat's reminder sync (chunks of patients), each timed from
the tick to the last chunk done. The baseline, in the same run and in this process: the old
nightly loop, one patient at a time (`reminders_sync_for_patient`), on a sample. Prints time
and queries per patient, the scaling, and the night extrapolated to 1M patients, then the
hourly digest planning for the 500 clinics.
Goals: 1M patients in <= 10 min with 4 workers; <= 0.01 queries per patient.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench_nightly")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3")

import django
from materialise import QueryCounter, ensure_database, seed
from workers import celery_workers

CLINICS = 500
SAMPLE = 2000


def spread_over_clinics() -> None:
    """500 clinics, each with a nurse and a clinician who get the digests; patients dealt out."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from b12clinic.core.models import Clinic

    Clinic.objects.exclude(name="Bench clinic").delete()
    User.objects.filter(username__startswith="bench-staff-").delete()
    clinics = Clinic.objects.bulk_create(
        Clinic(name=f"Bench clinic {n:03d}", email=f"clinic{n}@example.org") for n in range(CLINICS)
    )
    users = User.objects.bulk_create(
        User(username=f"bench-staff-{n}-{role}", email=f"{role}{n}@example.org")
        for n in range(CLINICS)
        for role in ("nurse", "clinician")
    )
    groups = {g.name: g for g in Group.objects.filter(name__in=["nurse", "clinician"])}
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=u.pk, group_id=groups[u.username.rsplit("-", 1)[1]].pk)
        for u in users
    )
    Clinic.staff.through.objects.bulk_create(
        Clinic.staff.through(clinic_id=clinics[n // 2].pk, user_id=u.pk)
        for n, u in enumerate(users)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM plans_clinic "
            "WHERE name LIKE 'Bench clinic %%') "
            "UPDATE plans_patient p SET clinic_id = c.id, email = 'p' || p.record_number || "
            "'@example.org', reminder_email = true FROM c "
            "WHERE c.n = abs(hashtext(p.id::text)) %% %s",
            [CLINICS],
        )


def night_done(job: str, night: object) -> bool:
    from b12clinic.core.models import NightChunk

    chunks = NightChunk.objects.filter(job=job, night=night)
    return chunks.exists() and not chunks.exclude(status="done").exists()


def run_night(app: object, task: str, job: str, night: object) -> float:
    started = time.monotonic()
    app.send_task(task)  # type: ignore[attr-defined]
    while not night_done(job, night):
        if time.monotonic() - started > 1800:
            raise SystemExit(f"{job}: not done after 30 minutes")
        time.sleep(0.2)
    return time.monotonic() - started


def reset_night(mark: datetime) -> None:
    from django.db import connection

    from b12clinic.core.models import NightChunk
    from plans.models import Dose

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE monitoring_reminder CASCADE")
    NightChunk.objects.all().delete()
    Dose.objects.filter(created_at__gt=mark).delete()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from b12clinic.celery import app
    from b12clinic.core.models import NightChunk, Patient
    from monitoring.models import Reminder
    from monitoring.reminders.planning import (
        digests_plan,
        patients_to_sync,
        reminders_sync_for_patient,
        reminders_sync_range,
    )
    from plans.materialise import doses_extend

    if connection.vendor != "postgresql":
        sys.exit("bench/nightly.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    started = time.perf_counter()
    seed(count, today)
    spread_over_clinics()
    doses_extend(today=today - timedelta(days=1))
    mark = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {count:,} patients over {CLINICS} clinics, doses to yesterday's horizon, in "
        f"{time.perf_counter() - started:.0f} s (not timed)"
    )
    size = settings.NIGHTLY_CHUNK_SIZE
    now = timezone.now()

    # Baseline: the old nightly loop, one patient (and one transaction) at a time.
    sample = list(Patient.objects.select_related("clinic").order_by("pk")[:SAMPLE])
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        for patient in sample:
            with transaction.atomic():
                reminders_sync_for_patient(patient=patient, now=now)
    old = (time.perf_counter() - started) / len(sample)
    old_queries = counter.count / len(sample)
    Reminder.objects.all().delete()
    print(
        f"baseline, one patient at a time: {old * 1000:.2f} ms and {old_queries:.1f} queries "
        f"per patient; 1M patients: {old * 1e6 / 3600:.1f} h in one task"
    )

    # The same sample as one set-based chunk, in this process.
    keys = patients_to_sync()
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        reminders_sync_range(first=keys[0], last=keys[SAMPLE - 1], now=now)
    new = (time.perf_counter() - started) / SAMPLE
    print(
        f"one chunk of {SAMPLE:,}, set-based: {new * 1000:.3f} ms and "
        f"{counter.count / SAMPLE:.4f} queries per patient ({old / new:.1f}x faster)"
    )
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        patients_to_sync()
    night_queries = (counter.count + 4) / count + 9 / size  # plan, queue; claim, 6, finish
    print(f"a night's queries per patient at chunks of {size:,}: {night_queries:.4f}")
    Reminder.objects.all().delete()

    # Each worker count runs two nights: the first from an empty outbox (every reminder in the
    # window written, as after an outage or on the first night), then a night with the outbox in
    # step, as most nights are: only the doses entering the window are new.
    results: dict[int, tuple[float, float, float]] = {}
    for workers in (1, 2, 4):
        reset_night(mark)
        with celery_workers(workers, {**os.environ, "LOG_LEVEL": "WARNING"}, name="night"):
            time.sleep(4)  # workers up
            night = timezone.localdate()
            extend = run_night(app, "plans.tasks.extend_dose_horizon", "extend-dose-horizon", night)
            first = run_night(app, "monitoring.tasks.sync_reminders", "sync-reminders", night)
            NightChunk.objects.all().delete()
            again = run_night(app, "monitoring.tasks.sync_reminders", "sync-reminders", night)
        results[workers] = (extend, first, again)
        made = Reminder.objects.count()
        print(
            f"{workers} worker(s): horizon extension {extend:.1f} s; reminder sync from an empty "
            f"outbox {first:.1f} s ({made:,} reminders written), in step {again:.1f} s "
            f"({count / again:,.0f} patients/s)"
        )
    for workers, (extend, first, again) in results.items():
        print(
            f"  scaling at {workers}: {sum(results[1][::2]) / (extend + again):.2f}x one worker "
            f"(night in step), {sum(results[1][:2]) / (extend + first):.2f}x (empty outbox)"
        )
    extend, first, again = (seconds * 1_000_000 / count for seconds in results[4])
    print(
        f"1M patients with 4 workers, extrapolated: {(extend + again) / 60:.1f} min a night "
        f"in step, {(extend + first) / 60:.1f} min from an empty outbox"
    )
    print(
        f"goal (1M in <= 10 min with 4 workers; <= 0.01 queries per patient): "
        f"{'met' if extend + again <= 600 and night_queries <= 0.01 else 'NOT met'}"
    )

    counter = QueryCounter()
    at = datetime.combine(today, clock(6), tzinfo=timezone.get_current_timezone())
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        digests = digests_plan(now=at)
    print(
        f"digests for {CLINICS} clinics: {digests} planned in "
        f"{time.perf_counter() - started:.2f} s, {counter.count} queries"
    )


if __name__ == "__main__":
    main()
