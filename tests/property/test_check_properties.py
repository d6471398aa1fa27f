"""Invariants of the checker, over generated parcels on every bundled step tariff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import postcheck
from postcheck.tariffs import Rates, price_parcel
from strategies import priced_parcels

pytestmark = pytest.mark.slow

RATES = Rates.load(bundled=True, env=False)
PRODUCTS = [t for t in RATES.all_tariffs()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced_parcels(PRODUCTS))
def test_postage_computed_by_the_engine_for_the_gross_weight_is_never_insufficient(case):
    t, label, net_mg, pack_mg = case
    gross_g = Decimal(net_mg + pack_mg) / 1000
    q = price_parcel(t, weight_g=gross_g, destination=label["destination"], zone=label.get("zone"))
    label = dict(label, gross_weight=f"{gross_g} g", postage_paid=f"{q.price.amount}")
    r = postcheck.check(label, rates=RATES)
    assert "postage-insufficient" not in r.names()
    assert "packaging-not-counted" not in r.names() or pack_mg == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced_parcels(PRODUCTS), st.integers(0, 500_000))
def test_adding_packaging_never_lowers_the_required_postage(case, extra_mg):
    t, label, _net, pack_mg = case
    label = dict(label, postage_paid="0.00")
    before = postcheck.check(label, rates=RATES).postage
    heavier = dict(label, packaging_weight=f"{Decimal(pack_mg + extra_mg) / 1000} g")
    after = postcheck.check(heavier, rates=RATES).postage
    if before is None or before.required is None:
        return
    if after is None or after.required is None:  # now over a limit: refused, not cheaper
        return
    assert after.required >= before.required
