from django.apps import AppConfig


class B12ClinicConfig(AppConfig):
    """The project package is an app too: roles, home, health, demo data."""

    name = "b12clinic"
    verbose_name = "B12 Clinic"
