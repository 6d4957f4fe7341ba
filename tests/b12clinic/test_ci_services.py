"""On CI the suite must have run against the real services, never quietly on the defaults."""

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import on_ci

pytestmark = pytest.mark.skipif(not on_ci(), reason="checks CI's configuration only")


def test_ci_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_ci_runs_on_the_redis_broker_and_cache():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
