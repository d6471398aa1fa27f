"""A seeded generator of realistic parcel rows for batch benchmarks and tests.

Rows use the CSV row format of :mod:`postcheck.rows` (items in ``item1_...`` columns) and cover
every bundled product: its origins, served destinations and zones, dates in force, weights
spelled in g, kg, oz and lb, step edges (exactly on a bound and one milligram over it), postage
that is right, short by the packaging, overpaid or missing, and a few per cent of rows that
cannot be read at all (bad unit, unknown service, missing field, bad date).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from postcheck.errors import NotPriceable
from postcheck.identifiers import s10_check_digit
from postcheck.tariffs import Rates
from postcheck.tariffs.pricing import price_parcel
from postcheck.units import GRAMS_PER

COLUMNS = ["parcel_id", "service", "origin", "destination", "zone", "ship_date", "tracking_number", "form",
           "category", "invoice_number", "currency", "postage_paid", "packaging_weight", "gross_weight",
           "measured_weight", "dimensions"]
ITEMS = 3
for _k in range(1, ITEMS + 1):
    COLUMNS += [f"item{_k}_{f}" for f in ("description", "quantity", "net_weight", "value", "hs_code",
                                          "origin_country")]

CATALOGUE = [
    ("Ceramic coffee mug", "6912.00"), ("Linen tea towel", "6302.51"), ("Wool knitted scarf", "6117.10"),
    ("Cotton T-shirt", "6109.10"), ("Paperback book", "4901.99"), ("Leather wallet", "4202.31"),
    ("Stainless steel water bottle", "7323.93"), ("Silver earrings", "7113.11"), ("Wooden toy train", "9503.00"),
    ("Scented soy candle", "3406.00"), ("Maple syrup 250 ml", "1702.20"), ("Phone case, silicone", "3926.90"),
    ("Watercolour paint set", "3213.10"), ("Men's cotton shirts", "6205.20"), ("Yoga mat", "9506.91"),
    ("Gift", None), ("Parts", "8708.99"), ("Merchandise", None), ("Clothes", "6109.10"), ("12345", None),
]
VAGUE = {"Gift", "Parts", "Merchandise", "Clothes", "12345"}


@lru_cache(maxsize=None)
def _rates() -> Rates:
    return Rates.load(bundled=True, env=False)


def _products() -> list:
    out = []
    for t in _rates().latest():
        out.append(t)
    return sorted(out, key=lambda t: t.id)


def _spell(grams: Decimal, rnd: random.Random) -> str:
    how = rnd.random()
    if how < 0.6 or grams != grams.to_integral_value():
        return f"{grams.normalize():f} g"
    if how < 0.8:
        return f"{(grams / 1000).normalize():f} kg"
    oz = grams / GRAMS_PER["oz"]
    if how < 0.9 and oz * 10 == (oz * 10).to_integral_value():
        return f"{oz.normalize():f} oz"
    return f"{grams.normalize():f} g"


def _tracking(rnd: random.Random, country: str, valid: bool) -> str:
    serial = f"{rnd.randrange(10 ** 8):08d}"
    check = s10_check_digit(serial)
    if not valid:
        check = (check + 1 + rnd.randrange(9)) % 10
    return f"{rnd.choice(['RB', 'LX', 'CP', 'EE', 'UM'])}{serial}{check}{country}"


@lru_cache(maxsize=200_000)
def _price(tid: str, grams: Decimal, dest: str, zone: str | None, dims: str | None) -> Decimal | None:
    from postcheck.units import parse_dimensions

    t = next(t for t in _products() if t.id == tid)
    try:
        return price_parcel(t, weight_g=grams, destination=dest, zone=zone,
                            dims_mm=parse_dimensions(dims) if dims else None).price.amount
    except NotPriceable:
        return None


def rows(n: int, seed: int = 0, *, bad: float = 0.03, problems: float = 0.10) -> Iterator[dict[str, str]]:
    """``n`` parcel rows; ``bad`` of them unreadable, ``problems`` with a finding planted."""
    rnd = random.Random(seed)
    products = _products()
    for i in range(n):
        t = products[i % len(products)] if rnd.random() < 0.5 else rnd.choice(products)
        origin = sorted(t.origins)[0]
        zone = None
        if t.zones_by == "country":
            dest = rnd.choice(sorted(t.countries))
        elif t.zones_by == "input":
            dest = sorted(t.destinations)[0]
            zone = rnd.choice(t.zone_names)
        else:
            dest = rnd.choice(["US", "FR", "GB", "JP", "AU", "CA", "IT", "ES"])
        start = t.effective_from or dt.date(2025, 1, 1)
        date = start + dt.timedelta(days=rnd.randrange(0, 300))
        intl = origin != dest
        max_g = int(t.limits.max_weight_g or Decimal(30000))
        n_items = rnd.choice([1, 1, 1, 2, 2, 3])
        items = []
        for _ in range(n_items):
            desc, hs = rnd.choice(CATALOGUE[:15]) if rnd.random() > 0.02 else rnd.choice(CATALOGUE)
            w = Decimal(rnd.randrange(20, max(40, max_g // 3)))
            items.append({"description": desc, "quantity": str(rnd.choice([1, 1, 2, 3])),
                          "net_weight": _spell(w, rnd), "value": f"{rnd.randrange(300, 9000) / 100:.2f}",
                          "hs_code": hs if rnd.random() > 0.03 else None,
                          "origin_country": origin if rnd.random() > 0.03 else None, "_g": w})
        net = sum((it["_g"] for it in items), Decimal(0))
        pack = Decimal(rnd.randrange(10, 200))
        gross = net + pack
        edge = rnd.random()
        if edge < 0.05 and t.steps:
            # exactly on a step bound, or one milligram over it
            bounds = [s.up_to_g for s in t.steps if s.up_to_g > net]
            if bounds:
                gross = rnd.choice(bounds[:3]) + (Decimal("0.001") if edge < 0.025 else 0)
                pack = gross - net
        if gross > max_g:
            gross, pack = net, Decimal(0)
        dims = None
        if rnd.random() < 0.3:
            dims = rnd.choice(["25 x 18 x 8 cm", "30 x 20 x 10 cm", "20 x 15 x 5 cm", "12 x 9 x 4 in",
                               "35 x 25 x 12 cm"])
        form = None
        if intl:
            form = "CN23" if t.customs_form == "CN23" else "CN22"
        row: dict[str, str | None] = {
            "parcel_id": f"P{seed}-{i:08d}", "service": t.id, "origin": origin, "destination": dest,
            "zone": zone, "ship_date": date.isoformat(), "form": form,
            "tracking_number": _tracking(rnd, origin, rnd.random() > 0.01) if intl else None,
            "category": rnd.choice(["sale_of_goods"] * 6 + ["gift", "commercial_sample", "documents"])
            if form else None,
            "invoice_number": None, "currency": t.currency, "packaging_weight": f"{pack.normalize():f} g",
            "gross_weight": _spell(gross, rnd), "measured_weight": None, "dimensions": dims,
        }
        if row["category"] == "sale_of_goods":
            row["invoice_number"] = f"INV-{seed}-{i}"
        price = _price(t.id, gross, dest, zone, dims)
        row["postage_paid"] = None if price is None else f"{price:.2f}"
        if rnd.random() < 0.15:
            row["measured_weight"] = f"{gross + rnd.randrange(-5, 6)} g"
        roll = rnd.random()
        if roll < problems:
            kind = rnd.randrange(6)
            if kind == 0:  # postage bought for the net weight
                p = _price(t.id, net, dest, zone, dims)
                row["postage_paid"] = None if p is None else f"{p:.2f}"
            elif kind == 1:  # no gross weight
                row["gross_weight"] = None
            elif kind == 2:  # gross copied from the net weight
                row["gross_weight"] = _spell(net, rnd)
            elif kind == 3:  # overpaid
                if price is not None:
                    row["postage_paid"] = f"{price + Decimal('1.50'):.2f}"
            elif kind == 4:
                row["postage_paid"] = None
            else:
                row["measured_weight"] = f"{gross + 40} g"
        elif roll < problems + bad:
            kind = rnd.randrange(4)
            if kind == 0:
                items[0]["net_weight"] = f"{rnd.randrange(5, 40)} cm"
            elif kind == 1:
                row["service"] = "express_teleport"
            elif kind == 2:
                row["origin"] = None
            else:
                row["ship_date"] = "31/02/2022"
        for k in range(ITEMS):
            it = items[k] if k < len(items) else {}
            for f in ("description", "quantity", "net_weight", "value", "hs_code", "origin_country"):
                row[f"item{k + 1}_{f}"] = it.get(f)
        yield {c: ("" if row.get(c) is None else str(row[c])) for c in COLUMNS}


def write_csv(path: str | Path, n: int, seed: int = 0, **kw: float) -> Path:
    """Write ``n`` rows to ``path`` (CSV with a header)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows(n, seed, **kw):
            w.writerow(r)
    return path
