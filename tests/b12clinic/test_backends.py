"""The sign-in backend reads the signed-in user through a compiled query: the same user as
Django's model backend reads, and the same refusals (inactive, missing, malformed), and a
password change still ends the other sessions."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from b12clinic.core import backends
from b12clinic.core.backends import SignInBackend
from b12clinic.core.prepared import statement_name
from tests.conftest import PASSWORD, fields_of, make_user, require_postgresql

pytestmark = pytest.mark.django_db


def test_the_user_read_is_the_model_backends_and_refuses_what_it_refuses(clinic):
    nurse = make_user("bob", "nurse", clinic=clinic, first_name="Bob")
    gone = make_user("gone", "nurse", clinic=clinic, is_active=False)
    mine, django = SignInBackend(), ModelBackend()
    assert fields_of(mine.get_user(str(nurse.pk))) == fields_of(django.get_user(str(nurse.pk)))
    assert fields_of(mine.get_user(nurse.pk)) == fields_of(nurse)
    assert mine.get_user(gone.pk) is None and django.get_user(gone.pk) is None
    for wrong in (999_999, "999999", "not-a-number", None, 2**40):
        assert mine.get_user(wrong) is None, wrong


def test_signing_in_through_the_form_uses_it_on_every_request_and_a_new_password_ends_it(
    clinic,
):
    require_postgresql("the compiled user read")
    nurse = make_user("bob", "nurse", clinic=clinic)
    browser, other = Client(), Client()
    for client in (browser, other):
        response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]
    assert browser.session["_auth_user_backend"] == "b12clinic.core.backends.SignInBackend"
    name = statement_name(backends._USER._compile("default")[0])
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/today/").status_code == 200
    reads = [q["sql"] for q in queries.captured_queries]
    assert any(sql.startswith(f"EXECUTE {name}") for sql in reads), reads
    assert not any('FROM "auth_user"' in sql for sql in reads if sql.startswith("SELECT")), reads

    nurse.set_password("another long passphrase 42")
    nurse.save()
    # The session's hash no longer matches the password: signed out, as with Django's backend.
    response = other.get("/today/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert User.objects.filter(username="bob").exists()
