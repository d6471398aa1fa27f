"""Hypothesis strategies for whole labels (the PDF round trip and anything else that needs one).

Labels are drawn so that ``postcheck fix`` can correct them completely: a product postcheck can
price (Canada Post Small Packet USA Air, 2022-03-01), specific descriptions, valid HS numbers,
weights within the product's 2 kg limit; what varies is everything a fix or a PDF must carry:
gross weight present or not, packaging, postage paid, category, addresses, accents, decimals.
Text is drawn from Windows-1252 letters so the printed page can say it exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from postcheck.identifiers import s10_check_digit
from postcheck.label import Label

DESCRIPTIONS = ("Handmade ceramic coffee mug", "Linen tea towel", "Wool knitted scarf", "Paperback novel",
                "Tasse en céramique", "Torchon en lin brodé", "Men's cotton shirt", "Maple wood cutting board",
                "Porte-clés en étain", "Silk necktie")
HS = ("6912.00", "6302.51", "6117.10", "4901.99", "6205.20", "4419.12", "8308.10", "6215.10")
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàçôÉABCDEFGHIJKLMNOPQRSTUVWXYZ -'.", min_size=1,
                max_size=24).map(lambda s: " ".join(s.split())).filter(lambda s: len(s) >= 2 and s[0].isalpha())


def _grams(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo, hi).map(lambda n: Decimal(n) / 10)  # decigram resolution


@st.composite
def tracking_numbers(draw) -> str:
    serial = f"{draw(st.integers(0, 99_999_999)):08d}"
    return f"RR{serial}{s10_check_digit(serial)}CA"


@st.composite
def addresses(draw, country: str) -> dict:
    d = {"name": draw(WORDS), "street": draw(WORDS), "city": draw(WORDS), "country": country}
    for key in ("business", "postcode", "phone"):
        if draw(st.booleans()):
            d[key] = draw(WORDS) if key == "business" else draw(st.from_regex(r"[A-Z0-9]{3} ?[0-9A-Z]{3}", fullmatch=True))
    return d


@st.composite
def items(draw) -> dict:
    return {"description": draw(st.sampled_from(DESCRIPTIONS)), "quantity": draw(st.integers(1, 5)),
            "net_weight": f"{draw(_grams(100, 4000))} g",
            "value": f"{Decimal(draw(st.integers(100, 20000))) / 100:.2f}",
            "hs_code": draw(st.sampled_from(HS)), "origin_country": "CA"}


@st.composite
def label_dicts(draw, *, max_items: int = 4) -> dict:
    """A label in its JSON shape, fixable by ``postcheck fix``."""
    lines = draw(st.lists(items(), min_size=1, max_size=max_items))
    net = sum(Decimal(i["net_weight"].split()[0]) for i in lines)
    packaging = draw(_grams(0, 1500))
    if net + packaging > 1950:
        packaging = Decimal(0)
        for i in lines:
            i["net_weight"] = f"{Decimal(i['net_weight'].split()[0]) / len(lines) / 2:.1f} g"
    d: dict = {"form": "CN23", "service": "small_packet_usa_air", "origin": "CA", "destination": "US",
               "ship_date": dt.date(2022, 3, 1).isoformat(), "currency": "CAD",
               "category": draw(st.sampled_from(["sale_of_goods", "commercial_sample", "other"])),
               "items": lines, "packaging_weight": f"{packaging} g",
               "postage_paid": f"{Decimal(draw(st.integers(500, 4000))) / 100:.2f}",
               "sender": draw(addresses("CA")), "addressee": draw(addresses("US"))}
    if d["category"] == "other":
        d["explanation"] = draw(WORDS)
    if draw(st.booleans()):
        d["tracking_number"] = draw(tracking_numbers())
    if draw(st.booleans()):
        d["invoice_number"] = f"INV-{draw(st.integers(1, 99999))}"
    if draw(st.booleans()):
        d["comments"] = draw(WORDS)
    return d


def labels(**kw) -> st.SearchStrategy[Label]:
    return label_dicts(**kw).map(Label.model_validate)
