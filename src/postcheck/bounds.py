"""Bounds on the numbers postcheck reads, checked before any arithmetic.

A :class:`~decimal.Decimal` can hold ``5e1000000`` or a 5,000-digit integer, and reading one is
cheap; multiplying it by a unit factor raises :class:`decimal.Overflow`, converting it to an
``int`` takes minutes (``1e999999999``) and printing a 5,000-digit ``int`` raises
``ValueError``.  So every number that comes in from a label, a CSV or Parquet cell, a tariff file
or an option is first checked here: finite, at most :data:`MAX_DIGITS` significant digits, and a
magnitude between ``10**-MAX_DIGITS`` and ``10**MAX_DIGITS`` (zero is zero, whatever its
exponent).  Those bounds sit far beyond any real parcel (weights stay under 10⁹ g, amounts under
10¹²) and well inside the decimal context's precision, so the arithmetic after them is exact.

Only the ASCII digits 0-9 are numbers here.  Python's ``Decimal`` and ``int`` also read
full-width (``４０``) and Arabic-Indic (``٤٠``) digits, but a customs form is filled in with
Latin digits, pyarrow's readers see only ASCII, and a label tool that writes other digits is
more likely broken than localised: such a value is refused with a message naming the field, the
same on every path (``check``, ``batch`` on either engine, PDF).

>>> bounded(Decimal("520.5"))
True
>>> bounded(Decimal("5e1000000")), bounded(Decimal("1e-40")), bounded(Decimal("0e999999999"))
(False, False, True)
>>> int_bounded(10 ** 5000)
False
>>> ascii_number("４０")
False
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["MAX_DIGITS", "bounded", "int_bounded", "ascii_number", "safe_int", "shown"]

#: Significant digits, and the decimal exponent either way, a number may have (the default
#: decimal context computes with 28 digits).
MAX_DIGITS = 28

def bounded(value: Decimal) -> bool:
    """True for a finite Decimal of at most :data:`MAX_DIGITS` significant digits whose
    magnitude is zero or between ``10**-MAX_DIGITS`` and ``10**MAX_DIGITS`` (exclusive)."""
    if not value.is_finite():
        return False
    if not value:
        return True
    digits = value.as_tuple().digits
    if len(digits) > 4 * MAX_DIGITS:  # without counting the trailing zeros of a huge one
        return False
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    if significant > MAX_DIGITS:
        return False
    adjusted = value.adjusted()
    return -MAX_DIGITS <= adjusted < MAX_DIGITS


def int_bounded(value: int) -> bool:
    """True for an ``int`` under ``10**MAX_DIGITS`` either way (checked on its bits: printing
    a huge one is what fails)."""
    return value.bit_length() <= 93 and -(10 ** MAX_DIGITS) < value < 10 ** MAX_DIGITS


def ascii_number(text: str) -> bool:
    """True when ``text`` has no digit outside 0-9 (full-width, Arabic-Indic ...)."""
    return text.isascii() or not any(ch.isdigit() and not ch.isascii() for ch in text)


def safe_int(text: str) -> int | Decimal:
    """``json``'s reader for integers: an ``int`` when it is short, else the exact Decimal,
    so the field that holds it refuses it by name (``int()`` of a long text raises, unnamed,
    past 4,300 digits)."""
    if len(text) <= MAX_DIGITS:
        return int(text)
    return Decimal(text)


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages: never fails, never copies a
    huge value (``repr`` of a 5,000-digit ``int`` raises)."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int) and not int_bounded(value):
        return f"<a whole number of about {int(value.bit_length() * 0.30103) + 1} digits>"
    if isinstance(value, (str, bytes)) and len(value) > limit:
        value = value[:limit]
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a message must not fail
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text
