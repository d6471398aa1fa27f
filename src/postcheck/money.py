"""Money: an exact :class:`~decimal.Decimal` amount and an ISO 4217 currency.

Floats are refused: ``0.1 + 0.2`` is not ``0.3``, and a postage shortfall must be right to the
cent.  Amounts are read from ``"12.83"``, ``"12,83"``, ``"CAD 12.83"``, ``"12.83 CAD"``, a
Decimal or an int.

>>> Money.parse("CAD 18.82") - Money.parse("12.83", currency="CAD")
Money(amount=Decimal('5.99'), currency='CAD')
>>> str(Money(Decimal("5.99"), "CAD"))
'CAD 5.99'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from postcheck.bounds import ascii_number, bounded, int_bounded
from postcheck.errors import InvalidInput

__all__ = ["Money", "parse_amount", "is_currency", "cents"]

_CENT = Decimal("0.01")
_AMOUNT = re.compile(r"^\s*([A-Za-z]{3})?\s*([+-]?[\d.,' ]+)\s*([A-Za-z]{3})?\s*$", re.ASCII)
_MAX = Decimal(10) ** 12


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def is_currency(code: object) -> bool:
    """True for an ISO 4217 alphabetic code such as ``"CAD"``."""
    return isinstance(code, str) and len(code) == 3 and code in _currencies()


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (the way a price list rounds a per-kg price)."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_amount(value: Any, *, field: str = "amount") -> tuple[Decimal, str | None]:
    """Read an amount; return ``(Decimal, currency or None)``.  Never accepts a float."""
    if type(value) is str:  # the same few texts recur label after label
        return _parse_amount_text(value, field)
    return _parse_amount(value, field)


def _parse_amount(value: Any, field: str) -> tuple[Decimal, str | None]:
    if isinstance(value, bool) or value is None:
        raise InvalidInput(field, value, "an amount such as \"12.83\"")
    if isinstance(value, float):
        raise InvalidInput(field, value, "an amount as a string or Decimal (floats are not exact)")
    if isinstance(value, int):
        if not int_bounded(value):
            raise InvalidInput(field, value, f"an amount under {_MAX}")
        amount, cur = Decimal(value), None
    elif isinstance(value, Decimal):
        amount, cur = value, None
    elif isinstance(value, str):
        if not ascii_number(value):
            raise InvalidInput(field, value, "an amount written with the digits 0-9")
        m = _AMOUNT.match(value) if len(value) <= 40 else None
        if m is None or (m.group(1) and m.group(3)):
            raise InvalidInput(field, value, "an amount such as \"12.83\" or \"CAD 12.83\"")
        cur = (m.group(1) or m.group(3) or None)
        text = m.group(2).replace(" ", "").replace("'", "")
        if "," in text and "." in text:
            text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else \
                text.replace(".", "").replace(",", ".")
        elif "," in text:
            text = text.replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(field, value, "an amount such as \"12.83\"") from None
        if cur is not None:
            cur = cur.upper()
            if not is_currency(cur):
                raise InvalidInput(field, value, "an ISO 4217 currency code such as CAD")
    else:
        raise InvalidInput(field, value, "an amount such as \"12.83\"")
    if amount.is_nan() or amount.is_infinite():
        raise InvalidInput(field, value, "a finite amount")
    if not bounded(amount):
        raise InvalidInput(field, value, f"an amount under {_MAX}" if amount.adjusted() >= 0
                           else "an amount of at most 28 significant digits")
    if amount < 0:
        raise InvalidInput(field, value, "an amount that is not negative")
    if amount > _MAX:
        raise InvalidInput(field, value, f"an amount under {_MAX}")
    return amount, cur


_parse_amount_text = lru_cache(maxsize=8192)(_parse_amount)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, value: Any, *, currency: str | None = None, field: str = "amount") -> "Money":
        amount, cur = parse_amount(value, field=field)
        if cur and currency and cur != currency:
            raise InvalidInput(field, value, f"an amount in {currency}")
        cur = cur or currency
        if cur is None:
            raise InvalidInput(field, value, "an amount with a currency")
        return cls(amount, cur)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.currency} {cents(self.amount)}"

    @property
    def text(self) -> str:
        """The amount as a plain decimal string with two places (``"5.99"``)."""
        return f"{cents(self.amount)}"
