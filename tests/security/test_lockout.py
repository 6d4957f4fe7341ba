"""Sign-in lockout and the share-link throttle: they slow an attacker, they key on the real
client address (also behind the TLS proxy), and they cannot be turned against other users."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

START = datetime(2026, 11, 29, 10, 30, tzinfo=ZoneInfo("Europe/London"))


def sign_in(client, username, password, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def test_a_lockout_ends_on_time_however_often_the_attacker_keeps_trying(clinician, settings):
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, clinician.username, "guess")
        assert sign_in(client, clinician.username, PASSWORD).status_code == 429
        for minutes in (5, 10, 14):
            clock.move_to(START + timedelta(minutes=minutes))
            assert sign_in(client, clinician.username, "guess").status_code == 429
        clock.move_to(START + settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert sign_in(client, clinician.username, PASSWORD).status_code == 302


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXY_HOPS = 1
    return {"REMOTE_ADDR": "10.0.0.2"}  # every connection comes from the proxy


def via_proxy(client_address, spoofed=""):
    chain = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": chain}


def test_behind_the_proxy_one_clients_failures_do_not_lock_out_another(
    clinician, settings, behind_proxy
):
    attacker, nurse_station = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        sign_in(attacker, clinician.username, "guess", **via_proxy("203.0.113.9"))
    assert (
        sign_in(attacker, clinician.username, PASSWORD, **via_proxy("203.0.113.9")).status_code
        == 429
    )
    answer = sign_in(nurse_station, clinician.username, PASSWORD, **via_proxy("198.51.100.7"))
    assert answer.status_code == 302


def test_an_address_the_client_writes_itself_is_not_believed(clinician, settings, behind_proxy):
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        headers = via_proxy("203.0.113.9", spoofed=f"192.0.2.{n}")
        sign_in(attacker, clinician.username, "guess", **headers)
    # A new made-up address each time, but the proxy's entry is the same: still locked.
    headers = via_proxy("203.0.113.9", spoofed="192.0.2.200")
    assert sign_in(attacker, clinician.username, PASSWORD, **headers).status_code == 429


def test_the_audit_records_the_client_behind_the_proxy(client, world, behind_proxy):
    from b12clinic.core.models import AuditEvent

    client.force_login(world.users["clinician"])
    url = reverse("monitoring:patient_detail", args=[world.ids["patient_id"]])
    client.get(url, **via_proxy("198.51.100.7", spoofed="192.0.2.1"))
    assert AuditEvent.objects.get(summary="Chart opened").ip == "198.51.100.7"


def test_bad_share_tokens_throttle_only_the_address_sending_them(world, behind_proxy):
    guesser, patient = Client(), Client()
    for n in range(12):
        guesser.get(f"/s/guess-{n}/", **via_proxy("203.0.113.9"))
    assert guesser.get(f"/s/{world.ids['token']}/", **via_proxy("203.0.113.9")).status_code == 429
    answer = patient.get(f"/s/{world.ids['token']}/", **via_proxy("198.51.100.7"))
    assert answer.status_code == 200


def test_the_share_link_throttle_holds_when_the_cache_is_down(world, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "b12clinic.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = Client()
    for n in range(12):
        client.get(f"/s/guess-{n}/")
    assert client.get(f"/s/{world.ids['token']}/").status_code == 429


def test_guesses_from_many_addresses_are_slowed_per_account(clinician, settings, behind_proxy):
    """Before: from 5 addresses an attacker had 25 guesses at one account in seconds."""
    checked = refused = 0
    with time_machine.travel(START, tick=False):
        for n in range(5):
            attacker = Client()
            for _ in range(settings.AXES_FAILURE_LIMIT):
                answer = sign_in(
                    attacker, clinician.username, "guess", **via_proxy(f"203.0.113.{n}")
                )
                checked += answer.status_code == 200
                refused += answer.status_code == 429
    assert checked == settings.SIGNIN_ACCOUNT_FREE_FAILURES
    assert refused == 5 * settings.AXES_FAILURE_LIMIT - checked


def test_the_account_delay_grows_and_never_locks_the_user_out_for_good(
    clinician, settings, behind_proxy
):
    with time_machine.travel(START, tick=False) as clock:
        for n in range(settings.SIGNIN_ACCOUNT_FREE_FAILURES):
            sign_in(Client(), clinician.username, "guess", **via_proxy(f"203.0.113.{n}"))
        waits = []
        for n in range(12):
            # The attacker tries again the moment each delay ends, from a new address.
            answer = sign_in(Client(), clinician.username, "x", **via_proxy(f"198.18.0.{n}"))
            seconds = 0
            while answer.status_code == 429:
                seconds += 1
                clock.shift(timedelta(seconds=1))
                answer = sign_in(Client(), clinician.username, "x", **via_proxy(f"198.18.0.{n}"))
            waits.append(seconds)
        assert waits[:4] == [1, 2, 4, 8]
        assert max(waits) == settings.SIGNIN_ACCOUNT_MAX_DELAY  # capped: slowed, not locked
        # The real user, on a new device, signs in once the current delay has passed.
        clock.shift(timedelta(seconds=settings.SIGNIN_ACCOUNT_MAX_DELAY + 1))
        user = sign_in(Client(), clinician.username, PASSWORD, **via_proxy("192.0.2.50"))
        assert user.status_code == 302


def test_a_device_the_user_signed_in_from_before_is_not_slowed(clinician, settings, behind_proxy):
    own_device = Client()
    with time_machine.travel(START, tick=False):
        assert (
            sign_in(own_device, clinician.username, PASSWORD, **via_proxy("192.0.2.50")).status_code
            == 302
        )
        own_device.post(reverse("logout"))
        for n in range(settings.SIGNIN_ACCOUNT_FREE_FAILURES + 5):
            sign_in(Client(), clinician.username, "guess", **via_proxy(f"203.0.113.{n}"))
        stranger = sign_in(Client(), clinician.username, PASSWORD, **via_proxy("192.0.2.51"))
        assert stranger.status_code == 429
        assert "Try again in" in stranger.content.decode()
        answer = sign_in(own_device, clinician.username, PASSWORD, **via_proxy("192.0.2.50"))
        assert answer.status_code == 302


def test_an_address_guessing_many_accounts_waits_and_others_do_not(db, settings, behind_proxy):
    from tests.conftest import make_user

    settings.SIGNIN_ADDRESS_LIMIT = 6
    user = make_user("victim")
    with time_machine.travel(START, tick=False):
        for n in range(settings.SIGNIN_ADDRESS_LIMIT):
            sign_in(Client(), f"someone{n}", "guess", **via_proxy("203.0.113.9"))
        assert sign_in(Client(), "victim", PASSWORD, **via_proxy("203.0.113.9")).status_code == 429
        assert sign_in(Client(), "victim", PASSWORD, **via_proxy("198.51.100.7")).status_code == 302
    assert user.pk


def test_old_bad_token_counts_are_forgotten_nightly(db):
    from plans.models import BadShareToken
    from plans.tasks import forget_bad_share_tokens

    BadShareToken.objects.create(ip="203.0.113.9", at=START - timedelta(days=2))
    BadShareToken.objects.create(ip="203.0.113.9", at=START - timedelta(hours=1))
    with time_machine.travel(START, tick=False):
        assert forget_bad_share_tokens() == 1
    assert list(BadShareToken.objects.values_list("at", flat=True)) == [START - timedelta(hours=1)]
