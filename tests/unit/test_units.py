"""Weights and lengths: every accepted spelling, exact factors, and refusals that name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from postcheck.errors import UnitError
from postcheck.units import (GRAMS_PER, MM_PER, grams_to, length, parse_dimensions, parse_length,
                             parse_weight, registry, weight)


@pytest.mark.parametrize(("text", "grams"), [
    ("520 g", Decimal("520")),
    ("520g", Decimal("520")),
    ("0.52 kg", Decimal("520")),
    ("0,52 kg", Decimal("520")),
    ("1 lb 2 oz", Decimal("510.29141625")),
    ("1 lb", Decimal("453.59237")),
    ("1 oz", Decimal("28.349523125")),
    ("18.3 oz", Decimal("18.3") * Decimal("28.349523125")),
    ("2 lbs", Decimal("907.18474")),
    ("1 kilogram", Decimal("1000")),
    ("  520 grams ", Decimal("520")),
    ("1.234,5 g", Decimal("1234.5")),
    ("1,234.5 g", Decimal("1234.5")),
    ("500.001 g", Decimal("500.001")),
])
def test_weight_spellings(text: str, grams: Decimal) -> None:
    assert parse_weight(text) == grams


def test_weight_result_is_exact_decimal() -> None:
    g = parse_weight("1 lb 2 oz")
    assert isinstance(g, Decimal)
    assert g == Decimal("453.59237") + 2 * Decimal("28.349523125")


@pytest.mark.parametrize(("value", "unit", "grams"), [
    (520, "g", Decimal("520")),
    (Decimal("0.52"), "kg", Decimal("520")),
    ("520", "g", Decimal("520")),
    ("0,52", "kg", Decimal("520")),
    (2, "lb", Decimal("907.18474")),
])
def test_bare_number_with_unit(value: object, unit: str, grams: Decimal) -> None:
    assert parse_weight(value, unit=unit) == grams


def test_written_unit_beats_default_unit() -> None:
    assert parse_weight("1 lb", unit="kg") == Decimal("453.59237")


@pytest.mark.parametrize(("magnitude", "unit", "grams"), [
    (Decimal("0.52"), "kilogram", Decimal("520")),
    (Decimal("18.3"), "ounce", Decimal("18.3") * Decimal("28.349523125")),
    (1, "pound", Decimal("453.59237")),
    (520, "gram", Decimal("520")),
])
def test_pint_quantity_from_the_package_registry(magnitude: object, unit: str, grams: Decimal) -> None:
    q = registry().Quantity(magnitude, unit)
    assert parse_weight(q) == grams


def test_registry_is_one_object() -> None:
    assert registry() is registry()


def test_weight_and_length_helpers_return_exact_quantities() -> None:
    q = weight("1 lb")
    assert q.units == registry().gram
    assert q.magnitude == Decimal("453.59237")
    assert q.to("kilogram").magnitude == Decimal("0.45359237")
    assert length("1 in").magnitude == Decimal("25.4")
    assert parse_weight(weight("0,52 kg")) == Decimal("520")


@pytest.mark.parametrize(("unit", "factor"), [
    ("g", Decimal("1")), ("kg", Decimal("1000")), ("oz", Decimal("28.349523125")),
    ("lb", Decimal("453.59237")), ("mg", Decimal("0.001")),
])
def test_exact_weight_factors(unit: str, factor: Decimal) -> None:
    assert GRAMS_PER[unit] == factor
    assert parse_weight(f"1 {unit}") == factor


def test_sixteen_ounces_are_one_pound_exactly() -> None:
    assert parse_weight("16 oz") == parse_weight("1 lb") == Decimal("453.59237")


@pytest.mark.parametrize(("text", "mm"), [
    ("25 cm", Decimal("250")), ("1 in", Decimal("25.4")), ("1 ft", Decimal("304.8")),
    ("0,6 m", Decimal("600")), ("60 mm", Decimal("60")),
])
def test_length_spellings(text: str, mm: Decimal) -> None:
    assert parse_length(text) == mm
    assert MM_PER["in"] == Decimal("25.4")


def test_dimensions_unit_once_longest_first() -> None:
    assert parse_dimensions("18 x 25 x 4 cm") == (Decimal("250"), Decimal("180"), Decimal("40"))
    assert parse_dimensions(["14 in", "14 in", "14 in"]) == (Decimal("355.6"),) * 3


@pytest.mark.parametrize(("value", "problem"), [
    ("25 cm", "not a length"),
    ("3 in", "not a length"),
    ("-5 g", "not negative"),
    ("nan g", "finite"),
    ("NaN", "finite"),
    ("inf kg", "finite"),
    ("520", "with a unit"),
    ("abc", "a weight such as"),
    ("", "a weight such as"),
    ("5 parsecs", "not a length"),
    ("5 zorks", "unknown unit"),
    (None, "with a unit"),
    (True, "with a unit"),
])
def test_weight_refusals_name_the_field(value: object, problem: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_weight(value, field="items[2].net_weight")
    e = info.value
    assert e.field == "items[2].net_weight"
    assert str(e).startswith("items[2].net_weight: ")
    assert problem in e.expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_non_finite_numbers_refused(value: object) -> None:
    with pytest.raises(UnitError) as info:
        parse_weight(value, field="weight", unit="g")
    assert info.value.field == "weight"


def test_bare_number_without_unit_refused() -> None:
    with pytest.raises(UnitError, match="bare number"):
        parse_weight(520, field="gross_weight")


def test_length_refuses_weight() -> None:
    with pytest.raises(UnitError) as info:
        parse_length("2 kg", field="dimensions")
    assert info.value.field == "dimensions"
    assert "not a weight" in str(info.value)


def test_pint_length_quantity_refused_as_weight() -> None:
    with pytest.raises(UnitError, match="not a length"):
        parse_weight(registry().Quantity(Decimal(3), "inch"), field="weight")


def test_unit_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_weight("heavy")


@pytest.mark.parametrize("unit", ["kg", "oz", "lb"])
def test_whole_units_round_trip_exactly(unit: str) -> None:
    for n in ("1", "2.5", "15.999", "70"):
        assert grams_to(parse_weight(f"{n} {unit}"), unit) == Decimal(n)


def test_grams_to_kg_round_trip_exact() -> None:
    assert grams_to(Decimal("520"), "kg") == Decimal("0.52")
    assert parse_weight(f"{grams_to(Decimal('500.001'), 'kg')} kg") == Decimal("500.001")
