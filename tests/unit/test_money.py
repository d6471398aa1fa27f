"""Money: exact Decimal arithmetic in one currency; floats and mixed currencies refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from postcheck.errors import InvalidInput
from postcheck.money import Money, cents, is_currency, parse_amount


def cad(text: str) -> Money:
    return Money(Decimal(text), "CAD")


def test_addition_is_exact() -> None:
    assert cad("0.1") + cad("0.2") == cad("0.3")
    assert sum((cad("0.01") for _ in range(100)), cad("0")) == cad("1.00")


def test_subtraction_is_exact() -> None:
    assert Money.parse("CAD 18.82") - Money.parse("12.83", currency="CAD") == cad("5.99")


def test_comparisons() -> None:
    assert cad("12.83") < cad("18.82") <= cad("18.82")
    assert cad("24.83") > cad("22.06") >= cad("22.06")


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_currency_mismatch_raises(op: str) -> None:
    with pytest.raises(ValueError, match="CAD with USD"):
        getattr(cad("1.00"), op)(Money(Decimal("1.00"), "USD"))


def test_money_does_not_combine_with_numbers() -> None:
    with pytest.raises(TypeError):
        cad("1.00") + Decimal("1.00")  # type: ignore[operator]


@pytest.mark.parametrize("value", [12.83, 0.1, float("nan")])
def test_floats_refused(value: float) -> None:
    with pytest.raises(InvalidInput, match="floats are not exact"):
        parse_amount(value, field="postage_paid")
    with pytest.raises(InvalidInput) as info:
        Money.parse(value, currency="CAD", field="postage_paid")
    assert info.value.field == "postage_paid"


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("12.83", Decimal("12.83"), None),
    ("12,83", Decimal("12.83"), None),
    ("CAD 12.83", Decimal("12.83"), "CAD"),
    ("12.83 cad", Decimal("12.83"), "CAD"),
    ("EUR 1.234,56", Decimal("1234.56"), "EUR"),
    ("1,234.56 USD", Decimal("1234.56"), "USD"),
    (Decimal("4.12"), Decimal("4.12"), None),
    (13, Decimal("13"), None),
])
def test_parse_amount(text: object, amount: Decimal, currency: str | None) -> None:
    got, cur = parse_amount(text)
    assert got == amount and isinstance(got, Decimal)
    assert cur == currency


@pytest.mark.parametrize("text", ["-1.00", "abc", "12.83 ZZZ", "CAD 1 USD", "NaN", "", None, True])
def test_parse_amount_refusals(text: object) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(text)


def test_parse_needs_a_currency_and_the_right_one() -> None:
    with pytest.raises(InvalidInput, match="with a currency"):
        Money.parse("12.83")
    with pytest.raises(InvalidInput, match="in CAD"):
        Money.parse("USD 12.83", currency="CAD")


def test_text_and_str_round_half_up_to_the_cent() -> None:
    assert str(cad("5.99")) == "CAD 5.99"
    assert cad("4.125").text == "4.13"
    assert cents(Decimal("4.125")) == Decimal("4.13")
    assert cents(Decimal("4.124999")) == Decimal("4.12")


def test_currency_codes() -> None:
    assert is_currency("CAD") and is_currency("EUR") and is_currency("USD")
    assert not is_currency("CDN") and not is_currency("cad") and not is_currency("EURO")
