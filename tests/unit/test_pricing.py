"""Pricing with the bundled tables: the traps a reviewer knows, step edges, the required quotes,
USPS volumetric and Oversized pricing, and rate-code input.  Figures are the published ones
(``rates/`` and the reference extracts they were generated from)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from postcheck.errors import NotPriceable
from postcheck.money import Money
from postcheck.tariffs import Rates, price_parcel, quote, read_tariff
from postcheck.units import parse_dimensions, parse_weight

CA_DATE = dt.date(2022, 3, 1)  # Canada Post 2021-09-13 table in force
US_DATE = dt.date(2025, 11, 1)  # USPS 2025-10-05 table in force


def price(rates: Rates, service: str, weight: str, destination: str, *, zone: str | None = None,
          dims: str | None = None, date: dt.date = CA_DATE) -> Money:
    t = rates.select(service, date).tariff
    q = price_parcel(t, weight_g=parse_weight(weight), destination=destination, zone=zone,
                     dims_mm=parse_dimensions(dims) if dims else None)
    return q.price


def refusal(rates: Rates, service: str, weight: str, destination: str, *, zone: str | None = None,
            dims: str | None = None, date: dt.date = CA_DATE) -> NotPriceable:
    with pytest.raises(NotPriceable) as info:
        price(rates, service, weight, destination, zone=zone, dims=dims, date=date)
    return info.value


def offers_by_id(offers) -> dict:
    return {o.id: o for o in offers}


# ---------------------------------------------------------------------------- the known traps

def test_half_kilo_small_packet_usa_air_is_12_83_not_18_82(rates: Rates) -> None:
    assert price(rates, "small_packet_usa_air", "0.5 kg", "US") == Money(Decimal("12.83"), "CAD")


def test_two_kilos_small_packet_usa_air_is_24_83_priced_not_missing(rates: Rates) -> None:
    assert price(rates, "small_packet_usa_air", "2.0 kg", "US") == Money(Decimal("24.83"), "CAD")
    priced, _ = quote(rates, origin="CA", destination="US", weight_g=Decimal(2000), date=CA_DATE)
    assert offers_by_id(priced)["small_packet_usa_air"].quote.price.amount == Decimal("24.83")


def test_2001_g_refused_over_weight_limit_with_a_message(rates: Rates) -> None:
    e = refusal(rates, "small_packet_usa_air", "2001 g", "US")
    assert e.reason == "over-weight-limit"
    assert e.service == "small_packet_usa_air"
    assert "2.001 kg" in e.detail and "2 kg" in e.detail and "Small Packet USA Air" in e.detail
    _, refused = quote(rates, origin="CA", destination="US", weight_g=Decimal(2001), date=CA_DATE)
    assert offers_by_id(refused)["small_packet_usa_air"].reason == "over-weight-limit"


@pytest.mark.parametrize("one_kilo", ["1000 g", "1 kg", "1,0 kg", "2.20462262185 lb", "35.27396195 oz",
                                      "2 lb 3.2739619 oz"])
def test_one_kilo_in_pounds_and_ounces_prices_like_1000_g(rates: Rates, one_kilo: str) -> None:
    assert price(rates, "small_packet_usa_air", one_kilo, "US") == price(rates, "small_packet_usa_air", "1000 g", "US")
    assert price(rates, "small_packet_usa_air", one_kilo, "US").amount == Decimal("18.82")


def test_a_real_excess_over_one_kilo_still_counts(rates: Rates) -> None:
    # 2.2047 lb is 1000.035 g: 35 mg over the 1 kg step
    assert price(rates, "small_packet_usa_air", "2.2047 lb", "US").amount == Decimal("22.06")


def test_99_g_lands_in_the_0_1_kg_step(rates: Rates) -> None:
    t = rates.select("small_packet_usa_air", CA_DATE).tariff
    q = price_parcel(t, weight_g=Decimal(99), destination="US")
    assert q.price.amount == Decimal("8.02")
    assert q.step_up_to_g == Decimal(100)
    assert q.step_text == "up to 0.1 kg"


def test_money_is_decimal(rates: Rates) -> None:
    t = rates.select("small_packet_usa_air", CA_DATE).tariff
    q = price_parcel(t, weight_g=parse_weight("520 g"), destination="US")
    assert isinstance(q.price, Money)
    assert isinstance(q.price.amount, Decimal) and isinstance(q.base, Decimal)
    assert q.price.currency == "CAD"
    assert all(isinstance(p, Decimal) for s in t.steps for p in s.prices.values())


# ---------------------------------------------------------------------------- step edges

@pytest.mark.parametrize(("weight", "expected"), [
    ("499.999 g", "12.83"), ("500 g", "12.83"), ("0.5 kg", "12.83"), ("0,5 kg", "12.83"),
    ("500.001 g", "18.82"), ("0.500001 kg", "18.82"),
    ("100 g", "8.02"), ("100.001 g", "9.80"), ("250 g", "9.80"), ("250.001 g", "12.83"),
    ("1999.999 g", "24.83"), ("2000 g", "24.83"),
])
def test_step_edges_are_inclusive_to_the_milligram(rates: Rates, weight: str, expected: str) -> None:
    assert price(rates, "small_packet_usa_air", weight, "US").amount == Decimal(expected)


def test_conversion_noise_below_a_microgram_is_forgiven(rates: Rates) -> None:
    assert price(rates, "small_packet_usa_air", "500.0000009 g", "US").amount == Decimal("12.83")
    assert price(rates, "small_packet_usa_air", "2000.0000009 g", "US").amount == Decimal("24.83")
    assert refusal(rates, "small_packet_usa_air", "2000.001 g", "US").reason == "over-weight-limit"


def test_fixture_tariff_step_edge(fixture_rates: Rates) -> None:
    t = fixture_rates.select("demo_parcel", dt.date(2024, 6, 1)).tariff
    assert price_parcel(t, weight_g=Decimal("500"), destination="DE").price.amount == Decimal("3.00")
    assert price_parcel(t, weight_g=Decimal("500.001"), destination="DE").price.amount == Decimal("4.00")
    assert price_parcel(t, weight_g=Decimal("499.999"), destination="US").price.amount == Decimal("5.00")


@pytest.mark.parametrize(("weight", "expected"), [
    ("4 oz", "7.20"), ("113.3980925 g", "7.20"), ("113.3970925 g", "7.20"), ("113.3990925 g", "7.50"),
    ("4.1 oz", "7.50"),
    ("12 oz", "8.55"), ("340.1942775 g", "8.55"), ("340.1952775 g", "9.10"),
    ("15.999 oz", "9.10"), ("16 oz", "9.10"), ("1 lb", "9.10"), ("453.59337 g", "9.85"),
    ("70 lb", "59.05"),
])
def test_usps_ounce_and_pound_edges(rates: Rates, weight: str, expected: str) -> None:
    got = price(rates, "ground_advantage_retail", weight, "US", zone="1", date=US_DATE)
    assert got == Money(Decimal(expected), "USD")


# ---------------------------------------------------------------------------- required quotes

def test_ca_to_us_520_g(rates: Rates) -> None:
    priced, refused = quote(rates, origin="CA", destination="US", weight_g=parse_weight("520 g"), date=CA_DATE)
    got = {o.id: o.quote.price for o in priced}
    assert got["small_packet_usa_air"] == Money(Decimal("18.82"), "CAD")
    assert got["tracked_packet_usa"] == Money(Decimal("21.91"), "CAD")
    assert [o.id for o in priced] == ["small_packet_usa_air", "tracked_packet_usa"]  # cheapest first
    assert offers_by_id(refused)["regular_parcel"].reason == "destination-not-served"


def test_ca_to_us_480_g(rates: Rates) -> None:
    priced, _ = quote(rates, origin="CA", destination="US", weight_g=parse_weight("480 g"), date=CA_DATE)
    assert offers_by_id(priced)["small_packet_usa_air"].quote.price.amount == Decimal("12.83")
    assert offers_by_id(priced)["tracked_packet_usa"].quote.price.amount == Decimal("18.97")


def test_us_to_ca_1_lb_4_oz_first_class_package_international(rates: Rates) -> None:
    priced, refused = quote(rates, origin="US", destination="CA", weight_g=parse_weight("1 lb 4 oz"),
                            date=US_DATE, plan="all")
    got = {o.id: o.quote for o in priced}
    assert got["fcpis_retail"].price == Money(Decimal("26.00"), "USD")  # 9-32 oz, price group 1
    assert got["fcpis_commercial"].price == Money(Decimal("24.69"), "USD")
    assert got["fcpis_retail"].zone == "1"
    assert offers_by_id(refused)["ground_advantage_retail"].reason == "destination-not-served"
    # retail and commercial are plans of one product: quoted once, at retail unless named
    default, _ = quote(rates, origin="US", destination="CA", weight_g=parse_weight("1 lb 4 oz"), date=US_DATE)
    assert [o.id for o in default if o.id.startswith("fcpis")] == ["fcpis_retail"]
    named, _ = quote(rates, origin="US", destination="CA", weight_g=parse_weight("1 lb 4 oz"), date=US_DATE,
                     plan="commercial")
    assert [o.id for o in named if o.id.startswith("fcpis")] == ["fcpis_commercial"]


def test_ca_to_japan_200_g_tracked_packet_international(rates: Rates) -> None:
    priced, _ = quote(rates, origin="CA", destination="JP", weight_g=parse_weight("200 g"), date=CA_DATE)
    q = offers_by_id(priced)["tracked_packet_international"].quote
    assert q.zone == "4"  # Japan is rate code 4 (the guide misprints its code as JM)
    assert q.price == Money(Decimal("43.51"), "CAD")


def test_jamaica_is_not_served_by_tracked_packet_international(rates: Rates) -> None:
    e = refusal(rates, "tracked_packet_international", "200 g", "JM")
    assert e.reason == "destination-not-served"
    priced, refused = quote(rates, origin="CA", destination="JM", weight_g=Decimal(200), date=CA_DATE)
    assert offers_by_id(refused)["tracked_packet_international"].reason == "destination-not-served"
    assert "small_packet_international_air" in offers_by_id(priced)  # Jamaica is a Small Packet country


def test_warenpost_de_to_fr_520_g(rates: Rates) -> None:
    priced, refused = quote(rates, origin="DE", destination="FR", weight_g=parse_weight("520 g"), date=US_DATE)
    assert refused == []
    assert [(o.id, o.quote.price) for o in priced] == [
        ("warenpost_international_kilo", Money(Decimal("4.12"), "EUR")),  # 1.00 + 6.00 x 0.520
        ("warenpost_international_kilo_tracked", Money(Decimal("6.37"), "EUR")),
        ("warenpost_international_kilo_signature", Money(Decimal("6.62"), "EUR")),
    ]
    assert all(any("undated" in w for w in o.warnings) for o in priced)


def test_warenpost_rounds_up_to_the_gram_then_half_up_to_the_cent(rates: Rates) -> None:
    assert price(rates, "warenpost_international_kilo", "520.3 g", "GB").amount == Decimal("4.13")
    assert price(rates, "warenpost_international_kilo", "1 g", "JP").amount == Decimal("1.01")
    assert refusal(rates, "warenpost_international_kilo", "100 g", "DE").reason == "destination-not-served"


# ---------------------------------------------------------------------------- USPS volumetric and Oversized

@pytest.mark.parametrize(("service", "expected"), [("ground_advantage_retail", "29.50"),
                                                   ("ground_advantage_commercial", "20.70")])
def test_ground_advantage_volumetric_weight(rates: Rates, service: str, expected: str) -> None:
    t = rates.select(service, US_DATE).tariff
    q = price_parcel(t, weight_g=parse_weight("2 lb"), destination="US", zone="5",
                     dims_mm=parse_dimensions("14 x 14 x 14 in"))
    # 14 x 14 x 14 = 2744 in^3 > 1728; 2744 / 166 = 16.53 -> 17 lb
    assert q.volumetric_g == 17 * Decimal("453.59237")
    assert q.chargeable_g == q.volumetric_g
    assert q.price == Money(Decimal(expected), "USD")
    assert not q.oversize


def test_ground_advantage_not_volumetric_at_exactly_1728_cubic_inches(rates: Rates) -> None:
    assert price(rates, "ground_advantage_retail", "2 lb", "US", zone="5", dims="12 x 12 x 12 in",
                 date=US_DATE).amount == Decimal("12.80")  # actual 2 lb, zone 5


# Oversized zone 5: 183.95 retail, 179.40 commercial; plus the fees of the notes under the
# tables (Notice 123 p. 7 notes 4-5, p. 15 notes 6-7): length over 30 in 8.40, volume over
# 3456 in^3 18.00 (62 x 12 x 12 = 8928 in^3), which exempt no price
@pytest.mark.parametrize(("service", "expected"), [("ground_advantage_retail", "210.35"),
                                                   ("ground_advantage_commercial", "205.80")])
def test_ground_advantage_oversized_over_108_inches(rates: Rates, service: str, expected: str) -> None:
    t = rates.select(service, US_DATE).tariff
    q = price_parcel(t, weight_g=parse_weight("5 lb"), destination="US", zone="5",
                     dims_mm=parse_dimensions("62 x 12 x 12 in"))  # 62 + 2 x (12 + 12) = 110 in
    assert q.oversize
    assert q.price == Money(Decimal(expected), "USD")
    assert [a for _n, a in q.surcharges] == [Decimal("8.40"), Decimal("18.00")]
    assert q.step_text == "Oversized price"


def test_ground_advantage_exactly_108_inches_is_not_oversized(rates: Rates) -> None:
    # 60 + 48 = 108 in: not over 108; volumetric 60 x 12 x 12 / 166 = 52.05 -> 53 lb, zone 5:
    # 99.15, + length over 30 in 8.40 + volume 8640 in^3 over 3456 in^3 18.00
    t = rates.select("ground_advantage_retail", US_DATE).tariff
    q = price_parcel(t, weight_g=parse_weight("5 lb"), destination="US", zone="5",
                     dims_mm=parse_dimensions("60 x 12 x 12 in"))
    assert not q.oversize
    assert q.base == Decimal("99.15")
    assert q.price.amount == Decimal("125.55")


def test_ground_advantage_over_130_inches_refused(rates: Rates) -> None:
    e = refusal(rates, "ground_advantage_retail", "5 lb", "US", zone="1", dims="70 x 20 x 15 in", date=US_DATE)
    assert e.reason == "over-size-limit"
    assert "130 in" in e.detail


def test_ground_advantage_zone_9_70_lb(rates: Rates) -> None:
    assert price(rates, "ground_advantage_retail", "70 lb", "US", zone="9", date=US_DATE).amount == Decimal("177.80")
    assert price(rates, "ground_advantage_commercial", "70 lb", "US", zone="9",
                 date=US_DATE).amount == Decimal("172.98")
    assert refusal(rates, "ground_advantage_retail", "70.1 lb", "US", zone="9",
                   date=US_DATE).reason == "over-weight-limit"


# ---------------------------------------------------------------------------- rate code input

def test_regular_parcel_needs_a_rate_code(rates: Rates) -> None:
    e = refusal(rates, "regular_parcel", "2 kg", "CA")
    assert e.reason == "zone-required"
    assert "A1" in e.detail
    priced, refused = quote(rates, origin="CA", destination="CA", weight_g=Decimal(2000), date=CA_DATE)
    assert priced == []
    assert offers_by_id(refused)["regular_parcel"].reason == "zone-required"


@pytest.mark.parametrize(("weight", "code", "expected"), [
    ("2 kg", "D3", "18.25"), ("2 kg", "d3", "18.25"), ("2 kg", "A1", "12.17"), ("2 kg", "J2", "25.43"),
    ("500 g", "A1", "10.34"), ("510 g", "A1", "10.49"),
    ("30 kg", "J2", "205.27"), ("30 kg", "A1", "35.74"), ("29.999 kg", "D3", "52.20"),
])
def test_regular_parcel_by_rate_code(rates: Rates, weight: str, code: str, expected: str) -> None:
    assert price(rates, "regular_parcel", weight, "CA", zone=code) == Money(Decimal(expected), "CAD")
    priced, _ = quote(rates, origin="CA", destination="CA", weight_g=parse_weight(weight), date=CA_DATE, zone=code)
    assert offers_by_id(priced)["regular_parcel"].quote.price.amount == Decimal(expected)


def test_regular_parcel_30_kg_maximum(rates: Rates) -> None:
    e = refusal(rates, "regular_parcel", "30.001 kg", "CA", zone="J2")
    assert e.reason == "over-weight-limit" and "30 kg" in e.detail


def test_beyond_the_last_step_each_increment_or_part(demo_copy) -> None:
    # [beyond] is priced by no bundled table a parcel can reach (Regular Parcel stops at 30 kg),
    # so it is checked on the demo fixture: 1 kg step, then +0.50 / +1.00 per 500 g or part
    path = demo_copy / "demo" / "parcel_demo" / "2024-01-01.toml"
    text = path.read_text(encoding="utf-8").replace('max_weight = "1 kg"\n', "")
    text = text.replace("[limits]", '[beyond]\nincrement = "500"\nprices = { A = "0.50", B = "1.00" }\n\n[limits]')
    path.write_text(text, encoding="utf-8")
    t = read_tariff(path)
    for grams, zone_dest, expected in ((1000, "DE", "4.00"), (1000.001, "DE", "4.50"), (1500, "DE", "4.50"),
                                       (1500.001, "DE", "5.00"), (3000, "US", "11.50"), ("1500.0000009", "DE", "4.50")):
        q = price_parcel(t, weight_g=Decimal(str(grams)), destination=zone_dest)
        assert q.price.amount == Decimal(expected), grams


def test_regular_parcel_unknown_rate_code(rates: Rates) -> None:
    assert refusal(rates, "regular_parcel", "2 kg", "CA", zone="Z9").reason == "zone-unknown"


def test_regular_parcel_is_domestic(rates: Rates) -> None:
    assert refusal(rates, "regular_parcel", "1 kg", "US", zone="A1").reason == "destination-not-served"
