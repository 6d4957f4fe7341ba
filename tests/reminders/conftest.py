"""Real parts for the reminder tests: an SMTP server on loopback (aiosmtpd), a Redis server the
test owns, a Celery worker started by the test."""

from __future__ import annotations

import email
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time as clock_time
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from monitoring.models import Reminder
from tests.plans.conftest import cyano, hydroxo, patient  # noqa: F401 - fixtures

BASE_DIR = Path(__file__).resolve().parents[2]
# aiosmtpd logs every SMTP command at INFO: noise in a failing test's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture
def consenting(patient, clinic):  # noqa: F811 - the fixture imported above
    """A patient who takes email reminders, at a clinic open every day with no quiet hours (the
    suite runs at any hour)."""
    clinic.open_weekdays = "0123456"
    clinic.quiet_from = clinic.quiet_until = clock_time(0)
    clinic.save()
    patient.email = "nora.quinn@example.org"
    patient.reminder_email = True
    patient.save()
    return patient


def due_reminders(dose, count: int) -> set[str]:
    """`count` email reminders for `dose`, due a minute ago, written as the outbox holds them.
    Returns their ids, as the X-B12-Reminder header carries them."""
    # The wall clock, not a travelled one: the real workers that send them read the real time.
    now = timezone.now() - timedelta(minutes=1)
    rows = Reminder.objects.bulk_create(
        Reminder(
            kind="injection_due",
            channel="email",
            clinic=dose.clinic,
            patient=dose.plan.patient,
            dose=dose,
            for_date=dose.due_date,
            send_at=now,
            attempt_at=now,
            dedupe_key=f"test:{uuid.uuid4()}",
        )
        for _ in range(count)
    )
    return {str(row.pk) for row in rows}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the loopback SMTP server received."""

    port: int
    messages: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # as received, for readers we did not write
    delay: float = 0.0
    refuse: str = ""  # an SMTP reply such as "451 try later", to play a failing server
    hold_at: int = 0  # the server stops answering once it holds this many messages, until release()
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.refuse:
            return self.refuse
        if self.delay:
            time.sleep(self.delay)
        message = email.message_from_bytes(envelope.content)  # type: ignore[attr-defined]
        with self.lock:
            self.messages.append(message)
            self.raw.append(envelope.content)  # type: ignore[attr-defined]
            held = self.hold_at and len(self.messages) >= self.hold_at
        if held:
            # The sender is left waiting for the reply to this message, so whoever is sending it
            # is certainly in the middle of its batch.
            self.released.wait(60)
        return "250 OK"

    def release(self) -> None:
        self.hold_at = 0
        self.released.set()

    def ids(self) -> list[str]:
        with self.lock:
            return [m["X-B12-Reminder"] for m in self.messages]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.ids()) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    box.release()
    controller.stop()


@pytest.fixture
def smtp_settings(settings, inbox: Inbox) -> Inbox:
    """This process sends through the loopback server, as production sends through its relay."""
    settings.EMAIL_BACKEND = "b12clinic.mail.SmtpBackend"  # what smtp:// selects
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return inbox


class RedisServer:
    """A redis-server of the test's own, so the test can stop it and start it again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


class Worker:
    """`celery worker` in its own process group, on the test database and a given broker."""

    def __init__(self, *, broker: str, smtp_port: int, database: str, **env: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "b12clinic.settings",
            "DEBUG": "1",
            "ALLOWED_HOSTS": "testserver,localhost",
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": broker,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "REMINDER_SENDING_TIMEOUT_SECONDS": "2",
            **env,
        }
        self.process: subprocess.Popen[str] | None = None
        self.output = ""

    def start(self, concurrency: int = 2) -> None:
        from django.utils import timezone

        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.clocked_celery",
                timezone.now().isoformat(),  # the pinned clock, as it stands now
                "-A",
                "b12clinic",
                "worker",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def kill_hard(self) -> None:
        """kill -9 of the worker and its children, mid-work."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.output += self.process.communicate()[0] or ""
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.output += self.process.communicate(timeout=20)[0] or ""
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.output += self.process.communicate()[0] or ""
        self.process = None


def tick(broker: str) -> None:
    """What beat does every minute: send the delivery tick through the broker."""
    from b12clinic.celery import app

    with app.connection_for_write(broker) as connection:
        app.send_task("monitoring.tasks.deliver_reminders", connection=connection)


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


@pytest.fixture
def workers(inbox, own_redis):
    started: list[Worker] = []

    def start(concurrency: int = 2, **env: str) -> Worker:
        worker = Worker(broker=own_redis.url, smtp_port=inbox.port, database=database_url(), **env)
        worker.start(concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        print(worker.output[-3000:])


def wait_until(condition, timeout: float, every: float = 0.2, on_wait=None) -> bool:
    deadline = time.monotonic() + timeout
    last = 0.0
    while time.monotonic() < deadline:
        if condition():
            return True
        if on_wait and time.monotonic() - last > 1.5:
            on_wait()
            last = time.monotonic()
        time.sleep(every)
    return condition()
