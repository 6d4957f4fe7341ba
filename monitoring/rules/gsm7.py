"""Text messages in the GSM 03.38 alphabet: what fits in one SMS segment.

A message of GSM-7 characters fits 160 septets in one segment; the extension characters
(€ [ ] { } ^ ~ | \\ and form feed) take two. One character outside the alphabet (an en dash, a
curly quote) switches the whole message to UCS-2: 70 characters a segment, so a reminder runs
to three. `to_gsm7` writes any text in the alphabet, by the nearest plain letter where there
is one.
"""

from __future__ import annotations

import unicodedata

SEGMENT_SEPTETS = 160

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = frozenset("\f^{}\\[~]|€")

# What phones and word processors put in that GSM-7 lacks, by its plain equivalent.
_PLAIN = {
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2012": "-",
    "\u2212": "-",  # minus sign
    "\u2010": "-",
    "\u2011": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2026": "...",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",
    "\u2009": " ",
    "\t": " ",
    "\u00b7": "-",
    "\u2022": "-",
    "`": "'",
    "\u00b5": "u",  # micro sign, as in µg
    "\u03bc": "u",
}


def is_gsm7(text: str) -> bool:
    return all(c in BASIC or c in EXTENDED for c in text)


def septets(text: str) -> int:
    """The length in septets, for text that is all GSM-7."""
    return sum(2 if c in EXTENDED else 1 for c in text)


def segments(text: str) -> int:
    """How many SMS segments the text takes: 160/153 septets each in GSM-7, 70/67 UCS-2
    characters (counted in UTF-16 units) otherwise."""
    if is_gsm7(text):
        length, single, multi = septets(text), 160, 153
    else:
        length, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


def to_gsm7(text: str) -> str:
    """The text in the GSM-7 alphabet: dashes and quotes made plain, accents the alphabet lacks
    taken off (ł stays a letter, an emoji goes)."""
    out: list[str] = []
    for char in text:
        if char in BASIC or char in EXTENDED:
            out.append(char)
            continue
        if char in _PLAIN:
            out.append(_PLAIN[char])
            continue
        plain = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if not unicodedata.combining(c) and (c in BASIC or c in EXTENDED)
        )
        out.append(plain or _stand_in(char))
    return "".join(out)


def _stand_in(char: str) -> str:
    name = unicodedata.name(char, "")
    if "LETTER" in name:
        # A letter with no plain form (ł, đ, ı): its base letter from the name.
        # Some names end in the word ("LIMBU VOWEL-CARRIER LETTER"): no base letter then.
        base = name.partition("LETTER ")[2].split(" ", 1)[0]
        if len(base) == 1 and base.isalpha():
            return base if "CAPITAL" in name else base.lower()
    if unicodedata.category(char).startswith("Z"):
        return " "
    return ""


def fit(text: str, limit: int) -> str:
    """The longest start of `text` (GSM-7) within `limit` septets, cut at a word where one is
    near, without a dangling space."""
    if septets(text) <= limit:
        return text
    cut: list[str] = []
    used = 0
    for char in text:
        width = 2 if char in EXTENDED else 1
        if used + width > limit:
            break
        cut.append(char)
        used += width
    short = "".join(cut)
    space = short.rfind(" ")
    if space >= len(short) * 2 // 3:
        short = short[:space]
    return short.rstrip(" ,.-:;(")
