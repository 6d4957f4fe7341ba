"""Patients' phone numbers in E.164, read in their clinic's country (GB until a clinic says
otherwise). A number that cannot be read at all (the old check let through "------") cannot
take a text either: it is cleared and text reminders are turned off for that patient."""

import django.core.validators
import phonenumbers
from django.conf import settings
from django.db import migrations, models

import b12clinic.core.phones

E164 = r"^\+[1-9][0-9]{6,14}$"


def to_e164(apps, schema_editor):
    import re

    Patient = apps.get_model("b12clinic", "Patient")
    for patient in Patient.objects.exclude(phone="").select_related("clinic").iterator():
        try:
            number = phonenumbers.parse(patient.phone, patient.clinic.country)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            e164 = ""
        if not re.match(E164, e164):
            e164 = ""
        patient.phone = e164
        patient.reminder_sms = patient.reminder_sms and bool(e164)
        patient.save(update_fields=["phone", "reminder_sms"])
    Patient.objects.filter(phone="", reminder_sms=True).update(reminder_sms=False)


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0011_clinics_patients_products_join_the_kernel"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="clinic",
            name="country",
            field=models.CharField(
                default="GB",
                help_text="Two letters (GB, IE, US): patients' phone numbers are read as dialled here.",
                max_length=2,
                validators=[b12clinic.core.phones.validate_country],
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="phone",
            field=models.CharField(
                blank=True,
                help_text="As you would dial it; a number from abroad with its country code.",
                max_length=20,
                validators=[
                    django.core.validators.RegexValidator(
                        "^\\+[1-9][0-9]{6,14}$",
                        "Enter the number in international form, e.g. +447700900123.",
                    )
                ],
                verbose_name="mobile number",
            ),
        ),
        migrations.RunPython(to_e164, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("phone", ""), ("phone__regex", "^\\+[1-9][0-9]{6,14}$"), _connector="OR"
                ),
                name="patient_phone_e164",
                violation_error_message="The phone number is not in international (E.164) form.",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("reminder_sms", False), models.Q(("phone", ""), _negated=True), _connector="OR"
                ),
                name="patient_texts_need_a_number",
                violation_error_message="Text message reminders need a mobile number.",
            ),
        ),
    ]
