"""Listen for laboratory results in HL7 v2 over MLLP, for one clinic."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from b12clinic.core.models import Clinic
from monitoring.interop.mllp import serve


class Command(BaseCommand):
    help = "Receive ORU^R01 laboratory results over MLLP and answer each with its ACK."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's name or id.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2575)

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = options["clinic"]
        try:
            clinic = Clinic.objects.filter(name=wanted).first() or Clinic.objects.get(pk=wanted)
        except (Clinic.DoesNotExist, ValidationError, ValueError) as error:
            raise CommandError(f"No clinic named or numbered “{wanted}”.") from error
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        self.stdout.write(f"HL7 listener for {clinic.name} on {options['host']}:{options['port']}")
        asyncio.run(serve(clinic_id=clinic.pk, host=options["host"], port=options["port"]))
