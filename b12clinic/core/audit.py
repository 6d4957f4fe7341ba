"""Writing and checking the audit trail.

`audit` appends one row in the caller's transaction: if the change rolls back, so does its
record. Each clinic has its own hash chain, and rows without a clinic go on the system chain.
Appends to one chain are serialised (on PostgreSQL by the row lock on the chain's head, held to
the end of the transaction), so each row's hash covers the one before it on its chain and no
chain forks; appends to different clinics' chains never wait for each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.utils import timezone

from .clientip import client_ip
from .models import Action, AuditEvent, Clinic, Patient, chain_of

GENESIS = "0" * 64


def _label(patient: Patient | None) -> str:
    if patient is None:
        return ""
    return f"{patient.family_name.upper()}, {patient.given_name} ({patient.record_number})"


# Clinics, patients and products were first audited under the plans app; their rows keep that
# name since the move into the kernel, so one search finds a record's whole history.
_FIRST_NAMES = {
    "b12clinic.clinic": "plans.clinic",
    "b12clinic.patient": "plans.patient",
    "b12clinic.product": "plans.product",
}


def object_type_of(obj: models.Model) -> str:
    label = obj._meta.label_lower
    return _FIRST_NAMES.get(label, label)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only what changed, as {field: [before, after]}."""
    return {
        name: [_plain(before.get(name)), _plain(after.get(name))]
        for name in sorted(set(before) | set(after))
        if _plain(before.get(name)) != _plain(after.get(name))
    }


def snapshot(instance: models.Model, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def audit(
    *,
    actor: User | None,
    action: Action | str,
    obj: models.Model | None = None,
    object_type: str = "",
    summary: str,
    patient: Patient | None = None,
    clinic: Clinic | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    ip: str | None = None,
    at: datetime | None = None,
    patient_ref: tuple[Any, Any, str] | None = None,
    actor_name: str = "",
) -> AuditEvent:
    """`patient_ref` (patient id, clinic id, label) stands in for `patient` when the caller has
    no model instance (a cached download reads them from one SQL row). `actor_name` names an
    actor that is not a user (another system's API token)."""
    if clinic is None and patient is not None:
        clinic = patient.clinic
    user = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        at=at or timezone.now(),
        actor=user,
        actor_name=user.get_username() if user else actor_name[:150],
        action=str(action),
        object_type=object_type or (object_type_of(obj) if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        clinic_id=patient_ref[1] if patient_ref else getattr(clinic, "pk", None),
        patient_id=patient_ref[0] if patient_ref else getattr(patient, "pk", None),
        patient_label=patient_ref[2] if patient_ref else _label(patient),
        summary=summary[:300],
        changes=_plain(changes or {}),
        reason=reason,
        ip=ip or None,
    )
    event.chain = chain_of(event.clinic_id)
    if connection.vendor == "postgresql":
        _append_postgresql(event)
    else:
        with transaction.atomic():
            event.prev_hash = _last_hash(event.chain) or GENESIS
            event.hash = event.compute_hash()
            _insert(event)
    return event


LAST_HASH = "SELECT hash FROM b12clinic_auditevent WHERE chain = %s ORDER BY id DESC LIMIT 1"


def _last_hash(chain: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(LAST_HASH, [chain])
        row = cursor.fetchone()
        return row[0] if row else None


def _fields() -> list[Any]:
    return [
        f for f in AuditEvent._meta.concrete_fields if f.name not in ("id", "prev_hash", "hash")
    ]


def _append_postgresql(event: AuditEvent) -> None:
    """One statement: move the head of the row's chain, made on the chain's first row (its row
    lock orders concurrent appends to the chain, and a waiting append re-reads the head once
    the lock is free), and insert the row with the head's previous and new hash. Every page
    view writes one, so this stays one round trip."""
    fields = _fields()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    sql = (
        "WITH head AS (INSERT INTO b12clinic_auditchain AS c (chain, prev, hash) "
        "VALUES (%s, %s, encode(sha256(convert_to(%s || %s, 'UTF8')), 'hex')) "
        "ON CONFLICT (chain) DO UPDATE SET prev = c.hash, "
        "hash = encode(sha256(convert_to(c.hash || %s, 'UTF8')), 'hex') "
        "RETURNING prev, hash) "
        f"INSERT INTO b12clinic_auditevent ({columns}, prev_hash, hash) "
        f"SELECT {marks}, head.prev, head.hash FROM head RETURNING id, prev_hash, hash"
    )
    content = event.content_hash()
    with connection.cursor() as cursor:
        cursor.execute(sql, [event.chain, GENESIS, GENESIS, content, content, *values])
        event.id, event.prev_hash, event.hash = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias


def _insert(event: AuditEvent) -> None:
    """The ORM's save, without its per-call query compilation."""
    fields = [
        *_fields(),
        AuditEvent._meta.get_field("prev_hash"),
        AuditEvent._meta.get_field("hash"),
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id",
                values,
            )
            event.id = cursor.fetchone()[0]
        else:
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
            event.id = cursor.lastrowid
    event._state.adding = False
    event._state.db = connection.alias


def request_ip(request: Any) -> str | None:
    return client_ip(request)


def audit_read(
    request: Any,
    *,
    action: Action,
    summary: str,
    patient: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    changes: dict[str, Any] | None = None,
    patient_ref: tuple[Any, Any, str] | None = None,
    actor_name: str = "",
) -> None:
    """A look at or a download of a patient's data, by the signed-in user (or, named by
    `actor_name`, by another system with its API token). Within a request it is written by
    `DeliveredReadsMiddleware` once the page is ready to go: a page that fails leaves no
    "opened" row for something the user never saw."""

    def write() -> None:
        audit(
            actor=None if actor_name else request.user,
            actor_name=actor_name,
            action=action,
            obj=obj,
            object_type=object_type,
            summary=summary,
            patient=patient,
            changes=changes,
            ip=request_ip(request),
            patient_ref=patient_ref,
        )

    pending = getattr(request, PENDING_READS, None)
    if pending is None:
        write()
    else:
        pending.append(write)


PENDING_READS = "_b12_pending_reads"


class DeliveredReadsMiddleware:
    """Writes the reads a view recorded once its response is a success, in one transaction.
    If they cannot be written, the page is not delivered either: no look at patient data
    goes unrecorded."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        setattr(request, PENDING_READS, [])
        response = self.get_response(request)
        pending = getattr(request, PENDING_READS)
        setattr(request, PENDING_READS, None)
        if pending and response.status_code < 400:
            with transaction.atomic():
                for write in pending:
                    write()
        return response
