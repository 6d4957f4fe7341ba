"""Text-message backends, chosen by the SMS_BACKEND setting, like Django's email backends."""

from __future__ import annotations

import base64
import json
import logging
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message was not accepted; the text says why, for the staff page. `retry` says
    whether trying again later can help (the gateway was down, not the number wrong)."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


class Backend(Protocol):
    def send(self, *, to: str, body: str, reference: str) -> str:
        """Send one message; return the provider's message id."""
        ...


# Where the backends lived before reminders became a package; a deployment may still name them.
_FORMER_HOME = "monitoring.sms."


def get_backend() -> Backend:
    path = settings.SMS_BACKEND
    if path.startswith(_FORMER_HOME):
        path = "monitoring.reminders.sms." + path.removeprefix(_FORMER_HOME)
    return import_string(path)()


class ConsoleBackend:
    """Development: print the message instead of sending it."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        sys.stdout.write(f"SMS to {to} ({reference}):\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()
        return f"console-{uuid.uuid4()}"


class HttpGatewayBackend:
    """A Twilio-style REST call: POST form data To/From/Body to
    `{SMS_GATEWAY_URL}/Accounts/{SMS_ACCOUNT}/Messages.json` with HTTP basic auth; the reply is
    JSON with the message `sid`, or an error `message`."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        url = (
            f"{settings.SMS_GATEWAY_URL.rstrip('/')}/Accounts/{settings.SMS_ACCOUNT}/Messages.json"
        )
        data = urllib.parse.urlencode({"To": to, "From": settings.SMS_FROM, "Body": body})
        credentials = f"{settings.SMS_ACCOUNT}:{settings.SMS_TOKEN}".encode()
        request = urllib.request.Request(
            url,
            data=data.encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {base64.b64encode(credentials).decode()}",
                # Only the headers Twilio's Messages API defines: it has no idempotency header
                # (a repeat is prevented by the outbox's claim, monitoring/reminders/delivery.py).
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT_SECONDS) as reply:
                payload = json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SmsError(
                f"SMS gateway refused the message ({error.code}): {_reason(error)}",
                retry=error.code >= 500 or error.code == 429,
            ) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(
                f"SMS gateway unreachable: {getattr(error, 'reason', error)}", retry=True
            ) from error
        except ValueError as error:
            raise SmsError("SMS gateway sent a reply that is not JSON.") from error
        sid = payload.get("sid")
        if not sid:
            raise SmsError(f"SMS gateway gave no message id: {payload.get('message', payload)}")
        return str(sid)


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(error.read() or b"{}")
    except ValueError:
        return error.reason or "no reason given"
    return str(payload.get("message") or error.reason or "no reason given")
