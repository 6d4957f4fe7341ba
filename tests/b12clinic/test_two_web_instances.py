"""Web processes are stateless: two gunicorn instances on the same PostgreSQL and Redis serve
one user in turn, request by request, as a load balancer would send them, through sign-in,
the one-time code, pages and sign-out."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, on_ci
from tests.reminders.conftest import database_url

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Cookies kept across both instances, as one browser behind one address keeps them."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "Host": "localhost",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return response.status, response.getheader("Location", ""), text


@pytest.fixture
def two_instances(transactional_db, migration_data):
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        if on_ci():
            pytest.fail("two web instances need PostgreSQL and Redis, and CI must have them")
        pytest.skip("two web instances need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "b12clinic.settings",
        "DEBUG": "1",
        "SECRET_KEY": "the-same-key-on-every-instance-" + "x" * 20,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "WARNING",
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.clocked_gunicorn",
                timezone.now().isoformat(),
                "b12clinic.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_sign_in_and_the_one_time_code_work_across_two_instances(two_instances, clinician, clinic):
    clinic.require_second_factor = True
    clinic.save()
    # The instances run the production settings, which do not read the suite's fast hash.
    clinician.password = PBKDF2PasswordHasher().encode(PASSWORD, "twoinstances")
    clinician.save()
    device = TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    a, b = two_instances
    browser = Browser()

    status, _, _ = browser.request(a, "GET", "/accounts/login/")
    assert status == 200 and "csrftoken" in browser.cookies
    status, where, page = browser.request(
        b, "POST", "/accounts/login/", {"username": clinician.username, "password": PASSWORD}
    )
    assert status == 302, re.findall(r"(?:alert|invalid|error)[^<]{0,200}", page)
    status, where, _ = browser.request(a, "GET", "/patients/")
    assert (status, where) == (302, "/accounts/otp/")
    status, _, page = browser.request(b, "GET", "/accounts/otp/")
    assert status == 200 and 'name="code"' in page
    status, where, _ = browser.request(
        a, "POST", "/accounts/otp/", {"code": f"{totp(device.bin_key):06d}"}
    )
    assert status == 302
    for port in (b, a, b):
        status, _, page = browser.request(port, "GET", "/patients/")
        assert status == 200 and re.search(r"<h1[^>]*>\s*Patients", page), page[:500]

    status, _, _ = browser.request(a, "POST", "/accounts/logout/", {})
    assert status in (200, 302)
    status, where, _ = browser.request(b, "GET", "/patients/")
    assert status == 302 and where.startswith("/accounts/login/")
