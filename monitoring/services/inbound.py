"""Results from a laboratory's own system: each message filed whole (through the same checks as
a typed result) or held whole for a clinician, never half-filed, never filed twice, and never
attached to a patient it does not match safely (record number and date of birth, the family
name as a check)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Clinic, Patient

from ..interop import fhir_in, hl7v2
from ..models import InboundMessage, InboundStatus, LabCodeMapping, LabTest
from .labs import Entry, lab_results_store

INTERFACE_USERNAME = "lab-interface"
INTERFACE_NAME = "Laboratory interface"
LOINC_SYSTEMS = {"LN", "LOINC", "http://loinc.org"}


@dataclass(frozen=True)
class Received:
    code: str  # the HL7 acknowledgement: AA filed, AE held for review, AR refused
    text: str
    message: InboundMessage | None


def interface_user() -> User:
    """Who a result filed automatically was entered by: an account no one signs in to."""
    user, made = User.objects.get_or_create(
        username=INTERFACE_USERNAME,
        defaults={"first_name": "Laboratory", "last_name": "interface", "is_active": False},
    )
    if made:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _plain(name: str) -> str:
    letters = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in letters if c.isalnum())


def match_patient(clinic: Clinic, identity: hl7v2.Identity) -> tuple[Patient | None, str]:
    if not identity.record_numbers:
        return None, "The message gives no record number (PID-3)."
    if identity.date_of_birth is None:
        return None, "The message gives no date of birth (PID-7)."
    numbers = ", ".join(identity.record_numbers)
    found = [
        patient
        for patient in Patient.objects.filter(
            clinic=clinic, record_number__in=identity.record_numbers
        )
        if patient.date_of_birth == identity.date_of_birth
    ]
    if not found:
        return None, (
            f"No patient of this clinic has record number {numbers} and date of birth "
            f"{identity.date_of_birth:%-d %b %Y}."
        )
    if len(found) > 1:
        return None, f"More than one patient matches record number {numbers}."
    patient = found[0]
    if identity.family_name and _plain(identity.family_name) != _plain(patient.family_name):
        return None, (
            f"Record number and date of birth match {patient.full_name}, but the family name "
            f"sent is “{identity.family_name}”."
        )
    return patient, ""


def lab_entries(clinic: Clinic, lab: hl7v2.LabMessage) -> tuple[list[Entry], list[str]]:
    """Each result as an entry of the catalogue, by its LOINC code or the laboratory's own code
    (the clinic's mapping table), or why it cannot be."""
    tests = list(LabTest.objects.all())
    by_loinc = {code: test for test in tests for code in test.loinc_codes}
    mapped = {
        (m.sender, m.code): m.test
        for m in LabCodeMapping.objects.filter(clinic=clinic).select_related("test")
    }
    entries: list[Entry] = []
    problems: list[str] = []
    seen: set[str] = set()
    for result in lab.results:
        label = f"{result.name or result.code} ({result.code})"
        if result.status not in hl7v2.FINAL:
            problems.append(f"{label} is not final (status {result.status}).")
            continue
        test = by_loinc.get(result.code) if result.system in LOINC_SYSTEMS else None
        test = test or mapped.get((lab.sender, result.code)) or mapped.get(("", result.code))
        if test is None:
            problems.append(
                f"{label}: no test of the catalogue has this code; a clinic admin can map the "
                "laboratory's code in the admin."
            )
            continue
        if test.code in seen:
            problems.append(f"{test.name} comes twice in one message.")
            continue
        seen.add(test.code)
        if test.qualitative:
            answer = hl7v2.qualitative(result.text)
            if not answer:
                problems.append(f"{test.name}: “{result.text}” is not positive or negative.")
                continue
            entries.append(Entry(test.code, qualitative=answer))
        elif result.value is None:
            problems.append(f"{test.name}: “{result.text}” is not a number.")
        else:
            entries.append(
                Entry(
                    test.code,
                    value=result.value,
                    unit=result.unit,
                    lab_low=result.low,
                    lab_high=result.high,
                )
            )
    return entries, problems


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages in error.message_dict.values() for m in messages]
    return list(error.messages)


def _file(
    *, patient: Patient, lab: hl7v2.LabMessage, entries: list[Entry], by: User, now: datetime
) -> int:
    saved = lab_results_store(
        patient=patient,
        entries=entries,
        collected_on=lab.collected_on,
        by=by,
        today=timezone.localdate(now, patient.clinic.zone),
        notes=f"From {lab.sender or 'the laboratory'}, message {lab.control_id}.",
    )
    return len(saved)


def _again(existing: InboundMessage) -> Received:
    text = {
        InboundStatus.FILED: "Already received and filed; nothing new stored.",
        InboundStatus.REVIEW: "Already received and held for review; nothing new stored.",
        InboundStatus.REJECTED: "Already received and rejected by the clinic.",
    }[InboundStatus(existing.status)]
    return Received("AA" if existing.status == InboundStatus.FILED else "AE", text, existing)


def lab_of(message: InboundMessage) -> hl7v2.LabMessage:
    """What a stored message says, read again by the reader of its kind."""
    if message.channel == "fhir":
        return fhir_in.read(message.raw, sender=message.sender)[0]
    return hl7v2.read(message.raw)[1]


def hl7_receive(*, clinic: Clinic, raw: str, channel: str, now: datetime) -> Received:
    """One ORU^R01: filed (AA), held whole for review with the reason (AE), or refused
    unread (AR). The same control id again stores nothing."""
    try:
        _, lab = hl7v2.read(raw)
    except hl7v2.Unreadable as error:
        return Received("AR", str(error), None)
    return _receive_once(clinic=clinic, raw=raw, lab=lab, channel=channel, now=now)


def fhir_receive(*, clinic: Clinic, raw: str, sender: str, now: datetime) -> Received:
    """A Bundle of Observations or a DiagnosticReport, through the same checks; it may name
    one of our patients directly (Patient/<id>, as read from our API) instead of sending
    their identity."""
    try:
        lab, ours = fhir_in.read(raw, sender=sender)
    except hl7v2.Unreadable as error:
        return Received("AR", str(error), None)
    known: tuple[Patient | None, str] | None = None
    if ours:
        try:
            patient = Patient.objects.filter(clinic=clinic, pk=ours).first()
        except ValidationError:
            patient = None
        known = (patient, "" if patient else f"Patient/{ours} is not a patient of this clinic.")
    return _receive_once(clinic=clinic, raw=raw, lab=lab, channel="fhir", now=now, known=known)


def _receive_once(
    *,
    clinic: Clinic,
    raw: str,
    lab: hl7v2.LabMessage,
    channel: str,
    now: datetime,
    known: tuple[Patient | None, str] | None = None,
) -> Received:
    try:
        with transaction.atomic():
            return _receive(clinic=clinic, raw=raw, lab=lab, channel=channel, now=now, known=known)
    except IntegrityError:
        # The same message at the same moment on another connection: it won the insert.
        existing = InboundMessage.objects.get(
            clinic=clinic, sender=lab.sender, control_id=lab.control_id
        )
        return _again(existing)


def _receive(
    *,
    clinic: Clinic,
    raw: str,
    lab: hl7v2.LabMessage,
    channel: str,
    now: datetime,
    known: tuple[Patient | None, str] | None,
) -> Received:
    existing = (
        InboundMessage.objects.select_for_update()
        .filter(clinic=clinic, sender=lab.sender, control_id=lab.control_id)
        .first()
    )
    if existing is not None:
        return _again(existing)
    patient, mismatch = known or match_patient(clinic, lab.patient)
    entries, problems = lab_entries(clinic, lab)
    filed = 0
    if patient is not None and not problems:
        try:
            with transaction.atomic():
                filed = _file(
                    patient=patient, lab=lab, entries=entries, by=interface_user(), now=now
                )
        except ValidationError as error:
            problems = _messages(error)
    problem = " ".join([mismatch, *problems]).strip()
    message = InboundMessage.objects.create(
        clinic=clinic,
        channel=channel,
        sender=lab.sender,
        control_id=lab.control_id,
        raw=raw,
        received_at=now,
        status=InboundStatus.REVIEW if problem else InboundStatus.FILED,
        problem=problem,
        patient=patient,
        results=filed,
    )
    audit(
        actor=None,
        actor_name=INTERFACE_NAME,
        action=Action.CREATE,
        obj=message,
        clinic=clinic,
        patient=patient,
        summary=f"Laboratory message {lab.control_id} from {lab.sender}: "
        + (f"held for review. {problem}" if problem else f"{filed} results filed"),
    )
    if problem:
        return Received("AE", f"Held for review: {problem}", message)
    return Received("AA", f"{filed} results filed.", message)


def _open_for_review(message: InboundMessage, by: User) -> InboundMessage:
    if not works_in(by, message.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the clinic can review its laboratory messages.")
    locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != InboundStatus.REVIEW:
        raise ValidationError(f"This message is already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def inbound_match(
    *, message: InboundMessage, record_number: str, by: User, now: datetime
) -> InboundMessage:
    """A clinician attaches a held message to the patient it is for: its results are filed
    through the same checks, in their name."""
    message = _open_for_review(message, by)
    patient = Patient.objects.filter(
        clinic=message.clinic, record_number=record_number.strip()
    ).first()
    if patient is None:
        raise ValidationError({"record_number": "No patient of this clinic has that number."})
    lab = lab_of(message)
    entries, problems = lab_entries(message.clinic, lab)
    if problems:
        raise ValidationError({"record_number": problems})
    message.results = _file(patient=patient, lab=lab, entries=entries, by=by, now=now)
    message.patient = patient
    message.status = InboundStatus.FILED
    message.reviewed_by, message.reviewed_at = by, now
    message.review_reason = f"Matched to {patient.full_name} ({patient.record_number})."
    message.save()
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=message,
        patient=patient,
        summary=f"Laboratory message {message.control_id} matched: {message.results} results filed",
        changes={"status": [InboundStatus.REVIEW, InboundStatus.FILED]},
    )
    return message


@transaction.atomic
def inbound_reject(
    *, message: InboundMessage, reason: str, by: User, now: datetime
) -> InboundMessage:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the message is rejected."})
    message = _open_for_review(message, by)
    message.status = InboundStatus.REJECTED
    message.reviewed_by, message.reviewed_at = by, now
    message.review_reason = reason.strip()
    message.save()
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=message,
        clinic=message.clinic,
        summary=f"Laboratory message {message.control_id} rejected",
        changes={"status": [InboundStatus.REVIEW, InboundStatus.REJECTED]},
        reason=message.review_reason,
    )
    return message
