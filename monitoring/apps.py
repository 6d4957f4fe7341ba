from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """What is measured and followed up: labs, rechecks, assessment, alerts, reminders."""

    name = "monitoring"
    verbose_name = "Monitoring and reminders"
