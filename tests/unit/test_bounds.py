"""Numbers of any size, keys and columns of any count: refused by name, quickly, never an
arithmetic exception (issue: numbers bounded before any Decimal arithmetic)."""

from __future__ import annotations

import copy
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import postcheck
from postcheck.cli import cli
from postcheck.errors import InvalidInput, InvalidLabel, UnitError
from postcheck.label import label_from_json, loads_json
from postcheck.money import parse_amount
from postcheck.bounds import bounded, int_bounded, shown
from postcheck.rows import label_from_row, max_columns
from postcheck.units import parse_length, parse_weight

STORY_PATH = Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json"
STORY = json.loads(STORY_PATH.read_text())


def _label(**changes: object) -> dict:
    d = copy.deepcopy(STORY)
    d.update(changes)
    return d


# -- the bound itself

@given(st.integers(min_value=28, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_a_number_past_the_exponent_bound_is_refused_by_every_reader(exp, lead):
    text = f"{lead}e{exp}"
    t0 = time.perf_counter()
    assert not bounded(Decimal(text))
    with pytest.raises(UnitError, match="under 1000000000 g"):
        parse_weight(f"{text} g", field="packaging_weight")
    with pytest.raises(UnitError, match="under 1000000000 mm"):
        parse_length(f"{text} cm", field="dimensions")
    with pytest.raises(InvalidInput, match="under"):
        parse_amount(Decimal(text), field="postage_paid")
    assert time.perf_counter() - t0 < 1


@given(st.integers(min_value=29, max_value=6000))
def test_a_number_of_too_many_digits_is_refused(n):
    digits = "1" + "0" * (n - 2) + "1"
    assert not bounded(Decimal(digits))
    assert not bounded(Decimal("0." + digits))
    with pytest.raises(InvalidInput):
        parse_amount(Decimal(digits))
    with pytest.raises(UnitError):
        parse_weight(Decimal("0." + digits), unit="g")


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**8, places=6))
def test_ordinary_numbers_are_within_the_bound(d):
    assert bounded(d)


def test_zero_with_any_exponent_is_zero():
    assert parse_weight("0e999999999 g") == 0


def test_huge_ints_are_shown_without_printing_them():
    big = 10 ** 5000
    assert not int_bounded(big)
    assert shown(big) == "<a whole number of about 5001 digits>"
    assert "5001 digits" in str(InvalidInput("items[0].quantity", big, "a whole number"))


def test_the_readme_bound_of_a_weight_is_exclusive():
    assert parse_weight("999999999 g") == Decimal(999999999)
    with pytest.raises(UnitError, match="under 1000000000 g"):
        parse_weight("1000000000 g", field="packaging_weight")
    with pytest.raises(UnitError, match="under 1000000000 g"):
        parse_weight("1000000 kg")


# -- labels from JSON and from Python

@pytest.mark.parametrize("field, value, expected", [
    ("packaging_weight", "5e1000000 g", "packaging_weight: a weight under 1000000000 g"),
    ("gross_weight", "5e999999 kg", "gross_weight: a weight under 1000000000 g"),
    ("measured_weight", "1e-999999999 g", "measured_weight: a weight of at most 28 significant digits"),
    ("postage_paid", Decimal("1e999999999"), "postage_paid: an amount under 1000000000000"),
    ("total_value", 10 ** 5000, "total_value: an amount under 1000000000000"),
    ("dimensions", "1e999 x 1 x 1 cm", "dimensions: a length under 1000000000 mm"),
], ids=["exp-weight", "exp-kg", "tiny", "exp-amount", "int-5000-digits", "exp-dims"])
def test_check_refuses_huge_numbers_with_invalid_label(field, value, expected):
    t0 = time.perf_counter()
    with pytest.raises(InvalidLabel) as e:
        postcheck.check(_label(**{field: value}))
    assert expected in str(e.value)
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize("quantity", ["1e999999999", "1e5000", "9" * 5000, "-1e999999999"],
                         ids=["exp-9", "exp-5000", "digits-5000", "negative"])
def test_a_huge_json_quantity_is_refused_at_once(quantity):
    text = STORY_PATH.read_text().replace('"quantity": 1,', f'"quantity": {quantity},', 1)
    t0 = time.perf_counter()
    with pytest.raises(InvalidLabel, match=r"items\[0\]\.quantity: a whole number of pieces, 1 to 1000000"):
        label_from_json(text, source="huge.json")
    assert time.perf_counter() - t0 < 2


def test_a_huge_python_quantity_is_refused():
    d = _label()
    d["items"][0]["quantity"] = 10 ** 5000
    with pytest.raises(InvalidLabel, match="quantity"):
        postcheck.check(d)
    d["items"][0]["quantity"] = Decimal("1e999999999")
    with pytest.raises(InvalidLabel, match="quantity"):
        postcheck.check(d)


@pytest.mark.parametrize("cell", ["9" * 5000, "1e999999999", "٣", "３", "1" * 29],
                         ids=["digits-5000", "exp", "arabic-indic", "full-width", "digits-29"])
def test_a_huge_or_foreign_csv_quantity_is_a_row_error(cell):
    row = {"service": "small_packet_usa_air", "origin": "CA", "destination": "US", "currency": "CAD",
           "item1_description": "Mug", "item1_quantity": cell, "item1_net_weight": "300 g", "item1_value": "5"}
    with pytest.raises(InvalidLabel, match="item1_quantity"):
        label_from_row(row, source="orders.csv row 2")


def test_a_long_json_integer_becomes_a_field_error():
    assert loads_json("1" + "0" * 40) == Decimal("1" + "0" * 40)
    assert loads_json("12") == 12 and type(loads_json("12")) is int


# -- digits other than 0-9: refused, on purpose (see postcheck.bounds)

@pytest.mark.parametrize("text", ["４０ g", "٤٠ g", "۴۰ g", "४० g", "40 g".replace("4", "٤")])
def test_weights_in_other_digits_are_refused_by_name(text):
    with pytest.raises(UnitError, match="packaging_weight: a weight written with the digits 0-9"):
        parse_weight(text, field="packaging_weight")


@pytest.mark.parametrize("text", ["１２.８３", "١٢٫٨٣", "CAD １２.83"])
def test_amounts_in_other_digits_are_refused_by_name(text):
    with pytest.raises(InvalidInput, match="postage_paid: an amount written with the digits 0-9"):
        parse_amount(text, field="postage_paid")


# -- JSON shape: duplicate keys, key counts

def test_a_duplicated_key_is_refused():
    text = STORY_PATH.read_text().replace('"postage_paid": "12.83",', '"postage_paid": "12.83", "postage_paid": "18.82",')
    with pytest.raises(InvalidLabel, match="duplicate key 'postage_paid'"):
        label_from_json(text, source="dup.json")


def test_a_duplicated_key_inside_an_item_is_refused():
    text = STORY_PATH.read_text().replace('"quantity": 1,', '"quantity": 1, "quantity": 9,', 1)
    with pytest.raises(InvalidLabel, match="duplicate key 'quantity'"):
        label_from_json(text)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["top", "item", "sender"])
def test_200000_unknown_keys_are_refused_quickly(where):
    d = _label()
    target = {"top": d, "item": d["items"][0], "sender": d["sender"]}[where]
    for i in range(200_000):
        target[f"k{i}"] = 1
    text = json.dumps(d)
    t0 = time.perf_counter()
    with pytest.raises(InvalidLabel, match="an object of at most .* fields, not 2000"):
        label_from_json(text)
    assert time.perf_counter() - t0 < 5


def test_a_few_unknown_keys_still_get_suggestions():
    with pytest.raises(InvalidLabel, match="did you mean 'postage_paid'"):
        postcheck.check(_label(postage_payed="12.83"))


# -- files: an empty list, a header of a million columns

def test_a_file_holding_an_empty_list_is_an_input_error(tmp_path):
    p = tmp_path / "label.json"
    p.write_text("[]")
    r = CliRunner().invoke(cli, ["check", str(p)])
    assert r.exit_code == 2
    assert "holds no label to check" in r.output


@pytest.mark.slow
def test_a_csv_header_of_a_million_columns_is_refused_quickly(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + ",".join("1" for _ in range(10)) + "\n")
    t0 = time.perf_counter()
    r = CliRunner().invoke(cli, ["check", str(p)])
    assert r.exit_code == 2
    assert f"a header of 1000000 columns; at most {max_columns()} are read" in r.output
    assert time.perf_counter() - t0 < 5


def test_the_column_bound_admits_every_contents_line():
    from postcheck.limits import current
    from postcheck.rows import ITEM_COLUMNS, LABEL_COLUMNS

    assert max_columns() >= len(LABEL_COLUMNS) + len(ITEM_COLUMNS) * current().items


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["packaging_weight", "gross_weight", "measured_weight", "postage_paid",
                              "total_value", "dimensions"]),
       mantissa=st.integers(min_value=1, max_value=10**6),
       exp=st.integers(min_value=-(10**9), max_value=10**9),
       unit=st.sampled_from(["g", "kg", "lb", "oz", "cm", ""]))
def test_any_exponent_in_any_numeric_field_is_a_finding_or_invalid_label(field, mantissa, exp, unit):
    value = f"{mantissa}e{exp} {unit}".strip() if field != "dimensions" else f"{mantissa}e{exp} x 1 x 1 cm"
    if field in ("postage_paid", "total_value"):
        value = Decimal(f"{mantissa}e{exp}")
    t0 = time.perf_counter()
    try:
        postcheck.check(_label(**{field: value}))
    except InvalidLabel as e:
        assert field in str(e)
    assert time.perf_counter() - t0 < 2


# -- tariff files

_DEMO_FILE = Path("demo") / "parcel_demo" / "2025-01-01.toml"


@pytest.mark.parametrize("old, new, key", [
    ('A = "1.00"', 'A = "1234567890123456789012345678901"', "steps[0].prices.A"),
    ('A = "1.00"', 'A = "１.00"', "steps[0].prices.A"),
    ('A = "1.00"', 'A = "٣.00"', "steps[0].prices.A"),
    ("format = 1", "format = " + "9" * 5000, ""),
    ("format = 1", "format = " + "9" * 4000, "format"),
], ids=["31-digits", "full-width", "arabic-indic", "int-5000-digits", "int-4000-digits"])
def test_absurd_tariff_numbers_are_refused_by_validate_and_by_the_loader(demo_copy, old, new, key):
    from postcheck.errors import TariffFileError
    from postcheck.tariffs import Rates, validate_dir

    f = demo_copy / _DEMO_FILE
    f.write_text(f.read_text().replace(old, new, 1))
    t0 = time.perf_counter()
    errors = validate_dir(demo_copy)
    assert len(errors) == 1 and errors[0].path == str(f) and errors[0].key == key
    with pytest.raises(TariffFileError):
        Rates.load([demo_copy], bundled=False, env=False)
    r = CliRunner().invoke(cli, ["rates", "validate", str(demo_copy)])
    assert r.exit_code == 2 and str(f) in r.output
    assert time.perf_counter() - t0 < 5
