"""Checking the audit trail's hash chains: each chain on its own (in parallel processes when
asked), from its signed checkpoint unless a full walk is asked for."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from .audit import GENESIS
from .models import LEGACY_CHAIN, AuditChain, AuditCheckpoint, AuditEvent, chain_of
from .models.audit import content_hash_of

# What a row's hash covers, in the order AuditEvent.content() names them.
CONTENT = (
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "clinic_id",
    "patient_id",
    "patient_label",
    "summary",
    "changes",
    "reason",
    "ip",
)
KEYS = ("at", "actor", *CONTENT[2:])


@dataclass(frozen=True)
class Broken:
    id: int
    why: str


@dataclass(frozen=True)
class ChainReport:
    chain: str
    checked: int  # rows walked this time
    total: int  # rows known intact, the checkpoint's included
    broken: Broken | None
    from_checkpoint: bool
    note: str = ""


def _signature(chain: str, last_id: int, last_hash: str, rows: int) -> str:
    message = f"audit-checkpoint|{chain}|{last_id}|{last_hash}|{rows}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _row_hash(previous: str, values: tuple) -> str:
    content = dict(zip(KEYS, values, strict=True))
    content["at"] = content["at"].isoformat()
    for key in ("clinic_id", "patient_id"):
        content[key] = str(content[key]) if content[key] else None
    return hashlib.sha256((previous + content_hash_of(content)).encode()).hexdigest()


def _start(chain: str) -> tuple[int, str, int, str]:
    """(last id, its hash, rows) to go on from, and why not from the checkpoint if not."""
    point = AuditCheckpoint.objects.filter(chain=chain).first()
    if point is None:
        return 0, GENESIS, 0, ""
    signed = _signature(chain, point.last_id, point.last_hash, point.rows)
    if not hmac.compare_digest(signed, point.signature):
        return 0, GENESIS, 0, "its checkpoint's signature is wrong: walked in full"
    if not AuditEvent.objects.filter(pk=point.last_id, chain=chain, hash=point.last_hash).exists():
        return 0, GENESIS, 0, "its checkpoint's row is not as verified: walked in full"
    return point.last_id, point.last_hash, point.rows, ""


def verify_one(chain: str, *, full: bool = False, batch: int = 5000) -> ChainReport:
    """Walk one chain oldest first, from its checkpoint unless `full`; record the new one."""
    last_id, previous, total, note = (0, GENESIS, 0, "") if full else _start(chain)
    started_at = last_id
    checked = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(chain=chain, id__gt=last_id)
            .order_by("id")
            .values_list("id", "prev_hash", "hash", *CONTENT)[:batch]
        )
        for row_id, prev_hash, row_hash, *content in rows:
            why = ""
            if prev_hash != previous:
                why = "it does not point at the row before it on its chain"
            elif chain != LEGACY_CHAIN and chain_of(content[6]) != chain:
                why = "it is on another clinic's chain"
            elif _row_hash(prev_hash, tuple(content)) != row_hash:
                why = "its content does not match its hash"
            if why:
                return ChainReport(
                    chain, checked, total, Broken(row_id, why), bool(started_at), note
                )
            previous, last_id = row_hash, row_id
            checked += 1
            total += 1
        if len(rows) < batch:
            break
    if checked:
        AuditCheckpoint.objects.update_or_create(
            chain=chain,
            defaults={
                "last_id": last_id,
                "last_hash": previous,
                "rows": total,
                "at": timezone.now(),
                "signature": _signature(chain, last_id, previous, total),
            },
        )
    return ChainReport(chain, checked, total, None, bool(started_at), note)


def chains() -> list[str]:
    """Every chain with a row: the old single chain, then each head's."""
    names = set(AuditChain.objects.values_list("chain", flat=True))
    if connection.vendor != "postgresql":  # SQLite appends without heads
        names |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    if AuditEvent.objects.filter(chain=LEGACY_CHAIN).exists():
        names.add(LEGACY_CHAIN)
    return sorted(names)


def _verify_in_child(chain: str, full: bool) -> ChainReport:
    return verify_one(chain, full=full)


def verify_chains(
    *, full: bool = False, jobs: int = 1, only: Iterable[str] | None = None
) -> list[ChainReport]:
    """Every chain (or `only` these), `jobs` at a time in separate processes."""
    names = list(only) if only is not None else chains()
    if jobs <= 1 or len(names) <= 1:
        return [verify_one(name, full=full) for name in names]
    connections.close_all()  # each process opens its own
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        return list(pool.map(_verify_in_child, names, [full] * len(names)))
