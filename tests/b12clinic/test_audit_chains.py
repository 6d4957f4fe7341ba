"""One hash chain per clinic: appends from different clinics never wait for each other, each
chain verifies on its own from a signed checkpoint, and a database with the single chain from
before migrates without a row rewritten."""

import hashlib
import json
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from b12clinic.core.audit import GENESIS, audit
from b12clinic.core.audit_verify import verify_chains
from b12clinic.core.models import Action, AuditCheckpoint, AuditEvent
from tests.conftest import on_ci


def look(user, clinic=None, n: int = 0) -> AuditEvent:
    return audit(
        actor=user, action=Action.VIEW, object_type="x", summary=f"look {n}", clinic=clinic
    )


def postgres_only() -> None:
    if connection.vendor != "postgresql":
        if on_ci():
            pytest.fail("the chain heads are PostgreSQL's; CI must run on PostgreSQL")
        pytest.skip("needs PostgreSQL")


def tamper(row_id: int) -> None:
    """Someone with the power to switch PostgreSQL's append-only trigger off edits a row."""
    triggers = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if triggers:
            cursor.execute("ALTER TABLE b12clinic_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE b12clinic_auditevent SET summary = 'nothing to see' WHERE id = %s", [row_id]
        )
        if triggers:
            cursor.execute("ALTER TABLE b12clinic_auditevent ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_each_clinic_has_its_own_chain_and_rows_without_one_the_system_chain(
    clinic, other_clinic, clinician, outsider
):
    a1, b1, s1, a2, b2 = (
        look(clinician, clinic),
        look(outsider, other_clinic),
        look(clinician),
        look(clinician, clinic, 2),
        look(outsider, other_clinic, 2),
    )
    assert (a1.chain, b1.chain, s1.chain) == (str(clinic.pk), str(other_clinic.pk), "system")
    assert a1.prev_hash == b1.prev_hash == s1.prev_hash == GENESIS
    assert (a2.prev_hash, b2.prev_hash) == (a1.hash, b1.hash)
    reports = {r.chain: r for r in verify_chains(full=True)}
    assert {name: r.total for name, r in reports.items()} == {
        str(clinic.pk): 2,
        str(other_clinic.pk): 2,
        "system": 1,
    }
    assert all(r.broken is None for r in reports.values())


@pytest.mark.django_db(transaction=True)
def test_an_append_waits_only_for_its_own_clinics_chain(clinic, other_clinic, clinician):
    postgres_only()
    look(clinician, clinic)
    look(clinician, other_clinic)
    held = threading.Event()
    release = threading.Event()

    def long_change() -> None:
        # A change at the first clinic that audits first and then keeps working.
        with transaction.atomic():
            look(clinician, clinic, 1)
            held.set()
            release.wait(10)
        connections.close_all()

    worker = threading.Thread(target=long_change)
    worker.start()
    assert held.wait(10)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
            other = look(clinician, other_clinic, 1)  # another clinic: straight through
        assert other.pk
        with (
            pytest.raises(Exception, match="lock timeout"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
            look(clinician, clinic, 2)  # the same clinic: queues behind the change
    finally:
        release.set()
        worker.join(10)
    assert all(r.broken is None for r in verify_chains(full=True))


@pytest.mark.django_db
def test_verification_goes_on_from_the_signed_checkpoint(clinic, clinician, capsys):
    first = [look(clinician, clinic, n) for n in range(4)]
    (report,) = verify_chains()
    assert (report.checked, report.total, report.from_checkpoint) == (4, 4, False)
    later = [look(clinician, clinic, n) for n in range(4, 7)]
    (report,) = verify_chains()
    assert (report.checked, report.total, report.from_checkpoint) == (3, 7, True)

    # A row before the checkpoint altered behind the app's back: the next incremental check
    # does not read it again (that is what makes it fast); a full walk finds it.
    tamper(first[1].pk)
    (report,) = verify_chains()
    assert report.broken is None and report.checked == 0
    (report,) = verify_chains(full=True)
    assert report.broken is not None and report.broken.id == first[1].pk

    # The checkpoint itself forged to skip the altered rows: its signature gives it away and
    # the chain is walked in full.
    AuditCheckpoint.objects.filter(chain=str(clinic.pk)).update(last_id=later[-1].pk, rows=99)
    (report,) = verify_chains()
    assert report.note == "its checkpoint's signature is wrong: walked in full"
    assert report.broken is not None and report.broken.id == first[1].pk
    with pytest.raises(Exception, match=f"broken at row {first[1].pk}"):
        call_command("verify_audit", jobs=1)


@pytest.mark.django_db(transaction=True)
def test_chains_are_checked_in_parallel_processes(clinic, other_clinic, clinician, capsys):
    postgres_only()
    for n in range(5):
        look(clinician, clinic, n)
        look(clinician, other_clinic, n)
        look(clinician, None, n)
    call_command("verify_audit", "--full", jobs=3)
    assert "15 rows checked, 15 in all, on 3 chain(s)" in capsys.readouterr().out
    assert AuditCheckpoint.objects.count() == 3


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_row(apps, prev: str, n: int, clinic_id) -> object:
    """A row as the single chain wrote it: its hash covers the content and the row before."""
    at = datetime(2026, 3, 1, 9, n, tzinfo=UTC)
    content = {
        "at": at.isoformat(),
        "actor": None,
        "actor_name": "nina",
        "action": "view",
        "object_type": "x",
        "object_id": "",
        "clinic_id": str(clinic_id),
        "patient_id": None,
        "patient_label": "",
        "summary": f"old look {n}",
        "changes": {},
        "reason": "",
        "ip": None,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return apps.get_model("b12clinic", "AuditEvent").objects.create(
        at=at,
        actor_name="nina",
        action="view",
        object_type="x",
        clinic_id=clinic_id,
        summary=f"old look {n}",
        prev_hash=prev,
        hash=hashlib.sha256((prev + digest).encode()).hexdigest(),
    )


@pytest.mark.django_db(transaction=True)
def test_a_single_chain_from_before_is_cut_over_and_nothing_rewritten(
    migration_data, clinic, other_clinic, clinician
):
    old = _migrate([("b12clinic", "0014_night_chunks")])
    prev = GENESIS
    before = []
    for n in range(6):
        row = _old_row(old, prev, n, (clinic.pk, other_clinic.pk)[n % 2])
        before.append((row.pk, row.hash))
        prev = row.hash
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    old_rows = AuditEvent.objects.filter(chain="").order_by("id")
    assert [(r.pk, r.hash) for r in old_rows[:6]] == before  # not a byte changed
    cut = old_rows.last()
    assert cut.pk > before[-1][0] and cut.prev_hash == before[-1][1]
    assert cut.object_type == "b12clinic.auditchain"
    assert cut.changes == {"cut_over_after": before[-1][0]}
    assert "one hash chain per clinic" in cut.summary

    after = look(clinician, clinic)
    assert (after.chain, after.prev_hash) == (str(clinic.pk), GENESIS)
    reports = {r.chain: r for r in verify_chains(full=True)}
    assert reports[""].total == 7 and reports[""].broken is None
    assert reports[str(clinic.pk)].total == 1 and reports[str(clinic.pk)].broken is None
    tamper(before[2][0])
    assert {r.chain: r for r in verify_chains(full=True)}[""].broken.id == before[2][0]


@pytest.mark.django_db
def test_postgresql_knows_how_actions_and_users_spread_over_clinics():
    """Without these statistics an action common overall was taken as common in every clinic,
    and /audit/ walked a clinic's whole trail (1.7 s at 10M rows) for one rare there."""
    postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxname FROM pg_statistic_ext ORDER BY stxname")
        names = [row[0] for row in cursor.fetchall()]
    assert {"audit_clinic_action_stats", "audit_clinic_actor_stats"} <= set(names)
