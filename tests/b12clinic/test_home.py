"""`/` sends each role to its own home, and each home opens only for its role."""

import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    ("user_fixture", "home"),
    [
        ("clinician", "/dashboard/"),
        ("nurse", "/today/"),
        ("patient_user", "/me/"),
        ("clinic_admin", "/admin/"),
    ],
)
def test_root_redirects_each_role_to_its_home(client, db, request, user_fixture, home):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_user_without_role_is_told_to_ask_for_one(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get("/")
    assert response.status_code == 403
    assert b"Your account has no role yet" in response.content


@pytest.mark.parametrize(
    ("user_fixture", "url"),
    [
        ("nurse", "/dashboard/"),
        ("patient_user", "/dashboard/"),
        ("patient_user", "/today/"),
        ("nurse", "/me/"),
        ("clinician", "/me/"),
        ("no_role_user", "/today/"),
    ],
)
def test_other_roles_homes_are_forbidden(client, db, request, user_fixture, url):
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.get(url)
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content


@pytest.mark.parametrize("url", ["/dashboard/", "/today/", "/me/"])
def test_homes_need_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_navigation_shows_only_what_the_role_may_open(client, nurse, patient_user):
    client.force_login(nurse)
    nurse_page = client.get("/today/").content.decode()
    assert 'href="/today/"' in nurse_page
    assert 'href="/dashboard/"' not in nurse_page
    assert 'href="/me/"' not in nurse_page

    client.force_login(patient_user)
    patient_page = client.get("/me/").content.decode()
    assert 'href="/me/"' in patient_page
    assert 'href="/today/"' not in patient_page
    assert 'href="/admin/"' not in patient_page


def test_navigation_links_follow_the_prefix_the_app_is_served_under(client, nurse):
    """The links are reversed once per set of roles and prefix: one app served under a
    sub-path (SCRIPT_NAME) and at the root links each to its own."""
    from django.urls import get_script_prefix, set_script_prefix

    client.force_login(nurse)
    assert 'href="/today/"' in client.get("/today/").content.decode()
    before = get_script_prefix()
    set_script_prefix("/clinic/")  # as the WSGI handler does from SCRIPT_NAME
    try:
        under = client.get("/today/").content.decode()
    finally:
        set_script_prefix(before)
    assert 'href="/clinic/today/"' in under and 'href="/today/"' not in under
    assert 'href="/today/"' in client.get("/today/").content.decode()


def test_login_with_password_lands_on_role_home(client, nurse):
    response = client.post(
        "/accounts/login/", {"username": "bob", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1] == ("/today/", 302)
    assert "Northgate Surgery" in response.content.decode()
    assert "Overdue" in response.content.decode()


def test_wrong_password_shows_an_error_and_does_not_log_in(client, nurse):
    response = client.post("/accounts/login/", {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get("/today/").status_code == 302


def test_logout_is_a_post_and_ends_the_session(client, nurse):
    client.force_login(nurse)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/today/").status_code == 302


def test_the_favicon_is_found(client):
    from pathlib import Path

    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    icon = Path(__file__).resolve().parents[2] / "static" / "favicon.svg"
    assert "<svg" in icon.read_text()


def test_the_admin_landing_page_links_to_the_audit(client, clinic_admin):
    clinic_admin.is_staff = True
    clinic_admin.save()
    client.force_login(clinic_admin)
    page = client.get("/admin/").content.decode()
    assert 'href="/audit/"' in page and "Site administration" in page
