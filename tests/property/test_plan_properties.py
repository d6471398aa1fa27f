"""Properties of editions and price plans over the bundled Canada Post tables: every date is
priced by the one table in force (or none, said so), and a label is short exactly when its
postage is below its plan's price and is no other plan's price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck import check
from postcheck.errors import NoTariffInForce
from postcheck.tariffs import Rates, price_parcel

pytestmark = pytest.mark.slow

RATES = Rates.load(env=False)
CANADA_POST = [pid for pid in RATES.ids() if RATES.tables(pid)[0].operator == "Canada Post"]


@settings(max_examples=300, deadline=None)
@given(pid=st.sampled_from(CANADA_POST), date=st.dates(dt.date(2019, 6, 1), dt.date(2026, 12, 31)))
def test_one_table_in_force_or_an_error(pid: str, date: dt.date) -> None:
    tables = RATES.tables(pid)
    def in_force(i: int) -> bool:
        t = tables[i]
        nxt = tables[i + 1].effective_from if i + 1 < len(tables) else None
        until = t.effective_until or (nxt - dt.timedelta(days=1) if nxt else dt.date.max)
        return t.effective_from <= date <= until
    expected = [t for i, t in enumerate(tables) if in_force(i)]
    assert len(expected) <= 1
    try:
        got = RATES.select(pid, date).tariff
    except NoTariffInForce as e:
        assert not expected
        assert date < tables[0].effective_from or e.next_from is not None
        return
    assert [got] == expected


def _label(grams: int, paid: Decimal) -> dict:
    return {"service": "tracked_packet_usa", "origin": "CA", "destination": "US", "ship_date": "2022-03-01",
            "currency": "CAD", "postage_paid": f"{paid:.2f}", "form": "CN23", "category": "gift",
            "gross_weight": f"{grams} g",
            "items": [{"description": "Wool scarf", "quantity": 1, "net_weight": f"{grams - 20} g",
                       "value": "40.00", "hs_code": "6117.10", "origin_country": "CA"}]}


@settings(max_examples=200, deadline=None)
@given(grams=st.integers(21, 2000), pick=st.sampled_from(["counter", "small_business", "other"]),
       cents=st.integers(100, 4000))
def test_short_only_when_no_plan_explains_the_postage(grams: int, pick: str, cents: int) -> None:
    date = dt.date(2022, 3, 1)
    w = Decimal(grams)
    counter = price_parcel(RATES.select("tracked_packet_usa", date).tariff, weight_g=w, destination="US").price.amount
    sb = price_parcel(RATES.select("tracked_packet_usa_small_business", date).tariff, weight_g=w,
                      destination="US").price.amount
    paid = {"counter": counter, "small_business": sb, "other": Decimal(cents) / 100}[pick]
    r = check(_label(grams, paid), rates=RATES)
    short = any(f.name == "postage-insufficient" for f in r.findings)
    assert short == (paid < counter and paid != sb)
    if paid == sb and sb < counter:
        assert r.tariff.id == "tracked_packet_usa_small_business" and r.ok
