"""The label model: postage, service, addresses and the customs declaration (CN 22 / CN 23).

A :class:`Label` is what postcheck checks and fixes, whatever it was read from (JSON, CSV, PDF).
Weights are read with :mod:`postcheck.units` (``"300 g"``, ``"0,3 kg"``, ``"10.6 oz"``, a pint
quantity) and held as exact :class:`~decimal.Decimal` grams; they are written back as
``"300 g"``.  Money amounts are Decimal in the label's ``currency``.  ``net_weight`` and
``value`` of an item are the line's totals, as in boxes 3 and 5 of the CN 23.

>>> label = Label.model_validate({
...     "form": "CN23", "service": "small_packet_usa_air", "origin": "CA", "destination": "US",
...     "ship_date": "2022-03-01", "category": "sale_of_goods", "currency": "CAD",
...     "postage_paid": "12.83", "packaging_weight": "40 g",
...     "items": [{"description": "Ceramic mug", "quantity": 1, "net_weight": "300 g",
...                "value": "25.00", "hs_code": "6912.00", "origin_country": "CA"}]})
>>> label.net_weight_g
Decimal('300')
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError,
                      field_validator, model_validator)

from postcheck.bounds import MAX_DIGITS, bounded, int_bounded, safe_int
from postcheck.errors import MISSING, InvalidInput, InvalidLabel
from postcheck.money import is_currency, parse_amount
from postcheck.units import parse_dimensions, parse_weight

__all__ = ["Label", "Item", "Address", "Category", "label_from_dict", "label_from_json", "label_schema",
           "is_country", "MAX_ITEMS", "MAX_TEXT"]

#: Hard ceilings on a single label; the limits in force (postcheck.limits, default 1,000 lines
#: and 500 characters) are checked below them and can be lowered or raised up to these.
MAX_ITEMS = 100_000
MAX_TEXT = 100_000
#: Pieces one contents line may declare.
MAX_QUANTITY = 1_000_000

Category = Literal["gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other"]
CATEGORIES: tuple[str, ...] = ("gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods",
                               "other")


#: Codes outside ISO 3166-1's assigned list that postal price lists use for real destinations:
#: XK Kosovo (user-assigned; used by the EU, the IMF and USPS's list), AC Ascension and TA
#: Tristan da Cunha (exceptionally reserved; Canada Post's rate-code list prints them).
POSTAL_EXTRA_COUNTRIES = frozenset({"XK", "AC", "TA"})


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries) | POSTAL_EXTRA_COUNTRIES


def is_country(code: object) -> bool:
    """True for an ISO 3166-1 alpha-2 code (upper case) such as ``"CA"``, or one of the
    :data:`POSTAL_EXTRA_COUNTRIES` price lists use."""
    return isinstance(code, str) and len(code) == 2 and code in _countries()


def _trim(d: Decimal) -> str:
    s = f"{d:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _weight_in(value: Any) -> Any:
    # every weight needs its unit: a bare JSON number (read as Decimal) is refused, not
    # taken for grams
    return parse_weight(value, field="")


def _amount_in(value: Any) -> Any:
    amount, _cur = parse_amount(value, field="")
    return amount


Weight = Annotated[Decimal, BeforeValidator(_weight_in),
                   PlainSerializer(lambda g: f"{_trim(g)} g", return_type=str),
                   Field(json_schema_extra={"type": "string", "examples": ["520 g", "0.52 kg", "1 lb 2 oz"]})]
Amount = Annotated[Decimal, BeforeValidator(_amount_in),
                   PlainSerializer(lambda a: f"{a:f}", return_type=str),
                   Field(json_schema_extra={"type": "string", "examples": ["12.83"]})]
def _text_in(value: Any) -> Any:
    if isinstance(value, str):
        from postcheck.limits import current

        limit = current().text_chars
        if len(value) > limit:
            raise ValueError(f"a text of at most {limit} characters (limit text_chars), not {len(value)}")
    return value


Text = Annotated[str, BeforeValidator(_text_in), Field(max_length=MAX_TEXT)]


def _dims_in(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 3 and all(isinstance(v, Decimal) for v in value):
        return value
    return parse_dimensions(value, field="")


Dimensions = Annotated[tuple[Decimal, Decimal, Decimal], BeforeValidator(_dims_in),
                       PlainSerializer(lambda d: " x ".join(_trim(v) for v in d) + " mm", return_type=str),
                       Field(json_schema_extra={"type": "string", "examples": ["25 x 18 x 4 cm"]})]


def _country(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("an ISO 3166-1 alpha-2 country code such as \"CA\"")
    code = value.strip().upper()
    if not is_country(code):
        raise ValueError("an ISO 3166-1 alpha-2 country code such as \"CA\"")
    return code


def _currency_code(value: Any) -> str:
    if not isinstance(value, str) or not is_currency(value.strip().upper()):
        raise ValueError("an ISO 4217 currency code such as \"CAD\"")
    return value.strip().upper()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=False,
                              frozen=False, ser_json_inf_nan="constants")


class Address(_Model):
    """Sender or addressee as printed on the CN 23."""

    name: Text | None = None
    business: Text | None = None
    street: Text | None = None
    city: Text | None = None
    postcode: Annotated[str, Field(max_length=40)] | None = None
    country: str | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    email: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("country", mode="before")
    @classmethod
    def _c(cls, v: Any) -> Any:
        return None if v is None else _country(v)


class Item(_Model):
    """One contents line of the declaration (CN 23 boxes 1, 2, 3, 5, 7, 8)."""

    description: Text
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] = 1
    net_weight: Weight
    value: Amount
    value_currency: str | None = Field(default=None, description="Currency written with the value, "
                                       "if it was (\"USD 25.00\"); the label's currency otherwise")
    hs_code: Annotated[str, Field(max_length=40)] | None = None
    origin_country: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_currency(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("value"), str) and not data.get("value_currency"):
            try:
                _amount, cur = parse_amount(data["value"], field="value")
            except InvalidInput:
                return data
            if cur:
                data = {**data, "value_currency": cur}
        return data

    @field_validator("origin_country", mode="before")
    @classmethod
    def _oc(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return _country(v)

    @field_validator("value_currency", mode="before")
    @classmethod
    def _vc(cls, v: Any) -> Any:
        return None if v is None else _currency_code(v)

    @field_validator("hs_code", mode="before")
    @classmethod
    def _hs(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @field_validator("quantity", mode="before")
    @classmethod
    def _q(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("a whole number of pieces, 1 or more")
        # bounded before any conversion: int(Decimal("1e999999999")) takes minutes
        if isinstance(v, Decimal):
            if not bounded(v) or v != v.to_integral_value():
                raise ValueError(f"a whole number of pieces, 1 to {MAX_QUANTITY}")
            return int(v)
        if isinstance(v, int) and not int_bounded(v):
            raise ValueError(f"a whole number of pieces, 1 to {MAX_QUANTITY}")
        if isinstance(v, str) and (len(v.strip()) > MAX_DIGITS or not v.isascii()):
            raise ValueError(f"a whole number of pieces, 1 to {MAX_QUANTITY}, in the digits 0-9")
        return v


class Label(_Model):
    """A parcel's label and customs declaration."""

    form: Literal["CN22", "CN23"] | None = Field(default=None, description="Customs form; omitted for a "
                                                 "domestic parcel")
    service: Annotated[str, Field(min_length=1, max_length=120)] = Field(
        description="Product id from rates/ (postcheck rates list), or the product's name")
    origin: str
    destination: str
    zone: Annotated[str, Field(max_length=20)] | None = Field(
        default=None, description="Zone / rate code / price group, for products priced by one")
    ship_date: dt.date | None = Field(default=None, description="Shipping date; today when omitted "
                                      "(the report then says so)")
    tracking_number: Annotated[str, Field(max_length=60)] | None = None
    category: Category | None = None
    explanation: Text | None = None
    invoice_number: Annotated[str, Field(max_length=60)] | None = None
    currency: str
    postage_paid: Amount | None = None
    items: Annotated[list[Item], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    packaging_weight: Weight | None = None
    gross_weight: Weight | None = None
    total_value: Amount | None = None
    dimensions: Dimensions | None = None
    measured_weight: Weight | None = None
    sender: Address | None = None
    addressee: Address | None = None
    comments: Text | None = None
    licence: Annotated[str, Field(max_length=120)] | None = None
    certificate: Annotated[str, Field(max_length=120)] | None = None

    @field_validator("origin", "destination", mode="before")
    @classmethod
    def _countries(cls, v: Any) -> Any:
        return _country(v)

    @field_validator("items", mode="before")
    @classmethod
    def _items_limit(cls, v: Any) -> Any:
        from postcheck.limits import current

        limit = current().items
        if isinstance(v, list) and len(v) > limit:
            raise ValueError(f"at most {limit} contents lines (limit items), not {len(v)}")
        return v

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, v: Any) -> Any:
        return _currency_code(v)

    @field_validator("form", mode="before")
    @classmethod
    def _form(cls, v: Any) -> Any:
        if isinstance(v, str):
            t = v.replace(" ", "").replace("-", "").upper()
            if t in ("", "NONE"):
                return None
            return t
        return v

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any) -> Any:
        if isinstance(v, str):
            t = v.strip().lower().replace(" ", "_").replace("-", "_")
            if t == "":
                return None
            aliases = {"sample": "commercial_sample", "commercial_samples": "commercial_sample",
                       "returned_goods": "returned_goods", "return": "returned_goods", "sale": "sale_of_goods",
                       "merchandise": "sale_of_goods", "document": "documents"}
            return aliases.get(t, t)
        return v

    @field_validator("tracking_number", "zone", "explanation", "invoice_number", "comments", mode="before")
    @classmethod
    def _blank(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return None
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        return v

    # -- derived values (exact grams)

    @property
    def net_weight_g(self) -> Decimal:
        """Sum of the lines' net weights (CN 23 box 3)."""
        return sum((i.net_weight for i in self.items), Decimal(0))

    @property
    def items_value(self) -> Decimal:
        return sum((i.value for i in self.items), Decimal(0))

    @property
    def is_international(self) -> bool:
        return self.origin != self.destination

    def to_json(self, *, indent: int | None = 2) -> str:
        """The label as JSON that :func:`label_from_json` reads back unchanged."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            if str(part).startswith(("function-", "literal", "constrained", "decimal", "is-instance")):
                continue
            out += ("." if out else "") + str(part)
    return out


_FRIENDLY = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "string_type": "a text string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "date_from_datetime_parsing": "a date such as 2022-03-01",
    "date_parsing": "a date such as 2022-03-01",
    "date_type": "a date such as 2022-03-01",
    "list_type": "a list",
    "model_type": "an object",
    "literal_error": None,
    "greater_than_equal": None,
    "string_too_long": None,
    "too_long": None,
}


def _problems(err: ValidationError, known_fields: set[str]) -> tuple[tuple[str, object, str], ...]:
    out = []
    suggested = 0
    for e in err.errors(include_url=False):
        loc = _loc(e["loc"])
        kind = e["type"]
        value: object = e.get("input", MISSING) if kind != "missing" else MISSING
        msg: str = e["msg"]
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            if msg.startswith(": "):
                msg = msg[2:]
            msg = msg.split(", got ")[0]
        elif kind == "extra_forbidden":
            suggested += 1
            close = _close_match(loc.rsplit(".", 1)[-1], known_fields) if suggested <= _SUGGESTIONS else None
            msg = "unknown field" + (f" (did you mean {close!r}?)" if close else "")
        elif _FRIENDLY.get(kind):
            msg = _FRIENDLY[kind] or msg
        out.append((loc, value, msg))
    return tuple(out)


#: Unknown fields given a "did you mean" suggestion (each costs a fuzzy match).
_SUGGESTIONS = 20


def _close_match(name: str, fields: set[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(name, sorted(fields), n=1, cutoff=0.6)
    return m[0] if m else None


def _all_fields() -> set[str]:
    return set(Label.model_fields) | set(Item.model_fields) | set(Address.model_fields)


#: The model of each object of a label, by where it sits.
_MODELS: dict[str, type[BaseModel]] = {"": Label, "items": Item, "sender": Address, "addressee": Address}
#: Keys an object of the label may hold: every field of its model and as many again (unknown
#: ones are refused one by one below that, with a suggestion; above it, at once).
_MAX_KEYS = {where: 2 * len(model.model_fields) for where, model in _MODELS.items()}


def _too_many_keys(data: dict[Any, Any]) -> tuple[str, object, str] | None:
    """The first object of the label with far more keys than its model has fields: refused
    before validation, which would spend seconds on 200,000 unknown keys."""
    def over(obj: Any, loc: str, kind: str) -> tuple[str, object, str] | None:
        if not isinstance(obj, dict) or len(obj) <= _MAX_KEYS[kind]:
            return None
        unknown = [str(k) for k in obj if k not in _MODELS[kind].model_fields]
        return (loc, MISSING, f"an object of at most {_MAX_KEYS[kind]} fields, not {len(obj)} "
                              f"({len(unknown)} unknown, such as {', '.join(map(repr, unknown[:3]))})")

    found = over(data, "", "") or over(data.get("sender"), "sender", "sender") \
        or over(data.get("addressee"), "addressee", "addressee")
    items = data.get("items")
    if found is None and isinstance(items, list):
        found = next((f for i, it in enumerate(items[:MAX_ITEMS]) if (f := over(it, f"items[{i}]", "items"))), None)
    return found


def label_from_dict(data: Any, *, source: str = "<label>") -> Label:
    """Validate a mapping into a :class:`Label`; raise :class:`InvalidLabel` listing every problem."""
    if not isinstance(data, dict):
        raise InvalidLabel(source, (("", data, "a JSON object (the label)"),))
    crowded = _too_many_keys(data)
    if crowded is not None:
        raise InvalidLabel(source, (crowded,))
    try:
        return Label.model_validate(data)
    except ValidationError as e:
        raise InvalidLabel(source, _problems(e, _all_fields())) from None
    except (RecursionError, MemoryError):
        raise InvalidLabel(source, (("", MISSING, "a label nested less deeply"),)) from None
    except ArithmeticError as e:  # a bound missed somewhere: still the label's fault, never a crash
        raise InvalidLabel(source, (("", MISSING, f"numbers postcheck can compute with ({type(e).__name__})"),)) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number postcheck accepts")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for k, _v in pairs:
            if k in seen:
                # JSON leaves a repeated key's meaning open, and Python keeps the last: a second
                # "postage_paid" would change the verdict unseen
                raise ValueError(f"duplicate key {k!r}")
            seen.add(k)
    return obj


def loads_json(text: str) -> Any:
    """``json.loads`` with numbers as Decimal (never floats; a long integer too, so the field
    that holds it refuses it by name), NaN / Infinity and duplicate keys refused."""
    return json.loads(text, parse_float=Decimal, parse_int=safe_int, parse_constant=_reject_constant,
                      object_pairs_hook=_object)


def label_from_json(text: str | bytes, *, source: str = "<label>") -> Label:
    """Read one label from JSON text.  Numbers are read as Decimal, never as floats."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        elif text.startswith("\ufeff"):
            text = text[1:]
        data = loads_json(text)
    except UnicodeDecodeError as e:
        raise InvalidLabel(source, (("", MISSING, f"UTF-8 text (bad byte at offset {e.start})"),)) from None
    except json.JSONDecodeError as e:
        raise InvalidLabel(source, (("", MISSING, f"valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"),)) from None
    except ValueError as e:
        raise InvalidLabel(source, (("", MISSING, f"valid JSON ({e})"),)) from None
    except RecursionError:
        raise InvalidLabel(source, (("", MISSING, "JSON nested less deeply"),)) from None
    return label_from_dict(data, source=source)


def label_schema() -> dict[str, Any]:
    """The JSON Schema of the label (``postcheck schema``)."""
    schema = Label.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "postcheck label"
    return schema
