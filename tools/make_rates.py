"""Generate the bundled tariff files under rates/.

Canada Post's tables are imported from the operator's price guides in
../shared/reference/price-guides by postcheck's own importer (``postcheck rates import``), every
edition, consumer (counter) and small business; the other tables are copied from the reference
extracts in ../shared/reference and src/postcheck/data/usps_country_iso2.csv (made by
tools/resolve_usps_countries.py). Writes rates/**/*.toml in the format of docs/tariff-format.md.
Output is deterministic: running it twice gives identical files. Run it with postcheck
installed (the repository's virtual environment).

    python tools/make_rates.py            # write rates/
    python tools/make_rates.py --check    # parse rates/ and verify tables and examples

Every other price is copied from a reference CSV (normalised to two decimals); the worked
examples below carry prices read off the CSVs by hand, and --check recomputes each one with an
independent lookup.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path

from postcheck.tariffs.guide_pdf import Guide
from postcheck.tariffs.guides import import_guide, page_dates, worked_example
from postcheck.tariffs.toml_out import to_toml

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
RATES = REPO / "rates"
USPS_ISO = REPO / "src" / "postcheck" / "data" / "usps_country_iso2.csv"

CP_DATE = dt.date(2021, 9, 13)
USPS_DOC = "USPS Notice 123 Price List"
USPS_DATE = dt.date(2025, 10, 5)

CP_TAX_NOTE = (
    "Prices exclude GST/HST/PST (the guide says all prices are subject to them; items to "
    "foreign destinations are not taxed when the transaction is $5.00 or more) and any fuel "
    "surcharge, which the guide says may apply."
)
CP_USA_SIZE_URL = (
    "https://origin-www.canadapost.ca/scp/fr/soutien/sujet/services-colis-e-u-international/"
    "restrictions-dimensions-poids.page"
)
CP_FAQ_URL = (
    "https://canadapost-postescanada.ca/cpc/en/support/kb/sending/sending-faq/"
    "size-and-weight-information-for-parcels-and-packages.page"
)
USPS_FOUND = (
    "Source PDF: Notice123.pdf as found in GitHub cohenyehonatan/3d-printing-website "
    "(commit c3424f5); extracted to shared/reference."
)


# --------------------------------------------------------------------------- helpers


def money(s: str) -> str:
    """A price string from a CSV, normalised to two decimals ("9.8" -> "9.80")."""
    d = Decimal(s.strip())
    q = d.quantize(Decimal("0.01"))
    if q != d:
        raise ValueError(f"price {s!r} has more than two decimals")
    return f"{q:.2f}"


def num(s: str | Decimal) -> str:
    """A step bound as a plain decimal string without trailing zeros ("0.50" -> "0.5")."""
    d = Decimal(str(s).strip()).normalize()
    return format(d, "f")


def read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- worked examples


def ex(weight, price=None, refused=None, destination=None, zone=None, dimensions=None,
       why=None):
    return worked_example(weight, destination=destination, price=price, refused=refused, zone=zone,
                          dimensions=dimensions, why=why)


# --------------------------------------------------------------------------- Canada Post


CP_GUIDES = (  # oldest first: a table printed again in a later guide is cited from the later one
    "canadapost_consumer_2020-01-13.pdf",
    "canadapost_consumer_updated_2021-09-13.pdf",
    "canadapost_consumer_updated_2022-01-10.pdf",
    "canadapost_small_business_2021-01-11.pdf",
    "canadapost_small_business_updated_2021-09-13.pdf",
    "canadapost_small_business_updated_2022-01-10.pdf",
)

CP_USA_NOTES = [
    "Maximum weight: the price guide prices this product up to 2.0 kg, and "
    f"Canada Post's size and weight restrictions page ({CP_USA_SIZE_URL}, undated, "
    "section 'Paquet repérable – É.-U. et Petit paquet – É.-U.') also says 2 kg; the "
    f"Canada Post FAQ 'Size and weight information for parcels and packages' ({CP_FAQ_URL}, "
    "undated) says a U.S.A. packet has a maximum weight of 1 kg. The guide is followed "
    "(max_weight = 2 kg).",
    "Size limits (longest side 600 mm, length + width + height 900 mm, minimum 140 mm x "
    f"90 mm) are from the same restrictions page ({CP_USA_SIZE_URL}), which is a current "
    "undated page, not the price guide.",
]
CP_USA_LIMITS = {"max_weight": "2 kg", "max_longest_side": "60 cm", "max_sum_of_sides": "90 cm",
                 "min_longest_side": "14 cm", "min_second_side": "9 cm"}
CP_INTL_NOTES = {
    "tracked_packet_international": [
        "Destinations not in the Tracked Packet rate-code table are not served by this product.",
        "Size limits are not bundled: no citable source for the maximum dimensions of "
        "Tracked Packet International was found.",
    ],
    "small_packet_international_air": [
        "Size limits are not bundled: no citable source for the maximum dimensions of "
        "Small Packet International was found (the Canada Post restrictions page found "
        f"({CP_USA_SIZE_URL}) showed only the USA packet section).",
    ],
    "small_packet_international_surface": [
        "Surface has no 0.1 kg step: its first step is up to 0.25 kg (starting at 0).",
        "Size limits are not bundled: no citable source for the maximum dimensions of "
        "Small Packet International was found.",
    ],
    "regular_parcel": [
        "Domestic only. The rate code (A1 ... J2) depends on the origin and destination "
        "postal codes and is supplied by the caller.",
        "The guide prices by weight or volumetric equivalent ('weight ... or VE'), but the "
        "volumetric rule itself is not in the guide's price pages: it is not bundled, so prices "
        "here use the actual weight only.",
        "max_weight 30 kg (actual weight) from the Canada Post FAQ "
        f"({CP_FAQ_URL}, undated): domestic parcels can weigh at most 30 kg. The guide's "
        "'each additional 0.5 kg over 30 kg' prices ([beyond]) apply to the volumetric "
        "equivalent, which is not bundled, so they are kept for completeness but not reached.",
        "Size limits and surcharges (e.g. oversize, non-standard) are not bundled.",
    ],
}
#: The extracts in shared/reference were read by hand from the 2022 consumer guide; the tables
#: imported from that guide must equal them (tests/unit/test_bundled_tables.py checks it).
CP_REFERENCE_2021 = {
    "small_packet_usa_air": "canadapost_packet_usa_consumer_2021-09-13.csv",
    "tracked_packet_usa": "canadapost_packet_usa_consumer_2021-09-13.csv",
    "small_packet_international_air": "canadapost_packet_international_consumer_2021-09-13.csv",
    "small_packet_international_surface": "canadapost_packet_international_consumer_2021-09-13.csv",
    "tracked_packet_international": "canadapost_packet_international_consumer_2021-09-13.csv",
    "regular_parcel": "canadapost_regular_parcel_domestic_consumer_2021-09-13.csv",
}
#: Worked examples read off the reference extracts by hand (consumer prices of 2021-09-13).
CP_EXAMPLES_2021 = {
    "small_packet_usa_air": [
        ex("520 g", "18.82", destination="US", why="0.52 kg -> 1.0 kg step: 18.82"),
        ex("480 g", "12.83", destination="US", why="0.48 kg -> 0.5 kg step: 12.83"),
        ex("500 g", "12.83", destination="US", why="Step edge: 0.5 kg step: 12.83"),
        ex("300 g", refused="over-size-limit", destination="US",
           dimensions="61 x 10 x 5 cm", why="Longest side 61 cm > 60 cm"),
    ],
    "tracked_packet_usa": [
        ex("520 g", "21.91", destination="US", why="0.52 kg -> 1.0 kg step: 21.91"),
        ex("500 g", "18.97", destination="US", why="Step edge: 0.5 kg step: 18.97"),
        ex("300 g", refused="over-size-limit", destination="US",
           dimensions="40 x 30 x 25 cm", why="Sum of sides 95 cm > 90 cm"),
    ],
    "small_packet_international_air": [
        ex("520 g", "44.26", destination="JP", why="JP code 4, 1.0 kg step: 44.26"),
        ex("1 kg", "49.63", destination="XK",
           why="Kosovo (printed XZ, also mapped as XK) code 3, 1.0 kg: 49.63"),
    ],
    "small_packet_international_surface": [
        ex("50 g", "9.49", destination="DE", why="First step (0-0.25 kg), DE code 2: 9.49"),
        ex("251 g", "12.99", destination="DE", why="Just above the edge: 0.5 kg, DE code 2: 12.99"),
    ],
    "tracked_packet_international": [
        ex("200 g", "43.51", destination="JP",
           why="JP -> rate code 4; 0.2 kg is in the 0.25 kg step: 43.51"),
        ex("300 g", refused="destination-not-served", destination="JM",
           why="Jamaica is not served (JM in the PDF is Japan's misprint)"),
    ],
    "regular_parcel": [
        ex("2 kg", "18.25", destination="CA", zone="D3", why="D3, 2.0 kg step: 18.25"),
        ex("30 kg", "205.27", destination="CA", zone="J2", why="Last step edge: J2, 30.0 kg step: 205.27"),
        ex("30.2 kg", None, destination="CA", zone="J2", refused="over-weight-limit",
           why="Over the 30 kg maximum (actual weight)"),
    ],
}


def _same_table(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in ("zones", "steps", "beyond", "limits", "currency"))


def _price_year_starts(guide: str) -> list[dt.date]:
    """The dates a guide prints on its pages (its price years begin on the earliest of each year)."""
    with Guide(REFERENCE / "price-guides" / guide) as g:
        return sorted({d for n in range(1, g.page_count + 1) for d in page_dates(g.text(n))})


def cp_editions() -> dict[str, dict]:
    """Every Canada Post table, imported from the guides by postcheck's own importer, with
    what the guides do not say (size limits, the FAQ's weight limit, tax notes) added."""
    tables: dict[str, dict] = {}
    year_starts: dict[str, list[dt.date]] = {}  # plan -> first date of each price year printed
    for guide in CP_GUIDES:
        result = import_guide(REFERENCE / "price-guides" / guide)
        if result.problems:
            raise ValueError(f"{guide}: " + "; ".join(result.problems))
        dates = _price_year_starts(guide)
        starts = year_starts.setdefault(result.plan, [])
        for year in sorted({d.year for d in dates}):
            first = min(d for d in dates if d.year == year)
            if first not in starts:
                starts.append(first)
        for rel, doc in result.tariffs.items():
            old = tables.get(rel)
            if old is not None:
                if not _same_table(old, doc):
                    raise ValueError(f"{rel}: {guide} prints other prices than {old['source']['document']} "
                                     "for the same effective date")
                doc["notes"].append(f"The same table is printed in {old['source']['document']}, "
                                    f"PDF page(s) {old['source']['pages']}.")
            tables[rel] = doc
    # a table ends where the next begins; where a guide shows that a new price year began
    # (its pages print an earlier date of that year) before the next table we have, the table
    # ends the day before that date and no table is in force until the next one begins
    by_id: dict[str, list[dict]] = {}
    for doc in tables.values():
        by_id.setdefault(doc["id"], []).append(doc)
    for docs in by_id.values():
        docs.sort(key=lambda d: d["effective_from"])
        for a, b in zip(docs, docs[1:]):
            starts = [d for d in year_starts[a["plan"]] if a["effective_from"] < d < b["effective_from"]]
            if starts:
                end = min(starts) - dt.timedelta(days=1)
                keys = list(a)
                at = keys.index("effective_from") + 1
                items = list(a.items())
                a.clear()
                a.update(items[:at] + [("effective_until", end)] + items[at:])
                a["notes"].append(
                    f"In force until {end.isoformat()}: Canada Post's guides print prices effective "
                    f"{min(starts).isoformat()} for other products of this plan, so this table was "
                    f"replaced then; the table that replaced it is in no guide postcheck has, and "
                    f"from {min(starts).isoformat()} to {(b['effective_from'] - dt.timedelta(days=1)).isoformat()} "
                    "no table is in force (pricing says so rather than guess).")
    out = {}
    for rel, doc in tables.items():
        product = doc["product"]
        if product in ("tracked_packet_usa", "small_packet_usa_air"):
            doc["notes"].extend(CP_USA_NOTES)
            doc["limits"] = dict(CP_USA_LIMITS)
        else:
            doc["notes"].extend(CP_INTL_NOTES[product])
        if product == "regular_parcel":
            doc["limits"] = {"max_weight": "30 kg"}
        doc["notes"].append(CP_TAX_NOTE)
        if doc["plan"] == "counter" and doc["effective_from"] == CP_DATE:
            doc["source"]["reference"] = CP_REFERENCE_2021[product]
            seen = {(e["weight"], e["destination"], e.get("zone"), e.get("dimensions")) for e in doc["examples"]}
            doc["examples"].extend(e for e in CP_EXAMPLES_2021[product]
                                   if (e["weight"], e["destination"], e.get("zone"), e.get("dimensions")) not in seen)
        if doc["plan"] == "small_business" and product == "tracked_packet_usa" and doc["effective_from"] == CP_DATE:
            doc["examples"].append(ex("500 g", "17.95", destination="US",
                                      why="Step edge: 0.5 kg step: 17.95 (the counter price is 18.97)"))
        if product == "tracked_packet_usa":
            doc["examples"].append(ex("300 g", refused="over-size-limit", destination="US",
                                      dimensions="61 x 10 x 5 cm", why="Longest side 61 cm > 60 cm"))
        out[rel] = doc
    return out


# --------------------------------------------------------------------------- USPS


def usps_countries(column: str) -> tuple[dict[str, str], list[str]]:
    iso = {}
    with USPS_ISO.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            iso[r["country"]] = r["iso2"]
    countries, not_served = {}, []
    for r in read_csv("usps_country_price_groups_2025-10-05.csv"):
        name = r["country"]
        if name not in iso:
            raise ValueError(f"no ISO code for USPS country name {name!r}; "
                             "run tools/resolve_usps_countries.py")
        g = r[column]
        if g == "n/a":
            not_served.append(iso[name])
        else:
            countries[iso[name]] = g
    return countries, not_served


def usps_fcpis(kind: str) -> dict:
    ref = {"retail": "usps_fcpis_retail_2025-10-05.csv",
           "commercial": "usps_fcpis_commercial_base_2025-10-05.csv"}[kind]
    rows = read_csv(ref)
    zones = [str(i) for i in range(1, 21)]
    steps = [{"up_to": num(r["max_oz"]), "prices": {z: money(r[f"group_{z}"]) for z in zones}}
             for r in rows]
    countries, not_served = usps_countries("fcpis_group")
    label = {"retail": "Retail", "commercial": "Commercial"}[kind]
    page = {"retail": "42", "commercial": "51"}[kind]  # PDF pages (= the pages' printed numbers)
    notes = [
        "Weight bands 1-8, 9-32, 33-48, 49-64 oz; USPS rounds up to the next whole ounce "
        "(weight.rounding = 1 oz).",
        "Country -> price group from the Notice 123 country price-group list (pp.56-61; "
        "usps_country_price_groups_2025-10-05.csv, column fcpis_group). Country names were "
        "mapped to ISO alpha-2 with pycountry plus a hand table "
        "(tools/resolve_usps_countries.py -> src/postcheck/data/usps_country_iso2.csv). Kosovo is mapped as "
        "XK (user-assigned, no ISO code); Ascension as AC and Tristan da Cunha as TA (ISO "
        "exceptionally reserved), Saint Helena as SH.",
        "Not served (fcpis_group n/a): " + ", ".join(sorted(not_served)) + ". Destinations "
        "absent from the list (e.g. territories USPS prices under another country) are not "
        "mapped and are refused as not served.",
        "Size limits are not bundled: the FCPIS limits (length + width + height 36 in, "
        "longest side 24 in) were found only on a third-party page about an older product "
        "name (priceusa.com.au 'What are the USPS mail size limits?', 'First Class Air Mail "
        "International'), not in a USPS document, so they are left out.",
        USPS_FOUND,
    ]
    if kind == "commercial":
        notes.insert(0, "Commercial Base prices; Commercial Plus prices are identical in this "
                     "edition (reference README).")
    examples = {
        "retail": [
            ex("20 oz", "26.00", destination="CA",
               why="1 lb 4 oz = 20 oz to CA (group 1): 9-32 oz band: 26.00"),
            ex("8 oz", "17.85", destination="CA", why="Band edge: 8 oz, group 1: 17.85"),
            ex("8.1 oz", "26.00", destination="CA",
               why="Just above the edge: 8.1 oz rounds up to 9 oz, group 1 9-32 oz: 26.00"),
            ex("500 g", "41.25", destination="AU",
               why="500 g = 17.64 oz -> 18 oz; AU is group 12; 9-32 oz band: 41.25"),
            ex("64 oz", "64.25", destination="GB",
               why="Last band edge: 4 lb to GB (group 20), 49-64 oz: 64.25"),
            ex("65 oz", refused="over-weight-limit", destination="GB",
               why="Over the 4 lb maximum"),
            ex("4 oz", refused="destination-not-served", destination="SO",
               why="Somalia: fcpis_group n/a"),
        ],
        "commercial": [
            ex("20 oz", "24.69", destination="CA",
               why="1 lb 4 oz = 20 oz to CA (group 1), 9-32 oz band: 24.69"),
            ex("8 oz", "17.27", destination="CA", why="Band edge: 8 oz, group 1: 17.27"),
            ex("8.1 oz", "24.69", destination="CA",
               why="Just above the edge: rounds up to 9 oz, group 1 9-32 oz: 24.69"),
            ex("33 oz", "62.00", destination="AU",
               why="AU is group 12, 33-48 oz band: 62.00"),
            ex("65 oz", refused="over-weight-limit", destination="CA",
               why="Over the 4 lb maximum"),
            ex("4 oz", refused="destination-not-served", destination="SO",
               why="Somalia: fcpis_group n/a"),
        ],
    }[kind]
    return {
        "format": 1,
        "id": f"fcpis_{kind}",
        "operator": "USPS",
        "name": f"First-Class Package International Service ({label})",
        "product": "fcpis",
        "plan": kind,
        "currency": "USD",
        "effective_from": USPS_DATE,
        "origins": ["US"],
        "customs_form": "CN22",
        "notes": notes,
        "source": {"document": USPS_DOC, "pages": f"{page}, 56-61", "reference": ref},
        "weight": {"unit": "oz", "rounding": "1 oz"},
        "zones": {"by": "country", "names": zones, "countries": countries},
        "steps": steps,
        "limits": {"max_weight": "4 lb"},
        "examples": examples,
    }


def usps_ground_advantage(kind: str) -> dict:
    ref = f"usps_ground_advantage_{kind}_2025-10-05.csv"
    rows = read_csv(ref)
    zones = [str(i) for i in range(1, 10)]
    steps, oversize = [], None
    for r in rows:
        prices = {z: money(r[f"zone_{z}"]) for z in zones}
        w, unit = r["weight_not_over"], r["unit"]
        if w == "Oversized":
            if unit != "oversized_108_130in_LG":
                raise ValueError(unit)
            oversize = prices
            continue
        oz = Decimal(w) if unit == "oz" else Decimal(w) * 16
        steps.append({"up_to": num(oz), "prices": prices})
    expected = ["4", "8", "12", "15.999"] + [str(16 * i) for i in range(1, 71)]
    if [s["up_to"] for s in steps] != expected or oversize is None:
        raise ValueError("unexpected Ground Advantage grid")
    label = {"retail": "Retail", "commercial": "Commercial"}[kind]
    page = {"retail": "7", "commercial": "15"}[kind]
    examples = {
        "retail": [
            ex("4 oz", "7.20", destination="US", zone="1", why="Step edge: 4 oz, zone 1: 7.20"),
            ex("4.1 oz", "7.50", destination="US", zone="1",
               why="Just above the edge: 8 oz step, zone 1: 7.50"),
            ex("17 oz", "12.80", destination="US", zone="5",
               why="17 oz = 1 lb 1 oz -> 2 lb step, zone 5: 12.80"),
            ex("70 lb", "177.80", destination="US", zone="9",
               why="Last step edge: 70 lb, zone 9: 177.80"),
            ex("2 lb", "19.45", destination="US", zone="1", dimensions="13.6 x 14.4 x 14 in",
               why="Volumetric: sides round to 14 x 14 x 14 = 2744 in^3 > 1728; "
                   "2744 / 166 = 16.53 -> 17 lb; zone 1 17 lb: 19.45"),
            ex("2 lb", "9.85", destination="US", zone="1", dimensions="12.4 x 12 x 12 in",
               why="Sides round to 12 x 12 x 12 = 1728 in^3, not over 1728: actual 2 lb, "
                   "zone 1: 9.85"),
            ex("5 lb", "127.40", destination="US", zone="1", dimensions="62 x 12 x 12 in",
               why="Length + girth 62 + 48 = 110 in > 108: oversized price, zone 1: 101.00, "
                   "+ length over 30 in 8.40 + volume 8928 in^3 over 3456 in^3 18.00 = 127.40"),
            ex("1 lb", "13.10", destination="US", zone="1", dimensions="25 x 10 x 4 in",
               why="1 lb, zone 1: 9.10 + length 25 in over 22 in (up to 30 in) 4.00 = 13.10"),
            ex("1 lb", "17.50", destination="US", zone="1", dimensions="31 x 10 x 4 in",
               why="1 lb, zone 1: 9.10 + length 31 in over 30 in 8.40 = 17.50 (not the 4.00 fee too)"),
            ex("71 lb", refused="over-weight-limit", destination="US", zone="1",
               why="Over 70 lb"),
            ex("5 lb", refused="over-size-limit", destination="US", zone="1",
               dimensions="70 x 20 x 15 in",
               why="Length + girth 70 + 70 = 140 in > 130"),
            ex("1 lb", refused="destination-not-served", destination="CA", zone="1",
               why="Domestic only"),
        ],
        "commercial": [
            ex("4 oz", "4.50", destination="US", zone="1", why="Step edge: 4 oz, zone 1: 4.50"),
            ex("4.1 oz", "4.95", destination="US", zone="1",
               why="Just above the edge: 8 oz step, zone 1: 4.95"),
            ex("15.999 oz", "6.37", destination="US", zone="1",
               why="15.999 oz step, zone 1: 6.37"),
            ex("16 oz", "7.10", destination="US", zone="1", why="1 lb step, zone 1: 7.10"),
            ex("17 lb", "32.15", destination="US", zone="8", why="17 lb, zone 8: 32.15"),
            ex("70 lb", "172.98", destination="US", zone="9",
               why="Last step edge: 70 lb, zone 9: 172.98"),
            ex("71 lb", refused="over-weight-limit", destination="US", zone="1",
               why="Over 70 lb"),
            ex("1 lb", refused="destination-not-served", destination="MX", zone="1",
               why="Domestic only"),
        ],
    }[kind]
    return {
        "format": 1,
        "id": f"ground_advantage_{kind}",
        "operator": "USPS",
        "name": f"USPS Ground Advantage ({label})",
        "product": "ground_advantage",
        "plan": kind,
        "currency": "USD",
        "effective_from": USPS_DATE,
        "origins": ["US"],
        "customs_form": "none",
        "notes": [
            "Steps: 4, 8, 12, 15.999 oz, then 1-70 lb expressed in ounces (16 ... 1120); the "
            "pound steps implement USPS's round-up to the next pound, so weight.rounding is "
            "none.",
            "Zone (1-9) is supplied by the caller. destinations lists only US: no source read "
            "here says which US territories or military (APO/FPO/DPO) addresses this grid "
            "covers, so PR, GU, VI, AS, MP etc. are not listed.",
            "Oversized price: Notice 123 'Oversized' row, parcels over 108 in (up to 130 in) "
            "in length plus girth, regardless of weight.",
            "Volumetric rule (over 1728 in^3, divisor 166, result rounded up to the next "
            "pound) is from the product requirements. Rounding each side to the nearest whole "
            "inch follows the DMM dimensional-weight wording 'Round off each measurement to the "
            "nearest whole inch' (older DMM 123.1.4.1, quoted at "
            "https://slippertalk.com/threads/shipping-orchids-best-carrier.3676/page-2; USPS's "
            "own calculator help https://cns.usps.com/modals/girth.html says to round off "
            "length, width and height before calculating). Both texts predate Ground Advantage "
            "(divisor 194); no 2025 DMM/Notice 123 text for the rounding was found.",
            "Surcharges from the notes under the price table (Notice 123 p.7 notes 3-5 retail, p.15 "
            "notes 5-7 commercial): length over 22 in up to 30 in $4.00, over 30 in $8.40, volume over 2 "
            "cubic feet (3456 in^3) $18.00, on actual sizes. The notes exempt no price, so they are added "
            "to the Oversized price too. The $4.00 fee for tubes, cans, boxes and liquids (note 6 / 8) "
            "depends on the contents, which a label does not give: not applied.",
            "The live animal fee and (commercial) the package quality, unmanifested and dimension "
            "noncompliance fees are not applied: they depend on what the label does not say.",
            USPS_FOUND,
        ],
        "source": {"document": USPS_DOC, "pages": page, "reference": ref},
        "weight": {"unit": "oz", "rounding": "none"},
        "zones": {"by": "input", "names": zones, "destinations": ["US"]},
        "steps": steps,
        "limits": {"max_weight": "70 lb", "max_length_plus_girth": "130 in"},
        "oversize": {"length_plus_girth_over": "108 in", "prices": oversize},
        "surcharges": [
            {"name": "Length over 22 in, up to 30 in", "longest_side_over": "22 in",
             "longest_side_up_to": "30 in", "amount": "4.00"},
            {"name": "Length over 30 in", "longest_side_over": "30 in", "amount": "8.40"},
            {"name": "Volume over 2 cubic feet (3456 in^3)", "volume_over": "3456 in^3", "amount": "18.00"},
        ],
        "volumetric": {
            "applies_over_volume": "1728 in^3",
            "divisor": "166",
            "length_unit": "in",
            "weight_unit": "lb",
            "dimension_rounding": "nearest",
            "result_rounding": "1 lb",
        },
        "examples": examples,
    }


# --------------------------------------------------------------------------- Deutsche Post


def dp_warenpost(variant: str) -> dict:
    suffix = {"untracked": "Untracked", "tracked": "Tracked",
              "signature": "mit Unterschrift"}[variant]
    product = f"Warenpost International zum Kilotarif - {suffix}"
    rows = [r for r in read_csv("europe_postal_reference_prices.csv") if r["product"] == product]
    if len(rows) != 1:
        raise ValueError(product)
    r = rows[0]
    m = re.fullmatch(r"(\d+\.\d+) per piece \+ (\d+\.\d+) per kg( total weight)?", r["price"])
    if not m or r["currency"] != "EUR" or r["weight_max_g"] != "2000":
        raise ValueError(r)
    piece, per_kg = money(m.group(1)), money(m.group(2))
    ident = {"untracked": "warenpost_international_kilo",
             "tracked": "warenpost_international_kilo_tracked",
             "signature": "warenpost_international_kilo_signature"}[variant]
    # Hand-computed: per_piece + per_kg x weight, half-up to the cent.
    hand = {
        "untracked": ("4.12", "13.00", "4.13", "1.01"),
        "tracked": ("6.37", "15.25", "6.38", "3.26"),
        "signature": ("6.62", "15.50", "6.63", "3.51"),
    }[variant]
    return {
        "format": 1,
        "id": ident,
        "operator": "Deutsche Post",
        "name": product,
        "currency": "EUR",
        "origins": ["DE"],
        "customs_form": "CN22",
        "notes": [
            "Prices are net: plus VAT for EU destinations; VAT-free to non-EU destinations.",
            "Needs a contract with at least 500 items per quarter.",
            "Goods only (plus invoices/delivery notes).",
            "Limits (max 2 kg; length + width + height <= 90 cm; length 14-60 cm; width >= "
            "9 cm) are stated on the Untracked row of the extract; the Tracked and 'mit "
            "Unterschrift' rows come from the same product page and carry the 2 kg maximum but "
            "no dimension note, so the same dimensions are assumed for them.",
            "Price = per piece + per kg x weight (weight rounded up to the gram), rounded "
            "half-up to the cent.",
            "Source page is undated (stored copy); verify before relying on it.",
        ],
        "source": {
            "document": "Deutsche Post, Warenpost International zum Kilotarif product page "
                        "(deutschepost.de, stored copy)",
            "pages": "n/a",
            "reference": "europe_postal_reference_prices.csv",
            "undated": True,
            "retrieved": "2026-11",
        },
        "weight": {"unit": "kg", "rounding": "1 g"},
        "zones": {"by": "world", "names": ["world"]},
        "formula": {"per_piece": piece, "per_unit": per_kg},
        "limits": {
            "max_weight": "2 kg",
            "max_sum_of_sides": "90 cm",
            "max_longest_side": "60 cm",
            "min_longest_side": "14 cm",
            "min_second_side": "9 cm",
        },
        "examples": [
            ex("520 g", hand[0], destination="US",
               why=f"{piece} + {per_kg} x 0.520 = {hand[0]}"),
            ex("2000 g", hand[1], destination="FR",
               why=f"Maximum weight: {piece} + {per_kg} x 2.000 = {hand[1]}"),
            ex("520.3 g", hand[2], destination="GB",
               why=f"Rounded up to 521 g: {piece} + {per_kg} x 0.521 = {hand[2]} (half-up)"),
            ex("1 g", hand[3], destination="JP",
               why=f"{piece} + {per_kg} x 0.001 = {hand[3]} (half-up)"),
            ex("2001 g", refused="over-weight-limit", destination="FR", why="Over 2 kg"),
            ex("100 g", refused="under-size-limit", destination="FR",
               dimensions="10 x 8 x 2 cm", why="Longest side 10 cm < 14 cm"),
            ex("100 g", refused="over-size-limit", destination="FR",
               dimensions="61 x 10 x 5 cm", why="Longest side 61 cm > 60 cm"),
            ex("100 g", refused="destination-not-served", destination="DE",
               why="International only: DE is the origin"),
        ],
    }


# --------------------------------------------------------------------------- SDR


def sdr_files() -> dict[str, dict]:
    rows = read_csv("sdr_rates_2025.csv")
    out = {}
    meta = {
        "2025-10-20": ("IMF SDR valuation (currency units per SDR), reprinted by Business "
                       "Recorder 2025-10-21"),
        "2025-01-17": ("IMF SDR valuation (SDR per currency unit; currency units per SDR are "
                       "the reciprocals), reprinted by Business Recorder 2025-01-21"),
    }
    for date in sorted({r["date"] for r in rows}):
        per = {}
        examples = []
        derivations = set()
        for r in rows:
            if r["date"] == date:
                Decimal(r["currency_units_per_SDR"])  # validate
                per[r["currency"]] = r["currency_units_per_SDR"]
                derivations.add(r["derivation"])
                # the extract states the value of 300 SDR (the CN 22 ceiling) independently
                examples.append({"sdr": "300", "currency": r["currency"], "value": money(r["value_of_300_SDR"])})
        out[date] = {
            "_header": [f"SDR rates as of {date}; derivation in the extract: "
                        + "; ".join(sorted(derivations)) + ".",
                        "Extract: shared/reference/sdr_rates_2025.csv"],
            "format": 1,
            "kind": "sdr",
            "effective_from": dt.date.fromisoformat(date),
            "source": {"document": meta[date], "pages": "n/a"},
            "per_sdr": dict(sorted(per.items())),
            "examples": sorted(examples, key=lambda e: e["currency"]),
        }
    return out


# --------------------------------------------------------------------------- build


def build() -> dict[Path, dict]:
    files: dict[Path, dict] = {}

    def put(op: str, doc: dict, stem: str) -> None:
        files[RATES / op / doc["id"] / f"{stem}.toml"] = doc

    for rel, doc in cp_editions().items():
        files[RATES / rel] = doc
    put("usps", usps_fcpis("retail"), "2025-10-05")
    put("usps", usps_fcpis("commercial"), "2025-10-05")
    put("usps", usps_ground_advantage("retail"), "2025-10-05")
    put("usps", usps_ground_advantage("commercial"), "2025-10-05")
    for v in ("untracked", "tracked", "signature"):
        put("deutschepost", dp_warenpost(v), "undated")
    for date, doc in sdr_files().items():
        files[RATES / "sdr" / f"{date}.toml"] = doc
    return files


HEADER = ("Generated by tools/make_rates.py from shared/reference; do not edit by hand.")


def write() -> None:
    for path, doc in sorted(build().items()):
        doc.setdefault("_header", [])
        doc["_header"] = [HEADER] + doc["_header"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_toml(doc), encoding="utf-8")
        print(path.relative_to(REPO))


# --------------------------------------------------------------------------- check

G_PER = {"g": Decimal(1), "kg": Decimal(1000), "oz": Decimal("28.349523125"),
         "lb": Decimal("453.59237")}
CM_PER = {"cm": Decimal(1), "mm": Decimal("0.1"), "m": Decimal(100), "in": Decimal("2.54")}
PRICE = re.compile(r"^\d+\.\d{2}$")
DECIMAL = re.compile(r"^\d+(\.\d+)?$")


def qty(s: str, table: dict) -> tuple[Decimal, str]:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", s)
    if not m or m.group(2) not in table:
        raise ValueError(f"bad quantity {s!r}")
    return Decimal(m.group(1)), m.group(2)


def weight_in(s: str, unit: str) -> Decimal:
    v, u = qty(s, G_PER)
    return v * G_PER[u] / G_PER[unit]


def length_cm(s: str) -> Decimal:
    v, u = qty(s, CM_PER)
    return v * CM_PER[u]


def ceil_to(x: Decimal, step: Decimal) -> Decimal:
    return (x / step).to_integral_value(rounding=ROUND_CEILING) * step


def price_of(t: dict, e: dict) -> tuple[str, str]:
    """Independent lookup: ("price", "12.83") or ("refused", reason)."""
    unit = t["weight"]["unit"]
    zones = t["zones"]
    dest = e["destination"]
    if zones["by"] == "country":
        zone = zones["countries"].get(dest)
        if zone is None:
            return "refused", "destination-not-served"
    elif zones["by"] == "input":
        if dest not in zones["destinations"] or e["zone"] not in zones["names"]:
            return "refused", "destination-not-served"
        zone = e["zone"]
    else:
        if dest in t["origins"]:
            return "refused", "destination-not-served"
        zone = zones["names"][0]
    w = weight_in(e["weight"], unit)
    lim = t.get("limits", {})
    if "max_weight" in lim and w > weight_in(lim["max_weight"], unit):
        return "refused", "over-weight-limit"
    dims_cm = None
    if "dimensions" in e:
        m = re.fullmatch(r"\s*([\d.]+)\s*x\s*([\d.]+)\s*x\s*([\d.]+)\s*([a-z]+)\s*",
                         e["dimensions"])
        dunit = m.group(4)
        raw = sorted((Decimal(m.group(i)) for i in (1, 2, 3)), reverse=True)
        dims_cm = [d * CM_PER[dunit] for d in raw]
        a, b, c = dims_cm
        if "max_longest_side" in lim and a > length_cm(lim["max_longest_side"]):
            return "refused", "over-size-limit"
        if "max_sum_of_sides" in lim and a + b + c > length_cm(lim["max_sum_of_sides"]):
            return "refused", "over-size-limit"
        if ("max_length_plus_girth" in lim
                and a + 2 * (b + c) > length_cm(lim["max_length_plus_girth"])):
            return "refused", "over-size-limit"
        if "min_longest_side" in lim and a < length_cm(lim["min_longest_side"]):
            return "refused", "under-size-limit"
        if "min_second_side" in lim and b < length_cm(lim["min_second_side"]):
            return "refused", "under-size-limit"
    rounding = t["weight"]["rounding"]
    if rounding != "none":
        w = ceil_to(w, weight_in(rounding, unit))
    if dims_cm and "volumetric" in t:
        v = t["volumetric"]
        lu = v["length_unit"]
        sides = [d / CM_PER[lu] for d in dims_cm]
        if v["dimension_rounding"] == "nearest":
            sides = [s.to_integral_value(rounding=ROUND_HALF_UP) for s in sides]
        elif v["dimension_rounding"] == "up":
            sides = [s.to_integral_value(rounding=ROUND_CEILING) for s in sides]
        vol = sides[0] * sides[1] * sides[2]
        over, over_unit = qty(v["applies_over_volume"].replace("^3", ""), CM_PER)
        if over_unit != lu:
            raise ValueError("applies_over_volume unit != length_unit")
        if vol > over:
            vw = vol / Decimal(v["divisor"])
            vw = ceil_to(vw, weight_in(v["result_rounding"], v["weight_unit"]))
            w = max(w, vw * G_PER[v["weight_unit"]] / G_PER[unit])
    extra = Decimal(0)
    if dims_cm:
        a, b, c = dims_cm
        for sc in t.get("surcharges", []):
            if "volume_over" in sc:
                v, u = qty(sc["volume_over"].replace("^3", ""), CM_PER)
                hit = a * b * c > v * CM_PER[u] ** 3
            else:
                hi = sc.get("longest_side_up_to")
                hit = a > length_cm(sc["longest_side_over"]) and (hi is None or a <= length_cm(hi))
            if hit:
                extra += Decimal(sc["amount"])
    if dims_cm and "oversize" in t:
        a, b, c = dims_cm
        if a + 2 * (b + c) > length_cm(t["oversize"]["length_plus_girth_over"]):
            return "price", f"{Decimal(t['oversize']['prices'][zone]) + extra:.2f}"
    if "formula" in t:
        f = t["formula"]
        p = Decimal(f["per_piece"]) + Decimal(f["per_unit"]) * w
        return "price", str(p.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    for s in t["steps"]:
        if w <= Decimal(s["up_to"]):
            return "price", f"{Decimal(s['prices'][zone]) + extra:.2f}"
    if "beyond" not in t:
        return "refused", "over-weight-limit"
    last = t["steps"][-1]
    n = ((w - Decimal(last["up_to"])) / Decimal(t["beyond"]["increment"])).to_integral_value(
        rounding=ROUND_CEILING)
    p = Decimal(last["prices"][zone]) + n * Decimal(t["beyond"]["prices"][zone])
    return "price", f"{p:.2f}"


def check() -> int:
    import tomllib

    errors: list[str] = []
    ids: dict[tuple, Path] = {}
    generated = build()
    on_disk = sorted(RATES.rglob("*.toml"))
    if sorted(generated) != on_disk:
        errors.append("rates/ does not match the generator's file list; run make_rates.py")
    n_examples = 0
    for path in on_disk:
        rel = path.relative_to(REPO)
        expected = dict(generated.get(path, {}))
        expected["_header"] = [HEADER] + expected.get("_header", [])
        if path in generated and path.read_text(encoding="utf-8") != to_toml(expected):
            errors.append(f"{rel}: stale (differs from generator output)")
        with path.open("rb") as fh:
            t = tomllib.load(fh)

        def err(msg: str) -> None:
            errors.append(f"{rel}: {msg}")

        if t.get("format") != 1:
            err("format != 1")
        if t.get("kind") == "sdr":
            for c, v in t["per_sdr"].items():
                if not (isinstance(v, str) and DECIMAL.match(v)):
                    err(f"per_sdr.{c} not a decimal string")
            if path.stem != t["effective_from"].isoformat():
                err("file name != effective_from")
            continue
        if (t["id"], t.get("effective_from")) in ids:  # editions share an id; the loader checks overlaps
            err(f"duplicate table {t['id']} (also {ids[(t['id'], t.get('effective_from'))]})")
        ids[(t["id"], t.get("effective_from"))] = rel
        if path.parent.name != t["id"]:
            err("directory name != id")
        undated = t["source"].get("undated", False)
        if undated != ("effective_from" not in t):
            err("effective_from / source.undated mismatch")
        if path.stem != ("undated" if undated else t["effective_from"].isoformat()):
            err("file name != effective date")
        names = t["zones"]["names"]
        if len(set(names)) != len(names):
            err("duplicate zone names")
        if t["zones"]["by"] == "country":
            bad = {z for z in t["zones"]["countries"].values() if z not in names}
            if bad:
                err(f"countries map to unknown zones {bad}")
            unused = set(names) - set(t["zones"]["countries"].values())
            if unused:
                print(f"note: {rel}: zones priced but mapped from no country: "
                      f"{sorted(unused, key=lambda z: (len(z), z))}")

        def prices_ok(where: str, prices: dict) -> None:
            if list(prices) != names:
                err(f"{where}: zones {list(prices)} != names")
            for z, p in prices.items():
                if not (isinstance(p, str) and PRICE.match(p)):
                    err(f"{where}.{z}: price {p!r} is not a 2-decimal string")

        if "steps" in t:
            prev = Decimal(0)
            for i, s in enumerate(t["steps"]):
                if not (isinstance(s["up_to"], str) and DECIMAL.match(s["up_to"])):
                    err(f"steps[{i}].up_to not a decimal string")
                u = Decimal(s["up_to"])
                if u <= prev:
                    err(f"steps[{i}].up_to {u} does not increase")
                prev = u
                prices_ok(f"steps[{i}].prices", s["prices"])
        elif "formula" not in t:
            err("neither steps nor formula")
        if "beyond" in t:
            prices_ok("beyond.prices", t["beyond"]["prices"])
        if "oversize" in t:
            prices_ok("oversize.prices", t["oversize"]["prices"])
        exs = t.get("examples", [])
        if len(exs) < 3:
            err("fewer than 3 examples")
        if not any("refused" in e for e in exs):
            err("no refused example")
        for i, e in enumerate(exs):
            n_examples += 1
            want = ("price", e["price"]) if "price" in e else ("refused", e["refused"])
            try:
                got = price_of(t, e)
            except Exception as x:  # noqa: BLE001
                got = ("error", repr(x))
            if got != want:
                err(f"examples[{i}] ({e['weight']} -> {e['destination']}): "
                    f"expected {want}, lookup gives {got}")
    for e in errors:
        print("ERROR", e)
    print(f"checked {len(on_disk)} files, {n_examples} examples: "
          f"{'OK' if not errors else f'{len(errors)} errors'}")
    return 1 if errors else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify rates/ instead of writing")
    args = ap.parse_args()
    if args.check:
        return check()
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
