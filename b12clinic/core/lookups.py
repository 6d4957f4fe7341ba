"""Query pieces the ORM lacks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Expression, F, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    """`filter(AnyOf(F("pk"), ids))`: `pk = ANY(%s)` with the list as one array parameter on
    PostgreSQL. Django's `__in` prepares each value on its own and writes a placeholder per value:
    for the day list's hundred UUIDs, 3 ms of the page (bench/day_list.py). Other databases get
    `IN`."""

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs: Expression | F, rhs: Iterable[Any]) -> None:
        super().__init__(lhs, list(rhs))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, self.rhs]
