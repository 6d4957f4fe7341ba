from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel every app stands on: clinics, patients, products, roles, access and audit.

    It keeps the label `b12clinic`, under which its tables, migrations and permissions were
    first made, so moving it into this package changed no database.
    """

    name = "b12clinic.core"
    label = "b12clinic"
    verbose_name = "B12 Clinic"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.db.models.signals import m2m_changed

        from .access import forget_roles

        m2m_changed.connect(
            forget_roles, sender=User.groups.through, dispatch_uid="b12clinic.forget_roles"
        )
