import re

import pytest
from playwright.sync_api import expect

from b12clinic.demo import DEMO_PASSWORD, demo_seed
from tests.browser.conftest import log_in


@pytest.fixture
def demo():
    return demo_seed()


@pytest.mark.parametrize(
    ("username", "path", "heading"),
    [
        ("clinician", "/dashboard/", "Dashboard"),
        ("nurse", "/today/", "Today"),
        ("patient", "/me/", "My injection schedule"),
        ("admin", "/admin/", "Site administration"),
    ],
)
def test_each_demo_role_signs_in_and_lands_on_its_home(
    page, live_server, demo, username, path, heading
):
    log_in(page, username, DEMO_PASSWORD)

    expect(page).to_have_url(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


def test_wrong_password_shows_an_error_and_stays_on_login(page, demo):
    log_in(page, "nurse", "not-the-password")

    expect(page.get_by_test_id("login-error")).to_contain_text(
        "Please enter a correct username and password"
    )
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_nurse_sees_only_her_pages_and_signs_out(page, demo):
    log_in(page, "nurse", DEMO_PASSWORD)
    expect(page.get_by_role("link", name="Today")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/today/$"))
