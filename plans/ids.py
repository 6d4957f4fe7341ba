import os
import time
import uuid


def _ordered_int() -> int:
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | random_bits & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    return (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant


def ordered_uuid() -> uuid.UUID:
    """A UUIDv7-style id: millisecond time first, then 74 random bits.

    Still opaque and unguessable in a URL, but new rows land at the end of the primary-key
    index instead of at random pages, which keeps bulk inserts of doses fast on a large table.
    """
    return uuid.UUID(int=_ordered_int())


def ordered_uuid_text() -> str:
    """`str(ordered_uuid())` without the UUID object, for bulk COPY text of many rows."""
    h = f"{_ordered_int():032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
