"""The written schedule: what the PDF says, the calendar file read back, caching, access and
share links."""

import io
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from monitoring.documents.calendar import schedule_ics
from monitoring.documents.schedule import (
    STATIC_DIR,
    RefusedFetch,
    _static_only_fetcher,
    render_pdf,
    schedule_document,
    schedule_pdf,
)
from plans.models import ShareLinkUse
from plans.services.prescriptions import plan_stop
from plans.sharing import share_link_create, share_link_revoke
from tests.conftest import on_ci
from tests.plans.recording_helpers import give, new_plan, open_doses


@pytest.fixture
def clinic_details(clinic):
    clinic.phone = "01632 960 123"
    clinic.address = "1 Mill Lane\nTownsville TV1 1AA"
    clinic.open_weekdays = "0123456"
    clinic.save()
    return clinic


def today():
    return timezone.localdate()


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def started_plan(patient, clinician, nurse, clinic_details):
    patient.allergies = "Latex"
    patient.save()
    plan = new_plan(patient, clinician, "uk_standard", start=today() - timedelta(days=6))
    first = open_doses(plan)[0]
    moment = timezone.now()
    give(first, nurse, on=first.due_date, now=moment)
    return plan


def test_the_pdf_says_everything_a_patient_needs(started_plan):
    doc = schedule_document(plan=started_plan, today=today())
    pdf, cached = schedule_pdf(doc, generated=today())
    assert not cached and pdf.startswith(b"%PDF")
    text = flat(text_of(pdf))
    for expected in (
        "Nora Quinn",
        "2 April 1961",
        "RX1001",
        "Hydroxocobalamin 1 mg/mL",
        "1 mg",
        "Intramuscular (IM)",
        "cannot absorb vitamin B12 from food (pernicious anaemia)",
        "01632 960 123",
        "Latex",
        "Call us the same day on 01632 960 123",
        "If you miss a dose",
        "If you do not feel better",
        "plan version 1",
    ):
        assert expected in text, expected
    for dose in doc.loading:
        assert f"{dose.due:%a} {dose.due.day} {dose.due:%B %Y}" in text
    given = next(d for d in doc.loading if d.status == "given")
    assert f"Given {given.given_on.day} {given.given_on:%b %Y}" in text
    assert doc.maintenance, "a year of maintenance dates"
    for dose in doc.maintenance:
        assert f"{dose.due:%a} {dose.due.day} {dose.due:%b %Y}" in text
    for lab in doc.labs:
        # The first words: a table cell wraps, and its lines interleave with the next cell's.
        assert " ".join(lab.patient_title.split()[:3]) in text, lab.patient_title
    assert "Page 1 of" in text


def test_page_one_renders_to_an_image(started_plan, tmp_path):
    if shutil.which("pdftoppm") is None:
        if on_ci():
            pytest.fail("pdftoppm (poppler-utils) is required on CI")
        pytest.skip("pdftoppm not installed")
    pdf, _ = schedule_pdf(schedule_document(plan=started_plan, today=today()), generated=today())
    (tmp_path / "s.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "s.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    from PIL import Image

    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    assert image.width > 300
    # Not blank: a good share of dark pixels (text, rules).
    dark = sum(1 for value in image.tobytes() if value < 128)
    assert dark > 2000


def test_letter_paper_when_the_clinic_says_so(started_plan, clinic_details):
    clinic_details.paper_size = "Letter"
    clinic_details.save()
    started_plan.refresh_from_db()
    pdf, _ = schedule_pdf(schedule_document(plan=started_plan, today=today()), generated=today())
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_a_plan_with_no_doses_gives_a_valid_pdf_that_says_so(patient, clinician, clinic_details):
    plan = new_plan(patient, clinician, "uk_standard", start=today())
    plan.doses.update(status="cancelled", cancelled_reason="test: nothing scheduled yet")
    pdf, _ = schedule_pdf(schedule_document(plan=plan, today=today()), generated=today())
    assert "No injections are scheduled yet." in flat(text_of(pdf))


def test_the_pdf_is_cached_by_its_content(started_plan, nurse, clinic_details):
    doc = schedule_document(plan=started_plan, today=today())
    first, cached = schedule_pdf(doc, generated=today())
    again, cached_again = schedule_pdf(
        schedule_document(plan=started_plan, today=today()), generated=today()
    )
    assert (cached, cached_again) == (False, True) and again == first
    moment = timezone.now()
    give(open_doses(started_plan)[0], nurse, on=today(), now=moment, given_at=moment)
    _, after_dose = schedule_pdf(
        schedule_document(plan=started_plan, today=today()), generated=today()
    )
    assert not after_dose
    clinic_details.phone = "01632 960 999"
    clinic_details.save()
    started_plan.refresh_from_db()
    pdf, after_phone = schedule_pdf(
        schedule_document(plan=started_plan, today=today()), generated=today()
    )
    assert not after_phone and "01632 960 999" in flat(text_of(pdf))


def test_rendering_fetches_nothing_outside_static(tmp_path):
    fetcher = _static_only_fetcher()
    with pytest.raises(RefusedFetch):
        fetcher.fetch("http://example.org/logo.png")
    with pytest.raises(RefusedFetch):
        fetcher.fetch("file:///etc/passwd")
    css = fetcher.fetch((STATIC_DIR / "css" / "b12clinic.css").as_uri())
    assert css.status == 200 or css.status is None
    # A reference to the network renders without it (WeasyPrint logs and skips the image).
    pdf = render_pdf('<p>Hello</p><img src="http://198.51.100.1/x.png">')
    assert pdf.startswith(b"%PDF")


def events(ics: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(ics)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_calendar_file_matches_the_plan_and_updates_in_place(
    started_plan, clinician, clinic_details
):
    doc = schedule_document(plan=started_plan, today=today())
    found = events(schedule_ics(doc, now=timezone.now()))
    dose_events = {uid: e for uid, e in found.items() if uid.startswith("dose-")}
    assert len(dose_events) == len(doc.loading) + len(doc.maintenance)
    for line in doc.loading + doc.maintenance:
        event = dose_events[f"dose-{line.id}@b12clinic.local"]
        start = event["dtstart"].dt
        assert start.date() == line.due
        assert str(start.tzinfo) == "Europe/London" and start.hour == 9
    upcoming = [e for e in dose_events.values() if e["dtstart"].dt.date() >= today()]
    assert all(e.walk("VALARM") for e in upcoming if "given" not in str(e["summary"]))
    recheck_events = [uid for uid in found if uid.startswith("recheck-")]
    assert len(recheck_events) == len(doc.labs)
    assert "VTIMEZONE" in schedule_ics(doc, now=timezone.now()).decode()

    plan_stop(plan=started_plan, by=clinician, reason="Moved away", today=today())
    after = events(
        schedule_ics(schedule_document(plan=started_plan, today=today()), now=timezone.now())
    )
    future = [
        line
        for line in doc.loading + doc.maintenance
        if line.due >= today() and line.status == "due"
    ]
    assert future
    for line in future:
        event = after[f"dose-{line.id}@b12clinic.local"]
        assert str(event["status"]) == "CANCELLED"
        assert event["sequence"] >= dose_events[f"dose-{line.id}@b12clinic.local"]["sequence"]


def test_downloads_for_staff_patient_and_nobody_else(
    started_plan, client, nurse, outsider, patient_user, patient
):
    client.force_login(nurse)
    pdf = client.get(reverse("monitoring:plan_pdf", args=[started_plan.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="b12-schedule-RX1001.pdf"'
    ics = client.get(reverse("monitoring:plan_ics", args=[started_plan.pk]))
    assert ics["Content-Type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in ics.content

    client.force_login(outsider)
    assert client.get(reverse("monitoring:plan_pdf", args=[started_plan.pk])).status_code == 404
    assert client.get(reverse("monitoring:plan_ics", args=[started_plan.pk])).status_code == 404

    client.force_login(patient_user)
    # Not linked to this record yet: not theirs, so not found.
    assert client.get(reverse("monitoring:plan_pdf", args=[started_plan.pk])).status_code == 404
    assert client.get(reverse("monitoring:me_pdf")).status_code == 404
    patient.user = patient_user
    patient.save()
    own = client.get(reverse("monitoring:me_pdf"))
    assert own.status_code == 200 and "Nora Quinn" in flat(text_of(own.content))
    assert client.get(reverse("monitoring:me_ics")).status_code == 200
    page = client.get(reverse("monitoring:me")).content.decode()
    assert 'data-testid="next-injection"' in page and 'data-testid="past"' in page


def test_share_links(started_plan, clinician, nurse, client, clinic_details):
    now = timezone.now()
    with pytest.raises(ValidationError):
        share_link_create(plan=started_plan, by=nurse, now=now)
    new = share_link_create(plan=started_plan, by=clinician, now=now, days=30)
    assert new.link.expires_at == now + timedelta(days=30)
    assert new.token.split(".")[1] not in new.link.secret_hash
    page = client.get(f"/s/{new.token}/")
    assert page.status_code == 200 and "Next injection" in page.content.decode()
    assert client.get(f"/s/{new.token}/schedule.pdf")["Content-Type"] == "application/pdf"
    assert client.get(f"/s/{new.token}/schedule.ics").status_code == 200
    assert list(ShareLinkUse.objects.values_list("what", flat=True).order_by("at")) == [
        "page",
        "pdf",
        "ics",
    ]

    tampered = client.get(f"/s/{new.token[:-2]}xx/")
    assert tampered.status_code == 404
    assert "This link is no longer valid" in tampered.content.decode()
    assert "01632 960 123" in tampered.content.decode()

    share_link_revoke(link=new.link, by=clinician, now=timezone.now())
    revoked = client.get(f"/s/{new.token}/schedule.pdf")
    assert revoked.status_code == 404 and b"no longer valid" in revoked.content

    expired = share_link_create(plan=started_plan, by=clinician, now=now - timedelta(days=31))
    assert client.get(f"/s/{expired.token}/").status_code == 404
    assert ShareLinkUse.objects.filter(what="refused:expired").exists()


def test_bad_tokens_are_throttled(client, db):
    for _ in range(10):
        assert client.get("/s/not-a-token/").status_code == 404
    assert client.get("/s/not-a-token/").status_code == 429
    assert "Too many attempts" in client.get("/s/another/").content.decode()


def test_the_plan_page_makes_and_lists_share_links(started_plan, clinician, client):
    client.force_login(clinician)
    response = client.post(
        reverse("monitoring:share_link_create", args=[started_plan.pk]), {"days": 7}
    )
    assert response.status_code == 200
    url = response.context["url"]
    assert "/s/" in url
    page = client.get(reverse("monitoring:plan_detail", args=[started_plan.pk])).content.decode()
    assert 'data-testid="share-links"' in page and "active" in page
    bad = client.post(reverse("monitoring:share_link_create", args=[started_plan.pk]), {"days": 0})
    assert bad.status_code == 302


def test_a_blood_test_window_across_new_year_names_both_years(patient, clinician, clinic_details):
    """Defect: the PDF read "5 Nov – 4 Jan 2027" for a window opening in November 2026."""
    from datetime import date

    plan = new_plan(patient, clinician, "uk_standard", start=date(2026, 11, 5))
    doc = schedule_document(plan=plan, today=date(2026, 11, 5))
    text = flat(text_of(schedule_pdf(doc, generated=date(2026, 11, 5))[0]))
    # The 8-week count: day 49 is 24 December, day 70 is 14 January.
    assert "24 Dec 2026 – 14 Jan 2027" in text
    assert "24 Dec – 14 Jan 2027" not in text


def test_a_patient_gets_404_for_another_patients_schedule_and_their_own_by_plan_id(
    client, patient, patient_user, clinician, clinic_details
):
    """Defect: a signed-in patient opening another patient's /plans/<id>/schedule.pdf or
    .ics got 403; patient-facing refusals are 404."""
    from b12clinic.core.models import Patient

    other = Patient.objects.create(
        clinic=clinic_details,
        record_number="RX2",
        given_name="Ola",
        family_name="Other",
        date_of_birth=date(1970, 1, 1),
    )
    theirs = new_plan(other, clinician, "uk_standard", start=today())
    own = new_plan(patient, clinician, "uk_standard", start=today())
    patient.user = patient_user
    patient.save()
    client.force_login(patient_user)
    for suffix in ("pdf", "ics"):
        assert client.get(f"/plans/{theirs.pk}/schedule.{suffix}").status_code == 404
        assert client.get(f"/plans/{own.pk}/schedule.{suffix}").status_code == 200


def _structure_roles(node, reader, roles):
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for child in node:
            _structure_roles(child, reader, roles)
    elif hasattr(node, "get"):
        if "/S" in node:
            roles.add(str(node["/S"]))
        if "/K" in node:
            _structure_roles(node["/K"], reader, roles)
    return roles


def test_the_pdf_is_tagged_for_screen_readers(started_plan):
    """PDF/UA: a structure tree with headings, paragraphs and tables in reading order, a title
    shown instead of the file name, and the document's language."""
    doc = schedule_document(plan=started_plan, today=today())
    pdf, _ = schedule_pdf(doc, generated=today())
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert str(catalog["/Lang"]).startswith("en")
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title == (
        f"B12 injection schedule – {started_plan.patient.given_name} "
        f"{started_plan.patient.family_name}"
    )
    roles = _structure_roles(catalog["/StructTreeRoot"], reader, set())
    assert {"/H1", "/P", "/Table", "/TR", "/TD"} <= roles, roles


@pytest.mark.parametrize(
    ("cause", "why", "lifelong"),
    [
        ("pernicious_anaemia", "Your body cannot absorb vitamin B12 from food", True),
        ("malabsorption", "Your gut cannot absorb enough vitamin B12 from food", True),
        ("dietary", "Not enough vitamin B12 in your diet", False),
        ("unknown", "Low vitamin B12; the cause is still being looked into", False),
    ],
)
def test_the_pdf_says_why_in_the_patients_words_and_whether_it_is_for_life(
    patient, clinician, clinic_details, cause, why, lifelong
):
    plan = new_plan(patient, clinician, "uk_standard", cause=cause)
    text = flat(
        text_of(schedule_pdf(schedule_document(plan=plan, today=today()), generated=today())[0])
    )
    assert why in text
    assert "Pernicious anaemia / autoimmune gastritis" not in text  # the form's label
    for_life = "These injections are for life" in text
    assert for_life is lifelong


def test_if_you_do_not_feel_better_names_real_dates_from_the_plan(
    patient, clinician, clinic_details
):
    """'By then' must point at something: the review date when there is one, else the
    3-month symptom review; and the blood count at 8 weeks by its date."""
    plan = new_plan(patient, clinician, "uk_standard", start=today(), review_date=None)
    doc = schedule_document(plan=plan, today=today())
    text = flat(text_of(schedule_pdf(doc, generated=today())[0]))
    symptom_review = next(lab for lab in doc.labs if lab.kind == "symptom_review_3m")
    blood_count = next(lab for lab in doc.labs if lab.kind == "fbc_8w")
    assert "by then" not in text
    assert (
        f"If by your symptom review around {symptom_review.due:%-d %B %Y} you do not feel better"
        in text
    )
    assert f"or your blood count around {blood_count.due:%-d %B %Y} is not normal" in text


def test_the_tests_are_named_in_the_patients_words_and_the_baseline_is_before_the_first_dose(
    patient, clinician, clinic_details
):
    start = today() + timedelta(days=3)
    plan = new_plan(patient, clinician, "uk_standard", start=start)
    text = flat(
        text_of(schedule_pdf(schedule_document(plan=plan, today=today()), generated=today())[0])
    )
    first = open_doses(plan)[0].due_date
    assert f"Before your first injection on {first:%-d %B %Y}" in text
    assert "Reticulocytes at day" not in text and "Baseline bloods" not in text
    assert "Blood test for new red blood cells" in text


def test_the_patients_page_names_tests_in_the_patients_words(
    client, started_plan, patient_user, patient
):
    patient.user = patient_user
    patient.save()
    client.force_login(patient_user)
    page = client.get(reverse("monitoring:me")).content.decode()
    assert "Blood count at 8 weeks" in page
    assert "Blood count and reticulocytes at 8 weeks" not in page


def test_a_patients_cached_schedule_is_sent_without_building_it_again(
    client, started_plan, patient_user, nurse
):
    """The staff's download looked up the cached file first; the patient's built the whole
    document (four more queries) only to find the file in the cache."""
    started_plan.patient.user = patient_user
    started_plan.patient.save()
    client.force_login(patient_user)
    url = reverse("monitoring:me_pdf")
    with CaptureQueriesContext(connection) as built:
        first = client.get(url)
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    # The stamp (one plain query) stands for the doses and rechecks: the document, which reads
    # them through the ORM, is not built.
    read = [q["sql"] for q in cached.captured_queries]
    assert not [
        sql for sql in read if 'FROM "plans_dose"' in sql or 'FROM "monitoring_recheck"' in sql
    ]
    assert any('FROM "plans_dose"' in q["sql"] for q in built.captured_queries)

    moment = timezone.now()
    give(open_doses(started_plan)[0], nurse, on=today(), now=moment, given_at=moment)
    after = client.get(url)
    assert after.content != first.content
    assert f"{today():%-d %b %Y}" in flat(text_of(after.content))
