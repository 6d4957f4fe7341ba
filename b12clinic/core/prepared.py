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

import copy
import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# Connections on which a statement is prepared, by name.
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def statement_name(sql: str) -> str:
    return f"b12_{hashlib.sha256(sql.encode()).hexdigest()[:20]}"


def prepared_statement(
    connection: Any, cursor: Any, sql: str, params: list[Any], name: str | None = None
) -> tuple[str, list[Any]]:
    """The statement as EXECUTE of a server-side prepared statement, preparing it once per
    database connection (PostgreSQL infers the parameters' types). `name`: the statement's
    name, when the caller keeps it."""
    name = name or statement_name(sql)
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

    @staticmethod
    def int32(n: int) -> int:
        """For a 32-bit column compared directly: Django finds a value out of its range
        matches nothing, and compiles no SQL for it."""
        return -(2**31) + n

    @staticmethod
    def int(n: int) -> int:
        return -(0xB12 << 32) - n


@dataclass(frozen=True)
class _Shape:
    model: type[Model]
    first: int
    last: int
    init_list: list[str]
    populators: list[Any]
    annotations: list[tuple[str, int]]
    fields: list[Any]
    converters: dict[int, Any]
    composite: bool


class CompiledQuery:
    """`build(**values)` returns a queryset. On PostgreSQL, `rows(**values)` (of a
    `values_list` queryset) and `objects(**values)` (of model instances, with what it selects
    related) run the SQL it compiled to with stand-ins, once per process, as a prepared
    statement with the real values; elsewhere they evaluate `build(**values)`.

    Every stand-in must reach the SQL as a parameter of its own (a filter on a column, not a
    value folded into the text), `rows` must need no conversion from the database's types, and
    nothing may be prefetched (a test holds each query's results to the ORM's)."""

    def __init__(
        self, model: type[Model], build: Callable[..., QuerySet[Any]], **stand_ins: Any
    ) -> None:
        self.model, self.build, self.stand_ins = model, build, stand_ins
        self._compiled: dict[str, tuple[str, list[Any], dict[int, str], Any]] = {}
        self._shapes: dict[str, _Shape] = {}
        self._names: dict[str, str] = {}

    def _compile(self, alias: str) -> tuple[str, list[Any], dict[int, str], Any]:
        compiled = self._compiled.get(alias)
        if compiled is None:
            queryset = self.build(**self.stand_ins).using(alias)
            if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
                raise ValueError("a compiled query prefetches nothing")
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
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
            self._names[alias] = statement_name(sql)  # first: a compiled query has its name
            compiled = self._compiled[alias] = (sql, list(params), places, compiler)
        return compiled

    def _fetch(self, alias: str, values: dict[str, Any]) -> tuple[list[tuple[Any, ...]], Any]:
        connection = connections[alias]
        sql, params, places, compiler = self._compile(alias)
        params = params.copy()
        for i, name in places.items():
            params[i] = values[name]
        with connection.cursor() as cursor:
            name = self._names[alias]
            cursor.execute(*prepared_statement(connection, cursor, sql, params, name))
            return cursor.fetchall(), compiler

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        alias = router.db_for_read(self.model) or "default"
        if connections[alias].vendor != "postgresql":
            return list(self.build(**values).using(alias))
        return self._fetch(alias, values)[0]

    def objects(self, **values: Any) -> list[Any]:
        """The model instances, built as Django's `ModelIterable` builds them."""
        alias = router.db_for_read(self.model) or "default"
        if connections[alias].vendor != "postgresql":
            return list(self.build(**values).using(alias))
        fetched, compiled = self._fetch(alias, values)
        shape = self._shapes.get(alias) or self._shape(alias, compiled)
        rows: Any = fetched
        if shape.converters:
            compiler = copy.copy(compiled)  # this thread's connection, passed to each converter
            compiler.connection = connections[alias]
            rows = compiler.apply_converters(rows, shape.converters)
        if shape.composite:
            rows = compiled.composite_fields_to_tuples(rows, shape.fields)
        model_cls, first, last = shape.model, shape.first, shape.last
        found = []
        for row in rows:
            obj = model_cls.from_db(alias, shape.init_list, row[first:last])
            for populator in shape.populators:
                populator.populate(row, obj)
            for name, position in shape.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def _shape(self, alias: str, compiler: Any) -> _Shape:
        """What `results_iter` and `ModelIterable` work out again for every query, worked out
        once: which columns need converting (a fifth of the CPU of reading a few rows), and
        how a row becomes the model and what it selects related. PostgreSQL's converters are
        the fields' own, not the connection's, so one list serves every thread."""
        select, klass_info = compiler.select, compiler.klass_info
        fields = [column[0] for column in select[0 : compiler.col_count]]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        shape = _Shape(
            model=klass_info["model"],
            first=first,
            last=last,
            init_list=[f[0].target.attname for f in select[first:last]],
            # Django 5.2's signature; the stubs follow a later release.
            populators=get_related_populators(klass_info, select, alias),  # type: ignore[call-arg]
            annotations=list(compiler.annotation_col_map.items()),
            fields=fields,
            converters=compiler.get_converters(fields),
            composite=compiler.has_composite_fields(fields),
        )
        self._shapes[alias] = shape  # two threads working it out at once write the same
        return shape


def as_prefetched(instance: Model, name: str, objects: list[Any]) -> None:
    """Put `objects` where `prefetch_related(name)` puts a reverse foreign key's rows, as
    Django's `prefetch_one_level` does: `instance.<name>.all()` then reads nothing more, and
    each object's foreign key back to `instance` is already set. For rows read by a compiled
    query, which cannot carry a prefetch of its own."""
    manager = getattr(instance, name)
    back = manager.field
    for obj in objects:
        back.set_cached_value(obj, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    instance._prefetched_objects_cache[back.remote_field.cache_name] = queryset  # type: ignore[attr-defined]
