"""The layout reader: a label read from words with their positions, the way a careful person reads it.

Input: the cells of :mod:`postcheck.pdf.layout`.  Output: a :class:`Reading` — the label as a
dict in the label's JSON shape (possibly partial), and for every field where it was found (page,
caption or rule) or where postcheck looked for it.

How a value is found, in this order:

1. **After its caption.**  Captions are data (``pdf/captions/*.toml``, in English, French,
   German, Dutch, Spanish, Italian and carriers' short forms).  A caption matches a whole cell,
   or the start of one followed by ":" (or by a value of the field's shape); never a word
   inside a sentence.  The value is the rest of the cell, else the next cell to its right, else
   a cell just below it.  It is taken only when it has the shape of its field — a weight with
   its unit, a date, an amount, a tracking number of a known format — and is never itself a
   caption.  Anything else is left, and said.
2. **Address blocks**: the lines under a party's caption (From, Expéditeur, Von, Afzender ...),
   or, without one, the lines above a city line (``OTTAWA ON K1K 4T3``, ``10117 Berlin``).  Lines
   are told apart by their shape: the city line by its postcode, the country line by a country's
   name or code, phone and e-mail by theirs, street lines by a house number or a street word;
   the line or two before the street are the name and the company.
3. **Contents tables**, cut by the x-ranges of their column headers; unit values and weights
   ("Poids net unitaire") are multiplied by the quantity.
4. **What is printed large without a caption**: the product's name (``pdf/postal.toml``), an
   identifier of a format with a check digit (UPU S10, USPS IMpb, GS1), dimensions ``12x9x6cm``,
   the form's name (CN 23).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from postcheck import tracking
from postcheck.pdf import values as V
from postcheck.pdf.layout import Cell, Page
from postcheck.pdf.text import Caption, Captions, captions

__all__ = ["Reading", "read_pages"]

POSTAL = Path(__file__).resolve().parent / "postal.toml"

#: Fallback caption keys: a field's own captions first, then these, in order.
FALLBACKS = {"ship_date": ("ship_date", "posting_date", "invoice_date", "signature_date", "any_date"),
             "total_value": ("total_value", "invoice_total")}
_FALLBACK_OF = {k: f for f, ks in FALLBACKS.items() for k in ks}

_BOXNO = re.compile(r"^\(?\d{1,2}\)[.:]?\s*|^\d{1,2}\.\s+")
_TRAIL_BOX = re.compile(r"\s*\(\d{1,2}\)\s*$")
_UNIT_PAREN = re.compile(r"\(\s*(?:in\s+)?(kgs?|g|lbs?|oz)\s*\)", re.I)
_SEPS = " \t:/|\\-–."
_TICKS = {"x", "☒", "✓", "✔", "■", "☑", "[x]", "(x)", "⊠"}


@dataclass
class Reading:
    """What the layout reader made of a document."""

    doc: dict[str, Any] = field(default_factory=dict)
    found: dict[str, str] = field(default_factory=dict)  # path -> where and how it was read
    looked: dict[str, str] = field(default_factory=dict)  # path -> where postcheck looked
    refused: dict[str, str] = field(default_factory=dict)  # path -> what was printed and why not taken
    operator: str | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Postal:
    operators: dict[str, dict[str, Any]]
    products: list[tuple[str, str, str, str]]  # folded name, printed name, operator, product id
    postcodes: dict[str, dict[str, Any]]
    street: frozenset[str]
    company: frozenset[str]
    noise: frozenset[str]


@lru_cache(maxsize=1)
def postal() -> Postal:
    doc = tomllib.loads(POSTAL.read_text(encoding="utf-8"))
    unknown = set(doc) - {"operators", "postcodes", "address_words"}
    if unknown:
        from postcheck.pdf.text import CaptionError

        raise CaptionError(str(POSTAL), sorted(unknown)[0], "unknown key")
    products = []
    for op, spec in doc["operators"].items():
        for name, pid in spec.get("products", {}).items():
            products.append((_fold_name(name), name, op, pid))
    words = doc["address_words"]
    return Postal(doc["operators"], sorted(products, key=lambda p: -len(p[0])), doc["postcodes"],
                  frozenset(words["street"]), frozenset(words["company"]), frozenset(V.fold(n) for n in words["noise"]))


@lru_cache(maxsize=8192)
def _fold_name(text: str) -> str:
    t = re.sub(r"[™®©]|\(TM\)|\(R\)", " ", text)
    return " ".join(V.fold(t).replace("–", "-").split())


# ---------------------------------------------------------------------------- captions


@dataclass(frozen=True)
class Hit:
    caption: Caption
    rest: str  # what follows the caption in the cell, separators stripped
    unit: str | None  # "(kg)" printed with the caption
    colon: bool  # the caption was followed by ":"


@lru_cache(maxsize=16384)
def _fold_with_index(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text.replace("’", "'").replace("‘", "'")):
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                idx.append(i)
            continue
        f = V.fold(ch) if not ch.isascii() else ch.lower()
        for c in f:
            out.append(c)
            idx.append(i)
    return "".join(out), idx


def _starts(folded: str, cap: str) -> bool:
    if not folded.startswith(cap):
        return False
    n = len(cap)
    return n == len(folded) or not (folded[n].isalnum() and cap[-1:].isalnum())


class Matcher:
    """Caption look-up over one caption set, cached per cell text."""

    def __init__(self, caps: Captions) -> None:
        self.caps = caps
        self._memo: dict[str, Hit | None] = {}

    def hit(self, text: str) -> Hit | None:
        if text not in self._memo:
            self._memo[text] = self._hit(text)
        return self._memo[text]

    def _first(self, text: str, groups: tuple[str, ...] | None = None) -> tuple[Caption, str] | None:
        key = (text, groups)
        memo = self.__dict__.setdefault("_firsts", {})
        if key not in memo:
            memo[key] = self._first_uncached(text, groups)
        return memo[key]

    def _first_uncached(self, text: str, groups: tuple[str, ...] | None) -> tuple[Caption, str] | None:
        folded, idx = _fold_with_index(text)
        for cap in self.caps.starting_with(folded[:1]):
            if groups and cap.group not in groups:
                continue
            if _starts(folded, cap.folded):
                n = len(cap.folded)
                return cap, text[idx[n]:] if n < len(idx) else ""
        return None

    def _hit(self, text: str) -> Hit | None:
        t = _BOXNO.sub("", text.strip(), count=1)
        first = self._first(t)
        if first is None:
            return None
        cap, rest = first
        unit = None
        colon = False
        for _ in range(6):  # bilingual captions, units and box numbers after the caption
            before = rest
            stripped = rest.lstrip(" \t")
            if stripped[:1] and stripped[:1] in ":：":
                colon = True
            rest = stripped.lstrip(_SEPS + "：")
            if rest.startswith(("(", "[")):
                m = _UNIT_PAREN.match(rest)
                if m:
                    unit = m.group(1).lower().rstrip("s") if m.group(1).lower() != "lbs" else "lb"
                    unit = {"kg": "kg", "g": "g", "lb": "lb", "oz": "oz"}.get(unit, unit)
                    rest = rest[m.end():]
                    continue
                m = re.match(r"\(\s*\d{1,2}\s*\)", rest)
                if m:
                    rest = rest[m.end():]
                    continue
            again = self._first(rest, (cap.group,)) if rest else None
            if again is not None and (again[0].key == cap.key or not again[1].strip(_SEPS)):
                rest = again[1]
                continue
            if rest == before:
                break
        return Hit(cap, _TRAIL_BOX.sub("", rest).strip(), unit, colon)

    def is_caption(self, text: str) -> bool:
        """A caption is never a value: a known caption filling the cell, a cell ending in ":",
        a box number such as "(14)"."""
        t = text.strip()
        if not t:
            return True
        if t.endswith((":", "：")) or re.fullmatch(r"\(?\d{1,2}\)", t):
            return True
        # an instruction in brackets ("(if any)", "(e.g.: ...") or the end of one ("any) ...")
        if (t.startswith("(") and not re.fullmatch(r"\([A-Z]{2}\)|\(\+?\d[\d)\s.\-]*.*", t)) or \
                re.match(r"^[^(]*\)", t):
            return True
        h = self.hit(t)
        return h is not None and not h.rest


# ---------------------------------------------------------------------------- the document


@dataclass
class _Doc:
    pages: list[Page]
    m: Matcher
    post: Postal
    cells: list[Cell]
    lines: dict[tuple[int, int], list[Cell]]  # (page, line) -> cells left to right
    claimed: set[int] = field(default_factory=set)  # id() of cells read as a value or a caption
    header: set[int] = field(default_factory=set)  # id() of table-header cells
    operator: str | None = None
    country_names: dict[str, str] = field(default_factory=dict)

    def line_of(self, c: Cell) -> list[Cell]:
        return self.lines[(c.page, c.line)]

    def page(self, c: Cell) -> Page:
        return next(p for p in self.pages if p.number == c.page)

    def right_of(self, c: Cell) -> Cell | None:
        row = self.line_of(c)
        i = row.index(c)
        return row[i + 1] if i + 1 < len(row) else None

    def below(self, c: Cell, depth: float = 3.2) -> list[Cell]:
        """Cells under ``c`` (same page and frame), nearest first."""
        out = []
        for d in self.cells:
            if d.page != c.page or d.frame != c.frame or d is c:
                continue
            dy = d.top - c.bottom
            if -0.3 * c.size < dy <= depth * c.size and d.x0 <= c.x1 + 4 * c.size and d.x1 >= c.x0 - 1.5 * c.size:
                if d.line != c.line:
                    out.append(d)
        return sorted(out, key=lambda d: (d.top, abs(d.x0 - c.x0)))

    def above(self, c: Cell) -> list[Cell]:
        out = [d for d in self.cells if d.page == c.page and d.frame == c.frame and d.line != c.line
               and 0 < c.top - d.bottom <= 1.6 * c.size and d.x1 >= c.x0 and d.x0 <= c.x1 + 8 * c.size]
        return sorted(out, key=lambda d: c.top - d.bottom)


def _where(c: Cell, how: str) -> str:
    return f"page {c.page}, {how}"


# ---------------------------------------------------------------------------- values by kind


_WEIGHT = re.compile(r"^(\d{1,7}(?:[.,]\d{1,4})?)\s*(kgs?|g|lbs?|oz|kilos?|kilogrammes?|grammes?|grams?)\.?(?=$|\s|/)",
                     re.I)
_DIMS = re.compile(r"^\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*[x×X*]\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*[x×X*]\s*"
                   r"(\d{1,4}(?:[.,]\d{1,2})?)\s*(cm|mm|in|inch|inches|m)?\s*$", re.I)
_AMOUNT = re.compile(r"^(?:([A-Z]{3})\s*)?([$€£]\s*)?"
                     r"(-?\d{1,3}(?:[ ,.\u00a0\u202f']\d{3})*(?:[.,]\d{1,6})?|\d+(?:[.,]\d{1,6})?)"
                     r"\s*([$€£])?\s*([A-Z]{3})?$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,22}(?:\s*(?:ext\.?|x|#)\s*\d{1,6})?$", re.I)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")


def _weight(text: str, unit: str | None, *, prefix: bool = False, pair: bool = False) -> str:
    t = text.strip()
    m = re.match(r"^\d{1,7}(?:[.,]\d{1,4})?\s*/\s*(\d{1,7}(?:[.,]\d{1,4})?\s*[a-zA-Z]+)", t)
    if pair and m:  # "2.0/20.0 kg" under "Pce/Shpt Weight": the piece's, then the shipment's
        t = m.group(1)
    m = _WEIGHT.match(t)
    if m and (prefix or m.end() == len(t)):
        num, u = m.group(1), m.group(2).lower()
        u = "kg" if u.startswith(("kg", "kilo")) else "lb" if u.startswith("lb") else "oz" if u == "oz" else "g"
        return f"{num} {u}"
    if unit and re.fullmatch(r"\d{1,7}(?:[.,]\d{1,4})?", t):
        return f"{t} {unit}"
    raise ValueError("a weight with its unit, such as 0.520 kg")


def _amount(text: str) -> tuple[str, str | None]:
    t = text.strip()
    m = _AMOUNT.match(t)
    if not m:
        raise ValueError("an amount such as 12.83 or 12.83 EUR")
    code = m.group(1) or m.group(5)
    sign = (m.group(2) or m.group(4) or "").strip()
    num = m.group(3)
    if code and not _is_currency(code):
        raise ValueError("an amount with an ISO 4217 currency code")
    if sign == "€":
        code = code or "EUR"
    elif sign == "£":
        code = code or "GBP"
    value = V.number(num)
    if value.as_tuple().exponent == 0 and "." not in num and "," not in num and len(num) > 6:
        raise ValueError("an amount, not a long number")
    return num.replace(",", ".") if num.count(",") == 1 and "." not in num else f"{value:f}", code


@lru_cache(maxsize=512)
def _is_currency(code: str) -> bool:
    from postcheck.money import is_currency

    return is_currency(code)


_MON = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                        "dec"))}


def _month(word: str, months: dict[str, list[str]]) -> int | None:
    w = V.fold(word).rstrip(".")
    for names in months.values():
        for i, n in enumerate(names):
            fn = V.fold(n)
            if w == fn or (len(w) >= 3 and fn.startswith(w)):
                return i + 1
    return _MON.get(w[:3]) if len(w) == 3 else None


def _date(text: str, *, lang: str, month_first: bool, months: dict[str, list[str]], anywhere: bool = False
          ) -> tuple[str, str]:
    """``(iso date, rule)``; ValueError when not a date or when its order is ambiguous."""
    t = V.fold(text)
    end = "" if anywhere else "$"
    start = r"(?:^|\s|-)" if anywhere else "^"
    tail = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?)?"

    def mk(y: int, mo: int, d: int) -> dt.date:
        if y < 100:
            y += 2000
        return dt.date(y, mo, d)

    try:
        m = re.search(start + r"(\d{4})-(\d{2})-(\d{2})" + tail + end, t)
        if m:
            return mk(int(m[1]), int(m[2]), int(m[3])).isoformat(), "ISO date"
        m = re.search(start + r"(\d{1,2})\s*([a-z]{3,9})\.?,?\s*(\d{2}|\d{4})" + tail + end, t)  # 19JUL24, 18 mars 2025
        if m and _month(m[2], months):
            return mk(int(m[3]), _month(m[2], months) or 0, int(m[1])).isoformat(), "day, month name, year"
        m = re.search(start + r"(\d{1,2})[/.\-]([a-z]{3,9})[/.\-](\d{2}|\d{4})" + tail + end, t)  # 02/JUN/2022
        if m and _month(m[2], months):
            return mk(int(m[3]), _month(m[2], months) or 0, int(m[1])).isoformat(), "day, month name, year"
        m = re.search(start + r"([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})" + tail + end, t)  # July 19, 2024
        if m and _month(m[1], months):
            return mk(int(m[3]), _month(m[1], months) or 0, int(m[2])).isoformat(), "month name, day, year"
        m = re.search(start + r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})" + tail + end, t)
    except ValueError:
        raise ValueError("a date (the day or month is out of range)") from None
    if not m:
        raise ValueError("a date such as 2022-03-01, 19JUL24 or 19 Jul, 2024")
    a, sep, b, y = int(m[1]), m[2], int(m[3]), int(m[4])
    try:
        if a > 12 and b <= 12:
            return mk(y, b, a).isoformat(), "day first (the first number is over 12)"
        if b > 12 and a <= 12:
            return mk(y, a, b).isoformat(), "month first (the second number is over 12)"
        if a == b:
            return mk(y, a, b).isoformat(), "day and month are the same"
        if sep == "." or lang in ("fr", "de", "nl", "es", "it"):
            return mk(y, b, a).isoformat(), f"day first ({'dotted date' if sep == '.' else lang + ' caption'})"
        if month_first:
            return mk(y, a, b).isoformat(), "month first (the operator prints dates month first)"
    except ValueError:
        raise ValueError("a date (the day or month is out of range)") from None
    raise ValueError(f"a date whose order is clear: {text.strip()!r} may be day/month or month/day")


# ---------------------------------------------------------------------------- countries


@lru_cache(maxsize=4096)
def _country_py(key: str) -> str | None:
    import pycountry

    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        pass
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            n = getattr(c, attr, None)
            if n and V.fold(n) == key:
                return str(c.alpha_2)
    return None


def country_of(text: str, names: dict[str, str], *, codes: bool = True) -> str | None:
    """ISO code of a printed country name or code (English, French, German ... names), or None."""
    from postcheck.label import is_country

    t = text.strip()
    if t.startswith("(") and t.endswith(")"):  # "(US)"
        t = t[1:-1].strip()
    if not t or len(t) > 60:
        return None
    m = re.fullmatch(r"([A-Z]{2})\s*-\s*(\D{4,})", t)  # "BE - BELGIUM"
    if m:
        named = country_of(m.group(2), names)
        return named if named == m.group(1) else None
    if re.fullmatch(r"[A-Z]{2}", t):
        return t if codes and is_country(t) else None
    key = V.fold(t)
    if key in names:
        return names[key]
    if len(t) < 4 or not re.fullmatch(r"[^\d@]+", t):
        return None
    got = _country_py(key)
    if got is None and re.search(r"\s\([^)]*\)$", t):  # "Germany (Federal Republic)", "United Kingdom (Mainland)"
        return country_of(re.sub(r"\s\([^)]*\)$", "", t), names, codes=codes)
    return got


# ---------------------------------------------------------------------------- the reader


def read_pages(pages: list[Page], *, dropped: list[int] | None = None) -> Reading:
    """Read a label from the cells of its pages (see the module docstring)."""
    caps = captions()
    matcher = _matcher(caps)
    for p in pages:
        _split_pairs(matcher, p)
        _join_stacked(matcher, p)
    cells = [c for p in pages for c in p.cells]
    lines: dict[tuple[int, int], list[Cell]] = {}
    for c in cells:
        lines.setdefault((c.page, c.line), []).append(c)
    for row in lines.values():
        row.sort(key=lambda c: c.x0)
    doc = _Doc(pages, matcher, postal(), cells, lines)
    doc.country_names = {V.fold(k): v for k, v in caps.countries.items()}
    r = Reading()
    if dropped:
        r.notes.append(f"pages {', '.join(map(str, dropped))} repeat an earlier page and were read once")
    doc.operator = r.operator = _operator(doc)
    _tables(doc, r)
    _captioned(doc, r)
    _parties(doc, r)
    _uncaptioned(doc, r)
    _form_and_category(doc, r)
    _countries(doc, r)
    _looked(doc, r, len(pages))
    if set(r.doc) <= {"form", "category"}:
        images = [p.number for p in pages if p.images]
        if r.doc.get("form"):
            r.notes.insert(0, f"a blank {r.doc['form'][:2]} {r.doc['form'][2:]} form: no box is filled in")
        elif images:
            r.notes.insert(0, f"page {images[0]} holds an image and no label text: the label may be in the picture "
                              "(postcheck does not read pictures yet)")
    return r


_MATCHERS: dict[int, Matcher] = {}


def _matcher(caps: Captions) -> Matcher:
    """One matcher per caption set, so its look-ups are remembered from one document to the next."""
    m = _MATCHERS.get(id(caps))
    if m is None or m.caps is not caps:
        _MATCHERS.clear()
        m = _MATCHERS[id(caps)] = Matcher(caps)
    if len(m._memo) > 50_000:
        m._memo.clear()
        m.__dict__.pop("_firsts", None)
    return m


def _split_pairs(m: Matcher, page: Page) -> None:
    """A cell holding two captioned values ("Invoice Date: 2022-12-10 Invoice No: INV-00210291")
    becomes two cells, cut where the second caption starts."""
    for ln in page.lines:
        out: list[Cell] = []
        for c in ln.cells:
            parts = [c]
            if (":" in c.text[c.text.find(":") + 1:] or re.search(r"\s\(\d{1,2}\)\s", c.text)) and \
                    m.hit(c.text) is not None:
                parts = []
                text, x0 = c.text, c.x0
                width = (c.x1 - c.x0) / max(len(c.text), 1)
                start = 0
                for mt in re.finditer(r"(?<=\S)\s+(?=\S[^:]{0,40}:|\(\d{1,2}\)\s)", text):
                    tail = text[mt.end():]
                    h = m.hit(tail)
                    boxed = tail.startswith("(")  # "(6) Valeur totale": a box number starts a box
                    if h is None or not (h.colon or boxed) or h.caption.group not in ("field", "other", "address") \
                            or len(h.caption.folded) < 4:  # "No:" inside "Invoice No:" starts nothing
                        continue
                    if not text[:mt.start()].strip() or start >= mt.start():
                        continue
                    parts.append(Cell(text[start:mt.start()].strip(), x0 + start * width, x0 + mt.start() * width,
                                      c.top, c.bottom, c.size, c.page, c.frame, c.line))
                    start = mt.end()
                parts.append(Cell(text[start:].strip(), x0 + start * width, c.x1, c.top, c.bottom, c.size, c.page,
                                  c.frame, c.line))
            out.extend(parts)
        ln.cells = out


def _join_stacked(m: Matcher, page: Page) -> None:
    """A caption set on two lines ("Total Gross" over "Weight") is one caption: the upper cell,
    no caption by itself, takes the cell under it when the two make one."""
    for i, ln in enumerate(page.lines):
        for c in list(ln.cells):
            if re.search(r"\d", c.text) or m.is_caption(c.text):
                continue
            for below in page.lines[i + 1:i + 3]:
                if below.frame != ln.frame or below.top - c.bottom > 0.8 * c.size:
                    continue
                d = next((d for d in below.cells if abs(d.x0 - c.x0) < 0.8 * c.size or
                          abs((d.x0 + d.x1) - (c.x0 + c.x1)) < 1.6 * c.size), None)
                if d is None:
                    continue
                joined = f"{c.text} {d.text}"
                h = m.hit(joined)
                if h is not None and not h.rest and h.caption.group in ("field", "other"):
                    c.text, c.bottom, c.x1 = joined, d.bottom, max(c.x1, d.x1)
                    below.cells.remove(d)
                break


@lru_cache(maxsize=1)
def _operator_names() -> tuple[tuple[str, str], ...]:
    return tuple((op, f" {_fold_name(n)} ") for op, spec in postal().operators.items() for n in spec["names"])


def _operator(doc: _Doc) -> str | None:
    score: dict[str, float] = {}
    names = _operator_names()
    for c in doc.cells:
        f = " " + _fold_name(c.text) + " "
        for op, n in names:
            if n in f:
                score[op] = score.get(op, 0) + c.size
    for c in doc.cells:
        prod = _product(doc, c.text)
        if prod:
            score[prod[2]] = score.get(prod[2], 0) + 2 * c.size
    if not score:
        return None
    best = max(score.values())
    tops = [op for op, s in score.items() if s == best]
    return tops[0] if len(tops) == 1 else None


def _is_operator_name(doc: _Doc, text: str) -> bool:
    f = f" {_fold_name(text)} "
    return any(f == n for _op, n in _operator_names())


def _printed_name(text: str) -> str:
    """A product's name as printed, without what carriers print around it: the other language
    ("Expedited Parcel | Colis accélérés"), a code in brackets ("[I] EXPRESS 9:00 (32)"),
    asterisks ("INTL ** 2DAY **")."""
    t = re.split(r"\s[|]\s?|\s[-–]\s|\|", text)[0]
    t = re.sub(r"^\[\w{1,3}\]\s*|\s*\(\d{1,3}\)$", "", t.strip())
    return " ".join(w for w in t.split() if w.strip("*"))


def _product(doc: _Doc, text: str) -> tuple[str, str, str, str] | None:
    f = _fold_name(_printed_name(text))
    if not f or len(f) > 60:
        return None
    for prod in doc.post.products:
        if prod[0] == f:
            return prod
    return None


def _month_first(doc: _Doc) -> bool:
    return bool(doc.operator and doc.post.operators[doc.operator].get("month_first"))


def _convert(doc: _Doc, kind: str, text: str, hit: Hit | None, key: str, *, prefix: bool = False) -> tuple[Any, str]:
    """``(value, rule)`` of ``text`` read as ``kind``; ValueError when it has not the field's shape."""
    lang = hit.caption.lang if hit else "en"
    if kind != "category" and doc.m.is_caption(text):
        raise ValueError("a value, not a caption")
    if kind == "weight":
        pair = bool(hit and re.search(r"pce\s*/\s*shpt|piece\s*/\s*shipment", V.fold(hit.caption.text)))
        return (_weight(text, hit.unit if hit else None, prefix=prefix, pair=pair),
                "the shipment's weight of 'piece/shipment'" if pair and "/" in text.split()[0]
                else "a number with its unit")
    if kind == "amount":
        value, cur = _amount(text)
        return (value, cur), "an amount"
    if kind == "date":
        return _date(text, lang=lang, month_first=_month_first(doc), months=doc.m.caps.months,
                     anywhere=key == "posting_date")
    if kind == "identifier":
        got = tracking.match(text, operator=doc.operator, captioned=True)
        if got is None:
            raise ValueError("a tracking number of a known format")
        return got[0], f"a {got[1]} number"
    if kind == "currency":
        t = text.strip().upper()
        if not (re.fullmatch(r"[A-Z]{3}", t) and _is_currency(t)):
            raise ValueError("an ISO 4217 currency code")
        return t, "a currency code"
    if kind == "dimensions":
        m = _DIMS.match(text)
        if not m:
            raise ValueError("dimensions such as 32x46x38 CM")
        return text.strip(), "three lengths"
    if kind == "category":
        cat = _category_word(doc, text)
        if cat is None:
            raise ValueError("a category of item (gift, sale of goods ...)")
        return cat, "a category's name"
    if kind == "service":
        t = text.strip()
        if not t or len(t) > 120:
            raise ValueError("a product's name")
        return doc.m.caps.services.get(V.fold(t), t), "the product named after its caption"
    if kind == "country":
        code = country_of(text, doc.country_names)
        if code is None:
            raise ValueError("a country")
        return code, "a country's name or code"
    if kind == "reference":
        t = text.strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ./\-_#]{0,38}", t) or not re.search(r"\d", t):
            raise ValueError("a reference number")
        return t, "a reference"
    t = text.strip()
    if not t or len(t) > 300:
        raise ValueError("text")
    return t, "text"


def _category_word(doc: _Doc, text: str) -> str | None:
    f = V.fold(text).strip(" .:")
    for c in _category_captions(doc.m.caps):
        if f == c.folded:
            return c.key
    return None


def _category_captions(caps: Captions) -> list[Caption]:
    got = caps.__dict__.get("_categories")
    if got is None:
        got = caps.__dict__["_categories"] = [c for c in caps.entries if c.group == "category"]
    return got


# -- 1. fields after their captions


def _candidates(doc: _Doc, c: Cell, hit: Hit, kind: str) -> list[tuple[str, Cell, str]]:
    out: list[tuple[str, Cell, str]] = []
    if hit.rest:
        out.append((hit.rest, c, "after its caption in the same cell"))
        return out
    right = doc.right_of(c)
    page = doc.page(c)
    if right is not None and right.x0 - c.x1 < 0.4 * page.width:
        out.append((right.text, right, "right of its caption"))
    elif kind != "category":  # set a little higher or lower than its caption, on a line of its own
        near = [d for d in doc.cells if d.page == c.page and d.frame == c.frame and d.line != c.line
                and abs(d.mid - c.mid) < 0.7 * c.size and c.x1 < d.x0 < c.x1 + 0.4 * page.width]
        if near:
            d = min(near, key=lambda d: d.x0)
            out.append((d.text, d, "right of its caption"))
    if kind == "category" and not hit.colon:  # under a box's caption are its boxes, not its value
        return out
    for d in doc.below(c)[:3]:
        out.append((d.text, d, "below its caption"))
    if kind == "currency":
        for d in doc.above(c)[:2]:
            out.append((d.text, d, "above its caption"))
    return out


#: Fields read after their captions, in this order.
_TARGETS = ("service", "origin", "destination", "zone", "packaging_weight", "ship_date", "tracking_number",
            "gross_weight", "total_value", "postage_paid", "currency", "dimensions", "invoice_number", "comments",
            "explanation", "licence", "certificate", "category")
_READ_KEYS = frozenset(k for t in _TARGETS for k in FALLBACKS.get(t, (t,)))


def _blank(doc: _Doc, text: str) -> bool:
    """A box left empty on purpose ("-", "n/a", "néant")."""
    return not text.strip() or V.fold(text) in doc.m.caps.empty


def _captioned(doc: _Doc, r: Reading) -> None:
    seen: dict[str, list[tuple[Any, str, Cell]]] = {}
    refused: dict[str, str] = {}
    for c in doc.cells:
        if id(c) in doc.header:
            continue
        hit = doc.m.hit(c.text)
        if hit is None:
            continue
        g = hit.caption.group
        if g not in ("field", "other"):
            continue
        if hit.rest and not hit.colon and g == "field" and not _plain_prefix_ok(hit):
            continue
        doc.claimed.add(id(c))
        if g == "other":
            if hit.rest:
                continue
            right = doc.right_of(c)
            if right is not None and not doc.m.is_caption(right.text) and right.x0 - c.x1 < 6 * c.size:
                doc.claimed.add(id(right))  # a reference's value is no other field's
            continue
        key, kind = hit.caption.key, hit.caption.kind
        if key not in _READ_KEYS:
            continue
        for text, cell, how in _candidates(doc, c, hit, kind):
            if id(cell) in doc.claimed and cell is not c:
                continue
            if _blank(doc, text):
                doc.claimed.add(id(cell))
                break
            try:
                value, rule = _convert(doc, kind, text, hit, key, prefix=kind == "weight")
            except ValueError as e:
                if (cell is c or how == "right of its caption") and not doc.m.is_caption(text):
                    refused.setdefault(key, f"{text.strip()[:60]!r} {how} '{hit.caption.text}' on page {c.page} "
                                            f"is not {e}")
                continue
            seen.setdefault(key, []).append((value, f"{how} '{hit.caption.text}' ({rule})", cell))
            doc.claimed.add(id(cell))
            break
    for target, keys in [(k, FALLBACKS.get(k, (k,))) for k in _TARGETS]:
        for key in keys:
            got = seen.get(key)
            if not got:
                continue
            values = {repr(v) for v, _h, _c in got}
            if len(values) > 1 and key not in ("any_date", "signature_date", "invoice_total"):
                r.refused[target] = (f"printed {len(got)} times with different values "
                                     f"({', '.join(_show(v) for v, _h, _c in got[:3])}); postcheck does not choose")
                break
            value, how, cell = got[0]
            _put(doc, r, target, value, _where(cell, how))
            break
        else:
            for key in keys:
                if key in refused:
                    r.refused.setdefault(target, refused[key])
                    break


def _plain_prefix_ok(hit: Hit) -> bool:
    """A caption followed by its value without ":" ("WAYBILL 11 0373 3901", "Post code17810")
    counts only when the caption is a carrier's short form or the value has the field's shape."""
    kind = hit.caption.kind
    rest = hit.rest
    if kind == "identifier":
        return tracking.match(rest, captioned=True) is not None
    if kind == "weight":
        return bool(_WEIGHT.match(rest)) or bool(hit.unit and re.fullmatch(r"\d{1,7}(?:[.,]\d{1,4})?", rest))
    if kind == "date":
        return bool(re.match(r"\d", rest))
    if kind == "amount":
        return bool(_AMOUNT.match(rest.strip()))
    if kind == "dimensions":
        return bool(_DIMS.match(rest))
    return False


def _show(v: Any) -> str:
    return v[0] if isinstance(v, tuple) else str(v)


def _put(doc: _Doc, r: Reading, key: str, value: Any, where: str) -> None:
    if key in r.doc:
        return
    if isinstance(value, tuple):  # an amount with its currency
        amount, cur = value
        r.doc[key] = amount
        if cur:
            _currency(r, cur, where)
    else:
        r.doc[key] = value
    r.found[key] = where


def _currency(r: Reading, code: str, where: str) -> None:
    have = r.doc.get("currency")
    if have is None:
        r.doc["currency"] = code
        r.found["currency"] = where + " (the code printed with the amount)"
    elif have != code:
        r.refused["currency"] = f"both {have} and {code} are printed"
        r.doc.pop("currency")
        r.found.pop("currency", None)


# -- 2. parties


_CITY_BEFORE = re.compile(r"^(?P<pc>[A-Z0-9][A-Z0-9 \-]{2,9}?)[ ,]+(?P<city>[^\d,][^\d]*)$")


def _city_line(doc: _Doc, text: str) -> tuple[str, str, str | None] | None:
    """``(city, postcode, country or None)`` when ``text`` is a city line of a known pattern."""
    got = _city_pattern(doc, text)
    if got is None or _is_street(doc, got[0]) or len(got[0]) > 40:
        return None
    return got


def _city_by(doc: _Doc, text: str, cc: str) -> tuple[str, str, str | None] | None:
    """The city line read by one country's pattern only."""
    spec = doc.post.postcodes.get(cc)
    if spec is None:
        return None
    got = _city_pattern(doc, text, {cc: spec})
    return got if got is not None and got[1] and not _is_street(doc, got[0]) else None


def _city_pattern(doc: _Doc, text: str, postcodes: dict[str, dict[str, Any]] | None = None
                  ) -> tuple[str, str, str | None] | None:
    """``(town, postcode, country or None)`` by the postcode patterns (all of ``postal.toml``'s, or
    ``postcodes``), without judging the town."""
    t = " ".join(text.replace(",", ", ").split()).strip(" ,")
    prefix = re.match(r"^([A-Z]{2}) - (?=\d)", t)  # "BE - 2800 Mechelen": the country's code, the postcode
    if prefix:
        from postcheck.label import is_country

        got = _city_pattern(doc, t[prefix.end():], postcodes)
        return (got[0], got[1], prefix.group(1)) if got and is_country(prefix.group(1)) else got
    for cc, spec in (postcodes or doc.post.postcodes).items():
        pat = spec["pattern"]
        pos = spec["position"]
        if pos == "after_region":
            regions = "|".join(spec["regions"])
            m = re.fullmatch(rf"(?P<city>[^\d,]+?)[ ,]+(?P<region>{regions})[ ,]+(?P<pc>{pat})", t)
            if m:
                return m["city"].strip(" ,"), m["pc"], cc
        elif pos in ("before", "any"):
            m = re.fullmatch(rf"(?P<pc>{pat})[ ,]+(?P<city>[^\d,][^\d]*?)", t)
            if m:
                city = m["city"].strip(" ,")
                regions = spec.get("regions", ())
                words = city.split()
                if regions and len(words) > 1 and words[-1] in regions:  # "6105 PERTH QLD"
                    city = " ".join(words[:-1])
                return city, m["pc"], None
        if pos in ("after", "any"):
            m = re.fullmatch(rf"(?P<city>[^\d,][^\d,]*?)[ ,]+(?P<pc>{pat})", t)
            if m:
                return m["city"].strip(" ,"), m["pc"], None
    # "Paris, 75018", "Yonkers,10705": a town, a comma and a postcode of any country
    m = re.fullmatch(r"(?P<city>[^\d,]{2,40}), (?P<pc>(?=[A-Z0-9 \-]*\d)[A-Z0-9][A-Z0-9 \-]{2,9})", t)
    if m:
        return m["city"].strip(" ,"), m["pc"].strip(), None
    return None


def _is_street(doc: _Doc, text: str) -> bool:
    f = V.fold(text)
    if not re.search(r"[^\W\d_]", f):  # a house number alone ("17") is a street line, a long number is not
        return bool(re.fullmatch(r"#?\d{1,5}[a-z]?(?:[-/]\d{1,4})?", f))
    words = set(re.findall(r"[\w.]+", f))
    return bool(re.match(r"\d", f)) or bool(words & doc.post.street) or bool(re.search(r"\d", f) and len(words) > 1) \
        or any(w.endswith(("strasse", "straße", "weg", "gasse", "platz", "laan", "straat")) for w in words)


def _is_company(doc: _Doc, text: str) -> bool:
    words = set(V.fold(text).replace(",", " ").split())
    return bool(words & doc.post.company)


def _is_phone(text: str) -> bool:
    t = text.strip()
    digits = re.sub(r"\D", "", re.split(r"(?i)\s*(?:ext\.?|x|#)\s*\d", t)[0])
    return bool(_PHONE.fullmatch(t)) and 7 <= len(digits) <= 15


@dataclass
class _Block:
    owner: str  # sender, addressee, exporter, other_party, unknown
    lines: list[list[Cell]]
    head: Cell | None


def _party_captions(doc: _Doc) -> list[tuple[Cell, Hit]]:
    out = []
    for c in doc.cells:
        h = doc.m.hit(c.text)
        if h is None or h.caption.group != "section":
            continue
        if h.rest:
            # "TO CONVENTION CENTER": a caption and the block's first line, both in capitals
            printed = c.text[:len(h.caption.text)]
            if not h.colon and not (len(printed) >= 2 and printed.isupper() and h.rest.isupper()):
                continue
            if doc.m.hit(h.rest) is not None and doc.m.is_caption(h.rest):
                continue
        out.append((c, h))
    return out


def _block_lines(doc: _Doc, head: Cell, hit: Hit | None, bound: float, stops: set[int]) -> list[list[Cell]]:
    """Lines of an address block opened by ``head``: cells from the block's left edge to ``bound``,
    down to a gap, another block's caption or a field's caption."""
    rows: list[list[Cell]] = []
    first: list[Cell] = []
    if hit is not None and hit.rest:
        first = [Cell(hit.rest, head.x0 + (head.x1 - head.x0) * (1 - len(hit.rest) / max(len(head.text), 1)), head.x1,
                      head.top, head.bottom, head.size, head.page, head.frame, head.line)]
    row = doc.line_of(head)
    prev_x1 = head.x1
    for d in row:
        if d.x0 <= head.x1 or d.x0 >= bound:
            continue
        if d.x0 - prev_x1 > 4 * head.size or doc.m.is_caption(d.text):
            break
        first.append(d)
        prev_x1 = d.x1
    left = first[0].x0 if first else None
    if first:
        rows.append(first)
    last_bottom = head.bottom
    size = head.size
    keys = sorted({k for k in doc.lines if k[0] == head.page and k[1] > head.line})
    for k in keys:
        cells = [d for d in doc.lines[k] if d.frame == head.frame]
        if not cells:
            continue
        top = min(d.top for d in cells)
        if top - last_bottom > 3.6 * size:
            break
        edge = left if left is not None else head.x0
        lo = edge - 3 * size
        inside = [d for d in cells if lo <= d.x0 < bound and id(d) not in doc.claimed]
        if any(id(d) in stops and d.x0 < bound and d.x1 > head.x0 - 3 * size for d in cells):
            break  # the next party's caption, even set left of this block's lines
        if not inside or inside[0].x0 > edge + (12 if left is None else 4) * size:
            continue  # another column's line (a block's first line may be centred under its caption)
        for j in range(1, len(inside)):  # a wide gap: what follows is another column's
            h = doc.m.hit(inside[j].text)
            hp = doc.m.hit(inside[j - 1].text)
            if inside[j].x0 - inside[j - 1].x1 > 4 * size and not (h is not None and h.caption.group == "address") \
                    and not (hp is not None and hp.caption.group == "address"):
                inside = inside[:j]
                break
        if any(id(d) in stops for d in inside):
            break
        if any((h := doc.m.hit(d.text)) is not None and h.caption.group == "column" and id(d) in doc.header
               for d in inside):
            break
        head_hit = doc.m.hit(inside[0].text)
        if head_hit is not None and head_hit.caption.group in ("field", "other", "column"):
            if inside[0].x0 <= (left if left is not None else head.x0) + size:
                break
        if left is None:
            left = min(d.x0 for d in inside if d.x0 >= head.x0 - 3 * size)
        rows.append(inside)
        last_bottom = max(d.bottom for d in inside)
        size = max(size, min(d.size for d in inside))
        if len(rows) > 14:
            break
    return rows


def _parse_block(doc: _Doc, rows: list[list[Cell]], where: str) -> tuple[dict[str, str], dict[str, str]]:
    """Party fields and where each was read, from the rows of an address block."""
    out: dict[str, str] = {}
    how: dict[str, str] = {}
    free: list[tuple[str, Cell, str | None]] = []  # text, cell, the sub-caption it continues
    current: str | None = None
    for row in rows:
        i = 0
        line_free: list[Cell] = []
        while i < len(row):
            c = row[i]
            h = doc.m.hit(c.text)
            if h is not None and h.caption.group == "address":
                key = h.caption.key
                value = h.rest
                cell = c
                if not value and i + 1 < len(row):
                    nxt = row[i + 1]
                    nh = doc.m.hit(nxt.text)
                    if not (nh is not None and nh.caption.group == "address" and not nh.rest) and \
                            not doc.m.is_caption(nxt.text):
                        value, cell = nxt.text, nxt
                        i += 1
                current = key
                if value and key != "ignore":
                    _party_value(doc, out, how, key, value, cell, where, h.caption.text)
                i += 1
                continue
            if h is not None and h.caption.group in ("other", "field") and not h.rest:
                i += 2 if i + 1 < len(row) and id(row[i + 1]) in doc.claimed else 1
                continue
            if h is not None and h.caption.group in ("other", "field"):
                i += 1
                continue
            line_free.append(c)
            i += 1
        if line_free:
            cont = current if current in ("street", "business", "name") else None
            city = next((c for c in line_free if _city_line(doc, c.text)), None)
            if city is not None and len(line_free) > 1:  # the city line, and what else shares its line
                free.append((city.text, city, cont))
            else:
                free.append((" ".join(c.text for c in line_free), line_free[0], cont))
            if current not in ("street", "business"):
                current = None
    _free_lines(doc, out, how, free, where)
    return out, how


def _split_city(doc: _Doc, kept: list[tuple[str, Cell, str | None]], out: dict[str, str], how: dict[str, str],
                where: str) -> int | None:
    """Town, region and postcode each on a line of their own ("Bromborough" / "Merseyside" /
    "CH62 3NX"): the town is the line after the street lines, the postcode the line that is only
    a postcode.  Returns the postcode line's index."""
    for k, (t, c, _cont) in enumerate(kept):
        if k < 2 or not re.search(r"\d", t):
            continue
        if not any(re.fullmatch(spec["pattern"], t) for spec in doc.post.postcodes.values()):
            continue
        streets = [i for i in range(k) if _is_street(doc, kept[i][0])]
        if not streets:
            return None
        town = streets[-1] + 1
        if town >= k or _is_phone(kept[town][0]) or doc.m.is_caption(kept[town][0]):
            return None
        out["city"], out["postcode"] = kept[town][0].strip(" ,"), t.strip()
        how["city"] = how["postcode"] = f"{where}, the town and postcode lines on page {c.page}"
        del kept[town:k]
        return town
    return None


def _party_value(doc: _Doc, out: dict[str, str], how: dict[str, str], key: str, value: str, cell: Cell, where: str,
                 caption: str) -> None:
    v = value.strip()
    if key == "country":
        code = country_of(v, doc.country_names)
        if code is None:
            return
        v = code
    elif key == "postcode":
        if not any(re.fullmatch(spec["pattern"], v) for spec in doc.post.postcodes.values()):
            m = re.match(r"^([A-Z0-9][A-Z0-9\-]{2,9})(?:\s+(.+))?$", v)
            if not m or not re.search(r"\d", m.group(1)):
                return
            v = m.group(1).strip()
    elif _blank(doc, v):
        return
    elif key in ("name", "business", "city", "street") and not re.search(r"[^\W\d_]", v):
        if key == "name" and _is_phone(v) and "phone" not in out:  # "Contact: 1 905 8613402"
            out["phone"], how["phone"] = v, f"{where}, after '{caption}' on page {cell.page}"
        return
    elif key == "email" and not _EMAIL.match(v):
        return
    elif key == "phone" and not _is_phone(v):
        return
    elif doc.m.is_caption(v):
        return
    if key in out:
        if key == "street":
            out[key] += ", " + v
        return
    out[key] = v
    how[key] = f"{where}, after '{caption}' on page {cell.page}"


def _free_lines(doc: _Doc, out: dict[str, str], how: dict[str, str], free: list[tuple[str, Cell, str | None]],
                where: str) -> None:
    kept: list[tuple[str, Cell, str | None]] = []
    for text, c, cont in free:
        t = text.strip()
        if V.fold(t) in doc.post.noise or not t or doc.m.is_caption(t):
            continue
        kept.append((t, c, cont))
    city_at = None
    for i, (t, _c, _cont) in enumerate(kept):
        if "city" in out and "postcode" in out:
            break
        got = _city_line(doc, t)
        if got is not None:  # the first city line ends the address (a second is another block's)
            city_at = i
            break
    if city_at is None and "city" not in out:
        city_at = _split_city(doc, kept, out, how, where)
    before: list[tuple[str, Cell, str | None]] = []
    after: list[tuple[str, Cell, str | None]] = []
    for i, item in enumerate(kept):
        (before if city_at is None or i < city_at else after if i > city_at else []).append(item)
    tail: list[tuple[str, Cell, str | None]] = []
    for item in after:  # under the city line: the country, the telephone, the e-mail, then the block ends
        t = item[0]
        if country_of(t, doc.country_names) or _is_phone(t) or "@" in t:
            tail.append(item)
        else:
            break
    after = tail
    if city_at is not None:
        t, c, _ = kept[city_at]
        city, pc, cc = _city_line(doc, t) or ("", "", None)
        for k, v in (("city", city), ("postcode", pc)):
            if k not in out and v:
                out[k] = v
                how[k] = f"{where}, the city line {t!r} on page {c.page}"
                out["_city_line"] = t
        if cc and "country" not in out:
            out["_region_country"] = cc
    for t, c, _cont in list(kept):
        code = country_of(t, doc.country_names, codes=False)
        if code and "country" not in out and not _city_line(doc, t):
            out["country"], how["country"] = code, f"{where}, the country line {t!r} on page {c.page}"
    kept_country = {t for t, _c, _x in kept if country_of(t, doc.country_names, codes=False)}
    before = [b for b in before if b[0] not in kept_country]
    after = [a for a in after if a[0] not in kept_country]
    understood = city_at is not None or "city" in out or "postcode" in out
    for t, c, _cont in (list(before) + list(after)) if understood else []:
        if "@" in t and _EMAIL.match(t) and "email" not in out:
            out["email"], how["email"] = t, f"{where}, an e-mail address on page {c.page}"
        elif _is_phone(t) and "phone" not in out and not _city_line(doc, t):
            out["phone"], how["phone"] = t, f"{where}, a telephone number on page {c.page}"
    rest = [(t, c, cont) for t, c, cont in before if not ("@" in t or (_is_phone(t) and not _is_street(doc, t)))]
    for t, c, _cont in after:
        if _is_phone(t) or "@" in t:
            continue
        code = country_of(t, doc.country_names)
        if code and "country" not in out:
            out["country"], how["country"] = code, f"{where}, the country line {t!r} on page {c.page}"
    if city_at is None and not any(cont for _t, _c, cont in rest):
        # no city line: only the captioned values count
        if rest and "name" not in out and len(rest) == 1 and "street" in out:
            t, c, _ = rest[0]
            out["name"], how["name"] = t, f"{where}, its first line on page {c.page}"
        return
    names: list[tuple[str, Cell]] = []
    streets: list[tuple[str, Cell]] = []
    for t, c, cont in rest:
        if cont == "street" or (streets and cont is None):
            streets.append((t, c))
        elif cont in ("business", "name") and not _is_street(doc, t):
            if cont == "business" and "business" not in out:
                out["business"], how["business"] = t, f"{where}, under its caption on page {c.page}"
            else:
                names.append((t, c))
        elif not streets and (not _is_street(doc, t) or not names and len(rest) > 1 and
                              not re.match(r"\d", t) and not names):
            if _is_street(doc, t) and names:
                streets.append((t, c))
            else:
                names.append((t, c))
        else:
            streets.append((t, c))
    if names and not streets and len(names) > 1 and _is_street(doc, names[-1][0]):
        streets.append(names.pop())
    if streets and "street" in out and how.get("street", "").find("after '") >= 0:
        out["street"] += ", " + ", ".join(t for t, _c in streets)  # the lines that continue a captioned street
    elif streets and "street" not in out:
        out["street"] = ", ".join(t for t, _c in streets)
        how["street"] = f"{where}, the lines above the city line on page {streets[0][1].page}"
    names = [(t, c) for t, c in names if not (out.get("business") == t or out.get("name") == t)]
    if len(names) == 1 and "name" not in out:
        out["name"], how["name"] = names[0][0], f"{where}, the line above the street on page {names[0][1].page}"
    elif len(names) == 2:
        (a, ca), (b, cb) = names
        ia, ib = _is_company(doc, a), _is_company(doc, b)
        if ia != ib:
            biz, person = (a, b) if ia else (b, a)
            rule = "a company's name by its legal form"
        else:
            order = doc.post.operators.get(doc.operator or "", {}).get("party_order")
            if order is None:  # no legal form, no operator whose order is known: postcheck does not choose
                if V.fold(a) == V.fold(b):  # the one name printed twice
                    out.setdefault("name", a)
                    how.setdefault("name", f"{where}, its first line on page {ca.page}")
                    return
                out.setdefault("_unsure", f"{where}: {a!r} and {b!r}, which is the company is not printed")
                return
            biz, person = (b, a) if order == "name_first" else (a, b)
            rule = f"{'name' if order == 'name_first' else 'company'} first, as {doc.operator} print"
        out.setdefault("business", biz)
        out.setdefault("name", person)
        how.setdefault("business", f"{where}, the first two lines on page {ca.page} ({rule})")
        how.setdefault("name", f"{where}, the first two lines on page {ca.page} ({rule})")


def _parties(doc: _Doc, r: Reading) -> None:
    heads = _party_captions(doc)
    stops = {id(c) for c, _h in heads}
    blocks: list[_Block] = []
    for c, h in heads:
        same_line = [d for d, _ in heads if d.page == c.page and d.frame == c.frame and d is not c
                     and abs(d.bottom - c.bottom) < 2.5 * c.size and d.x0 > c.x1]
        page = doc.page(c)
        bound = min([d.x0 - 1 for d in same_line] + [c.x0 + 0.45 * page.width])
        rows = _block_lines(doc, c, h, bound, stops)
        blocks.append(_Block(h.caption.key, rows, c))
        for row in rows:
            for d in row:
                doc.claimed.add(id(d))
        doc.claimed.add(id(c))
    # blocks with no caption: the lines above a city line
    for _key, row in sorted(doc.lines.items()):
        for c in row:
            if id(c) in doc.claimed or _city_line(doc, c.text) is None:
                continue
            rows = _walk_up(doc, c)
            if rows:
                blocks.append(_Block("unknown", rows, None))
                for rw in rows:
                    for d in rw:
                        doc.claimed.add(id(d))
    have = {b.owner for b in blocks}
    # "Exporter" is the sender only where no stronger caption names one
    for b in blocks:
        if b.owner == "exporter":
            b.owner = "other_party" if "sender" in have else "sender"
    unknown = [b for b in blocks if b.owner == "unknown" and b.lines]
    owners = {b.owner for b in blocks}
    free = [o for o in ("sender", "addressee") if o not in owners]
    if len(unknown) == 1 and len(free) == 1:
        unknown[0].owner = free[0]
    elif len(unknown) == 2 and free == ["sender", "addressee"]:
        a, b = sorted(unknown, key=lambda b: (b.lines[0][0].page, b.lines[0][0].top))
        sa = max(c.size for row in a.lines for c in row)
        sb = max(c.size for row in b.lines for c in row)
        if max(sa, sb) >= 1.15 * min(sa, sb):  # the addressee is printed larger
            a.owner, b.owner = ("sender", "addressee") if sb > sa else ("addressee", "sender")
        elif a.lines[0][0].frame == b.lines[0][0].frame and a.lines[0][0].page == b.lines[0][0].page:
            a.owner, b.owner = "sender", "addressee"  # the return address comes first
    elif len(unknown) >= 2 and len(free) == 1:
        # copies of one page (a label and its AWB copies): the same block printed again
        texts = {tuple(V.fold(c.text) for row in b.lines for c in row) for b in unknown}
        known = [b for b in blocks if b.owner in ("sender", "addressee") and b.head is not None]
        head = known[0].head if known else None
        same_page = [b for b in unknown if head is not None and b.lines[0][0].page == head.page]
        if len(texts) == 1:
            unknown[0].owner = free[0]
        elif len(same_page) == 1:
            same_page[0].owner = free[0]
    for owner in ("sender", "addressee"):
        mine = [b for b in blocks if b.owner == owner and b.lines]
        if not mine:
            continue
        if not mine:
            continue
        b = max(mine, key=lambda b: (any(_city_line(doc, c.text) for row in b.lines for c in row), len(b.lines),
                                     -b.lines[0][0].page))
        where = (f"the {owner}'s block under '{b.head.text.split(':')[0].strip()}'" if b.head is not None
                 else f"the {owner}'s address block")
        fields, how = _parse_block(doc, b.lines, where)
        unsure = fields.pop("_unsure", None)
        if unsure:
            r.notes.append(f"{owner}: name and company not taken: {unsure}")
        region_cc = fields.pop("_region_country", None)
        if region_cc and "country" not in fields:
            fields["_implied"] = region_cc
        _city_fits_country(doc, fields, how, r, owner)
        party = {k: v for k, v in fields.items() if not k.startswith("_")}
        if party:
            r.doc[owner] = party
            for k, v in how.items():
                r.found[f"{owner}.{k}"] = v
        if "_implied" in fields:
            r.doc.setdefault(owner, {})
            r.notes.append(f"{owner}: no country printed; {fields['_implied']} by the state or province and "
                           f"postcode on the city line")
            r.doc[owner]["country"] = fields["_implied"]
            r.found[f"{owner}.country"] = f"{where}: the region code and postcode of the city line"


def _city_fits_country(doc: _Doc, fields: dict[str, str], how: dict[str, str], r: Reading, owner: str) -> None:
    """A city line read by another country's pattern ("10504 New York New York" in the United
    States, "6105 PERTH QLD" in Australia) keeps its postcode when it has the country's form; its
    town is not taken (the state may be in it)."""
    cc, city, pc = fields.get("country"), fields.get("city"), fields.get("postcode")
    spec = doc.post.postcodes.get(cc or "")
    line = fields.get("_city_line", "")
    if not (spec and city and pc and line):
        return
    own = _city_by(doc, line, cc or "")
    if own is not None:  # read again by the country's own pattern ("6105 PERTH QLD" in Australia)
        fields["city"], fields["postcode"] = own[0], own[1]
        return
    town = _without_region(line, pc, cc or "")
    if town and re.fullmatch(spec["pattern"], pc):  # "10504 New York New York": the state's name dropped
        fields["city"] = town
        return
    got = _city_pattern(doc, line)
    ok_position = spec["position"] in ("any",) or (
        spec["position"] == "before" and line.strip().startswith(pc)) or (
        spec["position"] in ("after", "after_region") and line.strip().endswith(pc))
    if got is not None and ok_position and re.fullmatch(spec["pattern"], pc):
        return
    fields.pop("city", None)
    how.pop("city", None)
    if not re.fullmatch(spec["pattern"], pc):
        fields.pop("postcode", None)
        how.pop("postcode", None)
    r.notes.append(f"{owner}: the city line {line!r} is not in {cc}'s form; its town is not taken")


@lru_cache(maxsize=64)
def _regions(cc: str) -> tuple[str, ...]:
    """A country's states or provinces, names and codes, longest first (pycountry's ISO 3166-2)."""
    import pycountry

    names: set[str] = set()
    for sub in pycountry.subdivisions.get(country_code=cc) or ():
        names.add(V.fold(sub.name))
        names.add(V.fold(sub.code.split("-", 1)[1]))
    return tuple(sorted(names, key=len, reverse=True))


def _without_region(line: str, pc: str, cc: str) -> str | None:
    """The town of a postcode-first city line whose country writes the region after the town
    ("10504 New York New York" -> "New York"), or None when the line is not of that form."""
    t = " ".join(line.replace(",", " ").split())
    if not t.startswith(pc):
        return None
    rest = t[len(pc):].strip()
    folded = V.fold(rest)
    for region in _regions(cc):
        if folded.endswith(" " + region) and len(folded) > len(region) + 1:
            return rest[: len(rest) - len(region)].strip(" ,")
    return rest if rest and not any(folded == r for r in _regions(cc)) and _regions(cc) else None


def _walk_up(doc: _Doc, city: Cell) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[city]]
    top = city.top
    size = city.size
    keys = sorted((k for k in doc.lines if k[0] == city.page and k[1] < city.line), reverse=True)
    for k in keys:
        cands = [d for d in doc.lines[k] if d.frame == city.frame and abs(d.x0 - city.x0) <= 1.5 * size
                 and id(d) not in doc.claimed]
        allc = [d for d in doc.lines[k] if d.frame == city.frame and abs(d.x0 - city.x0) <= 1.5 * size]
        if not allc:
            if any(d.frame == city.frame and d.x0 <= city.x0 <= d.x1 for d in doc.lines[k]):
                break
            continue
        d = allc[0]
        if top - d.bottom > 1.9 * size:
            break
        if not cands or doc.m.is_caption(d.text) or doc.m.hit(d.text) is not None or d.text.endswith(":") \
                or _is_operator_name(doc, d.text) or _product(doc, d.text) is not None:
            break
        rows.insert(0, [d])
        top = d.top
        if len(rows) > 7:
            break
    # the country and telephone lines below the city line
    bottom = city.bottom
    for k in sorted(k for k in doc.lines if k[0] == city.page and k[1] > city.line):
        below = [d for d in doc.lines[k] if d.frame == city.frame and abs(d.x0 - city.x0) <= 1.5 * size
                 and id(d) not in doc.claimed]
        if not below:
            continue
        d = below[0]
        if d.top - bottom > 1.9 * size or doc.m.hit(d.text) is not None:
            break
        if country_of(d.text, doc.country_names) or _is_phone(d.text):
            rows.append([d])
            bottom = d.bottom
        else:
            break
    # "(US)" printed at the end of the city line
    row = doc.line_of(city)
    for d in row:
        if d.x0 > city.x1 and re.fullmatch(r"\([A-Z]{2}\)", d.text.strip()):
            rows.append([Cell(d.text.strip("() "), d.x0, d.x1, d.top, d.bottom, d.size, d.page, d.frame, d.line)])
            doc.claimed.add(id(d))
    return rows if len(rows) >= 2 else []


# -- 3. contents tables


@dataclass
class _Col:
    key: str
    x0: float
    x1: float
    text: str
    unit: str | None = None
    per_unit: bool = False
    total: bool = False
    currency: str | None = None


def _header_columns(doc: _Doc, cells: list[Cell]) -> list[_Col]:
    """Column captions in a header band: cells stacked in one column are joined ("Net Weight" over
    "(LBS / KGS)"); a cell holding two captions ("Net weight Unit value") is cut between them."""
    stacks: list[list[Cell]] = []
    for c in sorted(cells, key=lambda c: (c.top, c.x0)):
        for s in stacks:
            if min(s[-1].x1, c.x1) - max(s[-1].x0, c.x0) > 0.3 * min(c.x1 - c.x0, s[-1].x1 - s[-1].x0) and \
                    c.top - s[-1].bottom < 2.0 * c.size:
                s.append(c)
                break
        else:
            stacks.append([c])
    cols: list[_Col] = []
    for s in stacks:
        x0, x1 = min(c.x0 for c in s), max(c.x1 for c in s)
        joined = ""
        for c in s:  # "Country/" over "Terr. of MFR" is "Country/Terr. of MFR"
            joined = f"{joined}{c.text}" if joined.endswith(("/", "-")) else f"{joined} {c.text}".strip()
        parts = _split_captions(doc, joined)
        if not parts and len(s) > 1:  # a word broken over two lines without a hyphen ("Commo" / "dity Code")
            tight = s[0].text
            for c in s[1:]:
                tight += c.text if tight[-1:].isalpha() and c.text[:1].islower() else " " + c.text
            parts = _split_captions(doc, tight)
            if parts:
                joined = tight
        if not parts:  # a column postcheck does not read ("U/M"): it still bounds its neighbours
            cols.append(_Col("ignore", x0, x1, joined))
            continue
        # a cell holding two captions ("Net weight Unit value"): cut it in proportion to its text,
        # and give each part the stacked cells under it ("(kg)", "(EUR)")
        if len(parts) > 1:
            top = s[0]
            total = max(len(top.text), 1)
            starts, pos = [], 0
            for _key, text, _unit in parts:
                at = top.text.find(text.split()[0], pos) if text else -1
                at = max(at, pos)
                starts.append(top.x0 + (top.x1 - top.x0) * at / total)
                pos = at + 1
            here = []
            for i, (key, text, unit) in enumerate(parts):
                a = starts[i]
                b = starts[i + 1] - 1 if i + 1 < len(parts) else top.x1
                under = [c.text for c in s[1:] if a - 2 <= (c.x0 + c.x1) / 2 <= b + 2]
                here.append(_Col(key, a, b, " ".join([text] + under), unit))
            cols.extend(here)
        else:
            key, text, unit = parts[0]
            cols.append(_Col(key, x0, x1, joined, unit))
    for col in cols:
        f = V.fold(col.text)
        col.per_unit = bool(re.search(r"\bunit(aire)?\b|\bper unit\b|einzel|unitario|\beach\b", f)) and \
            not re.search(r"unit of measure|no\. of units|^units$", f)
        col.total = bool(re.search(r"\btotal|sub ?total|gesamt", f))
        m = re.search(r"\(([A-Z]{3})\)", col.text)
        if m and _is_currency(m.group(1)):
            col.currency = m.group(1)
        if col.unit is None:
            m = _UNIT_PAREN.search(col.text)
            units = re.findall(r"\b(lbs?|kgs?)\b", f)
            if m and len(set(u[0] for u in units)) <= 1:
                u = m.group(1).lower()
                col.unit = "kg" if u.startswith("kg") else "lb" if u.startswith("lb") else u
    return sorted(cols, key=lambda c: c.x0)


def _split_captions(doc: _Doc, text: str) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []
    rest = text.strip()
    for _ in range(8):
        if not rest:
            break
        first = doc.m._first(rest, ("column",))
        if first is None:
            # skip a word that is no caption ("Customs" over "Duty (EUR)")
            parts = rest.split(None, 1)
            if len(parts) < 2:
                break
            rest = parts[1]
            continue
        cap, after = first
        unit = None
        m = _UNIT_PAREN.match(after.strip())
        if m:
            unit = m.group(1).lower()
            unit = "kg" if unit.startswith("kg") else "lb" if unit.startswith("lb") else unit
        out.append((cap.key, cap.text + (" " + after.strip() if re.match(r"\s*\(", after) else ""), unit))
        rest = after.strip()
        rest = re.sub(r"^\([^)]*\)\s*", "", rest)
    return out


def _tables(doc: _Doc, r: Reading) -> None:
    items: list[dict[str, Any]] = []
    for page in doc.pages:
        header_rows = []
        keys = sorted(k for k in doc.lines if k[0] == page.number)
        for k in keys:
            row = doc.lines[k]
            size = max(c.size for c in row)
            # a header may be set on two or three lines: its captions are counted together
            near = [c for k2 in keys for c in doc.lines[k2] if c.frame == row[0].frame and
                    0 <= doc.lines[k2][0].bottom - row[0].bottom <= 1.2 * size]
            keys_here = set()
            for c in near:
                for key, _t, _u in _split_captions(doc, c.text):
                    keys_here.add(key)
            if "description" in keys_here and len(keys_here - {"ignore"}) >= 2:
                header_rows.append(k)
        for hk in header_rows[:1]:
            hrow = doc.lines[hk]
            size = max(c.size for c in hrow)
            band = [c for k in keys for c in doc.lines[k]
                    if c.frame == hrow[0].frame and -2.6 * size <= c.bottom - hrow[0].bottom <= 1.6 * size]
            band = [c for c in band if doc.m._first(c.text, ("column",)) is not None or
                    _UNIT_PAREN.search(c.text) or re.search(r"\([A-Z]{3}\)", c.text)
                    or (c.bottom > hrow[0].bottom - 0.5 * size and not re.search(r"[\d@]", c.text))]
            cols = [c for c in _header_columns(doc, band) if c.key != "ignore" or True]
            if len([c for c in cols if c.key != "ignore"]) < 3:
                continue
            for c in band:
                doc.header.add(id(c))
                doc.claimed.add(id(c))
            bottom = max(c.bottom for c in band)
            _rows(doc, page, cols, bottom, items, r)
    if items:
        r.doc["items"] = items
        r.found["items"] = f"the contents table ({len(items)} line{'s' if len(items) != 1 else ''})"
    else:
        _listed_contents(doc, r)


def _assign(cols: list[_Col], c: Cell) -> _Col | None:
    best, best_ov = None, 0.0
    bounds = []
    for i, col in enumerate(cols):
        lo = (cols[i - 1].x1 + col.x0) / 2 if i else -1e9
        hi = (col.x1 + cols[i + 1].x0) / 2 if i + 1 < len(cols) else 1e9
        bounds.append((lo, hi))
    for col, (lo, hi) in zip(cols, bounds):
        ov = min(hi, c.x1) - max(lo, c.x0)
        if ov > best_ov:
            best, best_ov = col, ov
    return best


def _rows(doc: _Doc, page: Page, cols: list[_Col], bottom: float, items: list[dict[str, Any]], r: Reading) -> None:
    """The contents lines under a header: one item a line with a description and a number; a line
    of text between them (a note, a description's second line) is passed over."""
    keys = sorted(k for k in doc.lines if k[0] == page.number)
    size = 0.0
    prev_bottom = bottom
    current: dict[str, list[str]] | None = None
    pending_hs: list[str] = []
    rows: list[tuple[dict[str, list[str]], Cell]] = []
    for k in keys:
        row = [c for c in doc.lines[k] if id(c) not in doc.header]
        if not row or min(c.top for c in row) <= bottom:
            continue
        size = size or max(c.size for c in row)
        if min(c.top for c in row) - prev_bottom > 6 * size:
            break
        first = row[0]
        h = doc.m.hit(first.text)
        if h is not None and not (h.caption.group == "column") and (h.caption.group in ("other", "field", "section")):
            _totals(doc, r, row, cols)
            break
        cells: dict[str, list[str]] = {}
        for c in row:
            col = _assign(cols, c)
            if col is not None:
                cells.setdefault(col.key + ("#t" if col.total else "#u" if col.per_unit else ""), []).append(c.text)
        has_desc = any(k.startswith("description") for k in cells)
        has_num = any(k.split("#")[0] in ("quantity", "net_weight", "value") for k in cells)
        hs = [t for key, texts in cells.items() if key.startswith("hs_code") for t in texts]
        tight = current is not None and min(c.top for c in row) - prev_bottom < 0.9 * size
        priced = any(k.split("#")[0] in ("quantity", "value") and any(_is_amount(t) for t in texts)
                     for k, texts in cells.items())
        if has_desc and tight and not priced and current is not None:
            # the second line of the line above ("Revenge of" / "Brook  0.700 kg  USD")
            for key, texts in cells.items():
                if key.startswith(("description", "hs_code")):
                    current.setdefault(key, []).extend(texts)
        elif has_desc and has_num:
            if pending_hs and current is None:  # a code set a little above its line ("IB:5109101110")
                cells.setdefault("hs_code", [])[:0] = pending_hs
            pending_hs = []
            current = cells
            rows.append((cells, first))
        elif not has_desc:
            # the second line of a line's cells (a gross weight, a currency code, the rest of an HS
            # code), or a code set above the next line: the numbers are not taken, the codes are
            if current is not None and hs and not pending_hs and min(c.top for c in row) - prev_bottom < 0.9 * size:
                current.setdefault("hs_code", []).extend(hs)
            elif hs:
                pending_hs, current = hs, None
        elif has_num:
            break
        # else: a line of text in the description column (a note, a description's second line): not taken
        prev_bottom = max(c.bottom for c in row)
    colmap = {c.key + ("#t" if c.total else "#u" if c.per_unit else ""): c for c in cols}
    for cells, first in rows:
        n = len(items)
        item = _item(doc, r, cells, colmap, n)
        if item:
            items.append(item)
            for c in doc.line_of(first):
                doc.claimed.add(id(c))


def _is_amount(text: str) -> bool:
    try:
        _amount(text)
    except ValueError:
        return False
    return True


def _item(doc: _Doc, r: Reading, cells: dict[str, list[str]], colmap: dict[str, _Col], n: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    desc = " ".join(cells.get("description", []) + cells.get("description#t", []) + cells.get("description#u", []))
    if not desc or doc.m.is_caption(desc):
        return {}
    item["description"] = desc
    q = None
    for key in ("quantity", "quantity#t", "quantity#u"):
        if key in cells:
            m = re.match(r"^(\d{1,6})(?:[.,]0+)?\s*(?:[a-z]{1,6})?\.?$", " ".join(cells[key]).strip(), re.I)
            if m:
                q = int(m.group(1))
                item["quantity"] = q
                r.found[f"items[{n}].quantity"] = "the contents table, quantity column"
            break
    for key, col in colmap.items():
        base = key.split("#")[0]
        texts = cells.get(key)
        if not texts:
            continue
        text = texts[0]
        if base == "net_weight" and "net_weight" not in item:
            try:
                w = _weight(text, col.unit or _table_unit(doc, col), prefix=True)
            except ValueError:
                r.refused[f"items[{n}].net_weight"] = f"{text!r} has no unit in its column"
                continue
            if col.per_unit:
                if q is None:
                    continue
                num, unit = w.split()
                w = f"{Decimal(num.replace(',', '.')) * q} {unit}"
            item["net_weight"] = w
        elif base == "value":
            try:
                amount, cur = _amount(text)
            except ValueError:
                continue
            cur = cur or col.currency
            if col.per_unit and not col.total:
                if any(k.startswith("value") and colmap[k].total for k in cells if k in colmap):
                    continue
                if q is None:
                    continue
                amount = f"{Decimal(amount) * q:f}"
            if "value" in item and not col.total:
                continue
            item["value"] = amount
            if cur:
                item["value_currency"] = cur
        elif base == "hs_code" and "hs_code" not in item:
            joined = "".join(t.strip() for t in texts)
            m = re.search(r"(?:IB:)?(\d{4}(?:\.?\d{2}){1,4}(?:\.\d{1,4})?)", joined)
            if m:
                item["hs_code"] = m.group(1)
        elif base == "origin_country" and "origin_country" not in item:
            code = country_of(text, doc.country_names)
            if code:
                item["origin_country"] = code
    cur = item.get("value_currency")
    if isinstance(cur, str):
        _currency(r, cur, "the contents table")
    return item


def _table_unit(doc: _Doc, col: _Col) -> str | None:
    """A weight column whose header leaves the unit open ("LBS / KGS"): the unit printed with the
    table's total weight below it."""
    units = set()
    for c in doc.cells:
        if id(c) in doc.header:
            continue
        m = re.fullmatch(r"\d+(?:[.,]\d+)?\s*(KGS?|LBS?|kgs?|lbs?)", c.text.strip())
        if m and c.x1 >= col.x0 - 20 and c.x0 <= col.x1 + 40:
            units.add("kg" if m.group(1).lower().startswith("kg") else "lb")
    return units.pop() if len(units) == 1 else None


def _totals(doc: _Doc, r: Reading, row: list[Cell], cols: list[_Col]) -> None:
    """The Total row under a contents table: the goods' total value when no caption gives one."""
    first = V.fold(row[0].text)
    if not first.startswith("total"):
        return
    for c in row[1:]:
        col = _assign(cols, c)
        if col is not None and col.key == "value" and (col.total or not any(x.total for x in cols if x.key == "value")):
            try:
                amount, cur = _amount(c.text)
            except ValueError:
                continue
            r.doc.setdefault("_table_total", (amount, cur or col.currency, c))
            doc.header.add(id(row[0]))  # the row's "Total Value" is the table's, not a field's caption


def _listed_contents(doc: _Doc, r: Reading) -> None:
    """Contents printed as numbered captions (``DESC1: Blue Jean Coat``) or ``Content : ...``."""
    items = []
    for c in doc.cells:
        m = re.fullmatch(r"(?:DESC\s*(\d)|Contents?|Inhalt|Contenu)\s*:\s*(.+)", c.text.strip(), re.I)
        if m and not doc.m.is_caption(m.group(2)):
            text = m.group(2).strip()
            if not m.group(1):  # "Contents: For testing" / "only. Please do not" / "ship"
                below = c
                for d in doc.below(c, depth=1.6):
                    if abs(d.x0 - below.x0) < c.size and d.top - below.bottom < 0.9 * c.size and \
                            doc.m.hit(d.text) is None and not doc.m.is_caption(d.text):
                        text += " " + d.text
                        below = d
            items.append({"description": text})
            doc.claimed.add(id(c))
    if not items:
        return
    for c in doc.cells:
        m = re.fullmatch(r"(?:CTRY/TERR MFR|COUNTRY OF MFR|CTRY MFR|COO)\s*:\s*((?:[A-Z]{2}\s*)+)", c.text.strip())
        if m:
            codes = m.group(1).split()
            if len(codes) == len(items):
                for it, code in zip(items, codes):
                    it["origin_country"] = code
            break
    r.doc["items"] = items
    r.found["items"] = f"contents printed as captioned lines ({len(items)})"


# -- 4. what is printed without a caption


def _uncaptioned(doc: _Doc, r: Reading) -> None:
    if "tracking_number" not in r.doc:
        found: dict[str, tuple[str, Cell]] = {}
        for row in doc.lines.values():
            texts = [(c.text, c) for c in row if id(c) not in doc.claimed]
            digits = [c for c in row if id(c) not in doc.claimed and re.fullmatch(r"[\d ]+", c.text)]
            if len(digits) > 1:
                texts.append((" ".join(c.text for c in digits), digits[0]))
            for text, c in texts:
                origin_fr = (r.doc.get("sender") or {}).get("country") == "FR"
                got = tracking.match(text, operator=doc.operator or ("la-poste" if origin_fr else None))
                if got:
                    found.setdefault(got[0], (got[1], c))
        if len(found) == 1:
            number, (fmt, c) = next(iter(found.items()))
            r.doc["tracking_number"] = number
            r.found["tracking_number"] = _where(c, f"printed without a caption, a {fmt} number with a valid check "
                                                   "digit" if fmt not in ("postnl", "colissimo") else
                                                f"printed without a caption, in the {fmt} format")
        elif len(found) > 1:
            r.refused["tracking_number"] = f"{len(found)} different identifiers printed without a caption " \
                                           f"({', '.join(list(found)[:3])})"
    if "gross_weight" not in r.doc and "gross_weight" not in r.refused:
        # a number with its unit printed just under it (Canada Post: "20.000" over "KG VE/EV")
        found_w = []
        for c in doc.cells:
            if id(c) in doc.claimed or not re.fullmatch(r"\d{1,4}[.,]\d{1,3}", c.text.strip()):
                continue
            under = [d for d in doc.below(c, depth=1.4) if d.x0 < c.x1 and d.x1 > c.x0]
            if under and re.match(r"(?i)(kgs?|lbs?)\b", under[0].text.strip()):
                u = "kg" if under[0].text.strip().lower().startswith("kg") else "lb"
                found_w.append((f"{c.text.strip()} {u}", c))
        if len(found_w) == 1:
            r.doc["gross_weight"], c = found_w[0]
            r.found["gross_weight"] = _where(c, "a number with its unit printed under it")
    if "dimensions" not in r.doc:
        for c in doc.cells:
            dims = _DIMS.match(c.text)
            if id(c) not in doc.claimed and dims is not None and dims.group(4):
                r.doc["dimensions"] = c.text.strip()
                r.found["dimensions"] = _where(c, "three lengths with a unit, printed without a caption")
                break
    if "service" not in r.doc:
        best: tuple[float, str, Cell, tuple[str, str, str, str]] | None = None
        tie = False
        for c in doc.cells:
            prod = _product(doc, c.text)
            if prod is None or (doc.operator and prod[2] != doc.operator):
                continue
            printed = _printed_name(re.sub(r"[™®©]", "", c.text))
            if best is None or c.size > best[0] + 0.5:
                best, tie = (c.size, printed, c, prod), False
            elif abs(c.size - best[0]) <= 0.5 and prod[0] != best[3][0]:
                tie = True
        if best is not None and not tie:
            r.doc["service"] = best[1]
            r.found["service"] = _where(best[2], f"the product name {best[1]!r}" +
                                        (f" (postcheck's product {best[3][3]})" if best[3][3] else
                                         " (postcheck bundles no tariff for it)"))
    total = r.doc.pop("_table_total", None)
    if total is not None and "total_value" not in r.doc:
        amount, cur, c = total
        r.doc["total_value"] = amount
        r.found["total_value"] = _where(c, "the Total row of the contents table")
        if cur:
            _currency(r, cur, r.found["total_value"])
    if "currency" not in r.doc and "currency" not in r.refused:
        codes = set()
        for c in doc.cells:
            for m in re.finditer(r"\(([A-Z]{3})\)", c.text):
                if _is_currency(m.group(1)):
                    codes.add(m.group(1))
        if len(codes) == 1 and any(k in r.doc for k in ("total_value", "postage_paid", "items")):
            r.doc["currency"] = codes.pop()
            r.found["currency"] = "the currency code in the amounts' column headers"


def _form_and_category(doc: _Doc, r: Reading) -> None:
    for c in doc.cells:
        f = V.fold(c.text)
        for form, names in doc.m.caps.forms.items():
            if any(re.search(rf"(?:^|\s){re.escape(n)}(?:$|\s)", f) for n in names):
                r.doc.setdefault("form", form)
                r.found.setdefault("form", _where(c, f"the form's name {c.text.strip()!r}"))
    if "category" in r.doc:
        return
    ticked: dict[str, Cell] = {}
    for c in doc.cells:
        text = c.text.strip()
        m = re.match(r"^(?:\[x\]|\(x\)|[xX☒✓✔■☑⊠])\s+(.+)$", text)
        body = m.group(1) if m else text
        cat = _category_word(doc, body) or _category_prefix(doc, body)
        if cat is None:
            continue
        if m:
            ticked[cat] = c
            continue
        left = [d for d in doc.line_of(c) if d.x1 <= c.x0 and c.x0 - d.x1 < 2.5 * c.size]
        if left and V.fold(left[-1].text) in _TICKS:
            ticked[cat] = c
    if len(ticked) == 1:
        cat, c = next(iter(ticked.items()))
        r.doc["category"] = cat
        r.found["category"] = _where(c, f"the ticked box {c.text.strip()!r}")
    elif len(ticked) > 1:
        r.refused["category"] = f"several boxes are ticked ({', '.join(sorted(ticked))})"


def _category_prefix(doc: _Doc, text: str) -> str | None:
    f = V.fold(text)
    for c in _category_captions(doc.m.caps):
        if _starts(f, c.folded) and len(f) - len(c.folded) < 30 and \
                re.fullmatch(r"[^:]*", f[len(c.folded):]):
            rest = f[len(c.folded):].strip(" ().\\/")
            if not rest or _category_word(doc, rest) == c.key or rest.startswith(("(", "veuillez", "explain")):
                return c.key
    return None


def _countries(doc: _Doc, r: Reading) -> None:
    """Origin and destination from the parties' countries; a domestic label's parties from the
    operator's country when the label prints none and the postcode has that country's form."""
    op = doc.post.operators.get(doc.operator or "", {})
    home = op.get("country")
    for owner in ("sender", "addressee"):
        party = r.doc.get(owner)
        if not isinstance(party, dict) or party.get("country") or not home:
            continue
        pc = party.get("postcode")
        spec = doc.post.postcodes.get(home)
        if pc and spec and re.fullmatch(spec["pattern"], pc):
            party["country"] = home
            r.found[f"{owner}.country"] = (f"no country printed: a domestic label of {doc.operator} "
                                           f"(postcode {pc} has {home}'s form)")
    for key, owner in (("origin", "sender"), ("destination", "addressee")):
        party = r.doc.get(owner)
        if key not in r.doc and isinstance(party, dict) and party.get("country"):
            r.doc[key] = party["country"]
            r.found[key] = f"the {owner}'s country ({r.found.get(owner + '.country', 'its address')})"


def _looked(doc: _Doc, r: Reading, pages: int) -> None:
    caps = doc.m.caps
    span = "page 1" if pages == 1 else f"pages 1-{pages}"

    def shown(group: str, keys: tuple[str, ...]) -> str:
        """Two captions of each language (the caption files hold the rest)."""
        per: dict[str, list[str]] = {}
        for c in caps.listed:
            if c.group == group and c.key in keys and len(per.setdefault(c.lang, [])) < 2 and c.text not in per[c.lang]:
                per[c.lang].append(c.text)
        texts = list(dict.fromkeys(t for ts in per.values() for t in ts))
        return ", ".join(repr(t) for t in texts) + ", ..."

    for key in ("service", "ship_date", "tracking_number", "gross_weight", "total_value", "postage_paid", "currency",
                "dimensions", "invoice_number", "category", "form", "origin", "destination", "packaging_weight",
                "comments", "explanation", "licence", "certificate", "zone"):
        keys = FALLBACKS.get(key, (key,))
        extra = {"service": "; and product names printed large (pdf/postal.toml)",
                 "tracking_number": "; and identifiers with a check digit printed without a caption",
                 "origin": "; and the sender's country", "destination": "; and the addressee's country",
                 "currency": "; and codes printed with the amounts",
                 "category": "; and ticked boxes beside the categories",
                 "form": "; the names CN 22, CN 23"}.get(key, "")
        r.looked[key] = f"captions {shown('field', keys)} on {span}{extra}"
    for owner in ("sender", "addressee"):
        r.looked[owner] = f"a block under {shown('section', (owner,))}, or the lines above a city line, on {span}"
    r.looked["items"] = f"a table under column captions {shown('column', ('description', 'quantity', 'net_weight'))}"
