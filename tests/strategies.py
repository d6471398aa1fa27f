"""Hypothesis strategies for weights and parcels, shared by the property tests.

Weights are drawn as exact Decimal grams at milligram resolution (the finest resolution a step
edge is promised at: 500 g is in the "up to 0.5 kg" step, 500.001 g is not), then spelled the
ways a label writes them: g, kg, oz, lb, with a decimal point or a decimal comma, or compound
("1 lb 2 oz").
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from hypothesis import strategies as st

from postcheck.tariffs import Tariff
from postcheck.units import GRAMS_PER, grams_to

MG = Decimal("0.001")
UNITS = ("g", "kg", "oz", "lb")


def grams(min_g: Decimal | int = 0, max_g: Decimal | int = 30_000) -> st.SearchStrategy[Decimal]:
    """Exact grams with milligram resolution in ``[min_g, max_g]``."""
    lo = int((Decimal(min_g) / MG).to_integral_value(rounding=ROUND_CEILING))
    hi = int((Decimal(max_g) / MG).to_integral_value(rounding=ROUND_FLOOR))
    return st.integers(lo, hi).map(lambda n: Decimal(n) * MG)


def spell(g: Decimal, unit: str, *, comma: bool = False) -> str:
    """``g`` grams written in ``unit`` (as exactly as Decimal allows), optionally with a
    decimal comma."""
    number = f"{grams_to(g, unit).normalize():f}"
    if comma:
        number = number.replace(".", ",")
    return f"{number} {unit}"


def spell_compound(g: Decimal) -> str:
    """``g`` grams as whole pounds plus ounces: ``"1 lb 2.5 oz"``."""
    pounds = (g / GRAMS_PER["lb"]).to_integral_value(rounding=ROUND_FLOOR)
    rest = g - pounds * GRAMS_PER["lb"]
    return f"{pounds} lb {grams_to(rest, 'oz').normalize():f} oz"


@st.composite
def spelled_weights(draw, g: st.SearchStrategy[Decimal] | None = None) -> tuple[Decimal, str]:
    """``(grams, text)``: one weight and one of its spellings."""
    value = draw(g if g is not None else grams())
    how = draw(st.sampled_from(UNITS + ("compound",)))
    if how == "compound":
        return value, spell_compound(value)
    return value, spell(value, how, comma=draw(st.booleans()))


@st.composite
def edge_weights(draw, t: Tariff) -> tuple[Decimal, int, int]:
    """``(grams, bound index, offset)``: a weight exactly on a step bound (offset 0) or 1 mg
    either side of it (offset -1 / +1)."""
    i = draw(st.integers(0, len(t.steps) - 1))
    offset = draw(st.sampled_from((-1, 0, 1)))
    return t.steps[i].up_to_g + offset * MG, i, offset


def destinations_by_zone(t: Tariff) -> dict[str, str]:
    """One destination country (and the zone to pass, if any) for every zone the caller can
    reach: ``{zone: destination}``."""
    if t.zones_by == "country":
        out: dict[str, str] = {}
        for country, zone in sorted(t.countries.items()):
            out.setdefault(zone, country)
        return out
    if t.zones_by == "world":
        return {t.zone_names[0]: "JP" if "JP" not in t.origins else "US"}
    dest = sorted(t.destinations)[0]
    return {z: dest for z in t.zone_names}


@st.composite
def zone_and_destination(draw, t: Tariff) -> tuple[str | None, str]:
    """``(zone to pass or None, destination)`` for a reachable zone of ``t``."""
    reach = destinations_by_zone(t)
    zone = draw(st.sampled_from(sorted(reach)))
    return (zone if t.zones_by == "input" else None), reach[zone]


def max_priced_g(t: Tariff) -> Decimal:
    """The heaviest weight worth pricing: the weight limit, else the last step (plus a few
    increments of ``[beyond]``)."""
    if t.limits.max_weight_g is not None:
        return t.limits.max_weight_g
    last = t.steps[-1].up_to_g
    return last + 4 * t.beyond.increment_g if t.beyond else last
