"""The FHIR R4 API, read-only: another system of a clinic reads with that clinic's API token
(`Authorization: Bearer b12_…`); a clinician signed in to the app reads their own clinics'
patients (the "Download FHIR" link). Every answer is `application/fhir+json`, every error an
`OperationOutcome`, and every read of a patient is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from fhir.resources.R4B.resource import Resource

from b12clinic.core.access import Reader, user_roles
from b12clinic.core.audit import audit_read
from b12clinic.core.clientip import client_ip
from b12clinic.core.models import Action, ApiToken, Patient, hash_secret
from b12clinic.core.roles import CLINICIAN
from plans.access import get_patient_for_reader, patients_for_reader
from plans.sharing import bad_token_seen, guessing

from ..services import inbound
from . import fhir, fhir_bundles
from .fhir_codes import MEDIA_TYPE

SEARCH_LIMIT = 50


def respond(resource: Resource, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        resource.model_dump_json(exclude_none=True),
        status=status,
        content_type=f"{MEDIA_TYPE}; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def problem(status: int, code: str, text: str) -> HttpResponse:
    response = respond(fhir_bundles.outcome(code=code, text=text), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    return response


class Refused(Exception):
    def __init__(self, status: int, code: str, text: str) -> None:
        super().__init__(text)
        self.answer = problem(status, code, text)


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def reader_of(request: HttpRequest, *, now: datetime) -> Reader:
    """Who is reading: the API token in the Authorization header, or else the signed-in
    clinician. Bad tokens count against the same throttle as bad share links."""
    secret = _bearer(request)
    if secret is None:
        if request.user.is_authenticated and CLINICIAN in user_roles(request.user):
            assert isinstance(request.user, User)
            return request.user
        if request.user.is_authenticated:
            raise Refused(403, "security", "Only a clinician or a clinic's API token reads this.")
        raise Refused(401, "login", "Send the clinic's API token: Authorization: Bearer <token>.")
    ip = client_ip(request) or ""
    if guessing(ip=ip, now=now):
        raise Refused(429, "throttled", "Too many bad tokens from this address; wait a while.")
    token = (
        ApiToken.objects.select_related("clinic").filter(secret_hash=hash_secret(secret)).first()
    )
    if token is None or token.state(now) != "live":
        bad_token_seen(ip=ip, now=now)
        state = "unknown" if token is None else token.state(now)
        raise Refused(401, "login", f"The API token is {state}.")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _audit_read(request: HttpRequest, reader: Reader, *, patient: Patient, summary: str) -> None:
    """Written with the response, only if it is delivered (`DeliveredReadsMiddleware`)."""
    audit_read(
        request,
        action=Action.VIEW,
        obj=patient,
        patient=patient,
        summary=summary,
        actor_name=reader.actor_name if isinstance(reader, ApiToken) else "",
    )


FhirView = Callable[..., HttpResponse]


def fhir_view(view: Callable[..., HttpResponse]) -> FhirView:
    """GET only; who reads is decided first; a missing patient is a `not-found` outcome."""

    @require_safe
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now = timezone.now()
        try:
            reader = reader_of(request, now=now)
            return view(request, reader, now, *args, **kwargs)
        except Refused as refused:
            return refused.answer
        except Http404:
            return problem(404, "not-found", "No such resource.")

    return wrapped


@require_safe
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: open to anyone, as FHIR clients ask it before signing in."""
    return respond(fhir_bundles.capability_statement(now=timezone.now()))


@fhir_view
def patient_read(
    request: HttpRequest, reader: Reader, now: datetime, patient_id: str
) -> HttpResponse:
    record = get_patient_for_reader(reader, patient_id)
    _audit_read(request, reader, patient=record, summary="FHIR: Patient read")
    return respond(fhir.patient(record))


@fhir_view
def patient_everything(
    request: HttpRequest, reader: Reader, now: datetime, patient_id: str
) -> HttpResponse:
    record = get_patient_for_reader(reader, patient_id)
    _audit_read(request, reader, patient=record, summary="FHIR: Patient $everything")
    response = respond(fhir_bundles.everything(record, now=now))
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{record.record_number}-fhir.json"'
    return response


@fhir_view
def patient_search(request: HttpRequest, reader: Reader, now: datetime) -> HttpResponse:
    unknown = sorted(set(request.GET) - {"identifier", "_format"})
    if unknown:
        raise Refused(400, "not-supported", f"Search by identifier only, not {', '.join(unknown)}.")
    identifier = request.GET.get("identifier", "")
    system, bar, value = identifier.rpartition("|")
    if not bar or not value:
        raise Refused(400, "invalid", "Give identifier=<system>|<record number>.")
    found = patients_for_reader(reader).filter(record_number=value)
    if system:
        clinic_id = system.removeprefix("urn:uuid:")
        if clinic_id == system:
            found = found.none()
        else:
            try:
                found = found.filter(clinic_id=clinic_id)
            except ValidationError:
                found = found.none()
    matches = list(found.order_by("clinic__name")[:SEARCH_LIMIT])
    for record in matches:
        _audit_read(request, reader, patient=record, summary="FHIR: Patient found by identifier")
    return respond(fhir_bundles.search_bundle(matches, now=now))


MAX_BODY_BYTES = 5_000_000


@csrf_exempt  # a machine's POST with its token, never a browser's session
@require_POST
def results_in(request: HttpRequest) -> HttpResponse:
    """`POST /fhir/Bundle` (Observations, with their Patient or a reference to ours) or
    `POST /fhir/DiagnosticReport` (Observations contained): laboratory results in, with the
    clinic's API token. 200 filed, 202 held for review, 400 not read, each an
    OperationOutcome saying why."""
    now = timezone.now()
    if _bearer(request) is None:
        return problem(401, "login", "Send the clinic's API token: Authorization: Bearer <token>.")
    try:
        reader = reader_of(request, now=now)
    except Refused as refused:
        return refused.answer
    assert isinstance(reader, ApiToken)
    if len(request.body) > MAX_BODY_BYTES:
        return problem(413, "too-costly", "Send at most 5 MB at a time.")
    received = inbound.fhir_receive(
        clinic=reader.clinic,
        raw=request.body.decode("utf-8", errors="replace"),
        sender=f"FHIR {reader.name}",
        now=now,
    )
    if received.code == "AA":
        return respond(
            fhir_bundles.outcome(code="informational", text=received.text, severity="information")
        )
    if received.code == "AE":
        return respond(
            fhir_bundles.outcome(code="business-rule", text=received.text, severity="warning"),
            status=202,
        )
    return problem(400, "invalid", received.text)
