"""Benchmark: the audit trail at a national service's scale, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench_audit \\
        .venv/bin/python bench/audit.py [verify_rows] [page_rows]

1. Appends: 1, 2, 4, 8 and 16 writers, each in its own connection, run transactions that audit
   first and then work 5 ms more (as `lab_results_add` and `patient_update` do), spread over 8
   clinics. The baseline in the same run: the same writers all on one clinic, so one chain, as
   every append was before the chains were split.
2. verify_audit at `verify_rows` (1M) valid rows over 8 clinics and the system chain: full,
   with 1 process and with 2, then incremental after 10k more real appends.
3. /audit/ at `page_rows` (10M) rows for a clinic admin of one of the 8 clinics, each filter
   and the last page, median of 5.
Goals: 8 writers over 8 clinics >= 3x one writer; full verify of 1M <= 30 s; incremental after
10k < 5 s; /audit/ <= 100 ms for every filter.
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench_audit")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django
from materialise import ensure_database

CLINICS = 8
NULL = "\\N"  # COPY's NULL
WRITERS = (1, 2, 4, 8, 16)
SECONDS = 4.0
COLUMNS = (
    "at, actor_id, actor_name, action, object_type, object_id, clinic_id, patient_id, "
    "patient_label, summary, changes, reason, ip, prev_hash, hash, chain"
)


def appends_per_second(writers: int, clinics: list[object], user: object) -> float:
    from django.db import connections, transaction

    from b12clinic.core.audit import audit
    from b12clinic.core.models import Action

    done = [0] * writers
    stop = time.monotonic() + SECONDS
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        clinic = clinics[n % len(clinics)]
        start.wait()
        while time.monotonic() < stop:
            with transaction.atomic():
                audit(
                    actor=user,  # type: ignore[arg-type]
                    action=Action.CHANGE,
                    object_type="bench",
                    summary="Lab result added",
                    clinic=clinic,  # type: ignore[arg-type]
                )
                time.sleep(0.005)  # the rest of the change, with the chain head held
            done[n] += 1
        connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def _content_hash(row: dict[str, object]) -> str:
    from b12clinic.core.models.audit import content_hash_of

    return content_hash_of(row)


def seed_valid(count: int, clinics: list[object], patients: list[tuple[object, object]]) -> None:
    """`count` rows on the 8 clinics' chains and the system chain, hashed as the app hashes
    them, written with COPY."""
    from django.db import connection

    heads: dict[str, str] = {}
    at0 = datetime(2026, 1, 1, tzinfo=UTC)
    buffer = io.StringIO()
    for n in range(count):
        clinic = clinics[n % len(clinics)] if n % 10 else None
        clinic_id = clinic.pk if clinic is not None else None  # type: ignore[attr-defined]
        patient_id = patients[n % len(patients)][0] if clinic is not None else None
        chain = str(clinic_id) if clinic_id else "system"
        at = at0 + timedelta(seconds=n * 10)
        content = {
            "at": at.isoformat(),
            "actor": None,
            "actor_name": f"user{n % 50}",
            "action": ("view", "change", "create", "download")[n % 4],
            "object_type": "plans.patient",
            "object_id": "",
            "clinic_id": str(clinic_id) if clinic_id else None,
            "patient_id": str(patient_id) if patient_id else None,
            "patient_label": "",
            "summary": f"Row {n}",
            "changes": {},
            "reason": "",
            "ip": None,
        }
        prev = heads.get(chain, "0" * 64)
        row_hash = hashlib.sha256((prev + _content_hash(content)).encode()).hexdigest()
        heads[chain] = row_hash
        fields = (
            at.isoformat(),
            NULL,
            f"user{n % 50}",
            content["action"],
            "plans.patient",
            "",
            clinic_id or NULL,
            patient_id or NULL,
            "",
            f"Row {n}",
            "{}",
            "",
            NULL,
            prev,
            row_hash,
            chain,
        )
        buffer.write("\t".join(map(str, fields)) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY b12clinic_auditevent ({COLUMNS}) FROM STDIN", buffer)
        for chain, head in heads.items():
            cursor.execute(
                "INSERT INTO b12clinic_auditchain (chain, prev, hash) VALUES (%s, '', %s)",
                [chain, head],
            )
        cursor.execute("ANALYZE b12clinic_auditevent")


def fill_to(total: int, clinics: list[object], patients: list[tuple[object, object]]) -> None:
    """More rows, for the page's timing only (their hashes are not a chain), in SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM b12clinic_auditevent")
        have = cursor.fetchone()[0]
        clinic_ids = [str(c.pk) for c in clinics]  # type: ignore[attr-defined]
        patient_ids = [str(p[0]) for p in patients]
        step = 1_000_000
        for start in range(have, total, step):
            cursor.execute(
                f"INSERT INTO b12clinic_auditevent ({COLUMNS}) "
                "SELECT timestamptz '2027-01-01' + n * interval '1 second', NULL, "
                "'user' || (n %% 50), (ARRAY['view','change','create','download'])[n %% 4 + 1], "
                "'plans.patient', '', (%s::uuid[])[n %% 8 + 1], (%s::uuid[])[n %% %s + 1], '', "
                "'Filler ' || n, '{}', '', NULL, '', md5(n::text) || md5('x' || n), 'filler' "
                "FROM generate_series(%s, %s) AS n",
                [clinic_ids, patient_ids, len(patient_ids), start, min(start + step, total) - 1],
            )
            print(f"  filled to {min(start + step, total):,} rows", flush=True)
        cursor.execute("VACUUM ANALYZE b12clinic_auditevent")


def timed(run: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    verify_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    page_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from b12clinic.core.audit import audit
    from b12clinic.core.audit_verify import verify_chains
    from b12clinic.core.models import Action, AuditCheckpoint, Clinic, Patient

    if connection.vendor != "postgresql":
        sys.exit("bench/audit.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE b12clinic_auditevent, b12clinic_auditcheckpoint")
    clinics = [Clinic.objects.get_or_create(name=f"Audit bench {n}")[0] for n in range(CLINICS)]
    user, _ = User.objects.get_or_create(username="bench-auditor", email="a@example.org")

    print(f"1. appends/s, transactions that audit first and then work 5 ms, {SECONDS:.0f} s each")
    rates = {}
    for writers in WRITERS:
        one_chain = appends_per_second(writers, clinics[:1], user)
        spread = appends_per_second(writers, clinics, user)
        rates[writers] = spread
        print(
            f"  {writers:>2} writers: {one_chain:6.0f}/s on one chain (before), "
            f"{spread:6.0f}/s over {CLINICS} clinics ({spread / one_chain:.1f}x)"
        )
    print(
        f"  8 writers over 8 clinics / one writer: {rates[8] / rates[1]:.1f}x "
        f"(goal >= 3x: {'met' if rates[8] >= 3 * rates[1] else 'NOT met'})"
    )

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE b12clinic_auditevent, b12clinic_auditcheckpoint")
    Patient.objects.filter(record_number__startswith="AB-").delete()
    patients = [
        (
            Patient.objects.create(
                clinic=clinics[n % CLINICS],
                record_number=f"AB-{n}",
                given_name="Audit",
                family_name=f"Bench{n}",
                date_of_birth="1960-01-01",
            ).pk,
            n,
        )
        for n in range(200)
    ]
    started = time.perf_counter()
    seed_valid(verify_rows, clinics, patients)
    print(f"2. seeded {verify_rows:,} valid rows in {time.perf_counter() - started:.0f} s")
    for jobs in (1, 2):
        AuditCheckpoint.objects.all().delete()
        started = time.perf_counter()
        reports = verify_chains(full=True, jobs=jobs)
        full = time.perf_counter() - started
        assert all(r.broken is None for r in reports), reports
        print(
            f"  full verify, {jobs} process(es): {full:.1f} s "
            f"({sum(r.checked for r in reports) / full:,.0f} rows/s, {len(reports)} chains)"
        )
    for n in range(10_000):
        audit(
            actor=user,
            action=Action.VIEW,
            object_type="x",
            summary=f"new {n}",
            clinic=clinics[n % CLINICS],
        )
    started = time.perf_counter()
    reports = verify_chains(jobs=2)
    incremental = time.perf_counter() - started
    print(
        f"  incremental verify after 10k new rows: {incremental:.2f} s "
        f"({sum(r.checked for r in reports):,} rows read)"
    )
    print(
        f"  goals (full <= 30 s, incremental < 5 s): "
        f"{'met' if full <= 30 and incremental < 5 else 'NOT met'}"
    )

    started = time.perf_counter()
    fill_to(page_rows, clinics, patients)
    print(f"3. /audit/ at {page_rows:,} rows (filled in {time.perf_counter() - started:.0f} s)")
    admin, _ = User.objects.get_or_create(username="bench-admin")
    admin.groups.add(Group.objects.get(name="clinic_admin"))
    clinics[0].staff.add(admin)
    client = Client()
    client.force_login(admin)
    url = reverse("audit_list")
    client.get(url)
    cases = {
        "no filter": {},
        "patient": {"patient": "Bench8"},
        "user": {"user": "user7"},
        "action, rare": {"action": "download"},  # none in this clinic (the seed's spread)
        "action": {"action": "view"},
        "dates": {"since": "2027-01-02", "until": "2027-01-03"},
        "last page": {"before": "50"},
        "older page": {"before": "5000000"},
    }
    worst = 0.0
    for name, query in cases.items():
        assert client.get(url, query).status_code == 200, name
        seconds = timed(lambda q=query: client.get(url, q))
        worst = max(worst, seconds)
        print(f"  {name:<14} {seconds * 1000:7.1f} ms")
    print(f"  goal (every filter <= 100 ms): {'met' if worst <= 0.1 else 'NOT met'}")


if __name__ == "__main__":
    main()
