"""Import an operator's published price guide (PDF) into tariff files.

``postcheck rates import GUIDE.pdf -o DIR`` recognises the document by the words on its first
pages (like invoice2data's templates: one description per issuer), finds the pages of every
product postcheck models by their titles, reads each table, checks it against the shape a price
table has, and writes one file per product and plan in the format of ``docs/tariff-format.md``,
each with ``[source]`` (document and PDF page) and worked examples read off the same table.

Known documents:

- Canada Post, *Consumer (Counter) Prices* (the 2020 guide and the 2021 and 2022 updates): plan
  ``counter``, product ids as bundled (``tracked_packet_usa`` ...).
- Canada Post, *Business Prices - Solutions for Small Business* (2021 and its updates): plan
  ``small_business``, ids with ``_small_business`` (``tracked_packet_usa_small_business``).
- USPS *Notice 123 Price List*: Ground Advantage and First-Class Package International Service,
  plans ``retail`` and ``commercial`` (``fcpis_retail``, ``fcpis_commercial`` ...), with the
  country price-group list.

A document it does not know is refused with a message that says so.  A table that does not read
as a price table (a row with the wrong number of prices, weights that do not increase, prices
that fall as the weight rises, a pound column that does not match the kilograms) is reported and
its product is not written: a value that fails its check is never used.

>>> import postcheck.tariffs.guides as g
>>> g.PLAN_SUFFIX["small_business"]
'_small_business'
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import pycountry

from postcheck.errors import GuideError, TariffFileError
from postcheck.output import check_output_path, write_atomic
from postcheck.tariffs.catalog import check_examples
from postcheck.tariffs.guide_pdf import Guide
from postcheck.tariffs.model import parse_tariff
from postcheck.tariffs.toml_out import to_toml

__all__ = ["Imported", "PageUse", "import_guide", "worked_example", "PRODUCTS", "PLAN_SUFFIX", "recognise"]

_MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                           "august", "september", "october", "november", "december"))}
_DATE = re.compile(r"(?i)\b(?:effective|updated)\s+(" + "|".join(_MONTHS) + r")\s+(\d{1,2})\s*,\s*(\d{4})")
_TM = r"\s*(?:™|TM|Tm)?\s*"
_PRICE = r"\$?\d+\.\d{2}"
_PRICES = rf"((?:{_PRICE} ?)+)"
_ROW_KG_LB = re.compile(rf"^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) {_PRICES}$")
_ROW_UP_TO = re.compile(rf"^(?:Up to|Over \d+(?:\.\d+)? ?k?g up to) (\d+(?:\.\d+)?) ?(k?g) {_PRICES}$", re.I)
_ONLY_PRICES = re.compile(rf"^{_PRICES}$")
_ADD_PER = re.compile(r"(?i)ADD PER (\d+(?:\.\d+)?)")
_COUNTRY_ROW = re.compile(r"(?:^| )([^\d ][^\d]*?) ([A-Z]{2}) (\d{1,2}|N/A) (\d+(?:\.\d+)?)(?= |$)")
_USPS_DATE = re.compile(r"(?i)Notice 123\W+Effective\s+(" + "|".join(_MONTHS) + r")\s+(\d{1,2})\s*,\s*(\d{4})")
_SECTION = re.compile(r"(?i)international\W+(air|surface)\b")
#: The guides convert kilograms to pounds at 2.2 lb a kilogram, rounded to 0.1 lb (24.0 kg is
#: printed 52.8 lb): the pound column checks the kilogram column a row was read from.
_LB_PER_KG_PRINTED = Decimal("2.2")

#: Plan -> suffix of the product ids of that plan.
PLAN_SUFFIX = {"counter": "", "small_business": "_small_business"}


@dataclass(frozen=True)
class Product:
    """A product postcheck models, as a Canada Post guide prints it."""

    id: str
    name: str
    title: re.Pattern[str]
    section: str | None = None  # "air" / "surface": which table of a page with two
    countries: bool = False  # priced by rate code from the guide's country table
    domestic: bool = False  # Regular Parcel: rate code given by the caller
    aliases: tuple[str, ...] = ()


PRODUCTS: tuple[Product, ...] = (
    Product("tracked_packet_usa", "Tracked Packet USA", re.compile(rf"(?i)Tracked Packet{_TM}\W*USA\b"),
            aliases=("Tracked Packet - USA",)),
    Product("small_packet_usa_air", "Small Packet USA Air",
            re.compile(rf"(?i)Small Packet{_TM}\W*(?:USA|U\.S\.A\.)"), aliases=("Small Packet USA - Air",)),
    Product("tracked_packet_international", "Tracked Packet International",
            re.compile(rf"(?i)Tracked Packet{_TM}\W*(?:USA and )?International"), countries=True,
            aliases=("Tracked Packet - International",)),
    Product("small_packet_international_air", "Small Packet International Air",
            re.compile(rf"(?i)Small Packet{_TM}\W*International"), section="air", countries=True,
            aliases=("Small Packet International - Air",)),
    Product("small_packet_international_surface", "Small Packet International Surface",
            re.compile(rf"(?i)Small Packet{_TM}\W*International"), section="surface", countries=True,
            aliases=("Small Packet International - Surface",)),
    Product("regular_parcel", "Regular Parcel", re.compile(rf"(?i)Regular Parcel{_TM}\W*Prices"), domestic=True),
)


@dataclass(frozen=True)
class PageUse:
    """What the importer read on one page."""

    page: int
    what: str


@dataclass(frozen=True)
class Table:
    page: int
    section: str | None
    zones: tuple[str, ...]
    steps: tuple[tuple[Decimal, tuple[Decimal, ...]], ...]  # (up to, in kg; price per zone)
    beyond: tuple[Decimal, tuple[Decimal, ...]] | None  # (increment in kg; price per zone)
    view: str  # "lines" or "rows"


@dataclass
class Imported:
    """The result of reading one guide."""

    path: str
    document: str
    operator: str
    plan: str
    tariffs: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative path -> tariff dict
    pages: list[PageUse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- recognising


@dataclass(frozen=True)
class Kind:
    operator: str
    plan: str
    title: str


def recognise(guide: Guide) -> Kind:
    """What document this is, from its first pages.  Raises :class:`GuideError` otherwise."""
    head = guide.first_pages_text
    if re.search(r"(?i)notice\s*123", head) and re.search(r"Postal Explorer|United States Postal Service", head):
        return Kind("USPS", "retail and commercial", "Notice 123 Price List")
    canada_post = re.search(r"(?i)canada\s*post|canadapost\.ca|DK1970\d", head)
    if canada_post and re.search(r"(?i)small\s+business", head) and re.search(r"(?i)business\s+prices", head):
        return Kind("Canada Post", "small_business", "Business Prices - Solutions for Small Business")
    if canada_post and re.search(r"(?i)consumer(?:\s*\(counter\))?\s+prices", head):
        return Kind("Canada Post", "counter", "Consumer (Counter) Prices")
    raise GuideError(guide.path, "not a price guide postcheck knows (Canada Post Consumer Prices, Canada Post "
                                 "Business Prices for Small Business, USPS Notice 123); nothing was imported")


def _edition(guide: Guide) -> tuple[str, dt.date | None]:
    """("updated 2022-01-10" or "effective 2020-01-13", the date) from the cover page."""
    m = _USPS_DATE.search(guide.text(1))
    if m:
        d = dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        return f"effective {d.isoformat()}", d
    for m in _DATE.finditer(guide.text(1)):
        word = m.group(0).split()[0].lower()
        d = dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        return f"{word} {d.isoformat()}", d
    return "undated edition", None


def page_dates(text: str) -> list[dt.date]:
    """Every "Effective <Month> <d>, <yyyy>" printed on a page."""
    out = []
    for m in _DATE.finditer(text):
        try:
            out.append(dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))))
        except ValueError:
            continue
    return out


# ---------------------------------------------------------------------------- tables


def _prices(s: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(p.lstrip("$")) for p in s.split())


def _zone_header(line: str) -> tuple[str, ...] | None:
    """The zones a table header names: a run of rate codes ending the line ("1 2 ... 10",
    "A1 A2 ... D7"), or one zone for "ALL DESTINATIONS"."""
    if re.search(r"(?i)\bALL DESTINATIONS\b", line):
        return ("US",)
    tokens = line.split()
    run: list[str] = []
    for tok in reversed(tokens):
        if re.fullmatch(r"[A-J][1-9]|\d{1,2}", tok):
            run.append(tok)
        else:
            break
    run.reverse()
    if len(run) < 2:
        return None
    if all(t.isdigit() for t in run):
        while run and run[0] != "1":  # "IN LB 1 2 3": the numbers must count up from 1
            run.pop(0)
        if [int(t) for t in run] != list(range(1, len(run) + 1)) or len(run) < 2:
            return None
    elif any(t.isdigit() for t in run):
        return None
    return tuple(run)


def read_tables(lines: Iterable[str], page: int, view: str, problems: list[str]) -> list[Table]:
    """The price tables on a page: a zone header, then rows of a weight and one price per
    zone; "ADD PER 0.5" then a row of prices only gives the price of each further 0.5 kg."""
    tables: list[dict[str, Any]] = []
    section: str | None = None
    add_per: Decimal | None = None
    for line in lines:
        m = _SECTION.search(line)
        if m and not re.search(r"\d+\.\d{2}", line):
            section = m.group(1).lower()
            continue
        zones = _zone_header(line)
        if zones is not None:
            tables.append({"section": section, "zones": zones, "steps": [], "beyond": None})
            continue
        m = _ADD_PER.search(line)
        if m:
            add_per = Decimal(m.group(1))
            continue
        if not tables:
            continue
        cur = tables[-1]
        n = len(cur["zones"])
        m = _ONLY_PRICES.match(line)
        if m and add_per is not None and cur["steps"] and cur["beyond"] is None:
            prices = _prices(m.group(1))
            if len(prices) == n:  # the price of each further increment, not a weight row
                cur["beyond"] = (add_per, prices)
                add_per = None
                continue
        m = _ROW_KG_LB.match(line)
        if m:
            kg, lb, prices = Decimal(m.group(1)), Decimal(m.group(2)), _prices(m.group(3))
            if len(prices) != n:
                problems.append(f"p. {page}: the row {line!r} has {len(prices)} prices for {n} zones")
                continue
            if abs(kg * _LB_PER_KG_PRINTED - lb) > Decimal("0.05"):
                problems.append(f"p. {page}: the row {line!r}: {lb} lb is not {kg} kg")
                continue
            cur["steps"].append((kg, prices))
            continue
        m = _ROW_UP_TO.match(line)
        if m:
            w, unit, prices = Decimal(m.group(1)), m.group(2).lower(), _prices(m.group(3))
            if len(prices) != n:
                problems.append(f"p. {page}: the row {line!r} has {len(prices)} prices for {n} zones")
                continue
            cur["steps"].append((w / 1000 if unit == "g" else w, prices))
            continue
    return [Table(page, t["section"], t["zones"], tuple(t["steps"]), t["beyond"], view) for t in tables if t["steps"]]


def _table_problems(t: Table) -> list[str]:
    out = []
    bounds = [s[0] for s in t.steps]
    if any(b <= a for a, b in zip(bounds, bounds[1:])):
        out.append(f"p. {t.page}: weight steps {', '.join(map(str, bounds))} kg do not increase")
    for i, z in enumerate(t.zones):
        col = [s[1][i] for s in t.steps]
        if any(b < a for a, b in zip(col, col[1:])):
            out.append(f"p. {t.page}: prices of zone {z} fall as the weight rises ({', '.join(map(str, col))})")
    return out


def page_tables(guide: Guide, page: int, problems: list[str]) -> list[Table]:
    """The page's tables from whichever view reads more rows (content order first)."""
    p1: list[str] = []
    p2: list[str] = []
    a = read_tables(guide.lines(page), page, "lines", p1)
    b = read_tables(guide.rows(page), page, "rows", p2)
    rows_a = sum(len(t.steps) for t in a)
    rows_b = sum(len(t.steps) for t in b)
    chosen, chosen_problems = (a, p1) if rows_a >= rows_b else (b, p2)
    problems.extend(chosen_problems)
    return chosen


def read_countries(guide: Guide, page: int) -> list[tuple[str, str, str, Decimal]]:
    """(printed name, code, rate code or "N/A", max weight kg) for every country on a page."""
    out = []
    for line in guide.lines(page):
        for m in _COUNTRY_ROW.finditer(line):
            name = m.group(1).strip(" *✦")
            out.append((name, m.group(2), m.group(3), Decimal(m.group(4))))
    return out


# ---------------------------------------------------------------------------- the import


def _money(d: Decimal) -> str:
    return f"{d:.2f}"


def _num(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _fix_code(name: str, code: str) -> tuple[str, str | None]:
    """The ISO code for a printed (name, code), checked against the name like python-stdnum
    checks an identifier: a code that names another country than the printed name, where the
    name itself is an ISO country, is corrected (and said)."""
    try:
        by_name = pycountry.countries.lookup(name)
    except LookupError:
        return code, None
    printed = pycountry.countries.get(alpha_2=code)
    if by_name.alpha_2 != code and printed is not None:
        return by_name.alpha_2, (f"the guide prints {name} as {code!r} ({code} is {printed.name}); "
                                 f"postcheck maps {by_name.alpha_2}")
    return code, None


def import_guide(path: str | Path, *, products: Iterable[str] | None = None) -> Imported:
    """Read a guide; return the tariff files it gives (not yet written) and what was read where.

    ``products`` limits the import to some product ids (with or without the plan's suffix)."""
    with Guide(path) as guide:
        return _import(guide, set(products) if products else None)


def _import(guide: Guide, wanted: set[str] | None) -> Imported:
    kind = recognise(guide)
    edition, _edition_date = _edition(guide)
    name = Path(guide.path).name
    document = f"{kind.operator} {kind.title} ({edition}; {name})"
    out = Imported(guide.path, document, kind.operator, kind.plan)
    if kind.operator == "USPS":
        _usps(guide, wanted, out)
        return out
    suffix = PLAN_SUFFIX[kind.plan]
    chosen = [p for p in PRODUCTS if wanted is None or p.id in wanted or p.id + suffix in wanted]
    if wanted:
        unknown = wanted - {p.id for p in PRODUCTS} - {p.id + suffix for p in PRODUCTS}
        if unknown:
            raise GuideError(guide.path, f"unknown product(s) {', '.join(sorted(unknown))}; this guide gives "
                                         + ", ".join(p.id + suffix for p in PRODUCTS))
    texts = {n: guide.text(n) for n in range(1, guide.page_count + 1)}
    for product in chosen:
        try:
            doc = _product(guide, texts, product, kind, document, out)
        except _Skip as e:
            out.problems.append(f"{product.id + suffix}: {e}")
            continue
        out.tariffs[f"canadapost/{doc['id']}/{doc['effective_from'].isoformat()}.toml"] = doc
    return out


class _Skip(Exception):
    """A product that this guide does not give, or gives in a table that does not check out."""


def _product(guide: Guide, texts: dict[int, str], product: Product, kind: Kind, document: str,
             out: Imported) -> dict[str, Any]:
    suffix = PLAN_SUFFIX[kind.plan]
    pid = product.id + suffix
    titled = [n for n, t in texts.items() if product.title.search(t) and not re.search(r"\.{8,}", t)]
    tables: list[Table] = []
    problems: list[str] = []
    for n in titled:
        for t in page_tables(guide, n, problems):
            if (product.section is None or t.section == product.section) and _shape(t) == _kind_of(product):
                tables.append(t)
    if not tables:
        raise _Skip("no price table found" + (f" on the pages titled {product.name} ({_pages(titled)})"
                                              if titled else ""))
    for t in tables:
        problems.extend(_table_problems(t))
    if problems:
        raise _Skip("; ".join(problems))
    # one table, or (Regular Parcel) one table's rate codes spread over pages
    if product.domestic:
        bounds = [s[0] for s in tables[0].steps]
        for t in tables[1:]:
            if [s[0] for s in t.steps] != bounds:
                raise _Skip(f"p. {t.page}: weight steps differ from p. {tables[0].page}")
        zones = tuple(z for t in tables for z in t.zones)
        if len(set(zones)) != len(zones):
            raise _Skip("a rate code is printed on two pages")
        steps = [(b, tuple(p for t in tables for p in t.steps[i][1])) for i, b in enumerate(bounds)]
        beyond = None
        if all(t.beyond for t in tables):
            inc = {t.beyond[0] for t in tables if t.beyond}
            if len(inc) != 1:
                raise _Skip("the 'add per' increments differ between pages")
            beyond = (inc.pop(), tuple(p for t in tables if t.beyond for p in t.beyond[1]))
    else:
        if len(tables) != 1:
            raise _Skip(f"{len(tables)} tables found ({_pages([t.page for t in tables])}); expected one")
        zones = tables[0].zones
        steps = list(tables[0].steps)
        beyond = tables[0].beyond
    price_pages = sorted({t.page for t in tables})
    dates = [d for n in price_pages for d in page_dates(texts[n])]
    if not dates:
        raise _Skip(f"no effective date printed on p. {_pages(price_pages)}")
    effective = max(dates)
    for n in price_pages:
        out.pages.append(PageUse(n, f"{product.name} prices ({len(steps)} weight steps x {len(zones)} "
                                    f"{'zone' if len(zones) == 1 else 'rate codes'}; effective {effective})"))
    notes = [f"Read by 'postcheck rates import' from {Path(guide.path).name}, PDF page(s) "
             f"{_pages(price_pages)}; the page prints 'Effective {effective:%B} {effective.day}, {effective.year}'."]
    if len(set(dates)) > 1:
        notes.append("The page also prints older effective dates (" + ", ".join(sorted({d.isoformat() for d in dates
                                                                                          if d != effective}))
                     + ") left over from earlier editions under the current one; the latest is taken.")
    countries: dict[str, str] = {}
    country_pages: list[int] = []
    max_kg = steps[-1][0]
    if product.countries:
        rows: list[Any] = []
        for n in titled:
            found = read_countries(guide, n)
            if len(found) >= 10:
                rows.extend((n, *r) for r in found)
                country_pages.append(n)
        if not rows:
            raise _Skip(f"no country -> rate code table found on the pages titled {product.name}")
        fixes = []
        weights = set()
        for n, cname, code, rate, kg in rows:
            if rate == "N/A":
                continue
            if rate not in zones:
                raise _Skip(f"p. {n}: {cname} {code} has rate code {rate}, which the price table does not have")
            iso, fix = _fix_code(cname, code)
            if fix:
                fixes.append(fix)
            if countries.get(iso, rate) != rate:
                raise _Skip(f"p. {n}: {cname} {code} is printed twice with different rate codes")
            countries[iso] = rate
            weights.add(kg)
        if len(weights) == 1:
            max_kg = weights.pop()
        for n in country_pages:
            out.pages.append(PageUse(n, f"{product.name} country -> rate code table"))
        notes.append(f"Country -> rate code map from the guide's table on PDF page(s) {_pages(country_pages)} "
                     f"({len(countries)} countries), codes as printed except where the notes say otherwise.")
        notes.extend(sorted(set(fixes)))
        if "XZ" in countries and "XK" not in countries:
            countries["XK"] = countries["XZ"]
            notes.append("Kosovo is printed as XZ; XK (the user-assigned code commonly used for Kosovo) is "
                         "mapped to the same rate code.")
    doc: dict[str, Any] = {
        "format": 1,
        "id": pid,
        "operator": "Canada Post",
        "name": product.name + (" (Small Business)" if kind.plan == "small_business" else ""),
        "product": product.id,
        "plan": kind.plan,
    }
    if product.aliases:
        doc["aliases"] = [a + (" (Small Business)" if kind.plan == "small_business" else "")
                          for a in product.aliases]
    doc.update({
        "currency": "CAD",
        "effective_from": effective,
        "origins": ["CA"],
        "customs_form": "none" if product.domestic else "CN22",
        "notes": notes,
        "source": {"document": document, "pages": _pages(sorted(set(price_pages) | set(country_pages)))},
        "weight": {"unit": "kg", "rounding": "none"},
    })
    zone_list = list(zones)
    if product.domestic:
        doc["zones"] = {"by": "input", "names": zone_list, "destinations": ["CA"]}
    elif product.countries:
        doc["zones"] = {"by": "country", "names": zone_list, "countries": countries}
    else:
        doc["zones"] = {"by": "country", "names": ["US"], "countries": {"US": "US"}}
    doc["steps"] = [{"up_to": _num(b), "prices": {z: _money(p) for z, p in zip(zone_list, prices)}}
                    for b, prices in steps]
    if beyond is not None:
        doc["beyond"] = {"increment": _num(beyond[0]), "prices": {z: _money(p) for z, p in zip(zone_list, beyond[1])}}
    if not product.domestic:
        doc["limits"] = {"max_weight": f"{_num(max_kg)} kg"}
    doc["examples"] = _examples(product, doc, steps, zone_list, countries, effective)
    return doc


def _kind_of(product: Product) -> str:
    return "rate codes" if product.domestic else "countries" if product.countries else "usa"


def _shape(t: Table) -> str:
    """What a table's zones say it prices: one price for the USA, numbered rate codes for
    countries, lettered rate codes (A1 ... J2) within Canada."""
    if t.zones == ("US",):
        return "usa"
    return "countries" if t.zones[0] == "1" else "rate codes"


def _pages(pages: Iterable[int]) -> str:
    ps = sorted(set(pages))
    out: list[str] = []
    i = 0
    while i < len(ps):
        j = i
        while j + 1 < len(ps) and ps[j + 1] == ps[j] + 1:
            j += 1
        out.append(str(ps[i]) if i == j else f"{ps[i]}-{ps[j]}")
        i = j + 1
    return ", ".join(out)


def _grams(kg: Decimal) -> str:
    return f"{_num(kg * 1000)} g"


def _examples(product: Product, doc: dict[str, Any], steps: list[tuple[Decimal, tuple[Decimal, ...]]],
              zones: list[str], countries: dict[str, str], effective: dt.date) -> list[dict[str, Any]]:
    """Worked examples read off the guide's own table: a step edge, just above it, the last
    step, and refusals (too heavy; a destination the product does not serve)."""
    def dest_for(zone: str) -> tuple[str, str | None]:
        if product.domestic:
            return "CA", zone
        if not product.countries:
            return "US", None
        for c in sorted(countries):
            if countries[c] == zone:
                return c, None
        raise LookupError(zone)

    served = [z for z in zones if product.domestic or not product.countries or z in countries.values()]
    z0, zn = served[0], served[-1]
    out = []
    (b0, p0), last = steps[0], steps[-1]
    d0, k0 = dest_for(z0)
    dn, kn = dest_for(zn)
    i0 = zones.index(z0)
    out.append(_ex(_grams(b0), _money(p0[i0]), d0, k0, f"Step edge: up to {_num(b0)} kg, {z0}: {_money(p0[i0])}"))
    if len(steps) > 1:
        b1, p1 = steps[1]
        w = b0 * 1000 + 1
        out.append(_ex(f"{_num(w)} g", _money(p1[i0]), d0, k0,
                       f"Just above the edge: up to {_num(b1)} kg, {z0}: {_money(p1[i0])}"))
    i_n = zones.index(zn)
    out.append(_ex(_grams(last[0]), _money(last[1][i_n]), dn, kn,
                   f"Last step: up to {_num(last[0])} kg, {zn}: {_money(last[1][i_n])}"))
    if "beyond" not in doc:
        out.append(_ex(f"{_num(last[0] * 1000 + 1)} g", None, d0, k0, f"Over the {_num(last[0])} kg maximum",
                       refused="over-weight-limit"))
    if product.domestic:
        out.append(_ex("1 kg", None, "US", zones[0], "Domestic only", refused="destination-not-served"))
    elif not product.countries:
        out.append(_ex("100 g", None, "MX", None, "USA only", refused="destination-not-served"))
    else:
        out.append(_ex("100 g", None, "US", None, "The USA has its own packet products",
                       refused="destination-not-served"))
    return out


def worked_example(weight: str, *, destination: str, price: str | None = None, refused: str | None = None,
                   zone: str | None = None, dimensions: str | None = None, why: str | None = None) -> dict[str, Any]:
    """One ``[[examples]]`` entry: a parcel in, a price (or a refusal) out, with why as its comment."""
    e: dict[str, Any] = {"_comment": [why]} if why else {}
    e["weight"] = weight
    e["destination"] = destination
    if zone is not None:
        e["zone"] = zone
    if dimensions is not None:
        e["dimensions"] = dimensions
    if price is not None:
        e["price"] = price
    else:
        e["refused"] = refused
    return e


def _ex(weight: str, price: str | None, destination: str, zone: str | None, why: str,
        refused: str | None = None) -> dict[str, Any]:
    return worked_example(weight, destination=destination, price=price, refused=refused, zone=zone, why=why)


# ---------------------------------------------------------------------------- USPS Notice 123

#: USPS products postcheck models: id -> (name, plan, product, what marks its page).
USPS_PRODUCTS = {
    "ground_advantage_retail": ("USPS Ground Advantage (Retail)", "retail", "ground_advantage",
                                re.compile(r"USPS Ground Advantage\W+Retail\n")),
    "ground_advantage_commercial": ("USPS Ground Advantage (Commercial)", "commercial", "ground_advantage",
                                    re.compile(r"^Commercial\W+Parcels\nUSPS Ground Advantage\n")),
    "fcpis_retail": ("First-Class Package International Service (Retail)", "retail", "fcpis",
                     re.compile(r"^Retail\nFirst-Class Package International Service\nRetail Packages\n")),
    "fcpis_commercial": ("First-Class Package International Service (Commercial)", "commercial", "fcpis",
                         re.compile(r"First-Class Package International Service\W+Commercial Base\n")),
}
_OZ_ROW = re.compile(rf"^(\d+(?:\.\d+)?)(?: (oz))? {_PRICES}$")
_BAND_ROW = re.compile(rf"^(\d+)[–-](\d+) {_PRICES}$")
_GROUP_ROW = re.compile(r"^(\D.*?) ((?:(?:\d+|n/a) ){9}(?:\d+|n/a))$")
_GROUP_VALUES = re.compile(r"^((?:(?:\d+|n/a) ){9}(?:\d+|n/a))$")
#: Columns of Notice 123's "Country Price Groups" list, in order.
USPS_GROUP_COLUMNS = ("pmei_group", "pmei_max_lb", "pmei_fre_group", "pmi_group", "pmi_max_lb", "pmi_fr_group",
                      "fcmi_group", "fcpis_group", "ipa_group", "isal_group")


def usps_country_codes() -> dict[str, str]:
    """Notice 123's country names -> ISO 3166-1 alpha-2 (``postcheck/data/usps_country_iso2.csv``,
    made by ``tools/resolve_usps_countries.py`` with pycountry and a hand table)."""
    text = (resources.files("postcheck") / "data" / "usps_country_iso2.csv").read_text(encoding="utf-8")
    return {r["country"]: r["iso2"] for r in csv.DictReader(text.splitlines())}


def _usps(guide: Guide, wanted: set[str] | None, out: Imported) -> None:
    if wanted:
        unknown = wanted - set(USPS_PRODUCTS)
        if unknown:
            raise GuideError(guide.path, f"unknown product(s) {', '.join(sorted(unknown))}; this guide gives "
                                         + ", ".join(USPS_PRODUCTS))
    _m, effective = _edition(guide)
    if effective is None:
        raise GuideError(guide.path, "no 'Notice 123 • Effective <date>' on the cover page")
    texts = {n: guide.text(n).replace("\u2014", "-") for n in range(1, guide.page_count + 1)}
    groups, group_pages, unmapped = _usps_groups(guide, texts)
    for pid, (name, plan, product, mark) in USPS_PRODUCTS.items():
        if wanted and pid not in wanted:
            continue
        pages = [n for n, t in texts.items() if mark.search(t)]
        try:
            if len(pages) != 1:
                raise _Skip(f"expected one page titled {name}, found {_pages(pages) or 'none'}")
            n = pages[0]
            if product == "ground_advantage":
                doc = _usps_ground(guide, n, pid, name)
            else:
                if not groups:
                    raise _Skip("no country price-group list found")
                doc = _usps_fcpis(guide, n, pid, name, groups)
        except _Skip as e:
            out.problems.append(f"{pid}: {e}")
            continue
        doc_pages = [n] + (group_pages if product == "fcpis" else [])
        doc.update({"product": product, "plan": plan})
        head = {k: doc.pop(k) for k in ("format", "id", "operator", "name", "product", "plan")}
        notes = [f"Read by 'postcheck rates import' from {Path(guide.path).name}, PDF page {n}."]
        if product == "ground_advantage":
            notes.append("Dimensional weight: the guide's notes name the rule (over one cubic foot, DMM "
                         "133.1.4 / 283.1.4) but not its divisor; 166 and the rounding of sides to the "
                         "nearest inch and of the result up to the pound are postcheck's, as its bundled "
                         "table's notes source them. The fees for tubes, cans, boxes and liquids and the "
                         "handling and noncompliance fees depend on what a label does not say: not applied.")
        if product == "fcpis" and unmapped:
            notes.append("Countries of the price-group list with no ISO code known to postcheck, left out "
                         "(not served): " + ", ".join(unmapped) + ".")
        final = {**head, "currency": "USD", "effective_from": effective, "origins": ["US"],
                 "customs_form": "CN22" if product == "fcpis" else "none", "notes": notes,
                 "source": {"document": out.document, "pages": _pages(doc_pages)}, **doc}
        out.tariffs[f"usps/{pid}/{effective.isoformat()}.toml"] = final
        out.pages.append(PageUse(n, f"{name} prices ({len(doc['steps'])} weight steps x "
                                    f"{len(doc['zones']['names'])} "
                                    f"{'zones' if product == 'ground_advantage' else 'price groups'})"))
    if groups and (not wanted or wanted & {"fcpis_retail", "fcpis_commercial"}):
        for n in group_pages:
            out.pages.append(PageUse(n, f"country price groups ({len(groups)} countries in all)"))


def _usps_groups(guide: Guide, texts: dict[int, str]) -> tuple[dict[str, dict[str, str]], list[int], list[str]]:
    """``{ISO code: {column: group}}`` from the "Country Price Groups" list, its pages, and the
    printed names with no ISO code."""
    codes = usps_country_codes()
    groups: dict[str, dict[str, str]] = {}
    pages: list[int] = []
    unmapped: list[str] = []
    for n, t in texts.items():
        if "Country Price Groups" not in t:
            continue
        found = 0
        pending: list[str] = []  # a name printed over two lines, its groups on a third
        for line in guide.lines(n):
            m = _GROUP_ROW.match(line)
            values = _GROUP_VALUES.match(line)
            if values and pending:
                name, row = " ".join(pending), values.group(1)
            elif m:
                name, row = m.group(1).strip(), m.group(2)
            else:
                pending.append(line)
                continue
            pending = []
            iso = codes.get(name)
            if iso is None:
                unmapped.append(name)
                continue
            groups[iso] = dict(zip(USPS_GROUP_COLUMNS, row.split()))
            found += 1
        if found:
            pages.append(n)
    return groups, pages, unmapped


def _usps_ground(guide: Guide, page: int, pid: str, name: str) -> dict[str, Any]:
    zones: tuple[str, ...] | None = None
    steps: list[tuple[Decimal, tuple[Decimal, ...]]] = []
    oversize: tuple[Decimal, ...] | None = None
    for line in guide.lines(page):
        if zones is None:
            zones = _zone_header(line) if line.startswith("1 2 3") else None
            continue
        if line.startswith("Oversized "):
            oversize = _prices(line[len("Oversized "):])
            break
        m = _OZ_ROW.match(line)
        if m:
            prices = _prices(m.group(3))
            if len(prices) != len(zones):
                raise _Skip(f"p. {page}: the row {line!r} has {len(prices)} prices for {len(zones)} zones")
            w = Decimal(m.group(1)) * (1 if m.group(2) else 16)
            steps.append((w, prices))
    if zones is None or not steps or oversize is None or len(oversize) != len(zones):
        raise _Skip(f"p. {page}: no zone header, weight rows and Oversized row")
    t = Table(page, None, zones, tuple(steps), None, "lines")
    problems = _table_problems(t)
    if problems:
        raise _Skip("; ".join(problems))
    names = list(zones)
    ex_w = _num(steps[0][0])
    notes = " ".join(guide.text(page).split())
    m = re.search(r"more than (\d+) inches but not more than (\d+) inches, use (?:the )?oversized price", notes)
    cube = re.search(r"exceed one cubic foot \(([\d,]+) cubic inches\)", notes)
    if not m or not cube:
        raise _Skip(f"p. {page}: the notes on oversized parcels and dimensional weight were not found")
    over, most, cube_in = m.group(1), m.group(2), cube.group(1).replace(",", "")
    surcharges = []
    for lo, hi, amount in re.findall(r"exceed (\d+) inches but not greater than (\d+) inches in length, add "
                                     r"\$(\d+\.\d{2})", notes):
        surcharges.append({"name": f"Length over {lo} in, up to {hi} in", "longest_side_over": f"{lo} in",
                           "longest_side_up_to": f"{hi} in", "amount": amount})
    for lo, amount in re.findall(r"exceed (\d+) inches in length, add \$(\d+\.\d{2})", notes):
        surcharges.append({"name": f"Length over {lo} in", "longest_side_over": f"{lo} in", "amount": amount})
    for feet, cubic, amount in re.findall(r"exceed (\w+) cubic feet \((\d[\d,]*) cubic inches\), add "
                                          r"\$(\d+\.\d{2})", notes):
        cubic = cubic.replace(",", "")
        surcharges.append({"name": f"Volume over {feet} cubic feet ({cubic} in^3)", "volume_over": f"{cubic} in^3",
                           "amount": amount})
    doc: dict[str, Any] = {
        "format": 1, "id": pid, "operator": "USPS", "name": name,
        "weight": {"unit": "oz", "rounding": "none"},
        "zones": {"by": "input", "names": names, "destinations": ["US"]},
        "steps": [{"up_to": _num(b), "prices": {z: _money(p) for z, p in zip(names, ps)}} for b, ps in steps],
        "limits": {"max_weight": f"{_num(steps[-1][0] / 16)} lb", "max_length_plus_girth": f"{most} in"},
        "oversize": {"length_plus_girth_over": f"{over} in",
                     "prices": {z: _money(p) for z, p in zip(names, oversize)}},
        # the guide names the rule (over one cubic foot, DMM 133.1.4 / 283.1.4); its divisor
        # (166) and roundings are from the DMM, as the bundled tables' notes say
        "volumetric": {"applies_over_volume": f"{cube_in} in^3", "divisor": "166", "length_unit": "in",
                       "weight_unit": "lb", "dimension_rounding": "nearest", "result_rounding": "1 lb"},
    }
    if surcharges:
        doc["surcharges"] = surcharges
    fees = {}  # what a 62 x 12 x 12 in parcel pays on top (the notes exempt no price, Oversized included)
    for sc in surcharges:
        if "volume_over" in sc:
            hit = 62 * 12 * 12 > int(sc["volume_over"].split()[0])
        else:
            lo = int(sc["longest_side_over"].split()[0])
            hi = int(sc["longest_side_up_to"].split()[0]) if "longest_side_up_to" in sc else None
            hit = 62 > lo and (hi is None or 62 <= hi)
        if hit:
            fees[sc["name"]] = Decimal(sc["amount"])
    doc["examples"] = [
            worked_example(f"{ex_w} oz", destination="US", zone=names[0], price=_money(steps[0][1][0]),
                           why=f"Step edge: {ex_w} oz, zone {names[0]}: {_money(steps[0][1][0])}"),
            worked_example(f"{_num(steps[-1][0] / 16)} lb", destination="US", zone=names[-1],
                           price=_money(steps[-1][1][-1]),
                           why=(f"Last step: {_num(steps[-1][0] / 16)} lb, zone {names[-1]}: "
                                f"{_money(steps[-1][1][-1])}")),
            worked_example("5 lb", destination="US", zone=names[0], dimensions="62 x 12 x 12 in",
                           price=_money(oversize[0] + sum(fees.values(), Decimal(0))),
                           why=f"Length + girth 110 in > 108: Oversized, zone {names[0]}: {_money(oversize[0])}"
                               + "".join(f" + {n} {_money(a)}" for n, a in fees.items())),
            worked_example("71 lb", destination="US", zone=names[0], refused="over-weight-limit", why="Over 70 lb"),
            worked_example("1 lb", destination="CA", zone=names[0], refused="destination-not-served",
                           why="Domestic only"),
        ]
    return doc


def _usps_fcpis(guide: Guide, page: int, pid: str, name: str, groups: dict[str, dict[str, str]]) -> dict[str, Any]:
    halves: list[tuple[tuple[str, ...], list[tuple[Decimal, tuple[Decimal, ...]]]]] = []
    for line in guide.lines(page):
        if "Commercial Plus" in line or "Listing of countries" in line and len(halves) >= 2:
            break
        zones = _zone_header(line) if re.fullmatch(r"[\d ]+", line) else None
        if zones is not None or (re.fullmatch(r"11( \d+)+", line) and halves):
            toks = tuple(line.split())
            halves.append((toks, []))
            continue
        m = _BAND_ROW.match(line)
        if m and halves:
            prices = _prices(m.group(3))
            if len(prices) != len(halves[-1][0]):
                raise _Skip(f"p. {page}: the row {line!r} has {len(prices)} prices for {len(halves[-1][0])} groups")
            halves[-1][1].append((Decimal(m.group(2)), prices))
    halves = [h for h in halves if h[1]]
    if not halves:
        raise _Skip(f"p. {page}: no price-group table found")
    bounds = [b for b, _ in halves[0][1]]
    if any([b for b, _ in h[1]] != bounds for h in halves[1:]):
        raise _Skip(f"p. {page}: the weight bands of the price-group tables differ")
    names = [z for h in halves for z in h[0]]
    if names != [str(i) for i in range(1, len(names) + 1)]:
        raise _Skip(f"p. {page}: price groups {names} are not 1 ... n")
    steps = [(b, tuple(p for h in halves for p in h[1][i][1])) for i, b in enumerate(bounds)]
    problems = _table_problems(Table(page, None, tuple(names), tuple(steps), None, "lines"))
    if problems:
        raise _Skip("; ".join(problems))
    countries = {c: g["fcpis_group"] for c, g in sorted(groups.items()) if g["fcpis_group"] in names}
    ex_c = next(c for c in ("CA", *sorted(countries)) if c in countries)
    z = countries[ex_c]
    first, last = steps[0], steps[-1]
    return {
        "format": 1, "id": pid, "operator": "USPS", "name": name,
        "weight": {"unit": "oz", "rounding": "1 oz"},
        "zones": {"by": "country", "names": names, "countries": countries},
        "steps": [{"up_to": _num(b), "prices": {zn: _money(p) for zn, p in zip(names, ps)}} for b, ps in steps],
        "limits": {"max_weight": f"{_num(last[0] / 16)} lb"},
        "examples": [
            worked_example(f"{_num(first[0])} oz", destination=ex_c, price=_money(first[1][int(z) - 1]),
                           why=f"Band edge: {_num(first[0])} oz to {ex_c} (group {z}): {_money(first[1][int(z) - 1])}"),
            worked_example(f"{_num(first[0])}.1 oz", destination=ex_c, price=_money(steps[1][1][int(z) - 1]),
                           why=f"Rounds up to {_num(first[0] + 1)} oz, group {z}: {_money(steps[1][1][int(z) - 1])}"),
            worked_example(f"{_num(last[0] + 1)} oz", destination=ex_c, refused="over-weight-limit",
                           why=f"Over the {_num(last[0] / 16)} lb maximum"),
            worked_example("4 oz", destination="US", refused="destination-not-served", why="International only"),
        ],
    }


# ---------------------------------------------------------------------------- checking and writing


def checked_text(rel: str, doc: dict[str, Any]) -> str:
    """The file's TOML text, read back through the strict loader and its worked examples
    priced; raises :class:`~postcheck.errors.TariffFileError` naming the file and key."""
    text = to_toml(doc)
    t = parse_tariff(tomllib.loads(text), rel)
    errors = check_examples(t)
    if errors:
        raise errors[0]
    if not isinstance(t.effective_from, dt.date):
        raise TariffFileError(rel, "effective_from", "missing")
    return text


def write_imported(result: Imported, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write every file of an import under ``out_dir`` (atomically; an existing file only with
    ``force``).  Every file is checked by the strict loader before any is written."""
    root = Path(out_dir)
    texts = {rel: checked_text(rel, doc) for rel, doc in sorted(result.tariffs.items())}
    for rel in texts:
        target = root / rel
        if target.exists():
            check_output_path(target, inputs=[result.path], force=force)
    written = []
    for rel, text in texts.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_atomic(target, text, inputs=[result.path], force=force))
    return written
