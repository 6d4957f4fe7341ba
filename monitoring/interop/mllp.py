"""The HL7 v2 listener: laboratories open a TCP connection and send ORU^R01 messages in MLLP
frames; each is answered with its ACK once it is filed or held (`manage.py hl7_listen`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from django.utils import timezone
from hl7.mllp import start_hl7_server

from b12clinic.core.models import Clinic

from ..services.inbound import hl7_receive
from . import hl7v2

log = logging.getLogger(__name__)


def answer(clinic_id: Any, raw: str) -> str:
    """One message in, its ACK out; the database work runs here, off the event loop."""
    close_old_connections()
    try:
        clinic = Clinic.objects.get(pk=clinic_id)
        received = hl7_receive(clinic=clinic, raw=raw, channel="mllp", now=timezone.now())
        control_id = received.message.control_id if received.message else ""
        log.info("HL7 %s %s: %s", control_id or "(unread)", received.code, received.text)
        return hl7v2.ack(raw, code=received.code, text=received.text, control_id=f"A{control_id}")
    except Exception:
        log.exception("An HL7 message could not be handled")
        return hl7v2.ack(
            raw, code="AE", text="The clinic could not file it now; send it again.", control_id=""
        )
    finally:
        close_old_connections()


async def serve(
    *,
    clinic_id: Any,
    host: str,
    port: int,
    ready: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    respond = sync_to_async(answer, thread_sensitive=True)

    async def connection(reader: Any, writer: Any) -> None:
        try:
            while True:
                block = await reader.readblock()
                raw = block.decode("utf-8", errors="replace")
                reply = await respond(clinic_id, raw)
                writer.writeblock(reply.encode("utf-8"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await start_hl7_server(connection, host=host, port=port)
    bound = server.sockets[0].getsockname()[1]
    log.info("Listening for HL7 v2 (MLLP) on %s:%s", host, bound)
    if ready is not None:
        ready(bound)
    try:
        async with server:
            if stop is None:
                await server.serve_forever()
            else:
                await stop.wait()
    finally:
        # The database connection lives in the thread the messages were filed in.
        await sync_to_async(connections.close_all, thread_sensitive=True)()


@contextmanager
def listening(*, clinic_id: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """The listener in a thread of its own, for as long as the block runs; yields its port
    (port 0 takes a free one). For tests and benchmarks: `hl7_listen` runs it as a process."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    bound: list[int] = []

    def started(number: int) -> None:
        bound.append(number)
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(
            serve(
                clinic_id=clinic_id,
                host=host,
                port=port,
                ready=started,
                stop=stop,
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("The HL7 listener did not start.")
    try:
        yield bound[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
