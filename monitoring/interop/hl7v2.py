"""Laboratory results in HL7 v2 (`ORU^R01`, v2.5.1: MSH, PID, OBR, OBX), read with the `hl7`
library, and the acknowledgement we answer with. No Django: what a message says, not what
the clinic does with it (monitoring/services/inbound.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import hl7

# The UCUM spellings laboratories send, as the catalogue writes them.
UNITS = {"10*9/L": "10^9/L", "10*12/L": "10^12/L", "umol/L": "µmol/L", "ug/L": "µg/L"}
QUALITATIVE = {
    "pos": "positive",
    "positive": "positive",
    "detected": "positive",
    "neg": "negative",
    "negative": "negative",
    "not detected": "negative",
    "equivocal": "equivocal",
    "eqv": "equivocal",
    "borderline": "equivocal",
}
FINAL = {"F", "C"}  # final, or a correction of a final result


class Unreadable(ValueError):
    """Not an ORU^R01 we can read: answered AR and not stored."""


@dataclass(frozen=True)
class Identity:
    record_numbers: tuple[str, ...]
    date_of_birth: date | None
    family_name: str
    given_name: str


@dataclass(frozen=True)
class Result:
    code: str
    system: str  # "LN" for LOINC, else the laboratory's own coding
    name: str
    value: Decimal | None
    text: str  # a qualitative value, as sent
    unit: str
    low: Decimal | None
    high: Decimal | None
    status: str
    collected_on: date | None


@dataclass(frozen=True)
class LabMessage:
    control_id: str
    sender: str  # MSH-3 application and MSH-4 facility: whose codes the OBX use
    sent_at: datetime | None
    patient: Identity
    results: tuple[Result, ...] = field(default_factory=tuple)

    @property
    def collected_on(self) -> date | None:
        days = {r.collected_on for r in self.results if r.collected_on}
        return min(days) if days else None


def _part(segment: hl7.Segment, number: int, repeat: int = 1, component: int = 1) -> str:
    try:
        value = segment.extract_field(
            field_num=number, repeat_num=repeat, component_num=component, subcomponent_num=1
        )
    except IndexError:
        if component > 1:
            return ""
        try:
            value = segment.extract_field(field_num=number, repeat_num=repeat)
        except IndexError:
            return ""
    return str(value or "").strip()


def _day(text: str) -> date | None:
    digits = re.sub(r"\D", "", text)[:8]
    if len(digits) < 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _moment(text: str) -> datetime | None:
    digits = re.sub(r"\D", "", text.split("+")[0].split("-")[0])
    try:
        return datetime.strptime(digits[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text.strip() else None
    except InvalidOperation:
        return None


def reference_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    """OBX-7: "133-675", "> 133", "<0.40" (or nothing)."""
    text = text.strip().replace(" ", "")
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text):
        return Decimal(match[1]), Decimal(match[2])
    if match := re.fullmatch(r"(?:>|>=)(\d+(?:\.\d+)?)", text):
        return Decimal(match[1]), None
    if match := re.fullmatch(r"(?:<|<=)(\d+(?:\.\d+)?)", text):
        return None, Decimal(match[1])
    return None, None


def split_messages(text: str) -> list[str]:
    """A file of messages (MLLP-framed, or one after another): each from its MSH."""
    text = text.replace("\x0b", "").replace("\x1c", "").replace("\r\n", "\r").replace("\n", "\r")
    starts = [m.start() for m in re.finditer(r"(?:^|\r)MSH\|", text)]
    pieces = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        piece = text[start:end].strip("\r")
        if piece:
            pieces.append(piece)
    return pieces


def read(raw: str) -> tuple[hl7.Message, LabMessage]:
    text = raw.replace("\x0b", "").replace("\x1c", "").replace("\r\n", "\r").replace("\n", "\r")
    text = text.strip("\r")
    if not text.startswith("MSH|"):
        raise Unreadable("The message does not start with an MSH segment.")
    try:
        message = hl7.parse(text)
        msh = message.segment("MSH")
    except (KeyError, IndexError, ValueError) as error:
        raise Unreadable(f"The message cannot be parsed: {error}") from error
    kind = f"{_part(msh, 9, 1, 1)}^{_part(msh, 9, 1, 2)}"
    if kind != "ORU^R01":
        raise Unreadable(f"Only ORU^R01 is read here, not {kind}.")
    control_id = _part(msh, 10)
    if not control_id:
        raise Unreadable("MSH-10 (the message control id) is empty.")
    try:
        pid = message.segment("PID")
    except KeyError as error:
        raise Unreadable("The message has no PID segment.") from error
    numbers = []
    for repeat in range(1, 6):
        number = _part(pid, 3, repeat, 1)
        if number:
            numbers.append(number)
    identity = Identity(
        record_numbers=tuple(numbers),
        date_of_birth=_day(_part(pid, 7)),
        family_name=_part(pid, 5, 1, 1),
        given_name=_part(pid, 5, 1, 2),
    )
    collected = _day(_part(message.segment("OBR"), 7)) if _has(message, "OBR") else None
    results = []
    for obx in message.segments("OBX") if _has(message, "OBX") else []:
        kind_of_value = _part(obx, 2)
        value_text = _part(obx, 5, 1, 2) if kind_of_value in ("CE", "CWE") else ""
        value_text = value_text or _part(obx, 5, 1, 1)
        unit = _part(obx, 6, 1, 1)
        low, high = reference_range(_part(obx, 7))
        results.append(
            Result(
                code=_part(obx, 3, 1, 1),
                system=_part(obx, 3, 1, 3),
                name=_part(obx, 3, 1, 2),
                value=_number(value_text) if kind_of_value in ("NM", "SN", "") else None,
                text=value_text,
                unit=UNITS.get(unit, unit),
                low=low,
                high=high,
                status=_part(obx, 11) or "F",
                collected_on=_day(_part(obx, 14)) or collected,
            )
        )
    if not results:
        raise Unreadable("The message has no OBX result.")
    lab = LabMessage(
        control_id=control_id,
        sender=" ".join(p for p in (_part(msh, 3), _part(msh, 4)) if p),
        sent_at=_moment(_part(msh, 7)),
        patient=identity,
        results=tuple(results),
    )
    return message, lab


def _has(message: hl7.Message, name: str) -> bool:
    try:
        message.segment(name)
    except KeyError:
        return False
    return True


def qualitative(text: str) -> str:
    return QUALITATIVE.get(text.strip().lower(), "")


def ack(raw: str, *, code: str, text: str, control_id: str) -> str:
    """The MSA answer: AA accepted, AE held back (with why), AR refused (with why)."""
    clean = " ".join(text.split())[:200]
    try:
        message = hl7.parse(raw.replace("\n", "\r").strip("\r\x0b\x1c"))
        answer = message.create_ack(code, message_id=control_id)
        return f"{str(answer).rstrip()}|{message.escape(clean)}"
    except Exception:
        # Too broken to echo its header: answer with a minimal one of our own.
        stamp = datetime.now().strftime("%Y%m%d%H%M%S")
        return (
            f"MSH|^~\\&|B12CLINIC||||{stamp}||ACK|{control_id}|P|2.5.1\r"
            f"MSA|{code}||{clean.replace('|', '/')}"
        )
