"""Property tests over every bundled tariff: prices never fall as weight rises, a weight prices
the same in every unit, and step edges fall on the inclusive side to the milligram."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.errors import NotPriceable
from postcheck.tariffs import Tariff, bundled_dir, price_parcel, read_tariff
from postcheck.units import parse_weight
from strategies import (MG, edge_weights, grams, max_priced_g, spell, spell_compound, spelled_weights,
                        zone_and_destination)

pytestmark = pytest.mark.slow

TARIFFS = [read_tariff(p) for p in sorted(bundled_dir().rglob("*.toml")) if p.parent.name != "sdr"]
STEP_TARIFFS = [t for t in TARIFFS if t.steps]


def _ids(t: Tariff) -> str:
    return t.id


def _price(t: Tariff, g: Decimal, zone: str | None, dest: str) -> Decimal:
    return price_parcel(t, weight_g=g, destination=dest, zone=zone).price.amount


@pytest.mark.parametrize("t", TARIFFS, ids=_ids)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_price_never_decreases_with_weight(t: Tariff, data: st.DataObject) -> None:
    zone, dest = data.draw(zone_and_destination(t))
    top = max_priced_g(t)
    a = data.draw(grams(0, top))
    b = data.draw(grams(a, top))
    assert _price(t, a, zone, dest) <= _price(t, b, zone, dest)


@pytest.mark.parametrize("t", TARIFFS, ids=_ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_same_weight_in_any_unit_prices_the_same(t: Tariff, data: st.DataObject) -> None:
    zone, dest = data.draw(zone_and_destination(t))
    g = data.draw(grams(0, max_priced_g(t)))
    expected = _price(t, g, zone, dest)
    for text in (spell(g, "g"), spell(g, "kg"), spell(g, "kg", comma=True), spell(g, "oz"), spell(g, "lb"),
                 spell_compound(g)):
        assert _price(t, parse_weight(text), zone, dest) == expected, text


@pytest.mark.parametrize("t", STEP_TARIFFS, ids=_ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_step_edges_are_inclusive(t: Tariff, data: st.DataObject) -> None:
    zone, dest = data.draw(zone_and_destination(t))
    g, i, offset = data.draw(edge_weights(t))
    z = zone if zone is not None else (t.countries.get(dest) or t.zone_names[0])
    try:
        q = price_parcel(t, weight_g=g, destination=dest, zone=zone)
    except NotPriceable as e:
        # only 1 mg past the last step (or past the weight limit) may be refused
        assert offset == 1 and e.reason == "over-weight-limit"
        assert i == len(t.steps) - 1 or (t.limits.max_weight_g is not None and g > t.limits.max_weight_g)
        return
    j = i + 1 if offset == 1 else i
    if t.rounding_g is not None and offset == 1:
        # rounded up to the next multiple (e.g. 1 oz): at least the next step
        assert q.step_up_to_g is not None and q.step_up_to_g > t.steps[i].up_to_g
    elif j < len(t.steps):
        assert q.base == t.steps[j].prices[z]
        assert q.step_up_to_g == t.steps[j].up_to_g
    else:
        assert t.beyond is not None and q.base == t.steps[-1].prices[z] + t.beyond.prices[z]


@settings(max_examples=100, deadline=None)
@given(spelled_weights(grams(0, 2000)))
def test_small_packet_usa_air_prices_every_spelling_like_grams(pair: tuple[Decimal, str]) -> None:
    t = next(t for t in TARIFFS if t.id == "small_packet_usa_air")
    g, text = pair
    assert _price(t, parse_weight(text), None, "US") == _price(t, g, None, "US")


@settings(max_examples=100, deadline=None)
@given(grams(MG, 2000))
def test_warenpost_is_the_formula(g: Decimal) -> None:
    t = next(t for t in TARIFFS if t.id == "warenpost_international_kilo")
    whole_grams = g.to_integral_value(rounding="ROUND_CEILING")
    expected = (Decimal("1.00") + Decimal("6.00") * whole_grams / 1000).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert _price(t, g, None, "FR") == expected
