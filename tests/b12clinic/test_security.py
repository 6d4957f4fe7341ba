"""Login, sessions and transport: each protection has a test that fails without it."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from b12clinic.security import SESSION_SEEN, SESSION_STARTED
from tests.conftest import PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production does not.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "b12clinic.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "clinic.example.org",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def login(client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failures_lock_the_account_for_a_while(client, clinician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, clinician.username, "wrong password")
        assert response.status_code == 200  # the form again, with its error
    assert login(client, clinician.username, "wrong password").status_code == 429
    locked = login(client, clinician.username, PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, clinician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, clinician.username, "wrong password")
    assert login(client, clinician.username).status_code == 302
    client.logout()
    login(client, clinician.username, "wrong password")
    assert login(client, clinician.username).status_code == 302


def test_passwords_are_hashed_with_argon2_and_weak_ones_refused(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from b12clinic import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with pytest.raises(ValidationError):
        validate_password("password1")
    with pytest.raises(ValidationError):
        validate_password("12345678901")


def test_idle_sessions_end_after_30_minutes(client, clinician):
    login(client, clinician.username)
    assert client.get(reverse("plans:patient_list")).status_code == 200
    session = client.session
    session[SESSION_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get(reverse("plans:patient_list"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_sessions_end_12_hours_after_signing_in_even_when_active(client, clinician):
    login(client, clinician.username)
    session = client.session
    session[SESSION_STARTED] = time.time() - 12 * 3600 - 60
    session[SESSION_SEEN] = time.time()
    session.save()
    response = client.get(reverse("plans:patient_list"))
    assert response.status_code == 302
    assert client.get(reverse("plans:patient_list")).status_code == 302


def test_an_active_session_carries_on(client, clinician):
    login(client, clinician.username)
    session = client.session
    session[SESSION_SEEN] = time.time() - 29 * 60
    session.save()
    assert client.get(reverse("plans:patient_list")).status_code == 200


def test_pages_carry_the_browser_protections(client, clinician):
    login(client, clinician.username)
    response = client.get(reverse("plans:patient_list"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_clinic_can_require_a_second_factor(client, clinician, clinic, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the test retries at once after a wrong code
    clinic.require_second_factor = True
    clinic.save()
    login(client, clinician.username)
    response = client.get(reverse("plans:patient_list"))
    assert response.status_code == 302 and response["Location"] == reverse("otp_verify")
    # No device yet: set one up.
    assert client.get(reverse("otp_verify"))["Location"] == reverse("otp_setup")
    # Opening the page makes no key; asking for one does.
    assert "<svg" not in client.get(reverse("otp_setup")).content.decode()
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert client.post(reverse("otp_setup"), {"start": "1"})["Location"] == reverse("otp_setup")
    setup = client.get(reverse("otp_setup"))
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=clinician)
    wrong = client.post(reverse("otp_setup"), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    code = f"{totp(device.bin_key):06d}"
    assert client.post(reverse("otp_setup"), {"code": code}).status_code == 302
    assert client.get(reverse("plans:patient_list")).status_code == 200

    # Next time: password, then a code.
    client.logout()
    login(client, clinician.username)
    assert client.get(reverse("plans:patient_list"))["Location"] == reverse("otp_verify")
    device.refresh_from_db()
    code = f"{totp(device.bin_key, t0=-30):06d}"  # the next time step: an unused code
    client.post(reverse("otp_verify"), {"code": code})
    assert client.get(reverse("plans:patient_list")).status_code == 200


def test_no_second_factor_unless_the_clinic_asks(client, clinician):
    login(client, clinician.username)
    assert client.get(reverse("plans:patient_list")).status_code == 200


def test_a_clinic_admin_manages_only_their_clinics_staff(client, clinic_admin, clinician, outsider):
    client.force_login(clinic_admin)
    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert clinician.username in listing
    assert outsider.username not in listing
    other = client.get(reverse("admin:auth_user_change", args=[outsider.pk]))
    assert other.status_code == 302  # "does not exist" for them
    own = client.get(reverse("admin:auth_user_change", args=[clinician.pk])).content.decode()
    assert 'name="is_superuser"' not in own
    clinics = client.get(reverse("admin:b12clinic_clinic_changelist")).content.decode()
    assert outsider.clinics.get().name not in clinics
    assert clinician.clinics.get().name in clinics


def test_losing_a_role_takes_effect_on_the_next_request(client, clinician):
    from django.contrib.auth.models import Group

    client.force_login(clinician)
    assert client.get(reverse("plans:patient_list")).status_code == 200
    clinician.groups.remove(Group.objects.get(name="clinician"))
    assert client.get(reverse("plans:patient_list")).status_code == 403
