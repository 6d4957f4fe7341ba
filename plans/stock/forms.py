"""Forms for the stock page: they convert input; plans.stock.services decides what is kept."""

from __future__ import annotations

from django import forms

from b12clinic.core.models import Product

from ..forms import DATE, ClinicChoiceForm


class StockBatchForm(ClinicChoiceForm):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True), empty_label="Choose the product"
    )
    batch = forms.CharField(
        label="Batch/lot number", max_length=40, help_text="As printed on the box."
    )
    expiry = forms.DateField(widget=DATE)
    received_on = forms.DateField(label="Date received", widget=DATE)
    quantity = forms.IntegerField(
        label="Ampoules received", required=False, min_value=1, help_text="If known."
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why it is taken out of stock",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: used up, expired, damaged, recalled.",
    )
