import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from b12clinic.core.audit_verify import verify_chains


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chains, one per clinic, in parallel: each from its signed "
        "checkpoint (the last row verified), or all of it with --full. Reports the first broken "
        "link of each chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Walk every row again.")
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Chains checked at once, each in its own process.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        reports = verify_chains(full=options["full"], jobs=options["jobs"])
        elapsed = time.monotonic() - started
        broken = [r for r in reports if r.broken is not None]
        for report in reports:
            if report.note:
                self.stderr.write(f"Chain {report.chain or '(before the cut-over)'}: {report.note}")
        if broken:
            raise CommandError(
                " ".join(
                    f"Audit trail broken at row {r.broken.id}: {r.broken.why} "  # type: ignore[union-attr]
                    f"({r.total} rows before it on chain {r.chain or '(before the cut-over)'} "
                    "are intact)."
                    for r in broken
                )
            )
        checked = sum(r.checked for r in reports)
        total = sum(r.total for r in reports)
        self.stdout.write(
            f"Audit trail intact: {checked} rows checked, {total} in all, on {len(reports)} "
            f"chain(s), in {elapsed:.1f} s."
        )
