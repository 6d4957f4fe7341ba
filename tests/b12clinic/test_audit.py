"""The audit trail: written with each change, append-only, chained, checkable, filterable."""

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from b12clinic.core.audit import audit
from b12clinic.core.audit_verify import verify_chains
from b12clinic.core.models import Action, AuditEvent, AuditImmutable, Patient
from plans.services.patients import patient_update
from tests.conftest import on_ci
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import give_next, new_plan


@pytest.fixture
def patient(clinic, clinician):
    return Patient.objects.create(
        clinic=clinic,
        record_number="RA1",
        given_name="Ida",
        family_name="Lowe",
        date_of_birth="1960-01-01",
        created_by=clinician,
    )


def test_changes_record_who_what_before_after_and_why(patient, clinician, nurse):
    patient_update(patient=patient, by=clinician, today=TODAY, phone="07400 123456")
    event = AuditEvent.objects.get(action="change", object_type="plans.patient")
    assert event.actor == clinician and event.patient_id == patient.pk
    assert event.changes == {"phone": ["", "+447400123456"]}
    assert event.patient_label == "LOWE, Ida (RA1)"

    plan = new_plan(patient, clinician)
    give_next(plan, nurse)
    given = AuditEvent.objects.get(object_type="plans.administration")
    assert given.actor == nurse and given.changes["status"] == ["due", "given"]
    assert given.changes["batch"] == [None, "HX4417B"]


def test_the_record_is_part_of_the_change_transaction(patient, clinician):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        patient_update(
            patient=patient, by=clinician, today=TODAY, date_of_birth=TODAY.replace(year=2100)
        )
    assert AuditEvent.objects.count() == before


def test_looking_at_a_chart_and_downloading_are_recorded(client, patient, clinician):
    plan = new_plan(patient, clinician)
    client.force_login(clinician)
    client.get(reverse("monitoring:patient_detail", args=[patient.pk]))
    client.get(reverse("monitoring:plan_pdf", args=[plan.pk]))
    client.get(reverse("monitoring:plan_ics", args=[plan.pk]))
    client.get(reverse("plans:today_csv"))
    summaries = list(
        AuditEvent.objects.filter(actor=clinician).order_by("id").values_list("action", "summary")
    )
    assert ("view", "Chart opened") in summaries
    assert ("download", "Schedule PDF downloaded") in summaries
    assert ("download", "Calendar file downloaded") in summaries
    assert any(a == "download" and s.startswith("Day list for") for a, s in summaries)


def test_the_application_refuses_to_change_or_delete_a_row(clinician):
    event = audit(actor=clinician, action=Action.VIEW, object_type="x", summary="looked")
    event.summary = "edited"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(summary="edited")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()


def _postgres_only():
    if connection.vendor != "postgresql":
        if on_ci():
            pytest.fail("the audit trigger is PostgreSQL's; CI must run on PostgreSQL")
        pytest.skip("needs PostgreSQL")


def test_postgresql_refuses_update_and_delete_whoever_asks(clinician):
    _postgres_only()
    event = audit(actor=clinician, action=Action.VIEW, object_type="x", summary="looked")
    for sql in (
        "UPDATE b12clinic_auditevent SET summary = 'edited' WHERE id = %s",
        "DELETE FROM b12clinic_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "looked"


def test_verify_audit_finds_the_first_tampered_row(clinician, capsys):
    _postgres_only()
    events = [
        audit(actor=clinician, action=Action.VIEW, object_type="x", summary=f"look {n}")
        for n in range(5)
    ]
    call_command("verify_audit", jobs=1)
    assert "Audit trail intact: 5 rows checked, 5 in all, on 1 chain(s)" in capsys.readouterr().out
    # Someone with the power to switch the trigger off edits a row behind the app's back.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE b12clinic_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE b12clinic_auditevent SET summary = 'nothing to see' WHERE id = %s",
            [events[2].pk],
        )
        cursor.execute("ALTER TABLE b12clinic_auditevent ENABLE TRIGGER USER")
    (report,) = verify_chains(full=True)
    assert report.broken is not None and report.broken.id == events[2].pk and report.total == 2
    with pytest.raises(CommandError, match=f"broken at row {events[2].pk}"):
        call_command("verify_audit", "--full", jobs=1)


def test_each_row_points_at_the_one_before(clinician):
    first = audit(actor=clinician, action=Action.VIEW, object_type="x", summary="a")
    second = audit(actor=clinician, action=Action.VIEW, object_type="x", summary="b")
    assert second.prev_hash == first.hash
    assert all(report.broken is None for report in verify_chains(full=True))


def test_the_clinic_admin_lists_filters_and_exports(
    client, clinic_admin, clinician, patient, outsider
):
    patient_update(patient=patient, by=clinician, today=TODAY, phone="07400 123456")
    audit(actor=outsider, action=Action.VIEW, object_type="x", summary="other clinic's look")
    client.force_login(clinic_admin)
    page = client.get(reverse("audit_list")).content.decode()
    assert "Patient details changed: phone" in page
    assert "other clinic's look" not in page
    filtered = client.get(reverse("audit_list"), {"patient": "RA1", "action": "change"})
    assert "LOWE, Ida (RA1)" in filtered.content.decode()
    empty = client.get(reverse("audit_list"), {"user": "nobody"}).content.decode()
    assert "Nothing matches." in empty
    export = client.get(reverse("audit_csv"), {"patient": "Lowe"})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:4] == ["id", "at", "user", "action"]
    assert any("Patient details changed: phone" in row for row in rows)
    assert (
        client.get(
            reverse("audit_list"), {"since": "2026-02-02", "until": "2026-01-01"}
        ).status_code
        == 200
    )


def test_only_clinic_admins_see_the_audit(client, clinician, nurse, patient_user):
    for user in (clinician, nurse, patient_user):
        client.force_login(user)
        assert client.get(reverse("audit_list")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_chain_starts_again_when_a_test_database_is_emptied(clinician):
    audit(actor=clinician, action=Action.VIEW, object_type="x", summary="a")
    # The end of this test flushes the tables; the next test's first row must start from the
    # genesis hash again (checked by the other tests, whatever order they run in).
    assert all(report.broken is None for report in verify_chains(full=True))


def test_the_first_row_starts_from_genesis(clinician):
    first = audit(actor=clinician, action=Action.VIEW, object_type="x", summary="a")
    if AuditEvent.objects.count() == 1:
        assert first.prev_hash == "0" * 64


def test_the_audit_page_runs_the_same_queries_for_few_or_many_rows(client, clinic_admin, clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(clinic_admin)
    url = reverse("audit_list")
    client.get(url)  # warm the cached roles and second-factor setting

    def queries_with(rows: int) -> int:
        for n in range(rows):
            audit(
                actor=clinic_admin,
                action=Action.VIEW,
                object_type="x",
                summary=f"look {n}",
                clinic=clinic,
            )
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert (
            page.count('data-testid="audit-row"')
            == AuditEvent.objects.filter(clinic_id=clinic.pk).count()
        )
        return len(captured)

    assert queries_with(2) == queries_with(40)


def test_the_audit_pages_by_id_newest_first_without_counting(client, clinic_admin, clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [
        audit(
            actor=clinic_admin,
            action=Action.VIEW,
            object_type="x",
            summary=f"look {n}",
            clinic=clinic,
        )
        for n in range(250)
    ]
    client.force_login(clinic_admin)

    def page(**query) -> tuple[list[int], str]:
        html = client.get(reverse("audit_list"), query).content.decode()
        ids = [int(i) for i in re.findall(r'data-testid="audit-row"><td[^>]*>(\d+)<', html)]
        return ids, html

    newest = sorted((r.pk for r in rows), reverse=True)
    first, html = page()
    assert first == newest[:100]
    assert 'data-testid="audit-older"' in html and 'data-testid="audit-newer"' not in html
    second, html = page(before=first[-1])
    assert second == newest[100:200]
    with CaptureQueriesContext(connection) as captured:
        third, html = page(before=second[-1])
    assert third == newest[200:]
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert 'data-testid="audit-older"' not in html and 'data-testid="audit-newer"' in html
    assert page(after=third[0])[0] == second
    assert page(after=second[0])[0] == first
    # A filter and a cursor together: the filter stays in the links.
    filtered, html = page(action="view", before=first[50])
    assert filtered == newest[51:151]
    assert "action=view&amp;before=" in html
