"""Exact SMS segment counting and folding of text to the GSM 03.38 alphabet.

GSM-7 messages carry 160 septets in one segment or 153 per segment when
concatenated; UCS-2 messages carry 70 UTF-16 code units in one segment or 67
per segment.  Escape sequences (extension-table characters) and surrogate
pairs are never split across segments, so multi-part counts are computed by
walking the text rather than by dividing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["SegmentCount", "count_segments", "fold_to_gsm", "is_gsm7"]

#: GSM 03.38 default alphabet (one septet each; 0x1B escape excluded).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

#: GSM 03.38 extension table (escape + character: two septets each).
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7 = GSM7_BASIC | GSM7_EXTENSION

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67

# Typographic characters folded regardless of ``accents``.
_TYPOGRAPHIC: dict[str, str] = {
    # single quotes, apostrophes, primes, acute/grave used as apostrophes
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u00b4`\u2039\u203a", "'"),
    # double quotes, double primes, guillemets
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"'),
    # hyphens, dashes, minus sign
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    # bullets
    **dict.fromkeys("\u2022\u2023\u2043\u2219\u25e6\u25aa\u25cf\u2981", "-"),
    # spaces (tab is not in GSM-7 either)
    **dict.fromkeys(
        "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
        " ",
    ),
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    "\u00ad": "",  # soft hyphen (invisible)
    "\u2026": "...",
    "\u2024": ".",
    "\u2025": "..",
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
}

# Letters with no canonical decomposition to a GSM-7 base (``accents=True``).
_LETTERS: dict[str, str] = {
    "œ": "oe",
    "Œ": "OE",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ı": "i",
    "ĸ": "k",
    "ŀ": "l",
    "Ŀ": "L",
    "ŉ": "'n",
    "ſ": "s",
    "ĳ": "ij",
    "Ĳ": "IJ",
    "ŋ": "n",
    "Ŋ": "N",
}


@dataclass(frozen=True)
class SegmentCount:
    """Result of :func:`count_segments`.

    ``characters`` is the number of Unicode code points; ``units`` is septets
    for GSM-7 (extension characters count 2) or UTF-16 code units for UCS-2.
    """

    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Return True if every character is in the GSM-7 basic or extension table."""
    return all(ch in _GSM7 for ch in text)


def _walk(costs: list[int], single: int, multi: int) -> tuple[int, int]:
    """Return (units, segments); multi-part segments never split a character."""
    units = sum(costs)
    if units <= single:
        return units, 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return units, segments


def count_segments(text: str) -> SegmentCount:
    """Count SMS segments for ``text``, choosing GSM-7 when possible else UCS-2.

    Empty text is one GSM-7 segment of zero units.
    """
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        units, segments = _walk(costs, _GSM7_SINGLE, _GSM7_MULTI)
        return SegmentCount("GSM-7", len(text), units, segments)
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    units, segments = _walk(costs, _UCS2_SINGLE, _UCS2_MULTI)
    return SegmentCount("UCS-2", len(text), units, segments)


def _strip_accents(ch: str) -> str | None:
    """Return the GSM-7 form of a non-GSM letter, or None if it has none."""
    if ch in _LETTERS:
        return _LETTERS[ch]
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    if base and base != ch and is_gsm7(base):
        return base
    return None


def fold_to_gsm(text: str, *, accents: bool = False) -> str:
    """Replace characters outside GSM-7 with GSM-7 equivalents where meaning allows.

    The text is first NFC-normalised (so decomposed ``e`` + U+0301 becomes the
    GSM-7 ``é``).  Typographic quotes, dashes, minus, ellipsis, bullets,
    guillemets and Unicode spaces are always folded.  With ``accents=True``,
    letters not in GSM-7 lose their diacritics (``ç``→``c``, ``ã``→``a``,
    ``œ``→``oe``), while GSM-7 letters (``é``, ``ñ``, ``Ç``, ``ø``…) are kept, and
    combining marks following a GSM-7 character are dropped.  Anything else
    (Arabic, Thai, emoji…) is left unchanged.  Idempotent; GSM-7 input is
    returned unchanged.
    """
    out: list[str] = []
    last = ""  # last character emitted so far
    for ch in unicodedata.normalize("NFC", text):
        if ch in _GSM7:
            piece = ch
        elif ch in _TYPOGRAPHIC:
            piece = _TYPOGRAPHIC[ch]
        elif accents and unicodedata.combining(ch):
            # stray mark: drop it only when it decorates a GSM-7 character
            piece = "" if last in _GSM7 and last else ch
        elif accents and (folded := _strip_accents(ch)) is not None:
            piece = folded
        else:
            piece = ch
        out.append(piece)
        last = piece[-1:] or last
    # re-compose: removals (e.g. soft hyphen) can bring a base and a mark together
    return unicodedata.normalize("NFC", "".join(out))
