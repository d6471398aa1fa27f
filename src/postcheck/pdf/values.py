"""Printed values to label values: weights with decimal commas and units, amounts with currency
signs, dates, countries, categories.

Used by both the form reader (:mod:`postcheck.pdf.form`) and the text-layer reader
(:mod:`postcheck.pdf.text`).  Each function returns the value in the label's JSON form
(``"520 g"``, ``"12.83"``, ``"2022-03-01"``) or raises :class:`ValueError` with what was
expected; the readers turn that into an :class:`~postcheck.errors.InvalidLabel` problem that
names the field and where the value was printed.

>>> weight("0,480", unit="kg")
'0.480 kg'
>>> amount("1 234,50 $")
('1234.50', None)
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

__all__ = ["fold", "weight", "amount", "date", "country", "identifier", "quantity"]

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_UNIT = re.compile(r"^\s*([+-]?\d[\d\s\u00a0\u202f.,']*)\s*(kg|g|lb|lbs|oz|kilo|kilos|kilogrammes?|grammes?|grams?)?\s*$",
                   re.IGNORECASE)
_UNIT_NAMES = {"kg": "kg", "g": "g", "lb": "lb", "lbs": "lb", "oz": "oz", "kilo": "kg", "kilos": "kg",
               "kilogramme": "kg", "kilogrammes": "kg", "gramme": "g", "grammes": "g", "gram": "g", "grams": "g"}
_CURRENCY_SIGNS = {"$": None, "€": "EUR", "£": "GBP", "¥": None, "CA$": "CAD", "C$": "CAD", "US$": "USD",
                   "$ CA": "CAD", "$CA": "CAD", "$ US": "USD", "$US": "USD"}
_CODE = re.compile(r"\b([A-Z]{3})\b")


def fold(text: str) -> str:
    """Lower case, accents and typographic quotes removed, spaces collapsed: what captions are
    compared on."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'").replace("º", "°"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip().casefold()


def number(text: str) -> Decimal:
    """``"1 234,5"``, ``"1,234.5"``, ``"0,480"`` -> Decimal (a lone comma is a decimal comma)."""
    t = _SPACES.sub("", text).replace("'", "")
    if "," in t and "." in t:
        if t.rfind(",") > t.rfind("."):
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
    elif t.count(",") == 1:
        t = t.replace(",", ".")
    elif t.count(",") > 1:
        t = t.replace(",", "")
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise ValueError("a number such as 0.520 or 0,520") from None
    if not d.is_finite():
        raise ValueError("a number such as 0.520 or 0,520")
    return d


def weight(text: str, *, unit: str | None = None) -> str:
    """A printed weight as the label writes it: ``"0,480 kg"`` -> ``"0.480 kg"``; a bare number
    takes ``unit`` (from the caption, "(kg)"); ``"1 lb 2 oz"`` is kept for the unit parser."""
    t = text.strip()
    if re.fullmatch(r"\s*\d+\s*lbs?\s+\d+([.,]\d+)?\s*oz\s*", t, re.IGNORECASE):
        return t.replace(",", ".")
    m = _UNIT.match(t)
    if not m:
        raise ValueError("a weight such as 0.520 kg or 520 g")
    value = number(m.group(1))
    u = _UNIT_NAMES.get((m.group(2) or "").lower()) or unit
    if u is None:
        raise ValueError("a weight with its unit (g, kg, lb, oz); none is printed with the value or its caption")
    return f"{value:f} {u}"


def amount(text: str) -> tuple[str, str | None]:
    """A printed amount: ``"12,83 $"`` -> ``("12.83", None)``; ``"CAD 12.83"`` -> ``("12.83", "CAD")``."""
    t = text.strip()
    cur: str | None = None
    for sign in sorted(_CURRENCY_SIGNS, key=len, reverse=True):
        if sign in t:
            cur = _CURRENCY_SIGNS[sign]
            t = t.replace(sign, " ")
            break
    m = _CODE.search(t)
    if m:
        cur = m.group(1)
        t = t[:m.start()] + t[m.end():]
    t = t.strip()
    if not re.fullmatch(r"[+-]?\d[\d\s\u00a0\u202f.,']*", t):
        raise ValueError("an amount such as 12.83, 12,83 $ or CAD 12.83")
    return f"{number(t):f}", cur


def date(text: str, *, lang: str, months: dict[str, list[str]]) -> str:
    """ISO ``2022-03-01``; ``01/03/2022`` or ``01.03.2022`` day first when the caption was French
    (an English numeric date is ambiguous and refused); ``1 mars 2022``, ``March 1, 2022``."""
    t = fold(text).split("  ")[0]
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", t)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    m = re.search(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b", t)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        if lang == "fr" or a > 12:
            return dt.date(y, b, a).isoformat()
        if b > 12:
            return dt.date(y, a, b).isoformat()
        raise ValueError("a date that says which number is the day (2022-03-01); "
                         f"{text.strip()!r} under an English caption may be day/month or month/day")
    for names in months.values():
        folded = [fold(n) for n in names]
        m = re.search(r"\b(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})\b", t)
        if m and m[2] in folded:
            return dt.date(int(m[3]), folded.index(m[2]) + 1, int(m[1])).isoformat()
        m = re.search(r"\b([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b", t)
        if m and m[1] in folded:
            return dt.date(int(m[3]), folded.index(m[1]) + 1, int(m[2])).isoformat()
    raise ValueError("a date such as 2022-03-01")


def country(text: str, *, names: dict[str, str]) -> str:
    """ISO code from ``"CA"``, ``"Canada"``, ``"États-Unis"`` (caption data), or an English name."""
    t = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", t):
        return t.upper()
    key = fold(t)
    for name, code in names.items():
        if fold(name) == key:
            return code
    import pycountry

    try:
        return pycountry.countries.lookup(t).alpha_2
    except LookupError:
        raise ValueError("a country (ISO code such as CA, or its name)") from None


def identifier(text: str) -> str:
    """A tracking number as printed in groups: ``"RR 473 124 829 CA"`` -> ``"RR473124829CA"``."""
    t = _SPACES.sub(" ", text).strip()
    if re.fullmatch(r"[A-Za-z]{2}(?: ?\d){9} ?[A-Za-z]{2}", t):
        return t.replace(" ", "").upper()
    return t


def quantity(text: str) -> int:
    d = number(text)
    if d != d.to_integral_value() or d < 1:
        raise ValueError("a whole number of pieces, 1 or more")
    return int(d)
