"""Start-up refuses unsafe configuration, in a real process, as an operator would see it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SHOW_SETTINGS = (
    "import django; django.setup();"
    "from django.conf import settings; from django.contrib.auth.hashers import make_password;"
    "print(make_password('x').split('$')[0], settings.USE_TZ, settings.DEBUG)"
)


CONFIGURATION = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}


def run_with(
    tmp_path: Path, code: str = SHOW_SETTINGS, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Import the production settings in a fresh process with only `variables` configured."""
    env = {key: value for key, value in os.environ.items() if key not in CONFIGURATION}
    env.update(DJANGO_SETTINGS_MODULE="b12clinic.settings", VAR_DIR=str(tmp_path), **variables)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_debug_a_missing_secret_key_stops_startup_with_one_line(tmp_path):
    result = run_with(tmp_path, DEBUG="0", ALLOWED_HOSTS="clinic.example.org")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


def test_without_debug_missing_allowed_hosts_stops_startup(tmp_path):
    result = run_with(tmp_path, DEBUG="0", SECRET_KEY="k" * 50)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_settings_start_and_hash_passwords_with_argon2(tmp_path):
    result = run_with(tmp_path, DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="clinic.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["argon2", "True", "False"]


def test_debug_runs_without_secret_key_and_keeps_it_between_starts(tmp_path):
    first = run_with(tmp_path, DEBUG="1")
    second = run_with(tmp_path, DEBUG="1")
    assert first.returncode == second.returncode == 0, first.stderr
    key_file = tmp_path / "dev-secret-key"
    assert len(key_file.read_text()) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("", "django.db.backends.sqlite3"),
        ("postgres://u@db.example.org:5432/b12", "django.db.backends.postgresql"),
    ],
)
def test_database_comes_from_database_url(tmp_path, url, engine):
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    database = {"DATABASE_URL": url} if url else {}
    result = run_with(tmp_path, code, DEBUG="1", **database)
    assert result.stdout.strip() == engine, result.stderr
