"""Recording what happened to a dose: given in clinic, given at home or elsewhere, not given,
and corrections. One transaction per call.

Each call locks the plan row, then the dose row, so two people recording the same dose queue up
and the second is told it is already done; the unique constraint on a dose's first record is
the backstop. The rest of the plan is then re-planned from what really happened.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from b12clinic.core.access import user_roles, works_in
from b12clinic.core.audit import audit, diff, snapshot
from b12clinic.core.events import publish
from b12clinic.core.models import Action, Patient
from b12clinic.core.roles import CLINICIAN

from . import events, sites
from .materialise import doses_reconcile
from .models import (
    Administration,
    Dose,
    DoseNotGiven,
    DoseStatus,
    NotGivenReason,
    Outcome,
    Plan,
    Setting,
    Site,
)

# A tablet's clock a little ahead of the server's is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)
BATCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}$")
MAX_NOTES = 2000
CORRECTABLE = ("given_at", "given_on", "site", "side", "batch", "expiry", "outcome", "notes")


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str | None, message: str) -> None:
        self.by_field.setdefault(field or NON_FIELD_ERRORS, []).append(message)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


AUDITED_ADMINISTRATION_FIELDS = (
    "override_reason",
    "given_on",
    "given_at",
    "setting",
    "site",
    "side",
    "batch",
    "expiry",
    "outcome",
    "given_by_name",
    "notes",
)


def _who(user: User | None) -> str:
    if user is None:
        return "someone"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def _lock(dose: Dose) -> tuple[Plan, Dose]:
    plan = (
        Plan.objects.select_for_update(of=("self",))
        .select_related("current__product", "patient__clinic")
        .get(pk=dose.plan_id)
    )
    locked = Dose.objects.select_for_update(of=("self",)).select_related("phase").get(pk=dose.pk)
    return plan, locked


def _head(dose: Dose) -> Administration | None:
    """The record that is the current truth for a dose, or None if there is none."""
    return (
        Administration.objects.select_related("given_by", "recorded_by")
        .filter(dose=dose, replaced_by__isnull=True)
        .first()
    )


def _check_open(plan: Plan, dose: Dose, errors: _Errors) -> None:
    """The dose must be the plan's next open dose: recording out of order would leave the
    schedule with two doses in the same place."""
    if dose.status == DoseStatus.GIVEN:
        head = _head(dose)
        who = _who(head.given_by or head.recorded_by) if head else "someone"
        when = ""
        if head is not None and head.given_at is not None:
            when = f" at {timezone.localtime(head.given_at, plan.patient.clinic.zone):%H:%M}"
        errors.add(None, f"This dose was already recorded as given by {who}{when}.")
    elif dose.status == DoseStatus.NOT_GIVEN:
        record = DoseNotGiven.objects.select_related("recorded_by").get(dose=dose)
        errors.add(
            None,
            f"This dose was already recorded as not given ({record.get_reason_display().lower()}"
            f") by {_who(record.recorded_by)}. Refresh the list.",
        )
    elif dose.status == DoseStatus.CANCELLED:
        errors.add(None, f"This dose was cancelled ({dose.cancelled_reason}); it is not due.")
    elif not plan.is_active:
        errors.add(None, f"The plan is {plan.get_status_display().lower()}.")
    else:
        earlier = (
            plan.doses.filter(status=DoseStatus.DUE, due_date__lt=dose.due_date)
            .order_by("due_date")
            .first()
        )
        if earlier is not None:
            errors.add(
                None,
                f"An earlier dose of this plan, due {earlier.due_date:%-d %b %Y}, is still open: "
                "record that one first.",
            )


def _previous_given_on(plan: Plan, dose: Dose) -> date | None:
    previous = (
        plan.doses.filter(status=DoseStatus.GIVEN, given_on__isnull=False)
        .exclude(pk=dose.pk)
        .filter(due_date__lte=dose.due_date)
        .order_by("-given_on")
        .values_list("given_on", flat=True)
        .first()
    )
    return previous


def _next_done_on(plan: Plan, dose: Dose) -> date | None:
    later = (
        plan.doses.filter(status__in=[DoseStatus.GIVEN, DoseStatus.NOT_GIVEN])
        .exclude(pk=dose.pk)
        .filter(due_date__gt=dose.due_date)
        .order_by("due_date")
        .first()
    )
    if later is None:
        return None
    return later.given_on or later.due_date


def _check_date(
    *,
    plan: Plan,
    dose: Dose,
    given_on: date,
    today: date,
    field: str,
    errors: _Errors,
    future: bool,
) -> None:
    start = plan.version.start_date
    if future:
        errors.add(field, "The time given is in the future.")
    elif given_on < start:
        errors.add(field, f"This is before the plan started on {start:%-d %b %Y}.")
    else:
        previous = _previous_given_on(plan, dose)
        if previous is not None and given_on < previous:
            errors.add(
                field,
                f"The previous dose was given on {previous:%-d %b %Y}; this one cannot be earlier.",
            )
        later = _next_done_on(plan, dose)
        if later is not None and given_on > later:
            errors.add(
                field,
                f"A later dose was already recorded on {later:%-d %b %Y}; this one cannot be "
                "after it.",
            )
    if given_on > today and not future:
        errors.add(field, "The date given is in the future.")


def _check_timing(
    *,
    plan: Plan,
    dose: Dose,
    given_on: date,
    by: User,
    override_reason: str,
    field: str,
    errors: _Errors,
) -> list[str]:
    """Not more than the clinic's on-time window before the dose's date, and not sooner than
    its phase's minimum gap after the last injection. A clinician may record either with a
    reason; the returned warnings say what was overridden."""
    problems = []
    window = plan.patient.clinic.on_time_window_days
    earliest = dose.due_date - timedelta(days=window)
    if given_on < earliest:
        problems.append(
            f"This dose is due on {dose.due_date:%a %-d %b %Y}: more than {window} day"
            f"{'s' if window != 1 else ''} ahead. Record it from {earliest:%a %-d %b %Y}, "
            "or ask a clinician to record why it is given early."
        )
    previous = _previous_given_on(plan, dose)
    gap = dose.phase.min_interval_days
    if previous is not None and previous <= given_on < previous + timedelta(days=gap):
        problems.append(
            f"The last injection was given on {previous:%a %-d %b %Y}: this phase needs {gap} "
            f"day{'s' if gap != 1 else ''} between injections, so the earliest is "
            f"{previous + timedelta(days=gap):%a %-d %b %Y}. A clinician can record why it is "
            "needed sooner."
        )
    if not problems:
        if override_reason.strip():
            errors.add(
                "override_reason",
                "No reason is needed: the dose is within its window and its gap. Clear this "
                "box to save.",
            )
        return []
    reason = override_reason.strip()
    if reason and CLINICIAN not in user_roles(by):
        errors.add(
            "override_reason",
            "Only a clinician can record why a dose is given early or sooner than the gap.",
        )
    elif not reason:
        for problem in problems:
            errors.add(field, problem)
    elif len(reason) > MAX_NOTES:
        errors.add("override_reason", f"Keep the reason under {MAX_NOTES} characters.")
    return [f"{problem} Given anyway: {reason}" for problem in problems]


def _check_site(
    *,
    route: str,
    site: str,
    side: str,
    required: bool,
    accept_site_warning: bool,
    errors: _Errors,
) -> list[str]:
    """Field errors for the site and side; returns the warnings accepted."""
    warnings: list[str] = []
    if not site:
        if required:
            errors.add("site", "Choose the injection site.")
    elif site not in Site.values:
        errors.add("site", "Choose a site from the list.")
    elif site not in sites.allowed_sites(route):
        errors.add("site", f"{Site(site).label} is not a site for {route} injections.")
    elif site in sites.NOT_RECOMMENDED:
        if not accept_site_warning:
            errors.add(
                "site",
                "The dorsogluteal site is no longer recommended (risk to the sciatic nerve). "
                "Choose another site, or tick the box to confirm you accept the risk.",
            )
        else:
            warnings.append("Dorsogluteal site used although not recommended.")
    if not side:
        if required:
            errors.add("side", "Choose the side: left or right.")
    elif side not in sites.SIDES:
        errors.add("side", "The side is left or right.")
    return warnings


def _check_stock(
    *, batch: str, expiry: date | None, given_on: date | None, required: bool, errors: _Errors
) -> None:
    if not batch:
        if required:
            errors.add("batch", "Enter the batch or lot number printed on the vial.")
    elif not BATCH.match(batch):
        errors.add(
            "batch", "A batch number is up to 40 letters, digits, spaces, dots, dashes or /."
        )
    if expiry is None:
        if required:
            errors.add("expiry", "Enter the expiry date printed on the vial.")
    elif given_on is not None and expiry < given_on:
        errors.add(
            "expiry",
            f"This stock expired on {expiry:%-d %b %Y}. Do not use it: take an in-date vial "
            "and record its batch and expiry.",
        )


def _after_reaction(*, plan: Plan, administration: Administration, allergy: str, by: User) -> None:
    """An allergic reaction goes on the patient's record and in front of a clinician."""
    patient = Patient.objects.select_for_update().get(pk=plan.patient_id)
    entry = allergy.strip()
    if entry and entry.lower() not in patient.allergies.lower():
        patient.allergies = f"{patient.allergies.rstrip()}\n{entry}".strip()
        patient.save(update_fields=["allergies", "updated_at"])
    publish(
        events.ReactionRecorded(
            patient=patient,
            plan=plan,
            administration=administration,
            allergy=entry,
            recorded_by=_who(by),
        )
    )


def _save(record: Administration) -> Administration:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        raise ValidationError(
            "Someone else recorded this dose at the same moment. Refresh the list."
        ) from exc
    return record


def _replan(plan: Plan, today: date, why: str) -> None:
    doses_reconcile(plan=plan, today=today, cancel_reason=why)
    publish(events.DosesReplanned(plan=plan))


@transaction.atomic
def dose_record_given(
    *,
    dose: Dose,
    by: User,
    given_at: datetime,
    site: str,
    side: str,
    batch: str,
    expiry: date | None,
    identity_confirmed: bool,
    allergies_checked: bool,
    now: datetime,
    outcome: str = Outcome.NONE,
    accept_site_warning: bool = False,
    allergy: str = "",
    notes: str = "",
    override_reason: str = "",
) -> Administration:
    """An injection given in clinic by the signed-in member of staff."""
    plan, dose = _lock(dose)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("This dose belongs to a patient of another clinic.")
    zone = plan.patient.clinic.zone
    today = timezone.localtime(now, zone).date()
    given_on = timezone.localtime(given_at, zone).date()
    batch = batch.strip()
    errors = _Errors()
    _check_open(plan, dose, errors)
    if not identity_confirmed:
        errors.add(
            "identity_confirmed",
            "Confirm the patient's identity with two identifiers (name and date of birth).",
        )
    if not allergies_checked:
        errors.add("allergies_checked", "Confirm you checked the patient's allergies.")
    warnings = _check_site(
        route=plan.version.route,
        site=site,
        side=side,
        required=True,
        accept_site_warning=accept_site_warning,
        errors=errors,
    )
    _check_stock(batch=batch, expiry=expiry, given_on=given_on, required=True, errors=errors)
    _check_date(
        plan=plan,
        dose=dose,
        given_on=given_on,
        today=today,
        field="given_at",
        errors=errors,
        future=given_at > now + CLOCK_SKEW,
    )
    warnings += _check_timing(
        plan=plan,
        dose=dose,
        given_on=given_on,
        by=by,
        override_reason=override_reason,
        field="given_at",
        errors=errors,
    )
    if outcome not in Outcome.values:
        errors.add("outcome", "Choose the immediate outcome.")
    elif outcome == Outcome.ALLERGIC_REACTION and not allergy.strip():
        errors.add(
            "allergy",
            "Record what the patient reacted to: it is added to their allergies and a "
            "clinician is alerted.",
        )
    if len(notes) > MAX_NOTES:
        errors.add("notes", f"Keep the notes under {MAX_NOTES} characters.")
    errors.raise_any()

    return _save_given(
        plan=plan,
        dose=dose,
        today=today,
        allergy=allergy,
        by=by,
        record=Administration(
            setting=Setting.CLINIC,
            given_at=given_at,
            given_on=given_on,
            given_by=by,
            site=site,
            side=side,
            batch=batch,
            expiry=expiry,
            outcome=outcome,
            identity_confirmed=True,
            allergies_checked=True,
            warnings=warnings,
            notes=notes.strip(),
            override_reason=override_reason.strip(),
            recorded_by=by,
        ),
    )


def _save_given(
    *,
    plan: Plan,
    dose: Dose,
    today: date,
    record: Administration,
    allergy: str,
    by: User,
) -> Administration:
    """Save a first (or after a void, a renewed) record of a dose given, and what follows."""
    head = _head(dose)  # a voided record, if this dose was recorded before and voided
    record.dose = dose
    record.replaces = head
    record.reason = "Recorded again after the earlier record was voided." if head else ""
    _save(record)
    assert record.given_on is not None
    first = not plan.doses.filter(status=DoseStatus.GIVEN).exclude(pk=dose.pk).exists()
    _mark_given(dose, record.given_on)
    if first:
        publish(events.FirstInjectionGiven(plan=plan, given_on=record.given_on))
    if record.outcome == Outcome.ALLERGIC_REACTION:
        _after_reaction(plan=plan, administration=record, allergy=allergy, by=by)
    _replan(plan, today, f"Re-planned after the dose given on {record.given_on:%-d %b %Y}")
    audit(
        actor=by,
        action=Action.CREATE,
        obj=record,
        patient=plan.patient,
        summary=f"Dose of {dose.due_date} recorded as given on {record.given_on} "
        f"({record.setting})",
        changes=diff(
            {"status": "due"},
            {"status": "given", **snapshot(record, AUDITED_ADMINISTRATION_FIELDS)},
        ),
        reason=record.reason,
    )
    return record


def _mark_given(dose: Dose, given_on: date | None) -> None:
    dose.status = DoseStatus.GIVEN if given_on else DoseStatus.DUE
    dose.given_on = given_on
    dose.save(update_fields=["status", "given_on", "updated_at"])


def _may_record_outside(user: User, plan: Plan, setting: str) -> bool:
    if works_in(user, plan.patient.clinic):
        return True
    own = plan.patient.user_id is not None and plan.patient.user_id == user.pk
    return own and setting == Setting.HOME and plan.version.self_administered


@transaction.atomic
def dose_record_given_outside(
    *,
    dose: Dose,
    by: User,
    setting: str,
    given_on: date,
    now: datetime,
    given_by_name: str = "",
    site: str = "",
    side: str = "",
    batch: str = "",
    expiry: date | None = None,
    outcome: str = Outcome.NONE,
    allergy: str = "",
    notes: str = "",
    override_reason: str = "",
) -> Administration:
    """A dose given at home (by the patient or a carer) or elsewhere (another clinic, a GP),
    recorded afterwards by the patient or by staff on their behalf. Site and batch are kept
    when known."""
    plan, dose = _lock(dose)
    if not _may_record_outside(by, plan, setting):
        raise ValidationError("You cannot record doses for this patient.")
    today = timezone.localtime(now, plan.patient.clinic.zone).date()
    batch = batch.strip()
    errors = _Errors()
    if setting not in (Setting.HOME, Setting.ELSEWHERE):
        errors.add("setting", "Choose where it was given: at home or elsewhere.")
    _check_open(plan, dose, errors)
    warnings = _check_site(
        route=plan.version.route,
        site=site,
        side=side,
        required=False,
        accept_site_warning=True,
        errors=errors,
    )
    _check_stock(batch=batch, expiry=expiry, given_on=given_on, required=False, errors=errors)
    _check_date(
        plan=plan,
        dose=dose,
        given_on=given_on,
        today=today,
        field="given_on",
        errors=errors,
        future=False,
    )
    warnings += _check_timing(
        plan=plan,
        dose=dose,
        given_on=given_on,
        by=by,
        override_reason=override_reason,
        field="given_on",
        errors=errors,
    )
    if outcome not in Outcome.values:
        errors.add("outcome", "Choose how it went.")
    elif outcome == Outcome.ALLERGIC_REACTION and not allergy.strip():
        errors.add("allergy", "Record what the patient reacted to.")
    if len(given_by_name) > 100:
        errors.add("given_by_name", "Keep this under 100 characters.")
    if len(notes) > MAX_NOTES:
        errors.add("notes", f"Keep the notes under {MAX_NOTES} characters.")
    errors.raise_any()

    return _save_given(
        plan=plan,
        dose=dose,
        today=today,
        allergy=allergy,
        by=by,
        record=Administration(
            setting=setting,
            given_on=given_on,
            given_by_name=given_by_name.strip(),
            site=site,
            side=side,
            batch=batch,
            expiry=expiry,
            outcome=outcome,
            notes=notes.strip(),
            warnings=warnings,
            override_reason=override_reason.strip(),
            recorded_by=by,
        ),
    )


@transaction.atomic
def dose_record_not_given(
    *, dose: Dose, by: User, reason: str, now: datetime, detail: str = ""
) -> DoseNotGiven:
    """A loading dose not given is made up on the next open day; a maintenance dose stays due
    on its date (overdue) until it is given or a clinician reschedules it."""
    plan, dose = _lock(dose)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("This dose belongs to a patient of another clinic.")
    today = timezone.localtime(now, plan.patient.clinic.zone).date()
    errors = _Errors()
    _check_open(plan, dose, errors)
    if reason not in NotGivenReason.values:
        errors.add("reason", "Choose why the dose was not given.")
    elif reason == NotGivenReason.WITHHELD and not detail.strip():
        errors.add("detail", "Say why the dose was withheld.")
    if len(detail) > MAX_NOTES:
        errors.add("detail", f"Keep this under {MAX_NOTES} characters.")
    errors.raise_any()
    try:
        with transaction.atomic():
            record = DoseNotGiven.objects.create(
                dose=dose, reason=reason, detail=detail.strip(), on_date=today, recorded_by=by
            )
    except IntegrityError as exc:
        raise ValidationError(
            "Someone else recorded this dose at the same moment. Refresh the list."
        ) from exc
    dose.status = DoseStatus.NOT_GIVEN
    dose.save(update_fields=["status", "updated_at"])
    _replan(plan, today, "Re-planned after a dose was not given")
    audit(
        actor=by,
        action=Action.CREATE,
        obj=record,
        patient=plan.patient,
        summary=f"Dose of {dose.due_date} recorded as not given: {record.get_reason_display()}",
        changes={"status": ["due", "not_given"], "reason": [None, reason]},
        reason=record.detail,
    )
    return record


def _lock_head(administration: Administration) -> tuple[Plan, Dose, Administration]:
    plan, dose = _lock(administration.dose)
    head = (
        Administration.objects.select_for_update(of=("self",))
        .filter(dose=dose, replaced_by__isnull=True)
        .first()
    )
    if head is None or head.pk != administration.pk:
        raise ValidationError(
            "This record has already been corrected; open the latest version to change it."
        )
    if head.is_void:
        raise ValidationError("This record was voided; it cannot be changed.")
    return plan, dose, head


@transaction.atomic
def administration_amend(
    *,
    administration: Administration,
    by: User,
    reason: str,
    now: datetime,
    allergy: str = "",
    **changes: Any,
) -> Administration:
    """A corrected copy of the record replaces it; the original stays in the history."""
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise TypeError(f"These fields cannot be corrected: {', '.join(sorted(unknown))}")
    plan, dose, head = _lock_head(administration)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can correct this record.")
    zone = plan.patient.clinic.zone
    today = timezone.localtime(now, zone).date()
    errors = _Errors()
    if not reason.strip():
        errors.add("reason", "Say why the record is being corrected.")
    fields = {name: getattr(head, name) for name in CORRECTABLE}
    fields.update(changes)
    fields["batch"] = (fields["batch"] or "").strip()
    in_clinic = head.setting == Setting.CLINIC
    if in_clinic:
        given_at = fields["given_at"]
        fields["given_on"] = timezone.localtime(given_at, zone).date()
        future = given_at > now + CLOCK_SKEW
        date_field = "given_at"
    else:
        fields["given_at"] = None
        future = False
        date_field = "given_on"
    _check_site(
        route=plan.version.route,
        site=fields["site"],
        side=fields["side"],
        required=in_clinic,
        accept_site_warning=True,
        errors=errors,
    )
    _check_stock(
        batch=fields["batch"],
        expiry=fields["expiry"],
        given_on=fields["given_on"],
        required=in_clinic,
        errors=errors,
    )
    _check_date(
        plan=plan,
        dose=dose,
        given_on=fields["given_on"],
        today=today,
        field=date_field,
        errors=errors,
        future=future,
    )
    new_reaction = (
        fields["outcome"] == Outcome.ALLERGIC_REACTION and head.outcome != fields["outcome"]
    )
    if fields["outcome"] not in Outcome.values:
        errors.add("outcome", "Choose the immediate outcome.")
    elif new_reaction and not allergy.strip():
        errors.add("allergy", "Record what the patient reacted to.")
    if not any(fields[name] != getattr(head, name) for name in CORRECTABLE):
        errors.add(None, "Nothing was changed.")
    errors.raise_any()

    record = _save(
        Administration(
            dose=dose,
            replaces=head,
            reason=reason.strip(),
            setting=head.setting,
            given_by=head.given_by,
            given_by_name=head.given_by_name,
            identity_confirmed=head.identity_confirmed,
            allergies_checked=head.allergies_checked,
            warnings=head.warnings,
            recorded_by=by,
            **fields,
        )
    )
    if fields["given_on"] != dose.given_on:
        _mark_given(dose, fields["given_on"])
        _replan(plan, today, f"Re-planned after a correction to the dose of {dose.due_date}")
    if new_reaction:
        _after_reaction(plan=plan, administration=record, allergy=allergy, by=by)
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=record,
        patient=plan.patient,
        summary=f"Record of the dose of {dose.due_date} corrected",
        changes=diff(
            snapshot(head, AUDITED_ADMINISTRATION_FIELDS),
            snapshot(record, AUDITED_ADMINISTRATION_FIELDS),
        ),
        reason=record.reason,
    )
    return record


@transaction.atomic
def administration_void(
    *, administration: Administration, by: User, reason: str, now: datetime
) -> Administration:
    """Record that an administration did not happen: the dose is due again. Only the latest
    recorded dose of a plan can be voided; older ones can be corrected."""
    plan, dose, head = _lock_head(administration)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can void this record.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record is void."})
    if _next_done_on(plan, dose) is not None:
        raise ValidationError(
            "Later doses of this plan have been recorded since; correct this record instead."
        )
    record = _save(
        Administration(
            dose=dose,
            replaces=head,
            is_void=True,
            reason=reason.strip(),
            setting=head.setting,
            recorded_by=by,
        )
    )
    _mark_given(dose, None)
    today = timezone.localtime(now, plan.patient.clinic.zone).date()
    _replan(plan, today, "Re-planned after a recorded dose was voided")
    audit(
        actor=by,
        action=Action.VOID,
        obj=record,
        patient=plan.patient,
        summary=f"Record of the dose of {dose.due_date} voided",
        changes={"status": ["given", "due"], "replaces": [None, str(head.pk)]},
        reason=record.reason,
    )
    return record
