"""A Redis that accepts connections and never answers (as when it is stopped with SIGSTOP):
a request pays its timeout at most once, and /healthz still answers in time and says what
is slow."""

import socket
import threading
import time

import pytest
from django.urls import reverse

from b12clinic.cache import ForgivingRedisCache


@pytest.fixture
def hung_redis():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(connection)  # kept open, never answered

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def hung_cache(settings, hung_redis):
    url, accepted = hung_redis
    settings.CACHES = {
        "default": {
            "BACKEND": "b12clinic.cache.ForgivingRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.CACHE_BREAKER_SECONDS = 60  # longer than the test: no retry inside it
    ForgivingRedisCache._closed_until = 0.0
    yield url, accepted
    ForgivingRedisCache._closed_until = 0.0


def test_a_hung_cache_costs_a_request_one_timeout_and_the_next_none(client, world, hung_cache):
    _, accepted = hung_cache
    client.force_login(world.users["clinician"])
    chart = reverse("monitoring:patient_detail", args=[world.ids["patient_id"]])
    assert client.get(chart).status_code == 200
    assert len(accepted) == 1, "after one timeout the request stopped calling the cache"
    assert client.get(reverse("plans:patient_list")).status_code == 200
    assert len(accepted) == 1, "the next request did not wait on the cache at all"


def test_healthz_answers_in_time_and_names_what_is_slow(client, db, settings, hung_cache):
    url, _ = hung_cache
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    started = time.monotonic()
    response = client.get("/healthz")
    took = time.monotonic() - started
    assert took < 2.0, f"/healthz took {took:.1f} s"
    body = response.json()
    assert response.status_code == 503
    assert body["database"] == "ok"
    assert body["broker"].startswith("slow")
    assert body["cache"].startswith("slow")
