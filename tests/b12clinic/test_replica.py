"""A read replica (DATABASE_REPLICA_URL): the pages marked for it read there, everything else
and every write stays on the primary."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from b12clinic.core.audit import audit
from b12clinic.core.models import Action
from b12clinic.core.replica import REPLICA
from tests.conftest import on_ci


@pytest.fixture
def replica(settings):
    """The replica switched on: a second connection to the same database, as a streaming
    replica would be, with what the primary committed there to read."""
    if connections["default"].vendor != "postgresql":
        if on_ci():
            pytest.fail("a read replica is PostgreSQL's; CI must run on PostgreSQL")
        pytest.skip("a read replica is PostgreSQL's")
    settings.DATABASE_REPLICA_READS = True
    return connections[REPLICA]


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


def selects(captured, table: str) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and table in q["sql"]
    ]


def test_the_audit_page_reads_from_the_replica_and_writes_to_the_primary(
    client, clinic_admin, clinic, replica, settings
):
    audit(
        actor=clinic_admin,
        action=Action.VIEW,
        object_type="x",
        summary="on the primary",
        clinic=clinic,
    )
    client.force_login(clinic_admin)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(replica) as read,
    ):
        page = client.get(reverse("audit_list")).content.decode()
        export = client.get(reverse("audit_csv")).content.decode()
    assert "on the primary" in page and "on the primary" in export
    assert selects(read, "b12clinic_auditevent") and not selects(primary, "b12clinic_auditevent")
    # The export's own audit row is a write: the primary's.
    assert any("INSERT INTO b12clinic_auditevent" in q["sql"] for q in primary.captured_queries)
    assert not any(q["sql"].startswith("INSERT") for q in read.captured_queries)


def test_other_pages_and_code_in_a_transaction_read_the_primary(client, nurse, replica):
    from django.db import transaction

    from b12clinic.core.models import AuditEvent
    from b12clinic.core.replica import replica_reads

    client.force_login(nurse)
    with CaptureQueriesContext(replica) as read:
        assert client.get(reverse("plans:today")).status_code == 200
        with replica_reads(), transaction.atomic():
            AuditEvent.objects.count()
    assert read.captured_queries == []
