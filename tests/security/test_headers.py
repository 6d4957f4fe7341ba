"""What the responses tell browsers, proxies and strangers."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from b12clinic.templatetags.words import in_words
from tests.security.test_access_matrix import MATRIX

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("role", ["clinician", "nurse", "patient", "clinic_admin"])
def test_no_page_a_signed_in_user_sees_is_stored(client, world, role):
    client.force_login(world.users[role])
    for name, (arguments, expected) in MATRIX.items():
        url = reverse(name, args=[world.ids[a] for a in arguments])
        response = client.get(url)
        if expected[role] == 200:
            assert "no-store" in response.get("Cache-Control", ""), (url, role)


def test_a_patients_share_and_opt_out_pages_are_not_stored(client, world):
    for name in ("monitoring:shared_schedule", "monitoring:reminder_opt_out"):
        arguments, _ = MATRIX[name]
        response = client.get(reverse(name, args=[world.ids[a] for a in arguments]))
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1, minutes=30), "1 hour and 30 minutes"),
        (timedelta(days=1, hours=2, minutes=5), "1 day, 2 hours and 5 minutes"),
        (timedelta(seconds=40), "40 seconds"),
        (None, "a few minutes"),
    ],
)
def test_durations_are_said_in_words(duration, words):
    assert in_words(duration) == words


def test_the_lockout_page_says_how_long_in_words(client, clinician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page = client.post(reverse("login"), {"username": clinician.username, "password": "no"})
    assert page.status_code == 429
    text = page.content.decode()
    assert "paused for 15 minutes" in text and "PT15M" not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_names_no_server_software(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "b12clinic.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "b12clinic.settings_test",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/static/css/b12clinic.css", timeout=5
                ) as response:
                    server_header = response.headers.get("Server", "")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(10)
    assert "gunicorn" not in server_header.lower()
    assert not re.search(r"\d+\.\d+", server_header), server_header  # no version
