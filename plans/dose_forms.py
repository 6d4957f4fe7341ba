"""Forms for recording doses. They convert input; plans.recording decides what may be saved."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from plans.rules import sites

from .forms import DATE
from .models import NotGivenReason, Outcome, Setting, Side, Site, StockBatch

OTHER_BATCH = "other"
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _site_choices(route: str, *, blank: bool = False) -> list[tuple[str, str]]:
    allowed = sites.allowed_sites(route)
    choices = [(value, label) for value, label in Site.choices if value in allowed]
    return [("", "Not known"), *choices] if blank else choices


def _used_last(batch: StockBatch, last: StockBatch | None) -> str:
    return " · used last" if last is not None and batch.pk == last.pk else ""


class GiveForm(forms.Form):
    identity_confirmed = forms.BooleanField(
        label="I confirmed the patient's full name and date of birth (two identifiers)",
        required=False,
    )
    allergies_checked = forms.BooleanField(
        label="I checked the patient's allergies", required=False
    )
    # Site, side, batch and expiry are checked by plans.recording, whose messages say what to do.
    site = forms.ChoiceField(widget=forms.RadioSelect, required=False)
    side = forms.ChoiceField(choices=Side.choices, widget=forms.RadioSelect, required=False)
    accept_site_warning = forms.BooleanField(
        label="I accept the risk of the dorsogluteal site", required=False
    )
    batch = forms.CharField(label="Batch/lot number", max_length=40, required=False)
    expiry = forms.DateField(widget=DATE, required=False)
    given_at = forms.DateTimeField(label="Time given", widget=DATETIME)
    outcome = forms.ChoiceField(
        label="Immediate outcome",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        initial=Outcome.NONE,
    )
    allergy = forms.CharField(
        label="Allergy to add to the patient's record",
        required=False,
        max_length=200,
        help_text="Only for an allergic reaction: what they reacted to, e.g. the product name.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label="Clinician: why it is given early, or sooner than the minimum gap",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the page refuses the date: the documented clinical need.",
    )

    stock_batch = forms.ChoiceField(label="Batch", widget=forms.RadioSelect, required=False)

    def __init__(
        self,
        *args: Any,
        route: str,
        stock: list[StockBatch] | None = None,
        last_used: StockBatch | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["site"]).choices = _site_choices(route)
        self.stock = {str(b.pk): b for b in stock or []}
        if self.stock:
            cast(forms.ChoiceField, self.fields["stock_batch"]).choices = [
                *(
                    (pk, f"{b.batch} · expires {b.expiry:%-d %b %Y}" + _used_last(b, last_used))
                    for pk, b in self.stock.items()
                ),
                (OTHER_BATCH, "Another batch: type it below"),
            ]
            self.fields["batch"].help_text = "Only for a batch that is not in the list."
        else:
            del self.fields["stock_batch"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.stock:
            return cleaned
        choice = cleaned.get("stock_batch")
        typed = " ".join((cleaned.get("batch") or "").split())
        if not choice:
            if "stock_batch" not in self.errors:
                self.add_error(
                    "stock_batch", "Pick the batch from stock, or 'Another batch' and type it."
                )
        elif choice != OTHER_BATCH:
            chosen = self.stock[choice]
            if typed and typed.upper() != chosen.batch.upper():
                self.add_error(
                    "batch",
                    f"You picked batch {chosen.batch} from stock and typed {typed}: pick "
                    "'Another batch' to record the one you typed.",
                )
            else:
                cleaned["batch"], cleaned["expiry"] = chosen.batch, chosen.expiry
        return cleaned

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("stock_batch", None)
        return data


class NotGivenForm(forms.Form):
    # A dose given somewhere else is given, not "not given": it has its own page (and the
    # day list its own button), so it is not offered here as a reason.
    reason = forms.ChoiceField(choices=NotGivenReason.choices, widget=forms.RadioSelect)
    detail = forms.CharField(
        label="Details",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when withheld: why.",
    )


class GivenOutsideForm(forms.Form):
    setting = forms.ChoiceField(
        label="Where",
        choices=[(Setting.HOME.value, "At home"), (Setting.ELSEWHERE.value, "Elsewhere")],
        widget=forms.RadioSelect,
        initial=Setting.HOME,
    )
    given_on = forms.DateField(label="Date given", widget=DATE)
    given_by_name = forms.CharField(
        label="Given by", required=False, max_length=100, help_text="e.g. self, carer, GP."
    )
    site = forms.ChoiceField(required=False)
    side = forms.ChoiceField(choices=[("", "Not known"), *Side.choices], required=False)
    batch = forms.CharField(label="Batch/lot number (if known)", required=False, max_length=40)
    expiry = forms.DateField(label="Expiry (if known)", widget=DATE, required=False)
    outcome = forms.ChoiceField(
        label="Any problem afterwards", choices=Outcome.choices, initial=Outcome.NONE
    )
    allergy = forms.CharField(label="What they reacted to", required=False, max_length=200)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = GiveForm.base_fields["override_reason"]

    def __init__(self, *args: Any, route: str, patient_view: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["site"]).choices = _site_choices(route, blank=True)
        if patient_view:
            del self.fields["setting"]
            del self.fields["override_reason"]
            self.fields["given_by_name"].initial = "Self"


class CorrectForm(forms.Form):
    given_at = forms.DateTimeField(label="Time given", widget=DATETIME, required=False)
    given_on = forms.DateField(label="Date given", widget=DATE, required=False)
    site = forms.ChoiceField(required=False)
    side = forms.ChoiceField(choices=[("", "Not known"), *Side.choices], required=False)
    batch = forms.CharField(label="Batch/lot number", required=False, max_length=40)
    expiry = forms.DateField(widget=DATE, required=False)
    outcome = forms.ChoiceField(label="Immediate outcome", choices=Outcome.choices)
    allergy = forms.CharField(
        label="Allergy to add (if the outcome is now an allergic reaction)",
        required=False,
        max_length=200,
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        label="Reason for the correction", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def __init__(self, *args: Any, route: str, in_clinic: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = cast(forms.ChoiceField, self.fields["site"])
        site.choices = _site_choices(route, blank=not in_clinic)
        if in_clinic:
            del self.fields["given_on"]
            self.fields["given_at"].required = True
        else:
            del self.fields["given_at"]
            self.fields["given_on"].required = True

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("reason", "allergy"):
            data.pop(name)
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Why this record is wrong",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="For example: recorded against the wrong patient. The record stays in the "
        "history, marked void, and the dose is due again.",
    )
