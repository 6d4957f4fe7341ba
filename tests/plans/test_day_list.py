"""/today/ and the recording pages, through the test client."""

import csv
import io
import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b12clinic.core.models import Patient
from plans.day_cache import clinic_changed
from plans.models import Administration, DoseNotGiven, DoseStatus
from plans.recording.not_given import dose_record_not_given
from plans.rules import schedule
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give_next, new_plan, open_doses

pytestmark = pytest.mark.django_db

# Two doses three days apart: started on Friday 2 January, the second is due on TODAY.
TWO_DOSES = (
    schedule.PhaseRule(
        kind=schedule.PhaseKind.LOADING,
        unit=schedule.IntervalUnit.DAYS,
        every=3,
        end=schedule.EndRule.AFTER_DOSES,
        doses=2,
    ),
)


def make_patient(clinic, clinician, number: int, **values) -> Patient:
    defaults = dict(
        record_number=f"RX{number:05d}",
        given_name=f"Pat{number}",
        family_name=f"Family{number:05d}",
        date_of_birth=date(1950, 1, 1) + timedelta(days=number),
        created_by=clinician,
    )
    defaults.update(values)
    return Patient.objects.create(clinic=clinic, **defaults)


def seed_day(clinic, clinician, nurse, count: int, first: int = 0) -> None:
    """`count` patients for TODAY: every other one overdue from last week, the rest due today
    after a dose given on Friday (so they have a last site)."""
    for n in range(first, first + count):
        patient = make_patient(clinic, clinician, n)
        if n % 2:
            new_plan(patient, clinician, "uk_standard", start=TODAY - timedelta(days=7))
        else:
            plan = new_plan(
                patient, clinician, "uk_standard", start=TODAY - timedelta(days=3), phases=TWO_DOSES
            )
            give_next(plan, nurse)


@pytest.fixture
def day_url(clinic) -> str:
    return f"/today/?date={TODAY.isoformat()}&clinic={clinic.pk}"


@pytest.fixture
def travel():
    with time_machine.travel(at(TODAY, 9), tick=False):
        yield


def test_the_nurse_sees_overdue_oldest_first_then_due_with_two_identifiers(
    client, clinic, clinician, nurse, travel
):
    late = make_patient(clinic, clinician, 1, given_name="Olive", family_name="Late")
    later = make_patient(clinic, clinician, 2, given_name="Lena", family_name="Later")
    due = make_patient(clinic, clinician, 3, given_name="Dan", family_name="Due", allergies="Latex")
    new_plan(late, clinician, "uk_prophylaxis", start=TODAY - timedelta(days=20))
    new_plan(later, clinician, "uk_prophylaxis", start=TODAY - timedelta(days=6))
    new_plan(due, clinician, "uk_neurological", start=TODAY)
    client.force_login(nurse)

    page = client.get("/today/").content.decode()

    overdue = page.index('data-testid="overdue-list"')
    due_list = page.index('data-testid="due-list"')
    assert overdue < page.index("LATE, Olive") < page.index("LATER, Lena") < due_list
    assert due_list < page.index("DUE, Dan")
    assert "20 days overdue" in page and "6 days overdue" in page
    assert "Born 2 Jan 1950 · RX00001" in page
    assert "Allergy: Latex" in page
    assert "Neurological" in page
    assert "Loading 1" in page and "Maintenance" in page


def test_another_clinics_patients_never_appear(
    client, clinic, other_clinic, clinician, nurse, travel
):
    from tests.conftest import make_user

    theirs_clinician = make_user("cleo", "clinician", clinic=other_clinic)
    theirs = make_patient(other_clinic, theirs_clinician, 9, family_name="Elsewhere")
    new_plan(theirs, theirs_clinician, start=TODAY)
    client.force_login(nurse)

    assert "ELSEWHERE" not in client.get("/today/").content.decode()
    assert client.get(f"/today/?clinic={other_clinic.pk}").status_code == 404
    assert client.get("/today/?clinic=not-a-uuid").status_code == 404
    dose = open_doses(theirs.plans.get())[0]
    assert client.get(f"/doses/{dose.pk}/give/").status_code == 404
    assert client.post(f"/doses/{dose.pk}/not-given/", {"reason": "declined"}).status_code == 404
    assert DoseNotGiven.objects.count() == 0


def test_neurological_or_pernicious_anaemia_overdue_beyond_the_limit_shows_an_alert(
    client, clinic, clinician, nurse, travel
):
    clinic.overdue_alert_days = 5
    clinic.save()
    pa = make_patient(clinic, clinician, 1, family_name="Anaemia")
    other = make_patient(clinic, clinician, 2, family_name="Dietary")
    new_plan(pa, clinician, "uk_prophylaxis", start=TODAY - timedelta(days=6))
    new_plan(other, clinician, "uk_prophylaxis", start=TODAY - timedelta(days=6), cause="dietary")
    client.force_login(nurse)

    page = client.get("/today/").content.decode()

    assert page.count('data-testid="overdue-alert"') == 1
    assert "Overdue 6 days with pernicious anaemia: tell the clinician." in page


def test_date_navigation_and_a_bad_date(client, clinic, clinician, nurse, travel):
    patient = make_patient(clinic, clinician, 1, family_name="Wednesday")
    new_plan(patient, clinician, start=TODAY)  # Mon/Wed/Fri: due 5 and 7 January
    client.force_login(nurse)

    tuesday = client.get(f"/today/?date=2026-01-06&clinic={clinic.pk}").content.decode()
    assert "Tuesday 6 January 2026" in tuesday
    assert "date=2026-01-05" in tuesday and "date=2026-01-07" in tuesday

    for bad in ("2026-02-30", "9999-12-31", "0001-01-01", "x" * 500):
        response = client.get(f"/today/?date={bad}", follow=True)
        assert response.status_code == 200, bad
        assert "is not a date" in response.content.decode()
        assert "Monday 5 January 2026" in response.content.decode()
    assert client.get("/today/export.csv?date=9999-12-31").status_code == 200


def test_the_day_list_runs_the_same_queries_for_5_and_200_rows(
    client, clinic, clinician, nurse, day_url, travel
):
    client.force_login(nurse)
    seed_day(clinic, clinician, nurse, 5)
    client.get(day_url)  # warm the session and user caches
    clinic_changed(clinic.pk)  # and build the list again, as the one after seeding is

    with CaptureQueriesContext(connection) as five:
        page = client.get(day_url).content.decode()
    assert page.count('data-testid="day-row"') == 5

    seed_day(clinic, clinician, nurse, 195, first=5)
    with CaptureQueriesContext(connection) as two_hundred:
        page = client.get(day_url).content.decode()
    assert page.count('data-testid="day-row"') == 200

    assert len(five) == len(two_hundred)
    assert len(two_hundred) <= 5, [q["sql"][:120] for q in two_hundred.captured_queries]


def test_the_csv_export_runs_the_same_queries_for_5_and_200_rows(
    client, clinic, clinician, nurse, day_url, travel
):
    """The export reads the day list's rows, which carry only the columns a row shows: a column
    it reads beyond them would cost a query per row."""
    client.force_login(nurse)
    csv_url = day_url.replace("/today/", "/today/export.csv")
    seed_day(clinic, clinician, nurse, 5)
    client.get(csv_url)

    with CaptureQueriesContext(connection) as five:
        assert client.get(csv_url).content.decode().count("RX000") == 5
    seed_day(clinic, clinician, nurse, 195, first=5)
    with CaptureQueriesContext(connection) as two_hundred:
        assert client.get(csv_url).content.decode().count("RX00") == 200

    assert len(five) == len(two_hundred)


def test_what_a_record_holds_is_shown_as_text_never_as_markup(
    client, clinic, clinician, nurse, travel
):
    patient = make_patient(
        clinic,
        clinician,
        1,
        given_name='Ann"><img src=x onerror=alert(1)>',
        family_name="<b>O'Hara</b>",
        allergies="Latex & <i>nuts</i>\nPenicillin",
        other_conditions="<script>alert(2)</script> " + "long " * 20,
        record_number="RX<1>",
    )
    new_plan(patient, clinician, "uk_neurological", start=TODAY - timedelta(days=2))
    client.force_login(nurse)

    page = client.get("/today/").content.decode()

    assert "<img src=x" not in page and "<script>alert" not in page and "<b>O" not in page
    assert "&lt;B&gt;O&#x27;HARA&lt;/B&gt;, Ann&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Allergy: Latex &amp; &lt;i&gt;nuts&lt;/i&gt;<br>Penicillin" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt; long long" in page  # cut at 60 characters
    assert "long " * 12 not in page
    assert 'data-patient="RX&lt;1&gt;"' in page and "Born 2 Jan 1950 · RX&lt;1&gt;" in page
    assert 'data-testid="neuro-badge"' in page


def test_csv_export_has_every_row_and_cannot_inject_formulas(
    client, clinic, clinician, nurse, day_url, travel
):
    make_patient(clinic, clinician, 1, given_name="=HYPERLINK(1)", family_name="Sheet")
    new_plan(Patient.objects.get(record_number="RX00001"), clinician, start=TODAY)
    client.force_login(nurse)

    response = client.get(day_url.replace("/today/", "/today/export.csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["given name"] == "'=HYPERLINK(1)"
    assert rows[0]["record number"] == "RX00001"
    assert rows[0]["section"] == "due"
    assert rows[0]["suggested site"] == "Left deltoid"


# --- Recording pages -------------------------------------------------------------------------


def test_the_give_page_suggests_a_different_site_and_saving_returns_to_the_list(
    client, clinic, clinician, nurse, day_url, travel
):
    patient = make_patient(clinic, clinician, 1)
    plan = new_plan(patient, clinician, start=TODAY - timedelta(days=3), phases=TWO_DOSES)
    give_next(plan, nurse, site="deltoid", side="left")
    dose = open_doses(plan)[0]
    client.force_login(nurse)

    form = client.get(f"/doses/{dose.pk}/give/?next={day_url}").content.decode()
    assert "Last: Left deltoid" in form
    assert "suggested: <strong>Right deltoid</strong>" in form
    assert re.search(r'name="side" value="right"[^>]*checked', form)
    assert re.search(r'name="site" value="deltoid"[^>]*checked', form)

    response = client.post(
        f"/doses/{dose.pk}/give/",
        {
            "identity_confirmed": "on",
            "allergies_checked": "on",
            "site": "deltoid",
            "side": "right",
            "batch": "HX9",
            "expiry": "2026-12-31",
            "given_at": "2026-01-05T09:00",
            "outcome": "none",
            "next": day_url,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == day_url
    record = Administration.objects.get(dose=dose)
    assert (record.side, record.given_at) == ("right", at(TODAY, 9))
    page = client.get(day_url).content.decode()
    assert 'data-testid="done-row"' in page
    assert page.count('data-testid="day-row"') == 0


def test_expired_stock_is_shown_on_the_field_and_nothing_is_saved(
    client, clinic, clinician, nurse, travel
):
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, start=TODAY)
    dose = open_doses(plan)[0]
    client.force_login(nurse)

    response = client.post(
        f"/doses/{dose.pk}/give/",
        {
            "identity_confirmed": "on",
            "allergies_checked": "on",
            "site": "deltoid",
            "side": "left",
            "batch": "HX9",
            "expiry": "2025-12-31",
            "given_at": "2026-01-05T09:00",
            "outcome": "none",
        },
    )

    assert response.status_code == 200
    assert "This stock expired on 31 Dec 2025" in response.content.decode()
    assert Administration.objects.count() == 0


def test_not_given_page_records_the_reason_and_says_what_happens_next(
    client, clinic, clinician, nurse, day_url, travel
):
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, start=TODAY)
    dose = open_doses(plan)[0]
    client.force_login(nurse)

    response = client.post(
        f"/doses/{dose.pk}/not-given/", {"reason": "did_not_attend", "next": day_url}, follow=True
    )

    page = response.content.decode()
    assert "A make-up loading dose is scheduled" in page
    assert "Next dose due Tue 6 Jan 2026" in page
    assert DoseNotGiven.objects.get().reason == "did_not_attend"
    assert 'data-testid="done-row"' in page


def test_after_did_not_attend_the_message_says_the_dose_is_still_due_and_how_late(
    client, clinic, clinician, nurse
):
    """Defect: after "did not attend" on a maintenance dose 10 days late, the message said
    "Next dose due Thu 19 Nov 2026", a date already past."""
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_prophylaxis", start=TODAY)
    dose = open_doses(plan)[0]
    with time_machine.travel(at(TODAY + timedelta(days=10), 9), tick=False):
        client.force_login(nurse)
        response = client.post(
            f"/doses/{dose.pk}/not-given/", {"reason": "did_not_attend"}, follow=True
        )
    page = response.content.decode()
    assert "Next dose due Mon 5 Jan 2026" not in page
    assert "The dose due Mon 5 Jan 2026 is still due: it is now 10 days overdue." in page


def test_the_give_page_refuses_a_second_injection_today_and_a_clinician_can_override(
    client, clinic, clinician, nurse
):
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_neurological", start=TODAY)
    form = {
        "identity_confirmed": "on",
        "allergies_checked": "on",
        "site": "deltoid",
        "side": "left",
        "batch": "HX9",
        "expiry": "2026-12-31",
        "given_at": "2026-01-05T09:00",
        "outcome": "none",
    }
    with time_machine.travel(at(TODAY, 10), tick=False):
        client.force_login(nurse)
        client.post(f"/doses/{open_doses(plan)[0].pk}/give/", form)
        again = client.post(f"/doses/{open_doses(plan)[0].pk}/give/", form)
        assert "The last injection was given on Mon 5 Jan 2026" in again.content.decode()
        assert "Clinician: why it is given early" not in again.content.decode()
        assert Administration.objects.count() == 1

        client.force_login(clinician)
        page = client.get(f"/doses/{open_doses(plan)[0].pk}/give/").content.decode()
        assert "Clinician: why it is given early" in page
        client.post(
            f"/doses/{open_doses(plan)[0].pk}/give/",
            {**form, "override_reason": "The first injection leaked back out of the site"},
        )
    assert Administration.objects.count() == 2


def test_given_elsewhere_is_said_one_way_not_as_a_reason_for_not_given(
    client, clinic, clinician, nurse, travel
):
    """It was both a not-given reason and its own action: one record, two ways to say it."""
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_prophylaxis", start=TODAY)
    dose = open_doses(plan)[0]
    client.force_login(nurse)

    page = client.get(f"/doses/{dose.pk}/not-given/").content.decode()
    assert 'value="given_elsewhere"' not in page
    assert f'href="/doses/{dose.pk}/given-outside/?next=' in page

    refused = client.post(f"/doses/{dose.pk}/not-given/", {"reason": "given_elsewhere"})
    assert "Select a valid choice" in refused.content.decode()
    dose.refresh_from_db()
    assert dose.status == DoseStatus.DUE and not Administration.objects.exists()


def test_the_patient_role_cannot_open_the_day_list_or_record_in_clinic(
    client, clinic, clinician, patient_user, travel
):
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, start=TODAY)
    client.force_login(patient_user)

    assert client.get("/today/").status_code == 403
    assert client.get(f"/doses/{open_doses(plan)[0].pk}/give/").status_code == 403


def test_the_plan_page_shows_adherence_and_the_correction_history(client, clinic, clinician, nurse):
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, start=TODAY)
    first = give_next(plan, nurse)
    dose_record_not_given(
        dose=open_doses(plan)[0], by=nurse, reason="declined", now=at(date(2026, 1, 7), 11)
    )
    client.force_login(nurse)
    client.post(
        f"/administrations/{first.pk}/correct/",
        {
            "given_at": "2026-01-05T10:00",
            "site": "deltoid",
            "side": "right",
            "batch": "HX4417B",
            "expiry": first.expiry.isoformat(),
            "outcome": "none",
            "reason": "Wrong arm recorded",
        },
    )

    with time_machine.travel(at(date(2026, 1, 8), 9), tick=False):
        page = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "1 of 2 doses due so far given" in page
    assert "Not given</span> Declined" in page
    assert "Right deltoid" in page
    assert "Wrong arm recorded" in page
    assert "History (1 earlier version)" in page
    assert Administration.objects.count() == 2


def test_what_was_recorded_today_shows_when_where_and_who_in_order(
    client, clinic, clinician, nurse, day_url, travel
):
    from plans.recording.given import dose_record_given_outside
    from tests.plans.recording_helpers import give

    def first_dose(number, **values):
        patient = make_patient(clinic, clinician, number, **values)
        return open_doses(new_plan(patient, clinician, start=TODAY))[0]

    give(
        first_dose(1, family_name="Clinic"),
        nurse,
        given_at=at(TODAY, 9, 30),
        batch="B-1/2",
        outcome="pain_swelling",
    )
    with time_machine.travel(at(TODAY, 11), tick=False):  # no time given: ordered by when
        dose_record_given_outside(  # it was recorded
            dose=first_dose(2, family_name="Home"),
            by=nurse,
            setting="home",
            given_on=TODAY,
            now=at(TODAY, 11),
        )
    with time_machine.travel(at(TODAY, 10, 15), tick=False):
        dose_record_not_given(
            dose=first_dose(3, family_name="Withheld"),
            by=nurse,
            reason="withheld",
            detail="<b>BP low</b>",
            now=at(TODAY, 10, 15),
        )
    client.force_login(nurse)

    page = client.get(day_url).content.decode()

    done = page[page.index('data-testid="done-list"') :]
    assert done.index("CLINIC, Pat1") < done.index("WITHHELD, Pat3") < done.index("HOME, Pat2")
    assert "Given</span> 09:30" in done
    assert (
        'Left deltoid · batch B-1/2 · <span class="text-danger">Pain or swelling at the site</span>'
    ) in done
    assert "Given</span> at home" in done and "Site not recorded" in done
    assert "Not given</span> 10:15" in done
    assert "Clinically withheld: &lt;b&gt;BP low&lt;/b&gt;" in done
    assert done.count('data-testid="correct-link"') == 2
    assert f"?next={quote(day_url, safe='/')}" in done.replace("&amp;", "&")
    # Who gave it, in clinic; who recorded it, for a dose given at home.
    assert done.count(f">{nurse.get_full_name()}<") == 2
    assert done.count(f">{nurse.username}<") == 1
