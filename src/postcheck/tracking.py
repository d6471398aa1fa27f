"""Tracking-number formats: what a parcel or shipment identifier looks like, carrier by carrier.

A reader takes a printed number as a tracking number only when it has the shape of one, and,
where the format has a check digit, when the check digit is right:

- **UPU S10** (``RR473124829CA``): 2 letters, 8 digits, a check digit, a country code
  (:mod:`postcheck.identifiers`).
- **USPS IMpb** (``9234 6903 6198 0900 0001 42``): 20 to 22 digits (or 420 + ZIP + that), GS1
  mod-10 check digit.  USPS Publication 199.
- **UPS** (``1Z999AA10123456784``): ``1Z``, 16 letters and digits, the last a check digit.
- **FedEx** (``7489 8765 4321``): 12 or 15 digits (20/22 for SmartPost, which are IMpb),
  check digit by weights 1, 3, 7 — only after a caption (TRK#): one number in ten passes by chance.
- **DHL Express waybill** (``11 0373 3901``): 10 digits, the last the remainder of the first
  nine by 7 — only after a caption (WAYBILL, AWB).
- **GS1 mod-10 numbers** of 18 to 22 digits (SSCC, Austrian Post, DHL Paket 20 digits).
- **PostNL** (``3STOTA481113938``): ``3S``, a 4-letter customer code, 6 to 11 digits.
- **Colissimo** (``8Q 54016 03995 0``): 2 characters, 11 digits — taken only on a La Poste document.

>>> match("9234 6903 6198 0900 0001 42")
('9234690361980900000142', 'usps-impb')
>>> match("0000 0000 0000", captioned=True)
('000000000000', 'fedex')
>>> match("11 0373 3901", captioned=True)
('1103733901', 'dhl-express')
>>> match("Numéro de repérage") is None
True
"""

from __future__ import annotations

import re

__all__ = ["match", "gs1_check_digit", "compact"]

_SPACES = re.compile(r"[\s\u00a0\u202f-]+")


def compact(text: str) -> str:
    """Spaces, dashes and Code 39's start/stop asterisks removed; upper case."""
    return _SPACES.sub("", text.strip().strip("*")).upper()


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10: weights 3 and 1 from the right, over the digits before the check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def _fedex_ok(d: str) -> bool:
    if len(d) == 12:
        body, check = d[:11], int(d[11])
        s = sum(int(c) * (1, 3, 7)[i % 3] for i, c in enumerate(reversed(body)))
        return s % 11 % 10 == check
    if len(d) == 15:
        return gs1_check_digit(d[:14]) == int(d[14])
    return False


def _ups_ok(t: str) -> bool:
    body = t[2:17]
    total = 0
    for i, ch in enumerate(body):
        v = int(ch) if ch.isdigit() else (ord(ch) - 63) % 10
        total += v * (2 if i % 2 else 1)
    return (10 - total % 10) % 10 == int(t[17]) if t[17].isdigit() else False


def match(text: str, *, operator: str | None = None, captioned: bool = False) -> tuple[str, str] | None:
    """``(number, format)`` when ``text`` is a tracking number of a known format, else None.

    ``captioned`` (printed after a tracking-number caption) also admits a carrier's plain number
    of 10 to 30 digits, which many carriers print without a check digit postcheck knows.
    """
    t = compact(text)
    if not t or len(t) > 40:
        return None
    from postcheck.identifiers import s10_problems

    if re.fullmatch(r"[A-Z]{2}\d{9}[A-Z]{2}", t) and not s10_problems(t):
        return t, "s10"
    if re.fullmatch(r"1Z[0-9A-Z]{16}", t) and _ups_ok(t):
        return t, "ups"
    if re.fullmatch(r"3S[A-Z]{4}\d{6,11}", t):
        return t, "postnl"
    if operator == "la-poste" and re.fullmatch(r"(?:\d[A-Z]|[A-Z][0-9A-Z])\d{11}", t):
        return t, "colissimo"
    if not t.isdigit():
        # after a caption, a carrier's own letters-and-digits number ("Waybill Number: 0FH344CYNWP")
        if captioned and re.fullmatch(r"(?=(?:\D*\d){3})(?=.*[A-Z])[A-Z0-9]{10,30}", t):
            return t, "captioned"
        return None
    if len(t) in (20, 22) and t[0] == "9" and gs1_check_digit(t[:-1]) == int(t[-1]):
        return t, "usps-impb"
    if re.fullmatch(r"420\d{5}(?:\d{4})?9\d{19,21}", t):
        rest = t[8:] if len(t) in (28, 30) and t[8] == "9" else t[12:]
        if gs1_check_digit(rest[:-1]) == int(rest[-1]):
            return rest, "usps-impb"
    if 18 <= len(t) <= 22 and gs1_check_digit(t[:-1]) == int(t[-1]):
        return t, "gs1"
    if not captioned:  # short numbers pass a check digit by chance too often to be taken uncaptioned
        return None
    if len(t) in (12, 15) and _fedex_ok(t):
        return t, "fedex"
    if len(t) == 10 and int(t[:9]) % 7 == int(t[9]):
        return t, "dhl-express"
    if 10 <= len(t) <= 30:
        return t, "captioned"
    return None
