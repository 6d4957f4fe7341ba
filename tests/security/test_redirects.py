"""Every view that honours `next` follows it only on this site (b12clinic.core.redirects)."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    " //evil.example",
]


def stays_here(response) -> bool:
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not (location.startswith("//") or location.startswith("/\\"))
    )


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_leaves_the_site(client, clinician, target):
    response = client.post(
        reverse("login") + "?next=" + target,
        {"username": clinician.username, "password": PASSWORD, "next": target},
    )
    assert stays_here(response)
    # Already signed in: the sign-in page sends the user on, but not off the site.
    assert stays_here(client.get(reverse("login"), {"next": target}))


def test_signed_in_and_sent_back_to_sign_in_goes_home(client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("login"), {"next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("home")


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_one_time_code_never_leaves_the_site(client, clinician, clinic, settings, target):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    clinic.require_second_factor = True
    clinic.save()
    device = TOTPDevice.objects.create(user=clinician, name="app", confirmed=True)
    client.force_login(clinician)
    response = client.post(
        reverse("otp_verify") + "?next=" + target, {"code": f"{totp(device.bin_key):06d}"}
    )
    assert stays_here(response)


def test_the_sign_in_chain_through_the_code_page_ends_on_the_site(client, clinician, clinic):
    clinic.require_second_factor = True
    clinic.save()
    device = TOTPDevice.objects.create(user=clinician, name="app", confirmed=True)
    chained = "/accounts/otp/?next=https://evil.example/"
    signed_in = client.post(
        reverse("login") + "?next=" + "/accounts/otp/%3Fnext%3Dhttps://evil.example/",
        {"username": clinician.username, "password": PASSWORD, "next": chained},
    )
    assert signed_in["Location"] == chained  # on the site: the code page decides
    code = client.post(chained, {"code": f"{totp(device.bin_key):06d}"})
    assert stays_here(code) and code["Location"] == reverse("home")


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize(
    ("name", "key", "who", "data"),
    [
        ("monitoring:reminder_retry", "reminder_id", "clinician", {}),
        ("plans:dose_not_given", "dose_id", "nurse", {"reason": "declined"}),
    ],
)
def test_staff_actions_return_only_to_this_site(client, world, name, key, who, data, target):
    client.force_login(world.users[who])
    response = client.post(reverse(name, args=[world.ids[key]]), {**data, "next": target})
    assert stays_here(response)
