"""With Redis down, the cache misses instead of failing: signing in, pages and downloads work."""

import socket

import pytest
from django.test import override_settings
from django.urls import reverse

from b12clinic.cache import ForgivingRedisCache
from tests.conftest import PASSWORD
from tests.plans.recording_helpers import new_plan


def dead_redis() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


OPTIONS = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}


def test_a_dead_redis_is_a_miss_not_an_error():
    cache = ForgivingRedisCache(dead_redis(), {"OPTIONS": OPTIONS})
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", "v")
    assert cache.add("k", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.incr("n") == 0


@pytest.mark.django_db
def test_signing_in_pages_and_the_pdf_work_with_the_cache_down(client, clinician, clinic):
    from datetime import date

    from b12clinic.core.models import Patient

    patient = Patient.objects.create(
        clinic=clinic,
        record_number="RC1",
        given_name="Ada",
        family_name="Cole",
        date_of_birth=date(1970, 1, 1),
        created_by=clinician,
    )
    plan = new_plan(patient, clinician)
    dead = {
        "default": {
            "BACKEND": "b12clinic.cache.ForgivingRedisCache",
            "LOCATION": dead_redis(),
            "OPTIONS": OPTIONS,
        }
    }
    with override_settings(CACHES=dead):
        response = client.post(
            reverse("login"), {"username": clinician.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert (
            client.get(reverse("monitoring:patient_detail", args=[patient.pk])).status_code == 200
        )
        pdf = client.get(reverse("monitoring:plan_pdf", args=[plan.pk]))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_one_redis_client_serves_every_call_and_every_thread():
    """Django makes a client per call; ours is made once per connection pool and shared, and
    what one thread writes the others read."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.reminders.conftest import RedisServer

    server = RedisServer()
    server.start()
    try:
        cache = ForgivingRedisCache(server.url, {"OPTIONS": OPTIONS})
        first = cache._cache.get_client()
        cache.set_many({f"k{n}": n for n in range(50)})

        def read(n: int) -> tuple[object, object]:
            return cache.get(f"k{n}"), cache._cache.get_client()

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(read, range(50)))
        assert [value for value, _ in results] == list(range(50))
        assert all(client is first for _, client in results)
        assert cache._cache.get_client(write=True) is first  # one server: one pool
    finally:
        server.stop()
