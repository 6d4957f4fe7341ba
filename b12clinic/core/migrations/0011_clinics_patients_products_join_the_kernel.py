"""Clinics, patients and products join the kernel (b12clinic.core), keeping their tables."""

import datetime
import uuid

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import b12clinic.core.models.clinics

MOVED = ("clinic", "patient", "product")


def content_types(app_from: str, app_to: str):
    def move(apps, schema_editor):
        # Moving the content types keeps every permission granted on these models (and the
        # admin's history of them) attached through the move.
        content_type = apps.get_model("contenttypes", "ContentType")
        permission = apps.get_model("auth", "Permission")
        for model in MOVED:
            old = content_type.objects.filter(app_label=app_from, model=model).first()
            if old is None:
                continue
            new = content_type.objects.filter(app_label=app_to, model=model).first()
            if new is None:
                old.app_label = app_to
                old.save(update_fields=["app_label"])
                continue
            # Both exist (post_migrate made the new one first): carry the grants across and
            # drop the stale type with its permissions.
            for stale in permission.objects.filter(content_type=old):
                kept = permission.objects.filter(content_type=new, codename=stale.codename).first()
                if kept is not None:
                    for group in stale.group_set.all():
                        group.permissions.add(kept)
                    for user in stale.user_set.all():
                        user.user_permissions.add(kept)
            old.delete()

    return move


move_into_the_kernel = content_types("plans", "b12clinic")
move_back = content_types("b12clinic", "plans")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("plans", "0012_bad_share_tokens"),
        ("b12clinic", "0010_audit_delete_action"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Clinic",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True)),
                (
                    "time_zone",
                    models.CharField(
                        default="Europe/London",
                        max_length=64,
                        validators=[b12clinic.core.models.clinics.validate_time_zone],
                    ),
                ),
                ("address", models.TextField(blank=True)),
                ("phone", models.CharField(blank=True, max_length=40)),
                ("email", models.EmailField(blank=True, max_length=254)),
                (
                    "open_weekdays",
                    models.CharField(
                        default="01234",
                        help_text="Days the clinic gives injections: 0 = Monday … 6 = Sunday.",
                        max_length=7,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^(?!.*(.).*\\1)[0-6]{1,7}$",
                                "Use the digits 0 (Monday) to 6 (Sunday), each at most once.",
                            )
                        ],
                    ),
                ),
                (
                    "overdue_alert_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        help_text="Alert the clinician when a neurological or pernicious-anaemia patient's injection is overdue by more than this many days.",
                    ),
                ),
                (
                    "on_time_window_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="A dose given up to this many days after its due date is on time.",
                    ),
                ),
                (
                    "recheck_serum_b12",
                    models.BooleanField(
                        default=False,
                        help_text="UK guidance advises against retesting serum B12 routinely once injections start; some clinics recheck it to confirm repletion.",
                        verbose_name="plan a serum B12 recheck",
                    ),
                ),
                (
                    "require_second_factor",
                    models.BooleanField(
                        default=False,
                        help_text="Staff must pass a one-time code (an authenticator app) after their password.",
                    ),
                ),
                (
                    "paper_size",
                    models.CharField(
                        choices=[("A4", "A4"), ("Letter", "US Letter")],
                        default="A4",
                        help_text="Page size of the written schedule.",
                        max_length=6,
                    ),
                ),
                (
                    "quiet_from",
                    models.TimeField(
                        default=datetime.time(21, 0),
                        help_text="Clinic time; held until quiet ends.",
                        verbose_name="no reminders from",
                    ),
                ),
                (
                    "quiet_until",
                    models.TimeField(
                        default=datetime.time(8, 0), verbose_name="no reminders until"
                    ),
                ),
                (
                    "overdue_reminder_days",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Remind the patient and the clinic this many days after a missed dose.",
                    ),
                ),
                (
                    "nurse_digest_hour",
                    models.PositiveSmallIntegerField(
                        default=7,
                        help_text="Nurses' morning email, clinic time.",
                        validators=[django.core.validators.MaxValueValidator(23)],
                    ),
                ),
                (
                    "clinician_digest_hour",
                    models.PositiveSmallIntegerField(
                        default=8, validators=[django.core.validators.MaxValueValidator(23)]
                    ),
                ),
                (
                    "severe_anaemia_hb",
                    models.PositiveSmallIntegerField(
                        default=80,
                        help_text="A baseline haemoglobin below this plans a potassium check within 48 hours.",
                        verbose_name="severe anaemia below (g/L)",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "staff",
                    models.ManyToManyField(
                        blank=True, related_name="clinics", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "db_table": "plans_clinic",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Patient",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "record_number",
                    models.CharField(
                        help_text="Unique within the clinic.",
                        max_length=40,
                        verbose_name="hospital/record number",
                    ),
                ),
                ("given_name", models.CharField(max_length=100)),
                ("family_name", models.CharField(max_length=100)),
                ("date_of_birth", models.DateField()),
                (
                    "sex",
                    models.CharField(
                        choices=[
                            ("female", "Female"),
                            ("male", "Male"),
                            ("other", "Other"),
                            ("unknown", "Not recorded"),
                        ],
                        default="unknown",
                        max_length=10,
                    ),
                ),
                ("email", models.EmailField(blank=True, max_length=254)),
                (
                    "phone",
                    models.CharField(
                        blank=True,
                        max_length=20,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^\\+?[0-9 ()-]{6,20}$",
                                "Enter a phone number of digits, spaces and an optional leading +.",
                            )
                        ],
                    ),
                ),
                (
                    "reminder_email",
                    models.BooleanField(default=False, verbose_name="email reminders"),
                ),
                (
                    "reminder_sms",
                    models.BooleanField(default=False, verbose_name="text message reminders"),
                ),
                (
                    "reminder_lead_days",
                    models.PositiveSmallIntegerField(
                        default=1,
                        help_text="Injection and recheck reminders are sent this many days before the date.",
                        validators=[django.core.validators.MaxValueValidator(14)],
                        verbose_name="remind this many days before",
                    ),
                ),
                (
                    "reminder_hour",
                    models.PositiveSmallIntegerField(
                        default=9,
                        help_text="Hour of the day, clinic time.",
                        validators=[django.core.validators.MaxValueValidator(23)],
                        verbose_name="remind at (hour)",
                    ),
                ),
                (
                    "reminders_opted_out_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="Set when the patient used an opt-out link.",
                        null=True,
                    ),
                ),
                ("allergies", models.TextField(blank=True)),
                (
                    "cobalt_or_b12_sensitivity",
                    models.BooleanField(default=False, verbose_name="sensitivity to cobalt or B12"),
                ),
                (
                    "leber_optic_neuropathy",
                    models.BooleanField(
                        default=False, verbose_name="Leber's hereditary optic neuropathy"
                    ),
                ),
                ("pregnant_or_breastfeeding", models.BooleanField(default=False)),
                (
                    "other_conditions",
                    models.TextField(blank=True, verbose_name="other relevant conditions"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="patients",
                        to="b12clinic.clinic",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="patient_record",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "plans_patient",
                "ordering": ["family_name", "given_name"],
            },
        ),
        migrations.CreateModel(
            name="Product",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("code", models.SlugField(max_length=60, unique=True)),
                ("generic_name", models.CharField(max_length=100)),
                (
                    "strength_mcg_per_ml",
                    models.PositiveIntegerField(verbose_name="strength (mcg per mL)"),
                ),
                (
                    "licensed_routes",
                    models.CharField(help_text="Comma-separated, e.g. IM,SC.", max_length=20),
                ),
                ("is_cyanocobalamin", models.BooleanField(default=False)),
                ("usual_min_dose_mcg", models.PositiveIntegerField(default=0)),
                ("active", models.BooleanField(default=True)),
            ],
            options={
                "db_table": "plans_product",
                "ordering": ["generic_name"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("strength_mcg_per_ml__gt", 0)),
                        name="product_strength_positive",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="clinic",
            constraint=models.CheckConstraint(
                condition=models.Q(("open_weekdays", ""), _negated=True),
                name="clinic_has_an_open_weekday",
            ),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["clinic", "family_name", "given_name"], name="patient_name_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["clinic", "date_of_birth"], name="patient_dob_idx"),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                fields=("clinic", "record_number"), name="patient_record_number_unique_in_clinic"
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("record_number", ""), _negated=True),
                    models.Q(("given_name", ""), _negated=True),
                    models.Q(("family_name", ""), _negated=True),
                ),
                name="patient_identifiers_not_blank",
            ),
        ),
    ]

    # The tables stay where they are: only Django's picture of who owns them moves.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[migrations.RunPython(move_into_the_kernel, move_back)],
        )
    ]
