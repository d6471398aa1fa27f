"""Weights and lengths: parse them at the boundary, keep them exact inside.

postcheck reads ``"520 g"``, ``"0.52 kg"``, ``"0,52 kg"`` (decimal comma), ``"1 lb 2 oz"``,
``"18.3 oz"``, a bare number with an explicit ``unit=``, or a pint quantity.  Inside the
package a weight is a :class:`~decimal.Decimal` number of **grams** and a length a Decimal
number of **millimetres**, converted with the exact legal factors (1 lb = 453.59237 g,
1 in = 25.4 mm), so a bracket edge is never missed by a rounding error.

There is one pint registry for the whole package, :func:`registry`; it is created on first
use (building it costs about a quarter of a second) and uses Decimal magnitudes.

>>> parse_weight("1 lb 2 oz")
Decimal('510.291416250')
>>> parse_weight("0,52 kg")
Decimal('520.00')
>>> parse_length("25 cm")
Decimal('250')
>>> parse_weight("25 cm", field="items[0].net_weight")
Traceback (most recent call last):
...
postcheck.errors.UnitError: items[0].net_weight: a weight (g, kg, oz, lb), not a length, got '25 cm'
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from postcheck.bounds import ascii_number, bounded, int_bounded
from postcheck.errors import UnitError

if TYPE_CHECKING:  # pragma: no cover
    import pint

__all__ = [
    "GRAMS_PER",
    "MM_PER",
    "registry",
    "parse_weight",
    "parse_length",
    "parse_dimensions",
    "weight",
    "length",
    "to_quantity",
    "grams_to",
    "format_weight",
    "format_length",
    "round_up",
]

#: Exact grams per unit (avoirdupois pound and ounce as defined in 1959).
GRAMS_PER: dict[str, Decimal] = {
    "mg": Decimal("0.001"),
    "g": Decimal(1),
    "kg": Decimal(1000),
    "oz": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
}
#: Exact millimetres per unit.
MM_PER: dict[str, Decimal] = {
    "mm": Decimal(1),
    "cm": Decimal(10),
    "m": Decimal(1000),
    "in": Decimal("25.4"),
    "ft": Decimal("304.8"),
}

_ALIASES: dict[str, str] = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg",
    "g": "g", "gr": "g", "gm": "g", "gms": "g", "gram": "g", "grams": "g", "gramme": "g",
    "grammes": "g", "gramm": "g",
    "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "kilogramme": "kg", "kilogrammes": "kg",
    "oz": "oz", "ozs": "oz", "ounce": "oz", "ounces": "oz",
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb", "#": "lb",
    "mm": "mm", "millimetre": "mm", "millimeter": "mm", "millimetres": "mm", "millimeters": "mm",
    "cm": "cm", "centimetre": "cm", "centimeter": "cm", "centimetres": "cm", "centimeters": "cm",
    "m": "m", "metre": "m", "meter": "m", "metres": "m", "meters": "m",
    "in": "in", "inch": "in", "inches": "in", '"': "in", "″": "in",
    "ft": "ft", "foot": "ft", "feet": "ft", "'": "ft", "′": "ft",
}

#: Bound on the magnitude in the canonical unit (g or mm), exclusive: a thousand tonnes / km.
_MAX = Decimal(10) ** 9

_NUMBER = r"[+-]?(?:\d[\d ,.'_]*\d|\d)?(?:[.,]\d+)?(?:[eE][+-]?\d+)?"
_TOKEN = re.compile(r"\s*(" + _NUMBER + r")\s*([A-Za-zµ\"'″′#]+\.?)?\s*", re.ASCII)


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry":
    """The package's one pint registry (Decimal magnitudes), created on first use."""
    import pint

    return pint.UnitRegistry(non_int_type=Decimal)


def _decimal(text: str, field: str, original: object) -> Decimal:
    """Read a number written with a decimal point or a decimal comma."""
    t = text.replace(" ", "").replace("_", "").replace("'", "")
    if "," in t and "." in t:
        # the later separator is the decimal one; the other groups thousands
        if t.rfind(",") > t.rfind("."):
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
    elif "," in t:
        if t.count(",") > 1:
            t = t.replace(",", "")
        else:
            t = t.replace(",", ".")
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise UnitError(field, original, "a number with a unit") from None
    return value


def _under(kind: str) -> str:
    return f"a {kind} under {_MAX} {'g' if kind == 'weight' else 'mm'}"


def _check_number(value: Decimal, field: str, original: object, kind: str) -> Decimal:
    """A number as written, before it is multiplied by its unit's factor: bounded (see
    :mod:`postcheck.bounds`), so the product can neither overflow nor round."""
    if value.is_nan() or value.is_infinite():
        raise UnitError(field, original, f"a finite {kind}")
    if not bounded(value):
        if value and value.adjusted() >= 0:
            raise UnitError(field, original, _under(kind))
        raise UnitError(field, original, f"a {kind} of at most 28 significant digits")
    return value


def _check_magnitude(value: Decimal, field: str, original: object, kind: str) -> Decimal:
    if value.is_nan() or value.is_infinite():
        raise UnitError(field, original, f"a finite {kind}")
    if value < 0:
        raise UnitError(field, original, f"a {kind} that is not negative")
    if value >= _MAX:
        raise UnitError(field, original, _under(kind))
    return value


def _unit_factor(unit: str, kind: str, field: str, original: object) -> Decimal:
    """Factor from ``unit`` to grams (kind 'weight') or millimetres (kind 'length')."""
    want, other, table = (("weight", "length", GRAMS_PER) if kind == "weight"
                          else ("length", "weight", MM_PER))
    expected = ("a weight (g, kg, oz, lb)" if kind == "weight"
                else "a length (mm, cm, m, in, ft)")
    key = _ALIASES.get(unit.rstrip(".").lower()) or _ALIASES.get(unit.rstrip("."))
    if key is not None:
        if key in table:
            return table[key]
        raise UnitError(field, original, f"{expected}, not a {other}")
    # an unusual spelling: ask pint
    ureg = registry()
    try:
        q = ureg.Quantity(Decimal(1), unit)
        target = "gram" if kind == "weight" else "millimeter"
        if q.check("[mass]" if kind == "weight" else "[length]"):
            return Decimal(str(q.to(target).magnitude))
        if q.check("[length]" if kind == "weight" else "[mass]"):
            raise UnitError(field, original, f"{expected}, not a {other}")
    except UnitError:
        raise
    except Exception:
        pass
    raise UnitError(field, original, f"{expected}; unknown unit {unit!r}")


def _example(kind: str) -> str:
    return 'a weight such as "520 g" or "1 lb 2 oz"' if kind == "weight" else 'a length such as "25 cm"'


def _parse(value: Any, kind: str, field: str, unit: str | None) -> Decimal:
    if type(value) is str:  # the same few texts recur label after label ("40 g", "0.5 kg")
        return _parse_text(value, kind, field, unit)
    return _parse_value(value, kind, field, unit)


def _parse_value(value: Any, kind: str, field: str, unit: str | None) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise UnitError(field, value, f"a {kind} with a unit")
    if isinstance(value, (int, Decimal, float)):
        if isinstance(value, int) and not int_bounded(value):
            raise UnitError(field, value, _under(kind))
        if isinstance(value, float):
            value_d = Decimal(repr(value))
        else:
            value_d = Decimal(value)
        if unit is None:
            raise UnitError(field, value, f"a {kind} with a unit (a bare number has none)")
        _check_number(value_d, field, value, kind)
        return _check_magnitude(value_d * _unit_factor(unit, kind, field, value), field, value, kind)
    if hasattr(value, "magnitude") and hasattr(value, "units"):  # a pint quantity
        mag = value.magnitude
        if not isinstance(mag, (int, float, Decimal)):
            raise UnitError(field, value, f"a scalar {kind}")
        return _parse(mag, kind, field, f"{value.units:~}".replace(" ", "") or str(value.units))
    if not isinstance(value, str):
        raise UnitError(field, value, _example(kind))
    text = value.strip()
    if not text or len(text) > 64:
        raise UnitError(field, value, _example(kind))
    if not ascii_number(text):
        raise UnitError(field, value, f"a {kind} written with the digits 0-9")
    low = text.lower()
    if low in {"nan", "inf", "-inf", "+inf", "infinity"} or low.startswith(("nan", "inf")):
        raise UnitError(field, value, f"a finite {kind}")
    total = Decimal(0)
    pos = 0
    parts = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos or not m.group(1):
            raise UnitError(field, value, _example(kind))
        number = _check_number(_decimal(m.group(1), field, value), field, value, kind)
        if number < 0:
            raise UnitError(field, value, f"a {kind} that is not negative")
        unit_text = m.group(2) or unit
        if unit_text is None:
            raise UnitError(field, value, f"a {kind} with a unit (g, kg, oz, lb)" if kind == "weight"
                            else f"a {kind} with a unit (mm, cm, in)")
        total += number * _unit_factor(unit_text, kind, field, value)
        pos = m.end()
        parts += 1
        if parts > 4:
            raise UnitError(field, value, f"a {kind} such as \"1 lb 2 oz\"")
    return _check_magnitude(total, field, value, kind)


_parse_text = lru_cache(maxsize=8192)(_parse_value)


def parse_weight(value: Any, *, field: str = "weight", unit: str | None = None) -> Decimal:
    """Read a weight; return exact grams.  Raises :class:`UnitError` naming ``field``."""
    return _parse(value, "weight", field, unit)


def parse_length(value: Any, *, field: str = "length", unit: str | None = None) -> Decimal:
    """Read a length; return exact millimetres.  Raises :class:`UnitError` naming ``field``."""
    return _parse(value, "length", field, unit)


_DIM_SPLIT = re.compile(r"\s*[x×X*]\s*")


def parse_dimensions(value: Any, *, field: str = "dimensions") -> tuple[Decimal, Decimal, Decimal]:
    """Read ``"25 x 18 x 4 cm"`` (or a list of three lengths); return mm, longest first."""
    if isinstance(value, (list, tuple)):
        parts = list(value)
        if len(parts) != 3:
            raise UnitError(field, value, "three lengths (length x width x height)")
        sides = [parse_length(p, field=f"{field}[{i}]") for i, p in enumerate(parts)]
    elif isinstance(value, str):
        raw = _DIM_SPLIT.split(value.strip())
        if len(raw) != 3 or len(value) > 80:
            raise UnitError(field, value, "three lengths such as \"25 x 18 x 4 cm\"")
        # a unit written once at the end applies to all three sides
        m = re.search(r"([A-Za-z\"″]+)\s*$", raw[2])
        trailing = m.group(1) if m else None
        sides = [parse_length(p, field=field, unit=trailing) for p in raw]
    else:
        raise UnitError(field, value, "three lengths such as \"25 x 18 x 4 cm\"")
    a, b, c = sorted(sides, reverse=True)
    return (a, b, c)


def to_quantity(amount: Decimal, unit: str) -> "pint.Quantity":
    """A pint quantity of ``amount`` ``unit`` in the package registry."""
    return registry().Quantity(amount, unit)


def weight(value: Any, unit: str | None = None) -> "pint.Quantity":
    """Public helper: read a weight into a pint quantity in grams (exact Decimal)."""
    return to_quantity(parse_weight(value, unit=unit), "gram")


def length(value: Any, unit: str | None = None) -> "pint.Quantity":
    """Public helper: read a length into a pint quantity in millimetres (exact Decimal)."""
    return to_quantity(parse_length(value, unit=unit), "millimeter")


def grams_to(grams: Decimal, unit: str) -> Decimal:
    """Exact conversion from grams to ``unit`` (g, kg, oz, lb, mg)."""
    return grams / GRAMS_PER[unit]


def round_up(value: Decimal, step: Decimal) -> Decimal:
    """Round ``value`` up to a whole multiple of ``step`` (exact)."""
    if step <= 0:
        return value
    n = (value / step).to_integral_value(rounding=ROUND_CEILING)
    return n * step


def _trim(d: Decimal) -> str:
    s = f"{d:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


@lru_cache(maxsize=8192)
def format_weight(grams: Decimal, unit: str = "kg", places: int = 3) -> str:
    """``Decimal('520') -> '0.520 kg'``; ``unit='g'`` prints grams without a fraction
    unless there is one."""
    if unit == "g":
        return f"{_trim(grams)} g"
    q = Decimal(1).scaleb(-places)
    return f"{grams_to(grams, unit).quantize(q, rounding=ROUND_HALF_UP)} {unit}"


def format_length(mm: Decimal, unit: str = "cm") -> str:
    return f"{_trim(mm / MM_PER[unit])} {unit}"
