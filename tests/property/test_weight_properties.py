"""Property tests: weights round-trip through every unit and spelling."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.units import GRAMS_PER, grams_to, parse_weight
from strategies import UNITS, grams, spell, spell_compound, spelled_weights

pytestmark = pytest.mark.slow

#: Decimal works to 28 significant digits: 1 / 28.349523125 does not terminate, so grams -> oz
#: -> grams can come back as 519.9999999999999999999999999.  Far below the 1 µg that pricing
#: forgives (postcheck.tariffs.pricing.TOLERANCE_G).
NOISE = Decimal("1e-18")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(UNITS), st.decimals(min_value=0, max_value=100_000, places=6, allow_nan=False,
                                            allow_infinity=False))
def test_unit_to_grams_to_unit_is_exact(unit: str, amount: Decimal) -> None:
    g = parse_weight(f"{amount} {unit}")
    assert g == amount * GRAMS_PER[unit]
    assert grams_to(g, unit) == amount


@settings(max_examples=200, deadline=None)
@given(grams(0, 100_000), st.booleans())
def test_grams_to_kg_to_grams_is_exact(g: Decimal, comma: bool) -> None:
    assert parse_weight(spell(g, "kg", comma=comma)) == g


@settings(max_examples=200, deadline=None)
@given(grams(0, 100_000), st.sampled_from(("oz", "lb")), st.booleans())
def test_grams_to_imperial_to_grams(g: Decimal, unit: str, comma: bool) -> None:
    assert abs(parse_weight(spell(g, unit, comma=comma)) - g) <= NOISE


@settings(max_examples=150, deadline=None)
@given(grams(0, 100_000))
def test_compound_pounds_and_ounces(g: Decimal) -> None:
    assert abs(parse_weight(spell_compound(g)) - g) <= NOISE


@settings(max_examples=150, deadline=None)
@given(spelled_weights())
def test_every_spelling_reads_back(pair: tuple[Decimal, str]) -> None:
    g, text = pair
    assert abs(parse_weight(text, field="weight") - g) <= NOISE


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 500), st.decimals(min_value=0, max_value=Decimal("15.999"), places=3))
def test_pounds_plus_ounces_is_the_sum(pounds: int, ounces: Decimal) -> None:
    assert parse_weight(f"{pounds} lb {ounces} oz") == pounds * GRAMS_PER["lb"] + ounces * GRAMS_PER["oz"]
