"""Reading from a PostgreSQL replica (DATABASE_REPLICA_URL): only the views marked with
`reads_from_replica`, only outside a transaction, and never for a write. Those are the heavy
read-only pages (the audit trail, its export, the FHIR reads), which can be a moment behind the
primary without harm; every page that writes, or shows what was just written, reads the
primary."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_reading = ContextVar("reading_from_replica", default=False)
View = TypeVar("View", bound=Callable[..., Any])


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_from_replica(view: View) -> View:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def replica_configured() -> bool:
    return bool(settings.DATABASE_REPLICA_READS) and REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        reading = _reading.get() and replica_configured()
        if reading and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
