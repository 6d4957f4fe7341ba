"""Forms validate and convert; the services in plans.services do the saving."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import formset_factory

from b12clinic.core.medicines import ROUTE_LABELS, Route
from b12clinic.core.models import Clinic, Patient, Product
from b12clinic.core.phones import read_phone
from plans.rules import dosing, schedule
from plans.rules.regimens import CUSTOM, REGIMEN_CHOICES, REGIMENS, Regimen
from plans.services.patients import PATIENT_FIELDS
from plans.services.prescriptions import Prescription

from .models import Cause, Indication

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WEEKDAY_CHOICES = [(str(i), name) for i, name in enumerate(schedule.WEEKDAY_NAMES)]
PHASE_ROWS = 4


class PatientForm(forms.ModelForm):
    clinic = forms.ModelChoiceField(
        queryset=Clinic.objects.none(),
        empty_label="Choose the clinic…",
        help_text="You work in more than one clinic: the patient is seen at this one.",
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "date_of_birth": DATE,
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "other_conditions": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, clinics: Iterable[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinics = list(clinics)
        clinic_field = self.fields["clinic"]
        assert isinstance(clinic_field, forms.ModelChoiceField)
        clinic_field.queryset = Clinic.objects.filter(pk__in=[c.pk for c in self.clinics])
        # A new patient already has its UUID, so `pk` cannot tell new from existing.
        if not self.instance._state.adding or len(self.clinics) == 1:
            del self.fields["clinic"]
        for name in ("reminder_lead_days", "reminder_hour"):
            self.fields[name].required = False
        # Typed as dialled ("07700 900123"): clean() reads it in the clinic's country, and the
        # model then checks the E.164 form it is stored in.
        self.fields["phone"].validators = []

    def chosen_clinic(self) -> Clinic | None:
        if "clinic" in self.fields:
            return self.cleaned_data.get("clinic")
        return self.clinics[0] if self.clinics else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        clinic = self.chosen_clinic()
        phone = cleaned.get("phone")
        if cleaned.get("reminder_sms") and not phone and "phone" not in self.errors:
            self.add_error("phone", "Text message reminders need a mobile number.")
        if phone and clinic is not None:
            # Read in the clinic's country before the model checks the stored (E.164) form.
            try:
                cleaned["phone"] = read_phone(
                    phone, country=clinic.country, for_texts=bool(cleaned.get("reminder_sms"))
                )
            except ValidationError as error:
                self.add_error("phone", error)
        return cleaned

    def validate_unique(self) -> None:
        # The service checks uniqueness (with the clinic it is given) inside its transaction.
        pass

    def values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in PATIENT_FIELDS}
        for name in ("reminder_lead_days", "reminder_hour"):
            if values[name] is None:
                field = Patient._meta.get_field(name)
                assert isinstance(field, models.Field)
                values[name] = field.get_default()
        return values


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": "Name, record number or date of birth (17/04/1952)",
                "class": "form-control",
                "type": "search",
            }
        ),
    )


class PrescriptionForm(forms.Form):
    regimen = forms.ChoiceField(choices=REGIMEN_CHOICES, initial="uk_standard")
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True), empty_label=None)
    dose = forms.CharField(max_length=30, help_text="Number and unit, e.g. 1 mg, 1000 mcg or 1 mL.")
    dose_reason = forms.CharField(
        label="Reason for a dose above the usual maximum",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    route = forms.ChoiceField(choices=[(r.value, ROUTE_LABELS[r]) for r in Route])
    route_reason = forms.CharField(
        label="Reason for a route outside the product licence",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    indication = forms.ChoiceField(choices=Indication.choices, initial=Indication.DEFICIENCY)
    cause = forms.ChoiceField(choices=Cause.choices, initial=Cause.UNKNOWN)
    neurological = forms.BooleanField(label="Neurological involvement", required=False)
    self_administered = forms.BooleanField(
        label="Given at home by the patient or a carer",
        required=False,
        help_text="They record each dose themselves; the clinic still sees every dose.",
    )
    start_date = forms.DateField(widget=DATE)
    review_date = forms.DateField(widget=DATE, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        product: Product | None = cleaned.get("product")
        text = cleaned.get("dose")
        if text:
            try:
                cleaned["parsed_dose"] = dosing.parse_dose(
                    text, strength_mcg_per_ml=product.strength_mcg_per_ml if product else None
                )
            except dosing.DoseParseError as exc:
                # A dose that cannot be read safely is a field error, not a safety rule:
                # no override reason reaches it.
                self.add_error("dose", exc.message)
        return cleaned

    def dose_as_read(self) -> str:
        """ "= 1,000 micrograms = 1 mL of 1 mg/mL" for a dose read; "" otherwise."""
        data = getattr(self, "cleaned_data", {})
        dose, product = data.get("parsed_dose"), data.get("product")
        if dose is None or product is None:
            return ""
        return dosing.dose_as_read(dose, product.strength_mcg_per_ml)


class DoseReadForm(forms.Form):
    """What the prescribe page sends while the dose is typed."""

    dose = forms.CharField(max_length=30)
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True), required=False)

    def text(self) -> str:
        product: Product | None = self.cleaned_data["product"]
        strength = product.strength_mcg_per_ml if product else None
        dose = dosing.parse_dose(self.cleaned_data["dose"], strength_mcg_per_ml=strength)
        if strength is None:
            return f"= {dose.mcg:,} microgram{'' if dose.mcg == 1 else 's'}"
        return dosing.dose_as_read(dose, strength)


class AmendForm(PrescriptionForm):
    reason = forms.CharField(
        label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class PhaseForm(forms.Form):
    kind = forms.ChoiceField(
        label="Phase",
        choices=[("", "—")] + [(k.value, k.value.capitalize()) for k in schedule.PhaseKind],
        required=False,
    )
    unit = forms.ChoiceField(
        label="Interval",
        choices=[
            (schedule.IntervalUnit.DAYS.value, "every N days"),
            (schedule.IntervalUnit.WEEKDAYS.value, "on chosen weekdays"),
            (schedule.IntervalUnit.WEEKS.value, "every N weeks"),
            (schedule.IntervalUnit.MONTHS.value, "every N months"),
        ],
        required=False,
    )
    every = forms.IntegerField(label="N", min_value=1, max_value=60, required=False)
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    end_rule = forms.ChoiceField(
        label="Ends",
        choices=[
            (schedule.EndRule.AFTER_DOSES.value, "after N doses"),
            (schedule.EndRule.ON_DATE.value, "on a date"),
            (schedule.EndRule.AT_REVIEW.value, "at clinician review"),
            (schedule.EndRule.NEVER.value, "never (for life)"),
        ],
        required=False,
    )
    doses = forms.IntegerField(label="Doses", min_value=1, max_value=200, required=False)
    end_date = forms.DateField(label="End date", widget=DATE, required=False)
    min_interval_days = forms.IntegerField(
        label="Min. gap (days)", min_value=1, max_value=400, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name == "weekdays":
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.update({"class": css})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("kind"):
            return cleaned
        for name in ("unit", "end_rule"):
            if not cleaned.get(name):
                self.add_error(name, "Choose one.")
        unit = cleaned.get("unit")
        if unit and unit != schedule.IntervalUnit.WEEKDAYS and not cleaned.get("every"):
            self.add_error("every", "Give the interval.")
        if cleaned.get("end_rule") == schedule.EndRule.AFTER_DOSES and not cleaned.get("doses"):
            self.add_error("doses", "Give the number of doses.")
        if cleaned.get("end_rule") == schedule.EndRule.ON_DATE and not cleaned.get("end_date"):
            self.add_error("end_date", "Give the end date.")
        return cleaned

    def rule(self, *, start_on: date | None = None) -> schedule.PhaseRule | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        end = schedule.EndRule(data["end_rule"])
        return schedule.PhaseRule(
            kind=schedule.PhaseKind(data["kind"]),
            unit=schedule.IntervalUnit(data["unit"]),
            every=data.get("every") or 1,
            weekdays=frozenset(int(d) for d in data.get("weekdays") or ()),
            end=end,
            doses=data.get("doses") if end is schedule.EndRule.AFTER_DOSES else None,
            end_date=data.get("end_date") if end is not schedule.EndRule.AFTER_DOSES else None,
            start_on=start_on,
            min_interval_days=data.get("min_interval_days"),
        )


PhaseFormSet = formset_factory(PhaseForm, extra=0, max_num=PHASE_ROWS, absolute_max=PHASE_ROWS)


def phase_initial(rules: Iterable[schedule.PhaseRule]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "kind": rule.kind.value,
            "unit": rule.unit.value,
            "every": rule.every,
            "weekdays": [str(d) for d in sorted(rule.weekdays)],
            "end_rule": rule.end.value,
            "doses": rule.doses,
            "end_date": rule.end_date,
            "min_interval_days": rule.min_interval,
        }
        for rule in rules
    ]
    return rows + [{} for _ in range(PHASE_ROWS - len(rows))]


def regimen_initial(regimen: Regimen, *, start: date) -> dict[str, Any]:
    product = Product.objects.filter(code=regimen.product).first()
    return {
        "regimen": regimen.code,
        "product": product.pk if product else None,
        "dose": regimen.dose_text,
        "route": regimen.route,
        "neurological": regimen.neurological,
        "start_date": start,
        "review_date": regimen.review_date(start),
    }


def regimen_for(code: str | None) -> Regimen | None:
    return REGIMENS.get(code or "") if code != CUSTOM else None


def prescription_from_forms(
    form: PrescriptionForm,
    phases: Any,
    *,
    start_on: dict[int, date | None] | None = None,
) -> Prescription:
    """Both forms must be valid. Raises ValidationError for a plan with no phases."""
    data = form.cleaned_data
    rules = []
    for index, phase_form in enumerate(phases.forms):
        rule = phase_form.rule(start_on=(start_on or {}).get(index))
        if rule is not None:
            rules.append(rule)
    if not rules:
        raise ValidationError({"phases": "Add at least one phase."})
    reasons = {
        "above_max_single_dose": data.get("dose_reason", ""),
        "route_outside_licence": data.get("route_reason", ""),
    }
    return Prescription(
        regimen=data["regimen"],
        product=data["product"],
        dose=data["parsed_dose"],
        route=dosing.Route(data["route"]),
        cause=data["cause"],
        neurological=data["neurological"],
        self_administered=data.get("self_administered", False),
        indication=dosing.Indication(data["indication"]),
        start_date=data["start_date"],
        review_date=data.get("review_date"),
        phases=tuple(rules),
        reasons={code: reason for code, reason in reasons.items() if reason.strip()},
    )


def apply_errors(error: ValidationError, form: forms.BaseForm, phases: Any = None) -> None:
    """Put a service's ValidationError on the fields it names, phase rows included."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    filled = [
        row for row in (phases.forms if phases is not None else []) if row.cleaned_data.get("kind")
    ]
    for name, messages in error.message_dict.items():
        if name.startswith("phases.") and filled:
            _, index, field = name.split(".")
            field = {"end": "end_rule"}.get(field, field)
            row = filled[int(index)] if int(index) < len(filled) else None
            if row is not None and field in row.fields:
                for message in messages:
                    row.add_error(field, message)
                continue
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class StopForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("stopped", "Stop the plan"), ("completed", "Treatment completed")],
        widget=forms.RadioSelect,
        initial="stopped",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class EndLoadingForm(forms.Form):
    maintenance_start = forms.DateField(label="Start maintenance on", widget=DATE)
    next_review = forms.DateField(label="Next review", widget=DATE, required=False)


class ClinicChoiceForm(forms.Form):
    """A form for staff of several clinics, who choose one; for staff of one, the choice is
    hidden and taken as made (so a link without it still works)."""

    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clinic"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinics
        self.only = clinics.first() if clinics.count() == 1 else None
        if self.only is not None:
            field.initial, field.required, field.widget = self.only, False, forms.HiddenInput()

    def clean_clinic(self) -> Clinic | None:
        return self.cleaned_data.get("clinic") or self.only
