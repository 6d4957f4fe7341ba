"""Phone numbers: read as the clinic's staff type them, in the clinic's country, and kept in
E.164 (+447700900123), the one form SMS gateways take."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
E164 = RegexValidator(E164_PATTERN, "Enter the number in international form, e.g. +447700900123.")
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


def validate_country(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(
            f"“{value}” is not a country code we know: use two capital letters, e.g. GB, IE, US."
        )


def _example(country: str) -> str:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return ""
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(
        example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return f" For example {national}, or {international}."


def read_phone(text: str, *, country: str, for_texts: bool = False) -> str:
    """The number in E.164, or a ValidationError that says what to type. With `for_texts`, a
    number that can only be a landline is refused: it cannot take a text message."""
    text = text.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"“{text}” could not be read as a phone number.{_example(country)}"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or country
        raise ValidationError(
            f"“{text}” is not a valid number in {where}: check the digits, or add the "
            f"country code if it is from abroad.{_example(country)}"
        )
    if for_texts and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise ValidationError(
            f"“{text}” is a landline: text message reminders need a mobile number."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown(e164: str, *, country: str) -> str:
    """As people read it: the national form at home, the international form from abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, country)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == country
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else (phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    )
    return phonenumbers.format_number(number, style)
