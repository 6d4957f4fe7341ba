"""With the database gone, pages answer a plain 503 that needs no database to render.

The app runs in a separate process pointed at a PostgreSQL port where nothing listens: a
database that is really not there, not a patched connection."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "s" * 32  # a session the app must look up
answers = {}
for method, path, data in [
    ("get", "/patients/", None),
    ("get", "/today/", None),
    ("post", "/accounts/login/", {"username": "nurse", "password": "x"}),
]:
    response = getattr(client, method)(path, data) if data else getattr(client, method)(path)
    answers[f"{method} {path}"] = [
        response.status_code, response.get("Retry-After"), response.content.decode()
    ]
print(json.dumps(answers))
"""


def test_pages_answer_503_when_the_database_is_down():
    # Not DEBUG, even if the shell running the suite set it: the 503 page is production's.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DEBUG"},
        "DJANGO_SETTINGS_MODULE": "b12clinic.settings_test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/gone",
        "CONN_MAX_AGE": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for what, (status, retry_after, body) in answers.items():
        assert status == 503, (what, status, body[:300])
        assert retry_after == "30"
        assert "Service unavailable" in body and "Try again in a minute" in body
