from django.apps import AppConfig


class B12ClinicConfig(AppConfig):
    """The project package is an app too: roles, home, health, demo data."""

    name = "b12clinic"
    verbose_name = "B12 Clinic"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .security import session_started

        user_logged_in.connect(session_started, dispatch_uid="b12clinic.session_started")
