from tests.plans.conftest import cyano, hydroxo, patient
from tests.reminders.conftest import inbox, smtp_settings

__all__ = ["cyano", "hydroxo", "inbox", "patient", "smtp_settings"]
