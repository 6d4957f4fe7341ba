from typing import Any

from django.core.management.base import BaseCommand, CommandError

from b12clinic.core.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at row {broken.id}: {broken.why} "
                f"({checked} rows before it are intact)."
            )
        self.stdout.write(f"Audit trail intact: {checked} rows checked.")
