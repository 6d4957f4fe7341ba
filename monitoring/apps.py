from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """What is measured and followed up: labs, rechecks, assessment, alerts, reminders."""

    name = "monitoring"
    verbose_name = "Monitoring and reminders"

    def ready(self) -> None:
        from . import hooks
        from .reminders import hooks as reminder_hooks
        from .reminders import tasks  # noqa: F401  (registers the reminder tasks with Celery)

        # Monitoring first: a new plan's rechecks exist before its reminders are planned, and an
        # ended plan's rechecks are cancelled before its reminders are.
        hooks.connect()
        reminder_hooks.connect()
