"""Adding a batch to stock and taking one out: each checked, in a transaction, audited."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from b12clinic.core.access import stock_clinics
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Clinic, Product

from ..models import StockBatch


def normal_batch(text: str) -> str:
    """As printed: spaces around it dropped, letters in capitals (labels print them so)."""
    return " ".join(text.split()).upper()


def _may_keep(user: User, clinic: Clinic) -> None:
    if not stock_clinics(user).filter(pk=clinic.pk).exists():
        raise PermissionDenied("You do not keep this clinic's stock.")


@transaction.atomic
def stock_batch_add(
    *,
    clinic: Clinic,
    by: User,
    product: Product,
    batch: str,
    expiry: date,
    received_on: date,
    quantity: int | None,
    now: datetime,
    today: date,
) -> StockBatch:
    _may_keep(by, clinic)
    batch = normal_batch(batch)
    errors: dict[str, str] = {}
    if not batch:
        errors["batch"] = "Enter the batch or lot number as printed on the box."
    if received_on > today:
        errors["received_on"] = "The date received cannot be in the future."
    if expiry < today:
        errors["expiry"] = (
            f"This batch expired on {expiry:%-d %b %Y}: it cannot be given, so it is not "
            "added to stock."
        )
    elif expiry <= received_on:
        errors["expiry"] = "The expiry must be after the date received: check the box."
    if quantity is not None and quantity < 1:
        errors["quantity"] = "Enter how many ampoules were received, or leave it blank."
    if (
        not errors
        and StockBatch.objects.filter(
            clinic=clinic, product=product, batch__iexact=batch, withdrawn_at__isnull=True
        ).exists()
    ):
        errors["batch"] = f"Batch {batch} of {product.generic_name} is already in stock."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            found = StockBatch.objects.create(
                clinic=clinic,
                product=product,
                batch=batch,
                expiry=expiry,
                received_on=received_on,
                quantity=quantity,
                added_by=by,
                added_at=now,
            )
    except IntegrityError as error:  # the same batch added at the same moment elsewhere
        raise ValidationError(
            {"batch": f"Batch {batch} of {product.generic_name} is already in stock."}
        ) from error
    audit(
        actor=by,
        action=Action.CREATE,
        obj=found,
        clinic=clinic,
        summary=f"Batch {batch} of {product.generic_name} added to stock",
        changes={
            "batch": [None, batch],
            "product": [None, product.code],
            "expiry": [None, expiry.isoformat()],
            "received_on": [None, received_on.isoformat()],
            "quantity": [None, quantity],
        },
        at=now,
    )
    return found


@transaction.atomic
def stock_batch_withdraw(*, stock: StockBatch, by: User, reason: str, now: datetime) -> StockBatch:
    """Out of stock: used up, expired, damaged or recalled. The row stays, with why."""
    stock = StockBatch.objects.select_for_update().select_related("product").get(pk=stock.pk)
    _may_keep(by, stock.clinic)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the batch is taken out of stock."})
    if stock.withdrawn_at is not None:
        raise ValidationError(
            f"Batch {stock.batch} was already taken out of stock on {stock.withdrawn_at:%-d %b %Y}."
        )
    stock.withdrawn_at, stock.withdrawn_by, stock.withdrawn_reason = now, by, reason
    stock.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=stock,
        clinic=stock.clinic,
        summary=f"Batch {stock.batch} of {stock.product.generic_name} taken out of stock",
        changes={"withdrawn_at": [None, now.isoformat()]},
        reason=reason,
        at=now,
    )
    return stock
