"""Reads for the stock page and the give form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet
from django.db.models.functions import Upper

from b12clinic.core.models import Clinic, Product
from b12clinic.core.prepared import CompiledQuery, StandIn

from ..models import Administration, Setting, StockBatch


@dataclass(frozen=True)
class StockRow:
    stock: StockBatch
    state: str  # in_date, expiring, expired, withdrawn
    days_left: int
    given: int  # injections recorded in the clinic from this batch (current records)

    @property
    def left(self) -> int | None:
        if self.stock.quantity is None:
            return None
        return max(self.stock.quantity - self.given, 0)


def _given_counts(clinics: Iterable[Clinic]) -> dict[tuple[object, object, str], int]:
    """Current in-clinic records by clinic, product and batch. One query."""
    rows = (
        Administration.objects.filter(
            dose__clinic__in=list(clinics),
            setting=Setting.CLINIC,
            is_void=False,
            replaced_by__isnull=True,
        )
        .exclude(batch="")
        .values("dose__clinic_id", "dose__phase__version__product_id", batch_key=Upper("batch"))
        .annotate(n=Count("id"))
    )
    return {
        (r["dose__clinic_id"], r["dose__phase__version__product_id"], r["batch_key"]): r["n"]
        for r in rows
    }


def stock_list(
    *, clinics: QuerySet[Clinic], today: date, warn_days: int, withdrawn: bool = False
) -> list[StockRow]:
    """The clinics' batches, soonest expiry first; taken-out ones only when asked. Two queries."""
    found = StockBatch.objects.filter(clinic__in=clinics).select_related(
        "product", "clinic", "added_by", "withdrawn_by"
    )
    found = found if withdrawn else found.filter(withdrawn_at__isnull=True)
    batches = list(found.order_by("expiry", "batch"))
    counts = _given_counts({b.clinic for b in batches}) if batches else {}
    return [
        StockRow(
            stock=b,
            state=b.state(today, warn_days),
            days_left=(b.expiry - today).days,
            given=counts.get((b.clinic_id, b.product_id, b.batch.upper()), 0),
        )
        for b in batches
    ]


# Read for every give form and every dose given: compiled once.
_GIVE_CHOICES = CompiledQuery(
    StockBatch,
    lambda clinic, product, today: StockBatch.objects.filter(
        clinic=clinic, product=product, withdrawn_at__isnull=True, expiry__gte=today
    ).order_by("-received_on", "-added_at"),
    clinic=StandIn.uuid(1),
    product=StandIn.uuid(2),
    today=StandIn.date(1),
)
_LAST_BATCH = CompiledQuery(
    Administration,
    lambda clinic, product: (
        Administration.objects.filter(
            dose__clinic=clinic,
            dose__phase__version__product=product,
            setting=Setting.CLINIC,
            is_void=False,
            replaced_by__isnull=True,
        )
        .exclude(batch="")
        .order_by("-given_at", "-recorded_at")
        .values_list("batch")[:1]
    ),
    clinic=StandIn.uuid(1),
    product=StandIn.uuid(2),
)


def give_choices(*, clinic: Clinic, product: Product, today: date) -> list[StockBatch]:
    """What the give form offers: the clinic's in-date batches of the product, the most
    recently received first."""
    found: list[StockBatch] = _GIVE_CHOICES.objects(
        clinic=clinic.pk, product=product.pk, today=today
    )
    return found


def last_used(*, clinic: Clinic, product: Product, among: list[StockBatch]) -> StockBatch | None:
    """Of `among`, the batch of the clinic's latest injection of the product: the box on the
    trolley. None when the latest was from none of them."""
    if not among:
        return None
    rows = _LAST_BATCH.rows(clinic=clinic.pk, product=product.pk)
    if not rows:
        return None
    latest: str = rows[0][0]
    return next((b for b in among if b.batch.upper() == latest.upper()), None)
