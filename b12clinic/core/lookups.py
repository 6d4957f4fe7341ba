"""Query pieces the ORM lacks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Expression, F, Lookup, QuerySet
from django.db.models.lookups import In


class AnyOf(Lookup):
    """`filter(AnyOf(F("pk"), ids))`: `pk = ANY(%s)` on PostgreSQL, the list one array parameter.
    Django's `__in` prepares each value on its own and writes a placeholder per value: for the
    day list's hundred UUIDs, 3 ms of the page (bench/day_list.py).

    Given a queryset, `pk = ANY(ARRAY(SELECT ...))`: PostgreSQL runs the subquery first and plans
    the rest for a short list, where `IN (SELECT ...)` is planned as a join on the subquery's row
    estimate. Other databases get `IN`."""

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs: Expression | F, rhs: Iterable[Any] | QuerySet[Any]) -> None:
        super().__init__(lhs, rhs if isinstance(rhs, QuerySet) else list(rhs))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        if hasattr(self.rhs, "as_sql"):
            subquery, more = compiler.compile(self.rhs)
            return f"{lhs} = ANY(ARRAY{subquery})", (*params, *more)
        return f"{lhs} = ANY(%s)", (*params, self.rhs)
