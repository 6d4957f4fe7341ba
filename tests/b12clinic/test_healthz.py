import pytest
from django.core.cache import cache

from b12clinic.tasks import WORKER_HEARTBEAT_KEY, heartbeat


def test_healthz_is_200_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"


def test_healthz_is_503_naming_the_broker_when_it_is_unreachable(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://:secret@127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("unreachable")
    assert "secret" not in response.content.decode()


def test_healthz_is_503_when_the_embedded_broker_folder_is_gone(client, db, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing"),
        "data_folder_out": str(tmp_path / "missing"),
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("unreachable")


@pytest.mark.django_db
def test_healthz_reports_the_last_worker_heartbeat(client):
    cache.delete(WORKER_HEARTBEAT_KEY)
    assert client.get("/healthz").json()["worker_heartbeat"] is None
    heartbeat()
    assert client.get("/healthz").json()["worker_heartbeat"] is not None


def test_healthz_needs_no_login_and_is_not_cached(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
