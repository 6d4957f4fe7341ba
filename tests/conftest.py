"""The fixed cast every test can use: one user per role in one clinic, plus an outsider.

Reads like healthchecks' alice/bob/charlie: "the clinician can, the nurse can, the outsider
gets 404".
"""

import functools
import importlib
import os
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from b12clinic.core.models import Clinic
from b12clinic.core.roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT
from tests.clock import pinned_now

PASSWORD = "correct horse battery staple"
_traveller: time_machine.travel | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Pin the clock before anything is collected: module-level dates read it too. Choose how
    the property tests search (below)."""
    _hypothesis_profile()
    global _traveller
    _traveller = time_machine.travel(pinned_now(), tick=True)
    _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _traveller is not None:
        _traveller.stop()


def pytest_report_header(config: pytest.Config) -> str:
    return f"clock pinned at {pinned_now().isoformat()} (set TODAY=YYYY-MM-DD to move it)"


@pytest.fixture
def now() -> datetime:
    """The pinned instant, as the running test sees it."""
    return timezone.now()


@pytest.fixture
def today() -> date:
    """Today in London, the default clinic zone, on the pinned clock."""
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Cached PDFs, counters and a tripped cache breaker must not leak from one test (or run)
    into the next."""
    from django.core.cache import cache

    from b12clinic.cache import ForgivingRedisCache

    ForgivingRedisCache._closed_until = 0.0
    cache.clear()


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_postgresql(what: str) -> None:
    """Skip a PostgreSQL-only test on another database; on CI, where PostgreSQL is always
    configured, fail instead."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if on_ci():
            pytest.fail(f"CI must run {what} on PostgreSQL")
        pytest.skip(f"{what}: PostgreSQL only (set DATABASE_URL)")


def fields_of(obj: Any) -> dict[str, Any] | None:
    """A model instance's column values (None for an empty relation), to compare two reads."""
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _hypothesis_profile() -> None:
    """CI replays the same examples on every run: a landing must not hang on what a random
    search finds that day (three text-message bugs were found that way in one session, on
    changes that had nothing to do with them). The search happens where someone can act on it:
    `make test` on a developer's machine, and HYPOTHESIS_PROFILE=explore for a long hunt."""
    hypothesis_settings.register_profile("ci", derandomize=True)
    hypothesis_settings.register_profile("explore", max_examples=3000)
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if on_ci() else "")
    if chosen:
        hypothesis_settings.load_profile(chosen)


def make_user(username: str, *roles: str, clinic: Clinic | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    for role in roles:
        # get_or_create: transactional tests flush the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if clinic is not None:
        clinic.staff.add(user)
    return user


@pytest.fixture
def clinic(db) -> Clinic:
    return Clinic.objects.create(name="Northgate Surgery", phone="01632 960 111")


@pytest.fixture
def other_clinic(db) -> Clinic:
    return Clinic.objects.create(name="Southbank Practice", phone="01632 960 222")


@pytest.fixture
def clinician(clinic) -> User:
    return make_user("alice", CLINICIAN, clinic=clinic, first_name="Alice", last_name="Moss")


@pytest.fixture
def nurse(clinic) -> User:
    return make_user("bob", NURSE, clinic=clinic, first_name="Bob", last_name="Reyes")


@pytest.fixture
def patient_user(db) -> User:
    return make_user("carol", PATIENT, first_name="Carol", last_name="Dunn")


@pytest.fixture
def clinic_admin(clinic) -> User:
    return make_user("dora", CLINIC_ADMIN, clinic=clinic, is_staff=True)


@pytest.fixture
def outsider(other_clinic) -> User:
    """A clinician of another clinic: sees nothing of ours."""
    return make_user("charlie", CLINICIAN, clinic=other_clinic)


@pytest.fixture
def no_role_user(db) -> User:
    return make_user("eve")


# What the data migrations put in the database: roles, products, permissions.
DATA_MIGRATIONS = [
    ("b12clinic.core.migrations.0001_role_groups", "create_role_groups"),
    ("plans.migrations.0003_seed_products", "seed_products"),
    ("b12clinic.core.migrations.0002_plans_permissions", "grant"),
    ("b12clinic.core.migrations.0003_administration_permissions", "grant"),
    ("monitoring.migrations.0003_seed_lab_catalogue", "seed"),
    ("b12clinic.core.migrations.0004_monitoring_permissions", "grant"),
    ("b12clinic.core.migrations.0005_reminder_permissions", "grant"),
    ("b12clinic.core.migrations.0006_share_link_permissions", "grant"),
    ("b12clinic.core.migrations.0008_audit_append_only", "grant"),
    (
        "b12clinic.core.migrations.0011_clinics_patients_products_join_the_kernel",
        "move_into_the_kernel",
    ),
    ("b12clinic.core.migrations.0013_api_tokens", "grant"),
    ("monitoring.migrations.0013_lab_messages_in", "grant"),
]


@pytest.fixture
def migration_data(transactional_db: None) -> None:
    """Transactional tests flush the database after each test, taking with it what the data
    migrations put there; put it back by running those migrations' own functions, each with the
    models as they were when it ran (some have moved app since)."""
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(_historical_apps(module), None)


@functools.cache
def _historical_apps(module: str):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    *package, name = module.split(".")
    label = "b12clinic" if package[0] == "b12clinic" else package[0]
    return MigrationLoader(connection).project_state((label, name), at_end=True).apps
