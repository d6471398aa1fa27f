"""Price one parcel with one tariff: chargeable weight, limits, zone, step, surcharges.

Everything here works on exact Decimal grams and millimetres; no pint, no floats.  Step edges
are inclusive: a parcel of exactly 500 g is in the "up to and including 0.5 kg" step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cached_property

from postcheck.errors import NotPriceable
from postcheck.money import Money, cents
from postcheck.tariffs.model import Step, Tariff
from postcheck.units import GRAMS_PER, MM_PER, format_length, format_weight, round_up

__all__ = ["Quote", "price_parcel", "chargeable_weight", "zone_for", "check_limits", "step_index",
           "TOLERANCE_G"]

#: Conversion noise forgiven at step bounds, weight limits and weight rounding: 1 kg written
#: "2.20462262185 lb" is 1000.00000000056 g and must price as 1 kg, while a real milligram over
#: a bound (500.001 g) still counts.
TOLERANCE_G = Decimal("0.000001")


@dataclass(frozen=True)
class Quote:
    """The price of one parcel under one tariff, with how it was reached."""

    tariff: Tariff
    zone: str
    weight_g: Decimal  # actual weight as given
    rounded_g: Decimal  # after the product's weight rounding
    volumetric_g: Decimal | None  # None when the product has no volumetric rule or no dimensions
    chargeable_g: Decimal
    step_up_to_g: Decimal | None  # upper bound of the step used (None for formula pricing)
    base: Decimal
    surcharges: tuple[tuple[str, Decimal], ...]
    oversize: bool
    price: Money

    @cached_property
    def step_text(self) -> str:
        """The price step used, in the tariff's own words ("up to 1 kg")."""
        t = self.tariff
        if self.oversize:
            return "Oversized price"
        return step_words(t, self.step_up_to_g)


def step_words(t: Tariff, up_to_g: Decimal | None) -> str:
    """A price step in the tariff's own words: "up to 1 kg" for the step up to ``up_to_g``
    grams, or the formula ("1.00 per piece + 0.50 per kg") for a tariff priced by one (None)."""
    if up_to_g is None:
        assert t.formula is not None
        return f"{t.formula.per_piece} per piece + {t.formula.per_unit} per {t.weight_unit}"
    return f"up to {unit_text(up_to_g, t)}"


def unit_text(grams: Decimal, t: Tariff) -> str:
    """``grams`` in the tariff's weight unit, as its price list writes it ("0.5 kg", "4 oz")."""
    v = grams / t.unit_g
    s = f"{v.normalize():f}"
    return f"{s} {t.weight_unit}"


def formula_price(t: Tariff, chargeable_g: Decimal) -> Decimal:
    """The price of ``chargeable_g`` grams under a tariff priced by a formula (per piece plus
    per unit of weight), to the cent, half up."""
    assert t.formula is not None
    return cents(t.formula.per_piece + t.formula.per_unit * chargeable_g / t.unit_g)


def zone_for(t: Tariff, destination: str, zone: str | None) -> str:
    """The tariff zone for a destination (and the zone given by the caller, if the product
    needs one).  Raises :class:`NotPriceable` when the destination is not served."""
    if t.zones_by == "country":
        z = t.countries.get(destination)
        if z is None:
            raise NotPriceable(t.id, "destination-not-served",
                               f"{t.name} does not serve {destination}")
        return z
    if t.zones_by == "world":
        if destination in t.origins:
            raise NotPriceable(t.id, "destination-not-served",
                               f"{t.name} is international only; it does not carry to {destination}")
        return t.zone_names[0]
    if destination not in t.destinations:
        raise NotPriceable(t.id, "destination-not-served",
                           f"{t.name} serves only {', '.join(sorted(t.destinations))}, not {destination}")
    if zone is None or zone == "":
        raise NotPriceable(t.id, "zone-required",
                           f"{t.name} is priced by zone/rate code; give one of {', '.join(t.zone_names[:12])}"
                           + (" ..." if len(t.zone_names) > 12 else ""))
    z = str(zone).strip().upper()
    for name in t.zone_names:
        if name.upper() == z:
            return name
    raise NotPriceable(t.id, "zone-unknown",
                       f"{zone!r} is not a zone of {t.name} (zones: {', '.join(t.zone_names[:12])}"
                       + (" ..." if len(t.zone_names) > 12 else "") + ")")


def check_limits(t: Tariff, weight_g: Decimal, dims_mm: tuple[Decimal, Decimal, Decimal] | None) -> None:
    """Raise :class:`NotPriceable` when the parcel breaks a weight or size limit."""
    lim = t.limits
    if lim.max_weight_g is not None and weight_g > lim.max_weight_g + TOLERANCE_G:
        # in kilograms to the gram, unless that reads as the limit itself ("2.000 kg is over the 2 kg")
        hidden = weight_g.quantize(Decimal(1), rounding=ROUND_HALF_UP) <= lim.max_weight_g
        shown = format_weight(weight_g, "g" if hidden else "kg")
        raise NotPriceable(t.id, "over-weight-limit",
                           f"{shown} is over the {lim.text.get('max_weight')} limit of {t.name}")
    if dims_mm is None:
        return
    a, b, c = dims_mm
    checks = (
        (lim.max_longest_side_mm, a, "longest side", "max_longest_side"),
        (lim.max_sum_of_sides_mm, a + b + c, "length + width + height", "max_sum_of_sides"),
        (lim.max_length_plus_girth_mm, a + 2 * (b + c), "length + girth", "max_length_plus_girth"),
    )
    for limit, value, what, key in checks:
        if limit is not None and value > limit:
            raise NotPriceable(t.id, "over-size-limit",
                               f"{what} {format_length(value, 'cm')} is over the {lim.text[key]} limit of {t.name}")
    mins = ((lim.min_longest_side_mm, a, "longest side", "min_longest_side"),
            (lim.min_second_side_mm, b, "width", "min_second_side"))
    for limit, value, what, key in mins:
        if limit is not None and value < limit:
            raise NotPriceable(t.id, "under-size-limit",
                               f"{what} {format_length(value, 'cm')} is under the {lim.text[key]} minimum of {t.name}")


def _round_side(mm: Decimal, unit: str, how: str) -> Decimal:
    v = mm / MM_PER[unit]
    if how == "nearest":
        return v.to_integral_value(rounding=ROUND_HALF_UP)
    if how == "up":
        return v.to_integral_value(rounding=ROUND_CEILING)
    return v


def chargeable_weight(t: Tariff, weight_g: Decimal,
                      dims_mm: tuple[Decimal, Decimal, Decimal] | None = None
                      ) -> tuple[Decimal, Decimal, Decimal | None]:
    """``(rounded actual, chargeable, volumetric or None)`` in grams."""
    rounded = round_up(max(weight_g - TOLERANCE_G, Decimal(0)), t.rounding_g) if t.rounding_g else weight_g
    vol_g = None
    v = t.volumetric
    if v is not None and dims_mm is not None:
        sides = [_round_side(s, v.length_unit, v.dimension_rounding) for s in dims_mm]
        volume = sides[0] * sides[1] * sides[2]
        if volume > v.applies_over_volume:
            vw = volume / v.divisor * GRAMS_PER[v.weight_unit]
            vol_g = round_up(vw, v.result_rounding_g) if v.result_rounding_g else vw
    chargeable = max(rounded, vol_g) if vol_g is not None else rounded
    return rounded, chargeable, vol_g


def step_index(steps: tuple[Step, ...], grams: Decimal) -> int:
    """Index of the first step whose bound is >= grams (len(steps) when past the last)."""
    lo, hi = 0, len(steps)
    while lo < hi:
        mid = (lo + hi) // 2
        if steps[mid].up_to_g + TOLERANCE_G < grams:
            lo = mid + 1
        else:
            hi = mid
    return lo


def price_parcel(t: Tariff, *, weight_g: Decimal, destination: str, zone: str | None = None,
                 dims_mm: tuple[Decimal, Decimal, Decimal] | None = None) -> Quote:
    """Price a parcel; raise :class:`NotPriceable` with the reason when the product cannot
    carry it."""
    z = zone_for(t, destination, zone)
    check_limits(t, weight_g, dims_mm)
    rounded, chargeable, vol_g = chargeable_weight(t, weight_g, dims_mm)
    oversize = False
    step_up: Decimal | None = None
    if t.formula is not None:
        base = formula_price(t, chargeable)
    else:
        i = step_index(t.steps, chargeable)
        if i < len(t.steps):
            step = t.steps[i]
            base = step.prices[z]
            step_up = step.up_to_g
        elif t.beyond is not None:
            last = t.steps[-1]
            extra = ((chargeable - TOLERANCE_G - last.up_to_g)
                     / t.beyond.increment_g).to_integral_value(rounding=ROUND_CEILING)
            base = last.prices[z] + extra * t.beyond.prices[z]
            step_up = last.up_to_g + extra * t.beyond.increment_g
        else:
            raise NotPriceable(t.id, "over-weight-limit",
                               f"chargeable weight {format_weight(chargeable)} is past the last price step "
                               f"({unit_text(t.steps[-1].up_to_g, t)}) of {t.name}")
        if t.oversize is not None and dims_mm is not None:
            a, b, c = dims_mm
            if a + 2 * (b + c) > t.oversize.length_plus_girth_over_mm:
                base = t.oversize.prices[z]
                oversize = True
    extras: list[tuple[str, Decimal]] = []
    if dims_mm is not None:
        for sc in t.surcharges:
            if sc.applies(dims_mm):
                extras.append((sc.name, sc.for_zone(z)))
    total = base + sum((x for _, x in extras), Decimal(0))
    return Quote(tariff=t, zone=z, weight_g=weight_g, rounded_g=rounded, volumetric_g=vol_g,
                 chargeable_g=chargeable, step_up_to_g=step_up, base=base, surcharges=tuple(extras),
                 oversize=oversize, price=Money(total, t.currency))
