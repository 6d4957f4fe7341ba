"""Laboratory results in over HL7 v2: sample ORU^R01 messages written here from the v2.5.1
structure (MSH, PID, OBR, OBX), sent over a real TCP socket to the MLLP listener, uploaded
as a file, matched or rejected from the review queue."""

import socket
from datetime import timedelta

import hl7
import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.interop import hl7v2
from monitoring.interop.mllp import listening
from monitoring.models import Alert, InboundMessage, LabCodeMapping, LabResult, LabTest
from monitoring.services.inbound import hl7_receive, inbound_match, inbound_reject
from tests.plans.recording_helpers import new_plan

START, END = b"\x0b", b"\x1c\r"


def oru(
    control_id="MSG0001",
    *,
    record="RX1001",
    born="19610402",
    family="QUINN",
    given="NORA",
    collected=None,
    results=None,
):
    day = collected or (timezone.localdate() - timedelta(days=1))
    stamp = f"{day:%Y%m%d}0830"
    lines = [
        f"MSH|^~\\&|LABSYS|CITYLAB|B12CLINIC|NORTHGATE|{stamp}||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
        f"PID|1||{record}^^^NORTHGATE^MR||{family}^{given}||{born}|F",
        f"OBR|1||LAB-{control_id}|FBC^Full blood count^L|||{stamp}",
    ]
    rows = results or [
        "NM|718-7^Hemoglobin^LN||55|g/L|120-160|LL|||F",
        "NM|2132-9^Cobalamin [Mass/volume]^LN||150|pg/mL|200-900|L|||F",
        "NM|787-2^MCV^LN||109|fL|80-100|H|||F",
        "CWE|31444-3^Intrinsic factor Ab^LN||POS^Positive^HL70078||||||F",
    ]
    lines += [f"OBX|{n}|{row}" for n, row in enumerate(rows, 1)]
    return "\r".join(lines)


def msa(ack: str) -> list[str]:
    """The acknowledgement's MSA fields, as an HL7 reader reads them (escapes undone)."""
    message = hl7.parse(ack)
    assert str(message.segment("MSH")[9]).startswith("ACK^")
    return [message.unescape(str(part)) for part in message.segment("MSA")]


@pytest.fixture
def listener(migration_data, clinic):
    """The MLLP listener on a free port, in its own thread and event loop."""
    with listening(clinic_id=clinic.pk) as port:
        yield port


def send(port: int, *messages: str) -> list[str]:
    """Each message in an MLLP frame on one connection; each answer read back."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        for message in messages:
            connection.sendall(START + message.encode() + END)
            data = b""
            while not data.endswith(END):
                chunk = connection.recv(65536)
                assert chunk, "the listener closed the connection"
                data += chunk
            answers.append(data.strip(START + END).decode())
    return answers


@pytest.mark.django_db(transaction=True)
def test_a_message_over_mllp_is_filed_converted_and_flagged_once(
    listener, patient, clinician, nurse
):
    new_plan(patient, clinician, start=timezone.localdate() - timedelta(days=2))
    first, again = send(listener, oru(), oru())

    assert msa(first)[:3] == ["MSA", "AA", "MSG0001"]
    assert "4 results filed" in msa(first)[3]
    results = {r.test.code: r for r in LabResult.objects.filter(patient=patient)}
    assert set(results) == {"hb", "b12", "mcv", "ifab"}
    b12 = results["b12"]
    assert (b12.value_entered, b12.unit_entered, float(b12.value)) == (150, "pg/mL", 110.7)
    assert (b12.flag, b12.band) == ("low", "deficient")
    assert float(b12.lab_low) == pytest.approx(147.6)  # the laboratory's range, converted
    assert results["mcv"].flag == "high" and results["ifab"].qualitative == "positive"
    assert results["hb"].entered_by.username == "lab-interface"
    assert "MSG0001" in results["hb"].notes
    baseline = patient.rechecks.get(kind="baseline")
    assert baseline.status == "pending"  # still waiting for folate and the rest
    assert results["hb"].flag == "critical_low"
    assert Alert.objects.filter(patient=patient, severity="urgent").exists()

    assert msa(again)[:2] == ["MSA", "AA"]
    assert "nothing new stored" in msa(again)[3]
    assert LabResult.objects.filter(patient=patient).count() == 4
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_unmatched_message_waits_for_review_and_attaches_to_no_one(listener, patient):
    (answer,) = send(listener, oru("MSG0002", born="19610420"))
    code, text = msa(answer)[1], msa(answer)[3]
    assert code == "AE" and "Held for review" in text and "RX1001" in text
    held = InboundMessage.objects.get()
    assert (held.status, held.patient) == ("review", None)
    assert not LabResult.objects.exists()

    (wrong_name,) = send(listener, oru("MSG0003", family="QUILL"))
    assert msa(wrong_name)[1] == "AE"
    assert "family name sent is “QUILL”" in InboundMessage.objects.get(control_id="MSG0003").problem
    assert not LabResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_message_is_refused_and_stored_nowhere(listener):
    (answer,) = send(listener, "MSH|^~\\&|LABSYS|CITYLAB|||20261123||ADT^A01|X1|P|2.5.1")
    assert msa(answer)[1] == "AR" and "ORU^R01" in msa(answer)[3]
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_message_is_filed_whole_or_not_at_all(patient, clinic):
    implausible = oru(
        "MSG0004",
        results=["NM|718-7^Hemoglobin^LN||98|g/L|||||F", "NM|787-2^MCV^LN||999|fL|||||F"],
    )
    received = hl7_receive(clinic=clinic, raw=implausible, channel="upload", now=timezone.now())
    assert received.code == "AE" and "MCV" in received.text
    assert not LabResult.objects.exists()
    assert InboundMessage.objects.get().status == "review"


@pytest.mark.django_db
def test_the_laboratorys_own_codes_map_through_the_clinics_table(patient, clinic, clinician):
    local = oru("MSG0005", results=["NM|B12^Vitamin B12^L||300|ng/L|||||F"])
    held = hl7_receive(clinic=clinic, raw=local, channel="upload", now=timezone.now())
    assert held.code == "AE" and "no test of the catalogue has this code" in held.text
    LabCodeMapping.objects.create(
        clinic=clinic, sender="LABSYS CITYLAB", code="B12", test=LabTest.objects.get(code="b12")
    )
    filed = inbound_match(
        message=held.message, record_number="RX1001", by=clinician, now=timezone.now()
    )
    assert (filed.status, filed.results, filed.reviewed_by) == ("filed", 1, clinician)
    result = LabResult.objects.get(patient=patient)
    assert float(result.value) == pytest.approx(221.4) and result.entered_by == clinician
    again = hl7_receive(clinic=clinic, raw=local, channel="upload", now=timezone.now())
    assert again.code == "AA" and LabResult.objects.count() == 1


@pytest.mark.django_db
def test_a_clinician_matches_and_rejects_from_the_review_page(
    client, patient, clinic, clinician, nurse
):
    held = hl7_receive(
        clinic=clinic, raw=oru("MSG0006", record="RX-1001"), channel="mllp", now=timezone.now()
    ).message
    other = hl7_receive(
        clinic=clinic, raw=oru("MSG0007", record="ZZ9"), channel="mllp", now=timezone.now()
    ).message
    client.force_login(clinician)
    page = client.get(reverse("monitoring:lab_messages"))
    assert page.content.decode().count('data-testid="held-message"') == 2
    response = client.post(
        reverse("monitoring:lab_message_match", args=[held.pk]), {"record_number": "RX1001"}
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.patient, held.results) == ("filed", patient, 4)
    client.post(reverse("monitoring:lab_message_reject", args=[other.pk]), {"reason": ""})
    other.refresh_from_db()
    assert other.status == "review"  # no reason, no rejection
    client.post(
        reverse("monitoring:lab_message_reject", args=[other.pk]),
        {"reason": "Not our patient: sent here by mistake"},
    )
    other.refresh_from_db()
    assert (other.status, other.reviewed_by) == ("rejected", clinician)
    with pytest.raises(Exception, match="already rejected"):
        inbound_reject(message=other, reason="again", by=clinician, now=timezone.now())
    client.force_login(nurse)
    assert client.get(reverse("monitoring:lab_messages")).status_code == 403


@pytest.mark.django_db
def test_a_file_of_messages_is_read_one_by_one(client, patient, clinician):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "\n".join(
        [oru("MSG0008"), oru("MSG0009", born="19000101"), "MSH|^~\\&|X|Y|||1||ADT^A01|Z|P|2.5.1"]
    )
    client.force_login(clinician)
    response = client.post(
        reverse("monitoring:lab_messages_upload"),
        {"file": SimpleUploadedFile("results.hl7", text.encode())},
    )
    body = response.content.decode()
    assert body.count('data-testid="upload-outcome"') == 3
    assert "Filed" in body and "Held for review" in body and "Not read" in body
    assert LabResult.objects.filter(patient=patient).count() == 4


def test_reference_ranges_and_message_files_are_read():
    assert hl7v2.reference_range("133-675") == (133, 675)
    assert hl7v2.reference_range("> 4.0") == (4, None)
    assert hl7v2.reference_range("<0.40") == (None, hl7v2.Decimal("0.40"))
    assert hl7v2.reference_range("see report") == (None, None)
    framed = START.decode() + oru("A") + END.decode() + START.decode() + oru("B") + END.decode()
    assert [hl7v2.read(m)[1].control_id for m in hl7v2.split_messages(framed)] == ["A", "B"]


TYPICAL = {
    "hb": "130",
    "mcv": "90",
    "retic_pct": "1.5",
    "retic_abs": "80",
    "b12": "300",
    "active_b12": "60",
    "mma": "0.3",
    "homocysteine": "10",
    "folate": "8",
    "ferritin": "100",
    "potassium": "4.2",
}


@pytest.mark.django_db
def test_a_message_with_every_baseline_test_marks_the_baseline_done(patient, clinic, clinician):
    start = timezone.localdate() - timedelta(days=1)
    new_plan(patient, clinician, start=start)
    baseline = patient.rechecks.get(kind="baseline")
    tests = {t.code: t for t in LabTest.objects.filter(code__in=baseline.tests)}
    rows = [
        f"CWE|{tests[code].loinc_code}^{tests[code].name}^LN||NEG^Negative||||||F"
        if tests[code].qualitative
        else f"NM|{tests[code].loinc_code}^{tests[code].name}^LN||{TYPICAL[code]}|"
        f"{tests[code].unit}|||||F"
        for code in baseline.tests
    ]
    raw = oru("MSG-BASE", collected=start, results=rows)
    received = hl7_receive(clinic=clinic, raw=raw, channel="mllp", now=timezone.now())
    assert received.code == "AA", received.text
    baseline.refresh_from_db()
    assert (baseline.status, baseline.done_on) == ("done", start)


@pytest.mark.django_db
def test_the_review_page_reads_in_the_same_queries_however_many_messages(
    client, patient, clinic, clinician
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(clinician)
    url = reverse("monitoring:lab_messages")

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as read:
            client.get(url)
        return len(read)

    def receive(control_id, **changes):
        hl7_receive(
            clinic=clinic, raw=oru(control_id, **changes), channel="upload", now=timezone.now()
        )

    receive("Q-1", born="19000101")
    receive("Q-2")
    few = queries()
    for number in range(3, 8):
        receive(f"Q-{number}", born="19000101")
        receive(f"Q-F{number}")
    assert queries() == few
