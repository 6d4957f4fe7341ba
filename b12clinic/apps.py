from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The project shell: settings, home and dashboard, sign-in, health, demo data. It stands
    on every app; nothing stands on it."""

    name = "b12clinic"
    label = "shell"
    verbose_name = "B12 Clinic (project)"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .security import session_started

        user_logged_in.connect(session_started, dispatch_uid="b12clinic.session_started")
