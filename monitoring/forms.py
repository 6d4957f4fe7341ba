"""Forms validate and convert what was typed; the services decide what it means."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms

from monitoring.rules.catalogue import PANELS
from monitoring.rules.rechecks import RULES, Kind
from monitoring.services.labs import Entry
from plans.forms import ClinicChoiceForm

__all__ = ["ClinicChoiceForm"]

from .models import Answer, LabTest, Qualitative, SymptomCheckIn

DATE = forms.DateInput(attrs={"type": "date"})


@dataclass(frozen=True)
class Row:
    test: LabTest
    value: forms.BoundField
    unit: forms.BoundField | None
    low: forms.BoundField | None
    high: forms.BoundField | None


class LabEntryForm(forms.Form):
    """Several tests from one sample. Only the tests given a value are saved."""

    collected_on = forms.DateField(label="Collected on", widget=DATE)
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, tests: Iterable[LabTest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tests = list(tests)
        for test in self.tests:
            code = test.code
            if test.qualitative:
                self.fields[code] = forms.ChoiceField(
                    label=test.name,
                    required=False,
                    choices=[("", "—"), *Qualitative.choices],
                )
                continue
            self.fields[code] = forms.DecimalField(
                label=test.name,
                required=False,
                max_digits=14,
                decimal_places=4,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )
            self.fields[f"{code}_unit"] = forms.ChoiceField(
                label=f"{test.name} unit",
                choices=[(unit, unit) for unit in test.units],
                initial=test.unit,
                required=False,
            )
            for end in ("low", "high"):
                self.fields[f"{code}_{end}"] = forms.DecimalField(
                    label=f"{test.name} laboratory {end} limit",
                    required=False,
                    min_value=0,
                    max_digits=14,
                    decimal_places=4,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
                )

    def panels(self) -> list[tuple[str, list[Row]]]:
        by_code = {test.code: test for test in self.tests}
        shown = []
        for _key, title, codes in PANELS:
            rows = [self._row(by_code[code]) for code in codes if code in by_code]
            if rows:
                shown.append((title, rows))
        return shown

    def _row(self, test: LabTest) -> Row:
        code = test.code
        if test.qualitative:
            return Row(test, self[code], None, None, None)
        return Row(
            test, self[code], self[f"{code}_unit"], self[f"{code}_low"], self[f"{code}_high"]
        )

    def entries(self) -> list[Entry]:
        data = self.cleaned_data
        found = []
        for test in self.tests:
            code = test.code
            if test.qualitative:
                if data.get(code):
                    found.append(Entry(test=code, qualitative=data[code]))
                continue
            if data.get(code) is None:
                continue
            found.append(
                Entry(
                    test=code,
                    value=data[code],
                    unit=data.get(f"{code}_unit") or test.unit,
                    lab_low=data.get(f"{code}_low"),
                    lab_high=data.get(f"{code}_high"),
                )
            )
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.entries():
            raise forms.ValidationError("Enter at least one result.")
        return data


class VoidResultForm(forms.Form):
    reason = forms.CharField(
        label="Why is this result wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CheckInForm(forms.ModelForm):
    class Meta:
        model = SymptomCheckIn
        fields = ["on_date", *SymptomCheckIn.SYMPTOM_FIELDS, "notes"]
        labels = {"on_date": "Date"}
        widgets = {
            "on_date": DATE,
            "notes": forms.Textarea(attrs={"rows": 2}),
            **{
                name: forms.RadioSelect(attrs={"class": "answer"})
                for name in SymptomCheckIn.SYMPTOM_FIELDS
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SymptomCheckIn.SYMPTOM_FIELDS:
            cast(forms.ChoiceField, self.fields[name]).choices = Answer.choices
            self.fields[name].required = True

    def answers(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SymptomCheckIn.SYMPTOM_FIELDS}


class RecheckCancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it not needed?", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecheckAddForm(forms.Form):
    kind = forms.ChoiceField(
        label="Recheck",
        choices=[(kind.value, RULES[kind].title) for kind in Kind if kind in RULES],
    )
    due_date = forms.DateField(label="Due on", widget=DATE)

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if today is not None:
            self.fields["due_date"].initial = today


# The symptoms in the patient's words, the same six a nurse asks about.
FOR_THE_PATIENT = {
    "fatigue": "Tiredness",
    "numbness": "Numbness or tingling (pins and needles)",
    "weakness": "Weakness in your arms or legs",
    "balance": "Balance or walking",
    "vision": "Eyesight",
    "memory": "Memory or concentration",
}
ANSWERS_FOR_THE_PATIENT = [
    ("none", "I don't have it"),
    ("better", "Better"),
    ("same", "The same"),
    ("worse", "Worse"),
]


class PatientCheckInForm(forms.Form):
    """How the patient feels, told from home: each symptom since their last injection."""

    came_back = forms.TypedChoiceField(
        label="Did your symptoms come back before this injection was due?",
        choices=[("yes", "Yes, they came back before it"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=False,
    )
    notes = forms.CharField(
        label="Anything else you want your clinic to know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, ask_came_back: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in FOR_THE_PATIENT.items():
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=ANSWERS_FOR_THE_PATIENT,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose one of the four answers."},
            )
        self.order_fields([*FOR_THE_PATIENT, "came_back", "notes"])
        self.ask_came_back = ask_came_back
        if ask_came_back:
            self.fields["came_back"].required = True
            self.fields["came_back"].error_messages["required"] = "Choose yes or no."
        else:
            del self.fields["came_back"]

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FOR_THE_PATIENT]

    def answers(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in FOR_THE_PATIENT}

    def came_back_answer(self) -> bool | None:
        return self.cleaned_data.get("came_back") if self.ask_came_back else None
