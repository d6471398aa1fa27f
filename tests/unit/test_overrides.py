"""--set FIELD=VALUE: apply_overrides on a label's mapping, its checks and its round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import label_dicts, string_leaves
from postcheck import apply_overrides
from postcheck.errors import InvalidInput
from postcheck.label import label_from_dict

STORY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json").read_text("utf-8"))


def test_sets_top_level_line_and_address_fields_on_a_copy():
    before = copy.deepcopy(STORY)
    out = apply_overrides(STORY, ["destination=FR", "service=small_packet_international_air",
                                  "items[0].net_weight=300 g", "addressee.country=FR"])
    assert STORY == before  # the input is not changed
    assert out["destination"] == "FR" and out["service"] == "small_packet_international_air"
    assert out["items"][0]["net_weight"] == "300 g" and out["addressee"]["country"] == "FR"
    assert label_from_dict(out).destination == "FR"


def test_supplies_what_a_partial_label_lacks():
    partial = {"origin": "CA", "currency": "CAD", "items": [{"description": "Mug", "value": "25.00"}]}
    out = apply_overrides(partial, ["service=small_packet_usa_air", "destination=us", "items[0].net_weight=300 g",
                                    "items[1].description=Tea towel", "items[1].net_weight=180 g",
                                    "items[1].value=24.00", "sender.name=Marie Tremblay"])
    label = label_from_dict(out)
    assert label.destination == "US" and label.net_weight_g == 480 and len(label.items) == 2
    assert label.sender.name == "Marie Tremblay"


def test_an_empty_value_removes_the_field():
    out = apply_overrides(STORY, ["gross_weight=", "tracking_number="])
    assert "tracking_number" not in out and "gross_weight" not in out


@pytest.mark.parametrize("text,field,expected", [
    ("destinaton=US", "--set destinaton", "did you mean 'destination'?"),
    ("destination=XX", "--set destination", "ISO 3166-1 alpha-2 country code"),
    ("items[0].net_weight=25 cm", "--set items[0].net_weight", "a weight (g, kg, oz, lb), not a length"),
    ("items[0].weight=3 g", "--set items[0].weight", "did you mean 'net_weight'?"),
    ("items[9].net_weight=3 g", "--set items[9].net_weight", "items[0] to items[1] exist; items[2] adds one"),
    ("items.net_weight=3 g", "--set items.net_weight", "such as items[0].net_weight"),
    ("addressee.country=Frankreich", "--set addressee.country", "ISO 3166-1 alpha-2 country code"),
    ("postage_paid=twelve", "--set postage_paid", "an amount"),
    ("ship_date=2022-13-01", "--set ship_date", "a date such as 2022-03-01"),
    ("service.name=x", "--set service.name", "service alone"),
    ("destination", "--set destination", "FIELD=VALUE"),
])
def test_a_bad_path_or_value_names_the_field_and_what_was_expected(text, field, expected):
    with pytest.raises(InvalidInput) as e:
        apply_overrides(STORY, [text])
    assert e.value.field == field
    assert expected in str(e.value)


def test_a_bad_override_changes_nothing_even_after_good_ones():
    with pytest.raises(InvalidInput):
        apply_overrides(STORY, ["destination=FR", "gross_weight=heavy"])


@settings(max_examples=60, deadline=None)
@given(label_dicts(), st.data())
def test_setting_a_field_to_its_own_value_is_the_identity(doc, data):
    path, value = data.draw(st.sampled_from(string_leaves(doc)))
    assert apply_overrides(doc, [f"{path}={value}"]) == doc


@settings(max_examples=60, deadline=None)
@given(label_dicts(), st.data(), st.sampled_from(["FR", "DE", "JP", "US"]))
def test_set_then_read_back_and_remove(doc, data, country):
    out = apply_overrides(doc, [f"destination={country}", f"addressee.country={country}"])
    label = label_from_dict(out)
    assert label.destination == country and label.addressee.country == country
    # every other field is as it was
    assert {k: v for k, v in out.items() if k not in ("destination", "addressee")} == \
           {k: v for k, v in doc.items() if k not in ("destination", "addressee")}
    path, _value = data.draw(st.sampled_from([p for p in string_leaves(doc) if not p[0].startswith("items[")]))
    removed = apply_overrides(doc, [f"{path}="])
    assert path not in [p for p, _ in string_leaves(removed)]
