"""Hypothesis strategies for batch rows: parcels of every bundled product in the CSV row format,
with weights on and around step bounds, spelled every way a label writes them, postage right,
short, over or missing, and bad cells (wrong unit, unknown service, missing field, bad date)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from hypothesis import strategies as st

from postcheck.tariffs import Rates
from postcheck.units import GRAMS_PER

MG = Decimal("0.001")


@lru_cache(maxsize=1)
def products() -> list:
    return sorted(Rates.load(bundled=True, env=False).latest(), key=lambda t: t.id)


def _spell(grams: Decimal, how: str) -> str:
    if how == "kg":
        return f"{(grams / 1000).normalize():f} kg"
    if how == "comma":
        return f"{grams.normalize():f} g".replace(".", ",")
    if how == "oz":
        oz = grams / GRAMS_PER["oz"]
        if oz == oz.quantize(Decimal("0.1")):
            return f"{oz.normalize():f} oz"
    if how == "lb":
        lb = grams / GRAMS_PER["lb"]
        if lb == lb.quantize(Decimal("0.0001")):
            return f"{lb.normalize():f} lb"
    if how == "compound" and grams >= GRAMS_PER["lb"]:
        pounds = int(grams // GRAMS_PER["lb"])
        oz = (grams - pounds * GRAMS_PER["lb"]) / GRAMS_PER["oz"]
        return f"{pounds} lb {oz.normalize():f} oz"
    return f"{grams.normalize():f} g"


@st.composite
def weights(draw, t) -> Decimal:
    """Grams: on a step bound, a milligram either side, anywhere up to the limit, or past the
    limit or the last step (P203)."""
    bounds = [s.up_to_g for s in t.steps] or [Decimal(500), Decimal(1000)]
    kind = draw(st.sampled_from(["on", "over", "under", "any", "whole", "beyond"]))
    if kind == "beyond":
        last = t.limits.max_weight_g or (t.steps[-1].up_to_g if t.steps else Decimal(20000))
        return last + Decimal(draw(st.integers(1, 3_000_000))) * MG
    b = draw(st.sampled_from(bounds[:6]))
    if kind == "on":
        return b
    if kind == "over":
        return b + MG
    if kind == "under":
        return max(b - MG, MG)
    top = int((t.limits.max_weight_g or Decimal(20000)) * 1000)
    if kind == "whole":
        return Decimal(draw(st.integers(1, top // 1000 + 10)))
    return Decimal(draw(st.integers(1, top + 5000))) * MG


SPELLINGS = st.sampled_from(["g", "g", "kg", "oz", "lb", "compound", "comma"])
BAD_CELLS = [("gross_weight", "520 cm"), ("service", "express_teleport"), ("origin", ""), ("ship_date", "31/02/2022"),
             ("item1_net_weight", "heavy"), ("currency", "XXX"), ("item1_quantity", "0"), ("postage_paid", "-3"),
             ("dimensions", "10 x 10 cm"), ("item1_description", ""), ("surprise_column", "x")]


@st.composite
def rows(draw) -> dict[str, str]:
    t = draw(st.sampled_from(products()))
    origin = sorted(t.origins)[0]
    zone = ""
    if t.zones_by == "country":
        dest = draw(st.sampled_from(sorted(t.countries)[:40]))
    elif t.zones_by == "input":
        dest = sorted(t.destinations)[0]
        zone = draw(st.sampled_from(list(t.zone_names) + ["ZZ", ""]))
    else:
        dest = draw(st.sampled_from(["US", "FR", "JP", origin]))
    start = t.effective_from or dt.date(2025, 1, 1)
    date = start + dt.timedelta(days=draw(st.integers(-30, 900)))
    n_items = draw(st.integers(0, 3))
    row: dict[str, str] = {
        "parcel_id": f"P{draw(st.integers(0, 10 ** 6))}", "service": draw(st.sampled_from([t.id, t.name])),
        "origin": origin, "destination": dest, "zone": zone, "ship_date": date.isoformat(),
        "currency": draw(st.sampled_from([t.currency] * 8 + ["CAD", "USD"])),
        "form": draw(st.sampled_from(["CN22", "CN23", "", "cn 22"])),
        "category": draw(st.sampled_from(["sale_of_goods", "gift", "documents", "other", "", "commercial_sample"])),
        "explanation": draw(st.sampled_from(["", "Repaired watch"])),
        "invoice_number": draw(st.sampled_from(["", "", "INV-1"])),
        "tracking_number": draw(st.sampled_from(["", "RB123456785CA", "RB123456786US", "JJ123456785CA", "ab 1234"])),
        "dimensions": draw(st.sampled_from(["", "", "25 x 18 x 8 cm", "70 x 20 x 10 cm", "10 x 8 x 2 cm",
                                            "14 x 12 x 10 in", "30 x 30 x 30 in"])),
    }
    net = Decimal(0)
    for k in range(1, n_items + 1):
        w = draw(weights(t)) / max(n_items, 1)
        w = w.quantize(MG)
        net += w
        row[f"item{k}_description"] = draw(st.sampled_from(["Ceramic mug", "Gift", "Parts", "  Wool scarf ",
                                                            "Café crème mug", "12345", "Documents"]))
        row[f"item{k}_quantity"] = draw(st.sampled_from(["1", "2", ""]))
        row[f"item{k}_net_weight"] = _spell(w, draw(SPELLINGS))
        row[f"item{k}_value"] = draw(st.sampled_from(["25.00", "10", "700.00", "USD 5.00", "12,5"]))
        row[f"item{k}_hs_code"] = draw(st.sampled_from(["6912.00", "", "69-12", "6117.10"]))
        row[f"item{k}_origin_country"] = draw(st.sampled_from([origin, "", "CN"]))
    pack = draw(st.sampled_from([None, Decimal(0), Decimal(40), Decimal("12.5")]))
    row["packaging_weight"] = "" if pack is None else _spell(pack, "g")
    gross_kind = draw(st.sampled_from(["sum", "net", "none", "edge", "below"]))
    gross = {"sum": net + (pack or 0), "net": net, "none": None, "below": net - 1 if net > 1 else None,
             "edge": draw(weights(t))}[gross_kind]
    row["gross_weight"] = "" if gross is None else _spell(gross, draw(SPELLINGS))
    measured = draw(st.sampled_from([None, "same", "off", "edge"]))
    row["measured_weight"] = ("" if measured is None or gross is None else
                              _spell(gross, "g") if measured == "same" else
                              _spell(gross + 40, "g") if measured == "off" else _spell(draw(weights(t)), "g"))
    row["postage_paid"] = draw(st.sampled_from(["", "1.00", "12.83", "18.82", "5.23", "36.36", "3,10", "9.995"]))
    row["total_value"] = draw(st.sampled_from(["", "", "25.00"]))
    if draw(st.integers(0, 9)) == 0:
        col, value = draw(st.sampled_from(BAD_CELLS))
        row[col] = value
    return row
