"""What the rules look at: the label, the tariff in force, and the weights and prices derived
from them, each computed once and shared by every rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Generic, TypeVar

from postcheck.bounds import bounded, shown
from postcheck.errors import NoTariffInForce, NotPriceable, UnknownService
from postcheck.label import Label
from postcheck.partial import FieldUnknown, PartialLabel
from postcheck.money import cents
from postcheck.tariffs.catalog import Rates, Selected
from postcheck.tariffs.model import Tariff
from postcheck.tariffs.pricing import Quote, price_parcel
from postcheck.units import format_weight, parse_weight

__all__ = ["Context", "Tolerance", "DEFAULT_TOLERANCE"]


@dataclass(frozen=True)
class Tolerance:
    """How far a measured weight may differ from the declared gross weight: an absolute weight,
    a percentage of the declared weight, or both (the larger applies)."""

    grams: Decimal = Decimal(10)
    percent: Decimal = Decimal(0)

    @classmethod
    def parse(cls, text: str) -> "Tolerance":
        """``"10 g"``, ``"2%"`` or ``"10 g + 2%"`` / ``"10 g, 2%"`` (the larger of the two)."""
        grams, percent = Decimal(0), Decimal(0)
        for part in str(text).replace("+", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if part.endswith("%"):
                try:
                    if not part.isascii() or len(part) > 64:
                        raise ValueError(part)
                    percent = Decimal(part[:-1].strip().replace(",", "."))
                except Exception:
                    raise ValueError(f"tolerance {shown(text)}: expected a percentage such as 2%") from None
                if not bounded(percent) or percent < 0 or percent > 100:
                    raise ValueError(f"tolerance {text!r}: expected a percentage between 0 and 100")
            else:
                grams = parse_weight(part, field="tolerance")
        return cls(grams, percent)

    def allowed(self, declared_g: Decimal) -> Decimal:
        return max(self.grams, declared_g * self.percent / 100)

    def __str__(self) -> str:
        parts = []
        if self.grams:
            parts.append(format_weight(self.grams, "g"))
        if self.percent:
            parts.append(f"{self.percent.normalize():f}%")
        return " or ".join(parts) + (" (whichever is larger)" if len(parts) > 1 else "") if parts else "0 g"


DEFAULT_TOLERANCE = Tolerance()

_T = TypeVar("_T")


class _once(Generic[_T]):  # noqa: N801  (used as a decorator, like property)
    """``functools.cached_property`` without its lock: a Context belongs to one call of
    ``check()`` on one thread, and the lock cost a microsecond a fact, several times a label."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@lru_cache(maxsize=8192)
def _money_text(currency: str, amount: Decimal) -> str:
    return f"{currency} {cents(amount)}"

#: Prices already worked out, by (tariff, grams, destination, zone, dimensions); the tariff is
#: kept with its price so that a key is never answered for another tariff at the same address.
_QUOTES: dict[tuple[object, ...], tuple[Tariff, "Quote | NotPriceable"]] = {}


class Context:
    """Shared, lazily computed facts about one label."""

    def __init__(self, label: Label | PartialLabel, *, rates: Rates, date: dt.date, service_id: str | None,
                 measured_g: Decimal | None = None, tolerance: Tolerance = DEFAULT_TOLERANCE,
                 unpriced: UnknownService | None = None) -> None:
        """``service_id`` is None when postcheck has no tariff of the label's service
        (``unpriced`` says which) or the service is not known (a partial label)."""
        self.label = label
        self.rates = rates
        self.date = date
        self.service_id = service_id
        self.unpriced = unpriced
        self.measured_g = measured_g if measured_g is not None else label.measured_weight
        self.tolerance = tolerance
        self._quotes: dict[Decimal, Quote | NotPriceable] = {}
        #: what a rule module works out once per label for several of its rules (by the rule module's key)
        self.memo: dict[str, Any] = {}

    # -- tariff

    @_once
    def selection(self) -> Selected | NoTariffInForce | UnknownService:
        """The tariff in force, or why there is none: no table for the date, or no tariff of
        the service at all (postage is then not priced; the other rules still run)."""
        if self.service_id is None:
            if self.unpriced is None:
                raise FieldUnknown("service")
            return self.unpriced
        try:
            return self.rates.select(self.service_id, self.date)
        except NoTariffInForce as e:
            return e

    @_once
    def tariff(self) -> Tariff | None:
        s = self.selection
        return s.tariff if isinstance(s, Selected) else None

    def quote(self, grams: Decimal) -> Quote | NotPriceable:
        """Price ``grams`` with the label's destination, zone and dimensions (cached, and
        remembered across labels: the same parcels recur)."""
        q = self._quotes.get(grams)
        if q is None:
            t = self.tariff
            assert t is not None
            key = (id(t), grams, self.label.destination, self.label.zone, self.label.dimensions)
            hit = _QUOTES.get(key)
            if hit is not None and hit[0] is t:
                q = hit[1]
            else:
                try:
                    q = price_parcel(t, weight_g=grams, destination=self.label.destination, zone=self.label.zone,
                                     dims_mm=self.label.dimensions)
                except NotPriceable as e:
                    q = e
                if len(_QUOTES) >= 65536:
                    _QUOTES.clear()
                _QUOTES[key] = (t, q)
            self._quotes[grams] = q
        return q

    def price(self, grams: Decimal) -> Decimal | None:
        q = self.quote(grams) if self.tariff is not None else None
        return q.price.amount if isinstance(q, Quote) else None

    # -- weights (exact grams)

    @_once
    def net_g(self) -> Decimal:
        return self.label.net_weight_g

    @property
    def net_g_known(self) -> Decimal | None:
        """The net weight, or None when a partial label lacks a line's net weight (for what
        only explains a finding, never for what decides it)."""
        try:
            return self.net_g
        except FieldUnknown:
            return None

    @property
    def packaging_g(self) -> Decimal | None:
        return self.label.packaging_weight

    @property
    def gross_g(self) -> Decimal | None:
        return self.label.gross_weight

    @_once
    def expected_gross_g(self) -> Decimal | None:
        """Net weight plus packaging, when the packaging weight is known."""
        if self.packaging_g is None or not self.label.items:
            return None
        return self.net_g + self.packaging_g

    @_once
    def basis(self) -> tuple[Decimal, str] | None:
        """The weight postage must cover and where it comes from: the measured weight if given,
        else the declared gross weight (never less than net + packaging), else net + packaging,
        else the net weight alone."""
        if self.measured_g is not None:
            return self.measured_g, "measured"
        floor = (self.expected_gross_g if self.expected_gross_g is not None
                 else self.net_g if self.label.items else None)
        if self.gross_g is not None:
            if floor is not None and floor > self.gross_g:
                return floor, ("net + packaging" if self.expected_gross_g is not None else "net weight")
            return self.gross_g, "declared gross"
        if self.expected_gross_g is not None:
            return self.expected_gross_g, "net + packaging"
        if self.label.items:
            return self.net_g, "net weight only (packaging unknown)"
        return None

    @_once
    def required(self) -> Quote | NotPriceable | None:
        """The price for the basis weight (None when there is no tariff or no weight)."""
        if self.tariff is None or self.basis is None:
            return None
        return self.quote(self.basis[0])

    @property
    def paid(self) -> Decimal | None:
        return self.label.postage_paid

    @property
    def currency_ok(self) -> bool:
        t = self.tariff
        return t is None or t.currency == self.label.currency

    # -- text helpers

    def money(self, amount: Decimal) -> str:
        """"CAD 12.83": the amount to the cent, in the tariff's currency (else the label's)."""
        return _money_text(self.tariff.currency if self.tariff else self.label.currency, amount)

    @staticmethod
    def kg(grams: Decimal) -> str:
        return format_weight(grams, "kg")

    def weight_story(self) -> str:
        """"net 0.480 kg + packaging 0.040 kg = 0.520 kg" (what the parts add up to)."""
        return self._weight_story

    @_once
    def _weight_story(self) -> str:
        if self.expected_gross_g is not None:
            return (f"net {self.kg(self.net_g)} + packaging {self.kg(self.packaging_g or Decimal(0))} "
                    f"= {self.kg(self.expected_gross_g)}")
        return f"net {self.kg(self.net_g)}"
