"""Every rule fails on a bad label and passes on the corrected one, with real tariff figures."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import postcheck
from postcheck.errors import InvalidLabel
from postcheck.rules import DOC_SECTIONS, Selection, get_rule, rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def story() -> dict:
    """The returned parcel: 480 g net + 40 g mailer, postage for 480 g (CAD 12.83)."""
    return json.loads((EXAMPLES / "returned-parcel.json").read_text(encoding="utf-8"))


def good() -> dict:
    lab = story()
    lab["gross_weight"] = "520 g"
    lab["postage_paid"] = "18.82"
    return lab


def names(label: dict, **kw) -> list[str]:
    return postcheck.check(label, **kw).names()


# ---------------------------------------------------------------------------- the story

def test_story_before_drop_off_finds_the_three_problems():
    r = postcheck.check(story())
    assert r.names() == ["gross-weight-missing", "packaging-not-counted", "postage-insufficient"]
    assert r.exit_code == 1
    assert r.postage.required == Decimal("18.82")
    assert r.postage.paid == Decimal("12.83")
    assert r.postage.shortfall == Decimal("5.99")
    assert r.postage.chargeable_weight == "0.520 kg"
    assert r.verdict == "Will be returned: short CAD 5.99"
    p201 = next(f for f in r.findings if f.name == "postage-insufficient")
    assert p201.amounts == {"required": "18.82", "paid": "12.83", "shortfall": "5.99", "currency": "CAD"}
    assert "net weight" in p201.cause
    w101 = next(f for f in r.findings if f.name == "gross-weight-missing")
    assert w101.fix.safety == "safe" and w101.fix.edits == {"gross_weight": "520 g"}
    assert r.tariff.id == "small_packet_usa_air" and r.tariff.effective_from == "2021-09-13"


def test_story_after_return_uses_the_measurement_as_evidence():
    r = postcheck.check(story(), measured_weight="520 g")
    assert r.names() == ["gross-weight-missing", "packaging-not-counted", "postage-insufficient"]
    assert r.postage.shortfall == Decimal("5.99")
    assert r.postage.basis == "measured"
    assert "on the scale" in r.findings[0].message
    assert r.tolerance == "10 g"


def test_story_corrected_label_is_ok():
    r = postcheck.check(good())
    assert r.findings == ()
    assert r.exit_code == 0
    assert r.verdict == "OK to drop off"


# ---------------------------------------------------------------------------- one case per rule

def _set(lab: dict, **kw) -> dict:
    lab = copy.deepcopy(lab)
    for k, v in kw.items():
        if v is None:
            lab.pop(k, None)
        else:
            lab[k] = v
    return lab


CASES = {
    # name: (failing label, corrected label)
    "gross-weight-missing": (_set(good(), gross_weight=None), good()),
    "gross-below-net": (_set(good(), gross_weight="400 g"), good()),
    "packaging-not-counted": (_set(good(), gross_weight="480 g", postage_paid="12.83"), good()),
    "postage-insufficient": (_set(good(), postage_paid="12.83"), good()),
    "postage-overpaid": (_set(good(), postage_paid="21.00"), good()),
    "over-weight-limit": (_set(good(), gross_weight="2.1 kg", postage_paid="24.83"),
                          _set(good(), gross_weight="2 kg", postage_paid="24.83")),
    "over-size-limit": (_set(good(), dimensions="65 x 20 x 10 cm"), _set(good(), dimensions="55 x 20 x 10 cm")),
    "under-size-limit": (_set(good(), dimensions="10 x 8 x 2 cm"), _set(good(), dimensions="15 x 10 x 2 cm")),
    "destination-not-served": (_set(good(), service="tracked_packet_international", destination="JM",
                                    postage_paid="47.96"),
                               _set(good(), service="small_packet_international_air", destination="JM",
                                    postage_paid="24.71")),
    "no-tariff-in-force": (_set(good(), ship_date="2019-06-15"), good()),
    "zone-required": (_set(good(), service="regular_parcel", destination="CA", form=None, postage_paid="10.40"),
                      _set(good(), service="regular_parcel", destination="CA", form=None, zone="A1",
                           postage_paid="10.40")),
    "postage-missing": (_set(good(), postage_paid=None), good()),
    "postage-currency-mismatch": (_set(good(), currency="USD"), good()),
    "customs-form-missing": (_set(good(), form=None), good()),
    "wrong-customs-form": (_set(good(), form="CN22", total_value="700.00",
                                items=[dict(story()["items"][0], value="700.00"),
                                       dict(story()["items"][1], value="0.00")]),
                           _set(good(), form="CN23", total_value="700.00",
                                items=[dict(story()["items"][0], value="700.00"),
                                       dict(story()["items"][1], value="0.00")])),
    "total-value-mismatch": (_set(good(), total_value="60.00"), good()),
    "value-currency-mismatch": (_set(good(), items=[dict(story()["items"][0], value="USD 38.00"),
                                                    story()["items"][1]]), good()),
    "vague-description": (_set(good(), items=[dict(story()["items"][0], description="Gift"),
                                              story()["items"][1]]), good()),
    "hs-code-invalid": (_set(good(), items=[dict(story()["items"][0], hs_code="69-12"), story()["items"][1]]),
                        good()),
    "hs-code-missing": (_set(good(), items=[{k: v for k, v in story()["items"][0].items() if k != "hs_code"},
                                            story()["items"][1]]), good()),
    "origin-missing": (_set(good(), items=[{k: v for k, v in story()["items"][0].items() if k != "origin_country"},
                                           story()["items"][1]]), good()),
    "category-missing": (_set(good(), category=None), good()),
    "explanation-missing": (_set(good(), category="other", invoice_number=None),
                            _set(good(), category="other", invoice_number=None,
                                 explanation="Handmade goods sent for an exhibition")),
    "gift-for-sale-of-goods": (_set(good(), category="gift"), good()),
    "contents-missing": (_set(good(), items=[], total_value=None), good()),
    "tracking-number-invalid": (_set(good(), tracking_number="RR473124828CA"), good()),
    "measured-weight-mismatch": (good(), good()),  # measured weight passed below
    # check() refuses a service it cannot price; check_partial() (the command line's check) reports it
    "service-not-priced": (_set(good(), service="DHL Express Worldwide"), good()),
}
MEASURED = {"measured-weight-mismatch": ("560 g", "525 g")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fails_on_bad_label_and_passes_on_corrected(name):
    bad, fixed = CASES[name]
    m_bad, m_fixed = MEASURED.get(name, (None, None))
    if name == "service-not-priced":
        assert name in postcheck.check_partial(bad).names()
        assert name not in postcheck.check_partial(fixed).names()
        return
    assert name in names(bad, measured_weight=m_bad), postcheck.check(bad, measured_weight=m_bad).names()
    assert name not in names(fixed, measured_weight=m_fixed)


def test_every_rule_has_a_case():
    assert {r.name for r in rules()} <= set(CASES)


# ---------------------------------------------------------------------------- details that matter

def test_step_edge_exactly_500_g_is_the_lower_step():
    lab = _set(good(), gross_weight="500 g", packaging_weight="20 g", postage_paid="12.83")
    assert postcheck.check(lab).findings == ()
    lab = _set(lab, gross_weight="500.001 g")
    r = postcheck.check(lab)
    assert "postage-insufficient" in r.names()
    assert r.postage.required == Decimal("18.82")


def test_measured_within_tolerance_is_not_a_mismatch_and_tolerance_is_configurable():
    assert "measured-weight-mismatch" not in names(good(), measured_weight="528 g")
    r = postcheck.check(good(), measured_weight="528 g", tolerance="5 g")
    assert "measured-weight-mismatch" in r.names()
    assert r.tolerance == "5 g"
    assert "measured-weight-mismatch" not in names(good(), measured_weight="528 g", tolerance="2%")


def test_cn22_ceiling_uses_the_dated_sdr_rate():
    # 300 SDR = CAD 575.06 on 2025-10-20 (reference/sdr_rates_2025.csv)
    base = _set(good(), form="CN22", ship_date="2025-11-01", ignore=None)
    items = copy.deepcopy(story()["items"])
    items[0]["value"], items[1]["value"] = "551.06", "24.00"  # total 575.06: at the ceiling
    at = _set(base, items=items, total_value="575.06")
    r = postcheck.check(at, ignore=["P207"])
    assert "wrong-customs-form" not in r.names()
    items[0]["value"] = "551.07"
    over = _set(base, items=items, total_value="575.07")
    r = postcheck.check(over, ignore=["P207"])
    f = next(f for f in r.findings if f.name == "wrong-customs-form")
    assert "575.06" in f.message and "2025-10-20" in f.message


def test_stale_table_is_priced_with_a_note_naming_its_date():
    r = postcheck.check(_set(good(), ship_date="2026-11-23"))
    assert r.ok
    assert any("2021-09-13" in n and "out of date" in n for n in r.notes)


def test_missing_ship_date_defaults_to_today_and_says_so():
    r = postcheck.check(_set(good(), ship_date=None))
    assert r.date_defaulted and r.date == dt.date.today().isoformat()


def test_select_and_ignore():
    assert postcheck.check(story(), select=["W"]).names() == ["gross-weight-missing", "packaging-not-counted"]
    assert postcheck.check(story(), ignore=["W1"]).names() == ["postage-insufficient"]
    # explicit beats prefix: select W, but ignore one name
    assert postcheck.check(story(), select=["W"], ignore=["packaging-not-counted"]).names() == ["gross-weight-missing"]
    # a more specific select beats a broader ignore
    assert postcheck.check(story(), select=["W101"], ignore=["W"]).names() == ["gross-weight-missing"]
    with pytest.raises(InvalidLabel, match="unknown rule selector"):
        postcheck.check(story(), select=["X999"])


def test_selection_specificity():
    w101 = get_rule("W101")
    assert Selection().enabled(w101)
    assert not Selection(ignore=["W"]).enabled(w101)
    assert Selection(select=["gross-weight-missing"], ignore=["W1"]).enabled(w101)


def test_unknown_service_is_input_error_naming_the_field():
    with pytest.raises(InvalidLabel) as e:
        postcheck.check(_set(good(), service="pigeon_post"))
    assert e.value.problems[0][0] == "service"
    assert "small_packet_usa_air" in str(e.value)


@pytest.mark.parametrize("field,value,loc", [
    ("gross_weight", "abc", "gross_weight"),
    ("gross_weight", "-5 g", "gross_weight"),
    ("gross_weight", "25 cm", "gross_weight"),
    ("postage_paid", "twelve", "postage_paid"),
    ("ship_date", 20220301, "ship_date"),
    ("items", "none", "items"),
])
def test_bad_fields_are_reported_by_path(field, value, loc):
    with pytest.raises(InvalidLabel) as e:
        postcheck.check(_set(good(), **{field: value}))
    assert [p[0] for p in e.value.problems] == [loc]


def test_bad_item_field_path_includes_the_index():
    lab = good()
    lab["items"][1]["net_weight"] = "abc"
    lab["items"][0]["quantity"] = -1
    with pytest.raises(InvalidLabel) as e:
        postcheck.check(lab)
    assert sorted(p[0] for p in e.value.problems) == ["items[0].quantity", "items[1].net_weight"]


def test_service_may_be_given_by_product_name():
    assert postcheck.check(_set(good(), service="Small Packet USA Air")).ok


def test_label_round_trips_through_json():
    from postcheck.label import label_from_json

    lab = label_from_json(json.dumps(story()))
    again = label_from_json(lab.to_json())
    assert again == lab


# ---------------------------------------------------------------------------- rule metadata

def test_codes_and_names_are_unique_and_well_formed():
    infos = rules()
    assert len({r.code for r in infos}) == len(infos)
    assert len({r.name for r in infos}) == len(infos)
    for r in infos:
        assert r.code[0] in "WPCI" and r.code[1:].isdigit()
        assert r.name == r.name.lower() and " " not in r.name


@pytest.mark.parametrize("info", rules(), ids=lambda r: r.name)
def test_rule_docstring_has_every_section(info):
    sections = info.sections()
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    assert not missing, f"{info.name} docstring lacks {missing}"
    assert info.summary.endswith(".")


def test_codes_are_never_reused():
    # codes once published keep their name; add new ones at the end, never renumber
    published = {
        "W101": "gross-weight-missing", "W102": "gross-below-net", "W103": "packaging-not-counted",
        "W104": "measured-weight-mismatch", "P201": "postage-insufficient", "P202": "postage-overpaid",
        "P203": "over-weight-limit", "P204": "over-size-limit", "P205": "under-size-limit",
        "P206": "destination-not-served", "P207": "no-tariff-in-force", "P208": "zone-required",
        "P209": "postage-missing", "P210": "postage-currency-mismatch", "C301": "customs-form-missing",
        "C302": "wrong-customs-form", "C303": "total-value-mismatch", "C304": "value-currency-mismatch",
        "C305": "vague-description", "C306": "hs-code-invalid", "C307": "hs-code-missing",
        "C308": "origin-missing", "C309": "category-missing", "C310": "explanation-missing",
        "C311": "gift-for-sale-of-goods", "C312": "contents-missing", "I401": "tracking-number-invalid",
    }
    current = {r.code: r.name for r in rules()}
    for code, name in published.items():
        assert current.get(code) == name


def test_a_bare_json_number_is_not_taken_for_grams():
    from postcheck.label import label_from_json

    lab = good()
    lab["gross_weight"] = 520.5
    with pytest.raises(InvalidLabel) as e:
        label_from_json(json.dumps(lab))
    assert [p[0] for p in e.value.problems] == ["gross_weight"]
    assert "unit" in str(e.value)
