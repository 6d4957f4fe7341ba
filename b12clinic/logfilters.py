"""Log filters for the console."""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    """A refused request (403) is an ordinary event: one line, not Django's traceback of the
    PermissionDenied that made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
