"""One tariff's prices over a whole column of weights, in exact integers.

:func:`postcheck.tariffs.pricing.price_parcel` on one parcel, over arrays: weights in picograms,
prices in micro-units, the step found with ``searchsorted`` over the step bounds plus the
conversion tolerance (``TOLERANCE_G``), so 500 g is in the "up to 0.5 kg" step and 500.001 g is
not. The limits, the chargeable (volumetric) weight, a formula's price and the words of a step
are :mod:`postcheck.tariffs.pricing`'s own functions, called once per distinct value; only the
step look-up and the arithmetic of steps beyond the table are written here over arrays (and the
property tests compare the two on generated parcels). Anything this module cannot price exactly
(size refusals, oversize prices, surcharges, inexact volumetric weights) is reported as *unsure*
and left to the per-row path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from postcheck.errors import NotPriceable
from postcheck.tariffs.model import Tariff
from postcheck.tariffs.pricing import TOLERANCE_G, chargeable_weight, check_limits, formula_price, step_words

from postcheck.batch.columns import MICRO, PG_PER_G, to_micro, to_pg, unique_inverse

__all__ = ["VectorTariff", "Priced", "DimsEffect", "TOLERANCE_PG"]

#: :data:`postcheck.tariffs.pricing.TOLERANCE_G` in picograms.
TOLERANCE_PG = int(TOLERANCE_G * PG_PER_G)


@dataclass(frozen=True)
class DimsEffect:
    """What a parcel's dimensions do to its price under one tariff."""

    unsure: bool  # a size refusal, an oversize price, a surcharge, or an inexact volumetric weight
    vol_pg: int  # volumetric weight in picograms, -1 when none


@dataclass
class Priced:
    """Prices for a set of rows: ``ok`` False where the tariff refuses the parcel."""

    ok: np.ndarray
    price: np.ndarray  # micro-units
    chargeable: np.ndarray  # picograms
    rounded: np.ndarray
    vol: np.ndarray  # picograms, -1 when no volumetric weight
    step_key: np.ndarray  # index into the steps, len(steps) + extra past them, -1 formula


@dataclass
class VectorTariff:
    """A tariff's numbers as integer arrays (built once per tariff and process)."""

    tariff: Tariff
    exact: bool
    bounds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # up_to + tolerance, pg
    prices: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # [step, zone] micro
    max_pg: int = -1  # weight limit + tolerance; -1 none
    rounding_pg: int = 0
    last_pg: int = 0
    inc_pg: int = 0
    beyond: np.ndarray | None = None  # [zone] micro
    formula_ints: tuple[int, int, int] | None = None  # per piece, per unit (micro), grams per unit
    _texts: dict[int, str] = field(default_factory=dict)
    _formula: dict[int, int] = field(default_factory=dict)
    _dims: dict[tuple, DimsEffect] = field(default_factory=dict)

    @classmethod
    def build(cls, t: Tariff) -> "VectorTariff":
        def pg(g: Decimal) -> int | None:
            return to_pg(g) if g * PG_PER_G <= 2 ** 62 else None

        exact = True
        bounds, prices = [], []
        for s in t.steps:
            b = pg(s.up_to_g)
            row = [to_micro(s.prices[z]) for z in t.zone_names]
            if b is None or None in row:
                exact = False
                break
            bounds.append(b + TOLERANCE_PG)
            prices.append(row)
        vt = cls(t, exact)
        if t.formula is not None:
            p, u, unit_g = to_micro(t.formula.per_piece), to_micro(t.formula.per_unit), t.unit_g
            if p is not None and u is not None and unit_g == unit_g.to_integral_value() and 0 < unit_g <= 10 ** 6 \
                    and 0 <= p <= 10 ** 9 and 0 <= u <= 10 ** 9:
                vt.formula_ints = (p, u, int(unit_g))
        if not exact:
            return vt
        vt.bounds = np.array(bounds, dtype=np.int64)
        vt.prices = np.array(prices, dtype=np.int64).reshape(len(bounds), len(t.zone_names))
        if t.limits.max_weight_g is not None:
            m = pg(t.limits.max_weight_g)
            vt.max_pg = -2 if m is None else m + TOLERANCE_PG
        if t.rounding_g:
            r = pg(t.rounding_g)
            vt.rounding_pg = r or 0
            vt.exact = r is not None
        if t.beyond is not None and t.steps:
            last, inc = pg(t.steps[-1].up_to_g), pg(t.beyond.increment_g)
            bp = [to_micro(t.beyond.prices[z]) for z in t.zone_names]
            if last is None or inc is None or None in bp:
                vt.exact = False
            else:
                vt.last_pg, vt.inc_pg = last, inc
                vt.beyond = np.array(bp, dtype=np.int64)
        if vt.max_pg == -2:
            vt.exact = False
        return vt

    # -- dimensions

    def dims_effect(self, dims: tuple[Decimal, Decimal, Decimal]) -> DimsEffect:
        hit = self._dims.get(dims)
        if hit is None:
            hit = self._dims[dims] = self._dims_effect(dims)
        return hit

    def _dims_effect(self, dims: tuple[Decimal, Decimal, Decimal]) -> DimsEffect:
        t = self.tariff
        try:
            check_limits(t, Decimal(0), dims)
        except NotPriceable:
            return DimsEffect(True, -1)
        a, b, c = dims
        if t.oversize is not None and a + 2 * (b + c) > t.oversize.length_plus_girth_over_mm:
            return DimsEffect(True, -1)
        for sc in t.surcharges:
            if sc.applies(dims):
                return DimsEffect(True, -1)
        _r, _c, vol = chargeable_weight(t, Decimal(0), dims)
        if vol is None:
            return DimsEffect(False, -1)
        v = to_pg(vol)
        return DimsEffect(v is None, -1 if v is None else v)

    # -- prices

    def step_text(self, key: int) -> str:
        """The step's words, as :attr:`postcheck.tariffs.pricing.Quote.step_text` gives them."""
        hit = self._texts.get(key)
        if hit is None:
            t = self.tariff
            if key < 0:
                hit = step_words(t, None)
            elif key < len(t.steps):
                hit = step_words(t, t.steps[key].up_to_g)
            else:
                assert t.beyond is not None
                hit = step_words(t, t.steps[-1].up_to_g + (key - len(t.steps)) * t.beyond.increment_g)
            self._texts[key] = hit
        return hit

    def _formula_price(self, chargeable_pg: int) -> int:
        hit = self._formula.get(chargeable_pg)
        if hit is None:
            hit = int(formula_price(self.tariff, Decimal(chargeable_pg) / PG_PER_G) * MICRO)
            self._formula[chargeable_pg] = hit
        return hit

    def _formula_whole_grams(self, chargeable_pg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(price in micro-units, priced)``: :meth:`_formula_price` in integers for the weights
        that are whole grams, when the formula's numbers allow (``per_piece`` and ``per_unit``
        in micro-units, a whole number of grams per unit): ``per_piece + per_unit * g / unit_g``
        rounded half up to the cent is ``(P * unit_g + U * g + 5000 * unit_g) // (10000 * unit_g)``
        cents, with P and U in micro-units."""
        n = len(chargeable_pg)
        if self.formula_ints is None:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        p, u, ug = self.formula_ints
        grams, rest = np.divmod(chargeable_pg, PG_PER_G)
        whole = (rest == 0) & (grams >= 0) & (grams <= 10 ** 6)  # the products stay far inside int64
        g = np.where(whole, grams, 0)
        price = (p * ug + u * g + 5000 * ug) // (10000 * ug) * 10000
        return np.where(whole, price, 0), whole

    def price(self, weight: np.ndarray, zone: np.ndarray, vol: np.ndarray) -> Priced:
        """Price ``weight`` (pg) in ``zone`` (index into ``zone_names``), with the volumetric
        weight ``vol`` (pg, -1 when none).  Zone and size refusals are the caller's business."""
        n = len(weight)
        ok = np.ones(n, dtype=bool)
        if self.max_pg >= 0:
            ok &= weight <= self.max_pg
        if self.rounding_pg:
            r = self.rounding_pg
            rounded = -(-np.maximum(weight - TOLERANCE_PG, 0) // r) * r
        else:
            rounded = weight.copy()
        chargeable = np.maximum(rounded, vol)
        t = self.tariff
        price = np.zeros(n, dtype=np.int64)
        if t.formula is not None:
            key = np.full(n, -1, dtype=np.int64)
            price, whole = self._formula_whole_grams(chargeable)
            odd = ~whole
            if odd.any():  # not a whole number of grams: once per distinct weight, in Decimal
                uniq, inv = unique_inverse(chargeable[odd])
                table = np.array([self._formula_price(int(c)) for c in uniq.tolist()], dtype=np.int64)
                price[odd] = table[inv.reshape(-1)]
        else:
            key = np.searchsorted(self.bounds, chargeable, side="left").astype(np.int64)
            inside = key < len(self.bounds)
            k = np.minimum(key, len(self.bounds) - 1)
            price = np.where(inside, self.prices[k, zone], 0)
            past = ~inside
            if past.any():
                if self.beyond is None:
                    ok &= inside
                else:
                    over = chargeable - TOLERANCE_PG - self.last_pg
                    extra = -(-over // self.inc_pg)
                    last_price = self.prices[len(self.bounds) - 1, zone]
                    price = np.where(past, last_price + extra * self.beyond[zone], price)
                    key = np.where(past, len(self.bounds) + extra, key)
        return Priced(ok, price, chargeable, rounded, vol, key)
