"""Exceptions: one root, the matching builtin, typed attributes, and pickling."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from postcheck.errors import (InvalidInput, LabelReadError, NoTariffInForce, NotPriceable, PostcheckError,
                              TariffFileError, UnitError, UnknownService)
from postcheck.units import parse_weight

CASES = [
    (UnitError("items[0].net_weight", "25 cm", "a weight (g, kg, oz, lb), not a length"),
     ValueError, {"field": "items[0].net_weight", "value": "25 cm", "expected": "a weight (g, kg, oz, lb), not a length",
                  "source": None}),
    (InvalidInput("postage_paid", 12.5, "an amount as a string", source="labels.csv:3"),
     ValueError, {"field": "postage_paid", "value": 12.5, "source": "labels.csv:3"}),
    (TariffFileError("rates/x/2021-09-13.toml", "steps[2].up_to", "overlaps the step before it"),
     ValueError, {"path": "rates/x/2021-09-13.toml", "key": "steps[2].up_to", "problem": "overlaps the step before it"}),
    (UnknownService("express_pigeon", ("small_packet_usa_air",)),
     LookupError, {"service": "express_pigeon", "known": ("small_packet_usa_air",)}),
    (NoTariffInForce("small_packet_usa_air", dt.date(2020, 1, 1), dt.date(2021, 9, 13), None),
     LookupError, {"service": "small_packet_usa_air", "date": dt.date(2020, 1, 1), "first": dt.date(2021, 9, 13),
                   "last": None}),
    (NotPriceable("small_packet_usa_air", "over-weight-limit", "2.001 kg is over the 2 kg limit"),
     ValueError, {"service": "small_packet_usa_air", "reason": "over-weight-limit"}),
    (LabelReadError("label.pdf", "not a PDF"), ValueError, {"path": "label.pdf", "problem": "not a PDF"}),
]


@pytest.mark.parametrize(("error", "builtin", "attrs"), CASES, ids=lambda c: type(c).__name__ if isinstance(c, Exception) else "")
def test_hierarchy_and_attributes(error: PostcheckError, builtin: type, attrs: dict) -> None:
    assert isinstance(error, PostcheckError)
    assert isinstance(error, builtin)
    for name, value in attrs.items():
        assert getattr(error, name) == value


@pytest.mark.parametrize(("error", "builtin", "attrs"), CASES, ids=lambda c: type(c).__name__ if isinstance(c, Exception) else "")
def test_pickle_round_trip(error: PostcheckError, builtin: type, attrs: dict) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    for name, value in attrs.items():
        assert getattr(again, name) == value


def test_no_tariff_in_force_is_a_lookup_error_and_unit_error_a_value_error() -> None:
    assert issubclass(NoTariffInForce, LookupError)
    assert issubclass(UnitError, ValueError)
    assert issubclass(UnitError, InvalidInput)


def test_messages_are_built_from_attributes() -> None:
    e = NoTariffInForce("demo_parcel", dt.date(2023, 6, 1), dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert str(e) == "no price list of demo_parcel is in force on 2023-06-01: the earliest table starts 2024-01-01"
    e = NoTariffInForce("demo_parcel", dt.date(2026, 1, 1), dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert str(e).endswith("the known tables end 2025-12-31")
    assert str(TariffFileError("a.toml", "currency", "bad")) == "a.toml [currency]: bad"


def test_a_raised_unit_error_pickles() -> None:
    with pytest.raises(UnitError) as info:
        parse_weight("25 cm", field="items[0].net_weight")
    again = pickle.loads(pickle.dumps(info.value))
    assert again.field == "items[0].net_weight"
    assert str(again) == str(info.value)
