from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from b12clinic.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed


class Command(BaseCommand):
    help = "Create the demo clinic and one user per role (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Seed even with DEBUG off. The demo users have a published password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "Refusing to create demo users with a published password while DEBUG is off; "
                "pass --allow-without-debug if this really is a demo system."
            )
        summary = demo_seed()
        self.stdout.write(f"Demo clinic: {summary.clinic.name}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            note = " (new)" if demo.username in summary.created else ""
            self.stdout.write(f"  {demo.username:<10} {demo.role}{note}")
