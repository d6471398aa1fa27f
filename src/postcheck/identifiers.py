"""UPU S10 item identifiers (tracking numbers) such as ``RB123456785GB``.

Format: two letters (service indicator), eight digits (serial), one check digit, two letters
(ISO 3166-1 alpha-2 code of the issuing postal operator's country).  The check digit: weights
8 6 4 2 3 5 9 7 over the serial, ``C = 11 - (sum mod 11)``, with 10 -> 0 and 11 -> 5.  Service
indicator ranges come from ``data/s10_service_indicators.csv`` (UPU S10; J* and K* reserved,
A A-AU and F* unassigned).  Source: UPU S10 standard as summarised in the reference data.

>>> s10_problems("RB123456785GB")
[]
>>> s10_problems("RB123456786US")
['check digit is 6, the serial 12345678 gives 5']
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

__all__ = ["s10_check_digit", "s10_problems", "normalise_s10", "service_indicator_meaning"]

_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_FORMAT = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


def normalise_s10(text: str) -> str:
    """Upper case, spaces and dashes removed."""
    return re.sub(r"[\s-]", "", text or "").upper()


def s10_check_digit(serial: str) -> int:
    """The S10 check digit of an eight-digit serial."""
    s = sum(int(d) * w for d, w in zip(serial, _WEIGHTS))
    c = 11 - s % 11
    return 0 if c == 10 else 5 if c == 11 else c


@lru_cache(maxsize=1)
def _ranges() -> list[tuple[str, str, str]]:
    text = (resources.files("postcheck") / "data" / "s10_service_indicators.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        lo, _, hi = row["range"].partition("-")
        out.append((lo, hi or lo, row["meaning"]))
    return out


def service_indicator_meaning(si: str) -> str | None:
    """What the UPU assigns a two-letter service indicator to, or None when unknown."""
    for lo, hi, meaning in _ranges():
        if lo <= si <= hi:
            return meaning
    return None


def s10_problems(identifier: str) -> list[str]:
    """Every problem with an S10 identifier; an empty list means valid."""
    from postcheck.label import is_country

    t = normalise_s10(identifier)
    m = _FORMAT.match(t)
    if not m:
        return [f"{identifier!r} is not in the S10 format AA123456789CC (2 letters, 9 digits, 2 letters)"]
    si, serial, check, country = m.groups()
    problems = []
    meaning = service_indicator_meaning(si)
    if meaning is None:
        problems.append(f"service indicator {si} is not assigned by the UPU")
    elif meaning.startswith(("reserved", "unassigned")):
        problems.append(f"service indicator {si} is {meaning.split(';')[0]}")
    expected = s10_check_digit(serial)
    if int(check) != expected:
        problems.append(f"check digit is {check}, the serial {serial} gives {expected}")
    if not is_country(country):
        problems.append(f"{country} is not an ISO 3166-1 country code")
    return problems
