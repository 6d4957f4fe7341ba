from django.apps import AppConfig


class PlansConfig(AppConfig):
    """What is prescribed and given: clinics, patients, plans, doses, administrations."""

    name = "plans"
    verbose_name = "Plans and injections"

    def ready(self) -> None:
        from .day_cache import connect

        connect()
