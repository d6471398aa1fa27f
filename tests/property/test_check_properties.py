"""Invariants of the checker, over generated parcels on every bundled step tariff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import postcheck
from postcheck.tariffs import Rates, price_parcel

pytestmark = pytest.mark.slow

RATES = Rates.load(bundled=True, env=False)
PRODUCTS = [t for t in RATES.all_tariffs()]


@st.composite
def parcels(draw):
    t = draw(st.sampled_from(PRODUCTS))
    if t.zones_by == "country":
        dest = draw(st.sampled_from(sorted(c for c in t.countries if len(c) == 2 and c not in ("AC", "TA", "XZ"))))
        zone = None
    elif t.zones_by == "input":
        dest = sorted(t.destinations)[0]
        zone = draw(st.sampled_from(t.zone_names))
    else:
        dest = draw(st.sampled_from(["FR", "US", "JP", "GB", "BR"]))
        zone = None
    limit = t.limits.max_weight_g or t.steps[-1].up_to_g
    # net weights in whole milligrams, total at most the limit minus the packaging
    pack_mg = draw(st.integers(0, 200_000))
    n_items = draw(st.integers(1, 4))
    max_item = max(1, int((limit * 1000 - pack_mg) // n_items))
    nets = [draw(st.integers(1, max_item)) for _ in range(n_items)]
    date = t.effective_from or dt.date(2025, 6, 1)
    origin = sorted(t.origins)[0]
    international = origin != dest
    label = {
        "service": t.id, "origin": origin, "destination": dest, "ship_date": date.isoformat(),
        "currency": t.currency, "category": "gift" if international else None,
        "form": "CN23" if international else None,
        "items": [{"description": f"Wool scarf no. {i}", "net_weight": f"{Decimal(mg) / 1000} g", "value": "10.00"}
                  for i, mg in enumerate(nets)],
        "packaging_weight": f"{Decimal(pack_mg) / 1000} g",
    }
    if zone:
        label["zone"] = zone
    return t, {k: v for k, v in label.items() if v is not None}, sum(nets), pack_mg


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parcels())
def test_postage_computed_by_the_engine_for_the_gross_weight_is_never_insufficient(case):
    t, label, net_mg, pack_mg = case
    gross_g = Decimal(net_mg + pack_mg) / 1000
    q = price_parcel(t, weight_g=gross_g, destination=label["destination"], zone=label.get("zone"))
    label = dict(label, gross_weight=f"{gross_g} g", postage_paid=f"{q.price.amount}")
    r = postcheck.check(label, rates=RATES)
    assert "postage-insufficient" not in r.names()
    assert "packaging-not-counted" not in r.names() or pack_mg == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parcels(), st.integers(0, 500_000))
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
