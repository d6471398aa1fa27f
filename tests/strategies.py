"""Hypothesis strategies for weights, parcels and labels: the one module every test reuses.

Weights are drawn as exact Decimal grams at milligram resolution (the finest resolution a step
edge is promised at: 500 g is in the "up to 0.5 kg" step, 500.001 g is not), then spelled the
ways a label writes them: g, kg, oz, lb, with a decimal point or a decimal comma, or compound
("1 lb 2 oz").
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from hypothesis import strategies as st

from postcheck.identifiers import s10_check_digit
from postcheck.label import Label
from postcheck.tariffs import Tariff
from postcheck.units import GRAMS_PER, grams_to

MG = Decimal("0.001")
UNITS = ("g", "kg", "oz", "lb")


def grams(min_g: Decimal | int = 0, max_g: Decimal | int = 30_000) -> st.SearchStrategy[Decimal]:
    """Exact grams with milligram resolution in ``[min_g, max_g]``."""
    lo = int((Decimal(min_g) / MG).to_integral_value(rounding=ROUND_CEILING))
    hi = int((Decimal(max_g) / MG).to_integral_value(rounding=ROUND_FLOOR))
    return st.integers(lo, hi).map(lambda n: Decimal(n) * MG)


def spell(g: Decimal, unit: str, *, comma: bool = False) -> str:
    """``g`` grams written in ``unit`` (as exactly as Decimal allows), optionally with a
    decimal comma."""
    number = f"{grams_to(g, unit).normalize():f}"
    if comma:
        number = number.replace(".", ",")
    return f"{number} {unit}"


def spell_compound(g: Decimal) -> str:
    """``g`` grams as whole pounds plus ounces: ``"1 lb 2.5 oz"``."""
    pounds = (g / GRAMS_PER["lb"]).to_integral_value(rounding=ROUND_FLOOR)
    rest = g - pounds * GRAMS_PER["lb"]
    return f"{pounds} lb {grams_to(rest, 'oz').normalize():f} oz"


@st.composite
def spelled_weights(draw, g: st.SearchStrategy[Decimal] | None = None) -> tuple[Decimal, str]:
    """``(grams, text)``: one weight and one of its spellings."""
    value = draw(g if g is not None else grams())
    how = draw(st.sampled_from(UNITS + ("compound",)))
    if how == "compound":
        return value, spell_compound(value)
    return value, spell(value, how, comma=draw(st.booleans()))


@st.composite
def edge_weights(draw, t: Tariff) -> tuple[Decimal, int, int]:
    """``(grams, bound index, offset)``: a weight exactly on a step bound (offset 0) or 1 mg
    either side of it (offset -1 / +1)."""
    i = draw(st.integers(0, len(t.steps) - 1))
    offset = draw(st.sampled_from((-1, 0, 1)))
    return t.steps[i].up_to_g + offset * MG, i, offset


def destinations_by_zone(t: Tariff) -> dict[str, str]:
    """One destination country (and the zone to pass, if any) for every zone the caller can
    reach: ``{zone: destination}``."""
    if t.zones_by == "country":
        out: dict[str, str] = {}
        for country, zone in sorted(t.countries.items()):
            out.setdefault(zone, country)
        return out
    if t.zones_by == "world":
        return {t.zone_names[0]: "JP" if "JP" not in t.origins else "US"}
    dest = sorted(t.destinations)[0]
    return {z: dest for z in t.zone_names}


@st.composite
def zone_and_destination(draw, t: Tariff) -> tuple[str | None, str]:
    """``(zone to pass or None, destination)`` for a reachable zone of ``t``."""
    reach = destinations_by_zone(t)
    zone = draw(st.sampled_from(sorted(reach)))
    return (zone if t.zones_by == "input" else None), reach[zone]


def max_priced_g(t: Tariff) -> Decimal:
    """The heaviest weight worth pricing: the weight limit, else the last step (plus a few
    increments of ``[beyond]``)."""
    if t.limits.max_weight_g is not None:
        return t.limits.max_weight_g
    last = t.steps[-1].up_to_g
    return last + 4 * t.beyond.increment_g if t.beyond else last


# ---------------------------------------------------------------------------- labels
# Hypothesis strategies for whole labels (the PDF round trip and anything else that needs one).
#
# Labels are drawn so that ``postcheck fix`` can correct them completely: a product postcheck can
# price (Canada Post Small Packet USA Air, 2022-03-01), specific descriptions, valid HS numbers,
# weights within the product's 2 kg limit; what varies is everything a fix or a PDF must carry:
# gross weight present or not, packaging, postage paid, category, addresses, accents, decimals.
# Text is drawn from Windows-1252 letters so the printed page can say it exactly.

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


@st.composite
def priced_parcels(draw, products):
    """(tariff, label dict, net mg, packaging mg) for any bundled table: weights in whole mg."""
    t = draw(st.sampled_from(products))
    if t.zones_by == "country":
        dest = draw(st.sampled_from(sorted(c for c in t.countries if c != "XZ")))
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


#: Required fields a reader may fail to find: the label's and each contents line's.
REQUIRED_PATHS = ("service", "origin", "destination", "currency")
ITEM_REQUIRED_PATHS = ("description", "net_weight", "value")


@st.composite
def partial_label_dicts(draw, *, max_items: int = 3) -> tuple[dict, dict, list[str]]:
    """``(complete, partial, removed)``: a label in its JSON shape, the same with some required
    fields taken out (as a reader that did not find them hands it over), and their paths."""
    complete = draw(label_dicts(max_items=max_items))
    if draw(st.booleans()):
        complete["gross_weight"] = f"{draw(_grams(100, 19000))} g"
    paths = list(REQUIRED_PATHS) + [f"items[{i}].{k}" for i in range(len(complete["items"]))
                                    for k in ITEM_REQUIRED_PATHS]
    removed = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True))
    partial = json.loads(json.dumps(complete))
    for path in removed:
        if path.startswith("items["):
            i, name = int(path[6:path.index("]")]), path.split(".", 1)[1]
            partial["items"][i].pop(name)
        else:
            partial.pop(path)
    return complete, partial, removed


def string_leaves(doc: dict) -> list[tuple[str, str]]:
    """``(path, value)`` of every text value --set can address: top-level fields, contents
    lines' fields and address fields."""
    out = []
    for k, v in doc.items():
        if isinstance(v, str):
            out.append((k, v))
        elif isinstance(v, dict):
            out.extend((f"{k}.{kk}", vv) for kk, vv in v.items() if isinstance(vv, str))
        elif isinstance(v, list):
            for i, line in enumerate(v):
                out.extend((f"{k}[{i}].{kk}", vv) for kk, vv in line.items() if isinstance(vv, str))
    return out
