"""Checking a partial label: every rule that can run does, the report says what it needs, and
it never says anything the complete label's check would not."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import partial_label_dicts
import postcheck
from postcheck.errors import InvalidLabel
from postcheck.partial import FieldUnknown, PartialLabel, partial_label
from postcheck.report import to_text
from postcheck.rules import get_rule, rules

STORY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json").read_text("utf-8"))


def without(doc: dict, *paths: str) -> dict:
    out = copy.deepcopy(doc)
    for p in paths:
        if p.startswith("items["):
            out["items"][int(p[6:p.index("]")])].pop(p.split(".", 1)[1])
        else:
            out.pop(p)
    return out


def test_a_complete_label_checks_as_check_does():
    for doc in (STORY, dict(STORY, gross_weight="520 g", postage_paid="18.82")):
        assert postcheck.check_partial(doc).to_dict() == postcheck.check(doc).to_dict()
        assert to_text(postcheck.check_partial(doc)) == to_text(postcheck.check(doc))


def test_a_label_without_service_and_destination_still_checks_its_weights():
    r = postcheck.check_partial(without(STORY, "service", "destination"),
                                missing={"destination": "the addressee's country line"})
    assert r.names() == ["gross-weight-missing"]  # W101 needs neither
    assert r.incomplete and r.exit_code == 2 and not r.ok
    assert [n.field for n in r.needs] == ["service", "destination"]
    service, destination = r.needs
    assert "price the postage" in service.purposes and "P201" in service.rules
    assert destination.looked == "the addressee's country line"
    assert set(destination.purposes) >= {"check the customs declaration", "check the tracking number"}
    assert r.verdict == ("Not ready to drop off: gross-weight-missing; incomplete: postcheck needs service, "
                         "destination")
    text = to_text(r)
    assert "To price the postage postcheck needs: service (--set service=...), destination (--set destination=...)" in text
    assert "destination: not found; looked for the addressee's country line" in text
    doc = r.to_dict()
    assert doc["incomplete"] is True
    assert doc["needs"][0] == {"field": "service", "for": ["check the weights", "price the postage"],
                               "rules": ["W103", "P201", "P202", "P203", "P204", "P205", "P206", "P207", "P208",
                                         "P210", "P211"],
                               "looked": None, "set": "--set service=..."}


def test_a_measured_weight_prices_a_parcel_whose_lines_lack_net_weights():
    doc = without(STORY, "items[0].net_weight", "items[1].net_weight")
    r = postcheck.check_partial(doc, measured_weight="520 g")
    assert "postage-insufficient" in r.names()  # priced on the scale's 520 g: CAD 18.82
    assert r.postage.required == Decimal("18.82") and r.postage.shortfall == Decimal("5.99")
    assert [n.field for n in r.needs] == ["items[0].net_weight", "items[1].net_weight"]


def test_no_contents_found_is_asked_for_not_reported_as_no_contents():
    doc = without(STORY, "items")
    doc.pop("total_value")
    assert "contents-missing" in postcheck.check_partial(doc).names()  # the label lists none
    r = postcheck.check_partial(doc, missing={"items": "a table under 'Description of contents'"})
    assert "contents-missing" not in r.names()
    assert any(n.field == "items" and n.looked for n in r.needs)


def test_a_value_that_is_there_but_wrong_is_still_an_input_error():
    with pytest.raises(InvalidLabel) as e:
        postcheck.check_partial(dict(without(STORY, "service"), gross_weight="heavy"))
    assert [p[0] for p in e.value.problems] == ["gross_weight"]


def test_an_unknown_field_is_never_read_as_its_stand_in():
    lab = partial_label(without(STORY, "destination", "items[0].value"))
    assert isinstance(lab, PartialLabel)
    with pytest.raises(FieldUnknown):
        _ = lab.destination
    with pytest.raises(FieldUnknown):
        _ = lab.items[0].value
    with pytest.raises(FieldUnknown):
        _ = lab.is_international  # derived from the destination
    assert lab.origin == "CA" and lab.items[1].value == 24


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(partial_label_dicts())
def test_a_partial_check_says_nothing_the_complete_check_would_not(case):
    complete, partial, removed = case
    full = postcheck.check(complete)
    part = postcheck.check_partial(partial)
    assert part.incomplete and part.exit_code == 2
    seen = [f.to_dict() for f in full.findings]
    for f in part.findings:
        assert f.to_dict() in seen, f.code
    # and what it asks for is what was taken out
    assert {n.field for n in part.needs} <= set(removed)


def test_rules_declare_what_they_need():
    assert get_rule("C301").needs >= {"origin", "destination"}  # derived from ctx.label reads
    assert get_rule("P201").needs >= {"service", "destination"}  # declared: it prices
    for r in rules():
        for need in r.needs:
            assert need in ("service", "origin", "destination", "currency", "items") or need.startswith("items[].")


# ---------------------------------------------------------------------------- services without a tariff

@pytest.mark.parametrize("service", ["Royal Mail International Standard", "DHL Express Worldwide",
                                     "FedEx International Priority"])
def test_a_service_without_a_tariff_runs_the_other_rules(service):
    r = postcheck.check_partial(dict(STORY, service=service))
    assert not r.incomplete
    f = next(f for f in r.findings if f.name == "service-not-priced")
    assert f.severity == "warning" and service in f.message and "could not be priced" in f.message
    assert "gross-weight-missing" in r.names()  # the weight rules ran
    assert r.postage is None and r.tariff is None
    assert r.exit_code == 1  # for W101, an error; never 2
    ok = postcheck.check_partial(dict(STORY, service=service, gross_weight="520 g"))
    assert ok.exit_code == 0
    assert ok.verdict == "No error found; the postage was not checked (no tariff of the service)"


def test_a_typo_of_a_priced_product_is_named():
    r = postcheck.check_partial(dict(STORY, service="small_packet_usa_ai"))
    f = next(f for f in r.findings if f.name == "service-not-priced")
    assert "Small Packet USA Air (small_packet_usa_air)" in f.message
    assert f.expected == "small_packet_usa_air" and "--set service=small_packet_usa_air" in f.fix.description


def test_check_itself_still_refuses_a_service_it_cannot_price():
    with pytest.raises(InvalidLabel):
        postcheck.check(dict(STORY, service="DHL Express Worldwide"))
