"""Benchmark: the FHIR export and laboratory results coming in.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench_interop \\
        .venv/bin/python bench/interop.py [messages]

- `$everything` for a patient a year into treatment (a year of doses given, monthly results),
  against running the same SQL it runs and fetching the rows (the reads alone): what mapping to
  FHIR and validating with fhir.resources add.
- an ORU^R01 of four results filed by `hl7_receive` (read, match, map, file, audit), against
  `lab_results_store` filing the same four values directly: what the message path adds.
- the same messages over MLLP to the listener on loopback, one connection: messages a second.
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench_interop")

import django
from materialise import ensure_database

ROUNDS = 30


def seed():
    """A patient a year into treatment: every dose due so far given, a blood count monthly."""
    from django.contrib.auth.models import User
    from django.utils import timezone
    from schedule_pdf import seed as seed_plan

    from monitoring.services.labs import Entry, lab_results_add

    plan = seed_plan(days_in=365)
    patient = plan.patient
    clinician = User.objects.get(username="bench-clinician")
    start = timezone.localdate() - timedelta(days=365)
    for month in range(12):
        day = start + timedelta(days=30 * month + 3)
        lab_results_add(
            patient=patient,
            entries=[Entry("hb", Decimal(110 + month), "g/L"), Entry("mcv", Decimal(98), "fL")],
            collected_on=day,
            by=clinician,
            today=day,
        )
    return patient.clinic, patient


def message(control_id: str, patient, day) -> str:
    stamp = f"{day:%Y%m%d}0830"
    return "\r".join(
        [
            f"MSH|^~\\&|LABSYS|CITYLAB|B12|BENCH|{stamp}||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
            f"PID|1||{patient.record_number}^^^BENCH^MR||HUGHES^MARGARET||"
            f"{patient.date_of_birth:%Y%m%d}",
            f"OBR|1||{control_id}|FBC^Full blood count^L|||{stamp}",
            "OBX|1|NM|718-7^Hemoglobin^LN||128|g/L|120-160|N|||F",
            "OBX|2|NM|787-2^MCV^LN||92|fL|80-100|N|||F",
            "OBX|3|NM|14685-2^Cobalamin^LN||310|pmol/L|133-675|N|||F",
            "OBX|4|NM|2284-8^Folate^LN||9|ug/L|4-20|N|||F",
        ]
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from monitoring.interop import fhir_bundles
    from monitoring.interop.mllp import listening
    from monitoring.services.inbound import hl7_receive, interface_user
    from monitoring.services.labs import Entry, lab_results_store

    clinic, patient = seed()
    now = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        bundle = fhir_bundles.everything(patient, now=now)
    statements = [q["sql"] for q in captured.captured_queries]
    size = len(bundle.model_dump_json(exclude_none=True))

    def ours() -> float:
        started = time.perf_counter()
        fhir_bundles.everything(patient, now=now).model_dump_json(exclude_none=True)
        return time.perf_counter() - started

    def reads() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        return time.perf_counter() - started

    for _ in range(3):
        ours(), reads()
    mine, baseline = [], []
    for _ in range(ROUNDS):
        mine.append(ours())
        baseline.append(reads())
    a, b = statistics.median(mine) * 1000, statistics.median(baseline) * 1000
    print(
        f"$everything: {len(bundle.entry or [])} resources, {size / 1024:.0f} KiB, "
        f"{len(statements)} queries; {a:.1f} ms against {b:.1f} ms for the same reads alone "
        f"(ratio {a / b:.1f})"
    )

    today = timezone.localdate()
    by = interface_user()
    entries = [
        Entry("hb", Decimal(128), "g/L", lab_low=Decimal(120), lab_high=Decimal(160)),
        Entry("mcv", Decimal(92), "fL", lab_low=Decimal(80), lab_high=Decimal(100)),
        Entry("b12", Decimal(310), "pmol/L", lab_low=Decimal(133), lab_high=Decimal(675)),
        Entry("folate", Decimal(9), "µg/L", lab_low=Decimal(4), lab_high=Decimal(20)),
    ]
    run = time.time_ns()
    filed, direct = [], []
    for number in range(count):
        raw = message(f"M{run}-{number}", patient, today)
        started = time.perf_counter()
        received = hl7_receive(clinic=clinic, raw=raw, channel="upload", now=timezone.now())
        filed.append(time.perf_counter() - started)
        assert received.code == "AA", received.text
        started = time.perf_counter()
        lab_results_store(patient=patient, entries=entries, collected_on=today, by=by, today=today)
        direct.append(time.perf_counter() - started)
    a, b = statistics.median(filed) * 1000, statistics.median(direct) * 1000
    print(
        f"ORU^R01 of 4 results: {a:.1f} ms filed through hl7_receive against {b:.1f} ms for "
        f"lab_results_store of the same values (ratio {a / b:.2f})"
    )

    with (
        listening(clinic_id=clinic.pk) as port,
        socket.create_connection(("127.0.0.1", port)) as link,
    ):
        started = time.perf_counter()
        for number in range(count):
            raw = message(f"L{run}-{number}", patient, today)
            link.sendall(b"\x0b" + raw.encode() + b"\x1c\r")
            answer = b""
            while not answer.endswith(b"\x1c\r"):
                answer += link.recv(65536)
            assert b"MSA|AA" in answer, answer
        elapsed = time.perf_counter() - started
    print(f"MLLP, one connection: {count} messages in {elapsed:.1f} s, {count / elapsed:.0f}/s")


if __name__ == "__main__":
    main()
