"""Benchmark: 10,000 due reminders through Redis and real Celery workers into an SMTP server on
loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench_reminders \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/reminders.py [count] [workers]

    .venv/bin/python bench/reminders.py --baseline GIT-REF [--rounds 3] [count] [workers]

Seeds one patient with an open dose and `count` due reminders for it, starts `workers` worker
processes (`celery worker --concurrency 1` each) and an aiosmtpd server in this process, sends
one tick as beat would (then one a second, as a faster beat would, so the measure is the
delivery and not the tick interval), and waits until every reminder is sent. Prints throughput,
the 99th-percentile lag from due to sent, duplicates (Message-IDs received twice) and lost
(reminders never received). Goal: 0 duplicates, 0 lost, at least 200 reminders per second.

`--baseline` runs the older code's own copy of this script (from a worktree in var/, on a
database of its own) and this code's in turn, `--rounds` times, and prints the medians side by
side: on a shared machine the same run varied by a fifth minutes apart.
"""

from __future__ import annotations

import argparse
import email
import logging
import os
import re
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
# Production settings, as a worker runs: with DEBUG on, every query is also logged in memory.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "reminders-bench-" + "k" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench_reminders"
)
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3")

import django
from aiosmtpd.controller import Controller
from baseline import checkout
from cpu import cpu_snapshot, cpu_used
from materialise import ensure_database
from workers import celery_workers

BASE_DIR = Path(__file__).resolve().parents[1]
WORKERS = {"workers": b"celery"}
# aiosmtpd logs every SMTP command at INFO: a cost the benchmark should not measure.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Inbox:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.sample = b""
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = email.message_from_bytes(envelope.content)  # type: ignore[attr-defined]
        with self.lock:
            self.ids.append(message["X-B12-Reminder"])
            self.sample = self.sample or envelope.content  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prescription(start: object) -> object:
    from b12clinic.core.models import Product
    from plans.rules import dosing
    from plans.rules.regimens import REGIMENS
    from plans.services.prescriptions import Prescription

    regimen = REGIMENS["uk_prophylaxis"]
    product = Product.objects.get(code=regimen.product)
    return Prescription(
        regimen=regimen.code,
        product=product,
        dose=dosing.parse_dose(regimen.dose_text, strength_mcg_per_ml=product.strength_mcg_per_ml),
        route=dosing.Route(regimen.route),
        cause="malabsorption",
        neurological=False,
        start_date=start,
        review_date=None,
        phases=regimen.phases,
    )


def seed(count: int) -> set[str]:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from b12clinic.core.models import Clinic, Patient
    from monitoring.models import Reminder
    from plans.services.patients import patient_create
    from plans.services.prescriptions import plan_create

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE monitoring_reminder")
    clinic, _ = Clinic.objects.get_or_create(
        name="Bench clinic", defaults={"open_weekdays": "0123456", "email": "c@example.org"}
    )
    clinic.quiet_from = clinic.quiet_until = clinic.quiet_from.replace(hour=0)
    clinic.save()
    user, _ = User.objects.get_or_create(username="bench-clinician")
    user.groups.add(Group.objects.get(name="clinician"))
    clinic.staff.add(user)
    patient = Patient.objects.filter(clinic=clinic).first() or patient_create(
        clinic=clinic,
        by=user,
        today=timezone.localdate(),
        record_number="BENCH-1",
        given_name="Bench",
        family_name="Patient",
        date_of_birth=timezone.localdate() - timedelta(days=20000),
        email="bench.patient@example.org",
        reminder_email=True,
    )
    plan = patient.plans.filter(status="active").first() or plan_create(
        patient=patient,
        prescriber=user,
        prescription=prescription(timezone.localdate()),
        today=timezone.localdate(),
    )
    dose = plan.doses.filter(status="due").order_by("due_date").first()
    Reminder.objects.filter(patient=patient).delete()
    now = timezone.now()
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind="injection_due",
                channel="email",
                clinic=clinic,
                patient=patient,
                dose=dose,
                for_date=dose.due_date,
                send_at=now,
                attempt_at=now,
                dedupe_key=f"bench:{uuid.uuid4()}",
            )
            for _ in range(count)
        ],
        batch_size=2000,
    )
    return {str(pk) for pk in Reminder.objects.filter(patient=patient).values_list("pk", flat=True)}


FIGURES = {
    "throughput": re.compile(r"throughput: (\d+) reminders/s"),
    "floor": re.compile(r"floor: .*?: (\d+)/s"),
    "machine": re.compile(r"CPU a message: ([\d.]+) ms on the machine"),
    "workers": re.compile(r"the workers ([\d.]+) ms"),
    "server": re.compile(r"the SMTP server \(this process\) ([\d.]+) ms"),
    "rest": re.compile(r"the rest \(PostgreSQL, Redis\) ([\d.]+) ms"),
}


def run_copy(source: Path, database: str, count: int, processes: int) -> dict[str, float]:
    """One run of the copy of this script in `source`, on `database`: its figures."""
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
    done = subprocess.run(
        [sys.executable, str(source / "bench" / "reminders.py"), str(count), str(processes)],
        cwd=source,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    found = {name: pattern.search(done.stdout) for name, pattern in FIGURES.items()}
    missing = [name for name, match in found.items() if match is None]
    if missing or "duplicates: 0, lost: 0" not in done.stdout:
        sys.exit(f"{source}: no {missing} or a message lost or repeated:\n{done.stdout}")
    return {name: float(match.group(1)) for name, match in found.items() if match}


def compare(ref: str, count: int, processes: int, rounds: int) -> None:
    tree = checkout(ref, "reminders-baseline")
    codes = {
        f"baseline {ref}": (tree, "b12clinic_bench_reminders_base"),
        "this code": (BASE_DIR, "b12clinic_bench_reminders"),
    }
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in codes}
    for round_ in range(1, rounds + 1):
        for label, (source, database) in codes.items():
            figures = run_copy(source, database, count, processes)
            runs[label].append(figures)
            print(
                f"round {round_}, {label}: {figures['throughput']:.0f}/s, floor "
                f"{figures['floor']:.0f}/s ({figures['throughput'] / figures['floor']:.2f}x); "
                f"CPU a message {figures['machine']:.2f} ms (workers {figures['workers']:.2f}, "
                f"SMTP server {figures['server']:.2f}, PostgreSQL and Redis {figures['rest']:.2f})",
                flush=True,
            )
    medians = {
        label: {name: statistics.median(r[name] for r in found) for name in FIGURES}
        for label, found in runs.items()
    }
    old, new = medians.values()
    print(f"medians of {rounds} rounds, {count:,} reminders, {processes} worker processes:")
    for label, m in medians.items():
        ratio = statistics.median(r["throughput"] / r["floor"] for r in runs[label])
        print(
            f"  {label}: {m['throughput']:.0f}/s, {ratio:.2f}x its floor; CPU a message "
            f"{m['machine']:.2f} ms, the workers {m['workers']:.2f}, PostgreSQL and Redis "
            f"{m['rest']:.2f}"
        )
    print(
        f"this code against the baseline: {new['throughput'] / old['throughput']:.2f}x the "
        f"throughput; the workers' CPU a message {old['workers'] / new['workers']:.2f}x less, "
        f"PostgreSQL's and Redis's {old['rest'] / new['rest']:.2f}x less"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("workers", nargs="?", type=int, default=2)
    parser.add_argument("--baseline", help="a git ref measured in turn with this code")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.baseline:
        compare(args.baseline, args.count, args.workers, args.rounds)
        return
    count, processes = args.count, args.workers
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.db import connection

    from b12clinic.celery import app
    from monitoring.models import Reminder

    if connection.vendor != "postgresql":
        sys.exit("bench/reminders.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    expected = seed(count)
    unsent = Reminder.objects.filter(dedupe_key__startswith="bench:").exclude(status="sent")
    broker = os.environ["CELERY_BROKER_URL"]
    with app.connection_for_write(broker) as conn:
        conn.default_channel.queue_purge("celery")
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    with celery_workers(processes, env):
        time.sleep(3)  # workers up
        cpu = cpu_snapshot(WORKERS)
        started = time.monotonic()
        deadline = started + 600
        while time.monotonic() < deadline:
            with app.connection_for_write(broker) as conn:
                app.send_task("monitoring.tasks.deliver_reminders", connection=conn)
            time.sleep(1)
            # By the bench's own key prefix, not by the 10,000 ids: that query took 70 ms of
            # this process's interpreter each second, stalling the SMTP server in its thread.
            if not unsent.exists():
                break
        elapsed = time.monotonic() - started
        cpu = cpu_used(cpu, cpu_snapshot(WORKERS))  # while they sent, not while they started
    received_ids = list(inbox.ids)  # before the floor's messages join them
    # The floor: a plain SMTP client sending the same number of messages like ours, over one
    # session, to the same sink; nothing else to do.
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for _ in range(count):
            client.sendmail("clinic@example.org", ["patient@example.org"], inbox.sample)
    floor = count / (time.monotonic() - started)
    smtp.stop()
    sent = Reminder.objects.filter(pk__in=expected, status="sent")
    first_sent = min(sent.values_list("sent_at", flat=True))
    last_sent = max(sent.values_list("sent_at", flat=True))
    lags = sorted((r.sent_at - r.send_at).total_seconds() for r in sent.only("sent_at", "send_at"))
    received = Counter(i for i in received_ids if i in expected)
    duplicates = sum(n - 1 for n in received.values())
    lost = len(expected - set(received))
    throughput = sent.count() / max((last_sent - first_sent).total_seconds(), 1e-9)
    print(f"{count:,} reminders, {processes} worker processes, {elapsed:.1f} s until all sent")
    print(f"throughput: {throughput:.0f} reminders/s (first to last sent)")
    print(
        f"lag from due to sent: median {statistics.median(lags):.1f} s, "
        f"p99 {lags[int(len(lags) * 0.99) - 1]:.1f} s"
    )
    print(f"duplicates: {duplicates}, lost: {lost}")
    per = 1000 / count
    rest = cpu["machine"] - cpu["workers"] - cpu["this process"]
    print(
        f"CPU a message: {cpu['machine'] * per:.2f} ms on the machine: the workers "
        f"{cpu['workers'] * per:.2f} ms, the SMTP server (this process) "
        f"{cpu['this process'] * per:.2f} ms, the rest (PostgreSQL, Redis) {rest * per:.2f} ms"
    )
    met = duplicates == 0 and lost == 0 and throughput >= 200
    print(f"goal (0 duplicates, 0 lost, >= 200/s): {'met' if met else 'NOT met'}")
    print(
        f"floor: a plain SMTP client, one session, the same messages: {floor:.0f}/s; ours "
        f"{throughput / floor:.2f}x "
        f"(goal >= 0.7: {'met' if throughput >= 0.7 * floor else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
