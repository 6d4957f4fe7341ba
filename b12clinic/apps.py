from django.apps import AppConfig


class B12ClinicConfig(AppConfig):
    """The project package is an app too: roles, home, health, demo data."""

    name = "b12clinic"
    verbose_name = "B12 Clinic"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed

        from .access import forget_roles
        from .security import session_started

        user_logged_in.connect(session_started, dispatch_uid="b12clinic.session_started")
        m2m_changed.connect(
            forget_roles, sender=User.groups.through, dispatch_uid="b12clinic.forget_roles"
        )
