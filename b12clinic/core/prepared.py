"""Hot read queries written once: compiled by the ORM once per process and run on PostgreSQL as
server-side prepared statements.

Building and compiling the day list's queries took 3.9 ms of the page's 16 ms of CPU, and
PostgreSQL spent 1.8 ms planning them, for a clinic of a thousand patients (bench/load.py). The
query text is still the ORM's: `CompiledQuery` builds the queryset once with stand-in values,
takes its SQL, and on each call puts the real values where the stand-ins were.

Prepared statements live on the database session: they need session-level connections (not a
PgBouncer pool in transaction mode).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from django.db import connections, router
from django.db.models import Model, QuerySet

# Connections on which a statement is prepared, by name.
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def statement_name(sql: str) -> str:
    return f"b12_{hashlib.sha256(sql.encode()).hexdigest()[:20]}"


def prepared_statement(
    connection: Any, cursor: Any, sql: str, params: list[Any]
) -> tuple[str, list[Any]]:
    """The statement as EXECUTE of a server-side prepared statement, preparing it once per
    database connection (PostgreSQL infers the parameters' types)."""
    name = statement_name(sql)
    done = _PREPARED.setdefault(connection.connection, set())
    if name not in done:
        numbered = sql
        for number in range(1, len(params) + 1):
            numbered = numbered.replace("%s", f"${number}", 1)
        cursor.execute(f"PREPARE {name} AS {numbered}")
        done.add(name)
    return f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params


class StandIn:
    """A value for building a query once, unlike anything a real call passes."""

    @staticmethod
    def uuid(n: int) -> UUID:
        return UUID(int=(0xB12 << 112) + n)

    @staticmethod
    def date(n: int) -> date:
        return date(1, 1, n)


class CompiledQuery:
    """`build(**values)` returns a `values_list` queryset. On PostgreSQL, `rows(**values)` runs
    the SQL it compiled to with stand-ins, once per process, as a prepared statement with the
    real values; elsewhere it evaluates `build(**values)`.

    Every stand-in must reach the SQL as a parameter of its own (a filter on a column, not a
    value folded into the text), and the rows must need no conversion from the database's
    types (a test holds each query's rows to the ORM's)."""

    def __init__(
        self, model: type[Model], build: Callable[..., QuerySet[Any]], **stand_ins: Any
    ) -> None:
        self.model, self.build, self.stand_ins = model, build, stand_ins
        self._compiled: dict[str, tuple[str, list[Any], dict[int, str]]] = {}

    def _compile(self, alias: str) -> tuple[str, list[Any], dict[int, str]]:
        compiled = self._compiled.get(alias)
        if compiled is None:
            queryset = self.build(**self.stand_ins).using(alias)
            sql, params = queryset.query.sql_with_params()
            places = {
                i: name
                for i, value in enumerate(params)
                for name, stand_in in self.stand_ins.items()
                if type(value) is type(stand_in) and value == stand_in
            }
            missing = set(self.stand_ins) - set(places.values())
            if missing:
                raise ValueError(f"{sorted(missing)} did not reach the query as parameters")
            # Two threads compiling at once write the same value.
            compiled = self._compiled[alias] = (sql, list(params), places)
        return compiled

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        alias = router.db_for_read(self.model) or "default"
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return list(self.build(**values).using(alias))
        sql, params, places = self._compile(alias)
        params = params.copy()
        for i, name in places.items():
            params[i] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(*prepared_statement(connection, cursor, sql, params))
            return cursor.fetchall()
