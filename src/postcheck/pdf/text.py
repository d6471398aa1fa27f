"""Read a label from a PDF's text layer by its printed captions (English and French).

The caption sets are data (``postcheck/pdf/captions/*.toml``, plus files in the folders named by
``POSTCHECK_PDF_CAPTIONS``).  The page's text is taken as positioned pieces (what one drawing
operation printed); a piece that starts with a caption gives its value after a ":" or "/", or
the piece to its right on the same line, or the one just below.  The contents lines are read
from a table under a header of column captions.  A value that cannot be read is a problem that
names the field and the page; a field that is not printed at all is listed with the captions
looked for, so a user can add their operator's wording.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from postcheck.errors import DataFileError
from postcheck.pdf import values as V

__all__ = ["Captions", "captions", "Piece", "pieces_from_page", "text_to_dict", "CaptionError"]

CAPTIONS_DIR = Path(__file__).resolve().parent / "captions"
MAX_PIECES = 20_000  # per document: a label has a few hundred


class CaptionError(DataFileError):
    """A caption file breaks the format: names the file and the key."""


@dataclass(frozen=True)
class Caption:
    group: str  # field, section, address, column, other, category
    key: str  # label path, section name, address key, column key, category
    lang: str
    text: str
    folded: str
    kind: str


@dataclass
class Captions:
    entries: list[Caption] = field(default_factory=list)  # longest first, for matching
    listed: list[Caption] = field(default_factory=list)  # in file order, for messages
    forms: dict[str, list[str]] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    empty: set[str] = field(default_factory=set)
    months: dict[str, list[str]] = field(default_factory=dict)

    def of(self, group: str, key: str) -> list[Caption]:
        return [c for c in self.entries if c.group == group and c.key == key]

    def starting_with(self, first: str) -> list[Caption]:
        """Captions whose folded text starts with ``first`` (longest first): matching a piece
        of text tries these only, not every caption."""
        index = self.__dict__.get("_by_first")
        if index is None:
            index = {}
            for c in self.entries:
                index.setdefault(c.folded[:1], []).append(c)
            self.__dict__["_by_first"] = index
        return index.get(first, [])


_GROUPS = {"fields": "field", "sections": "section", "address": "address", "columns": "column",
           "categories": "category"}
_TOP = set(_GROUPS) | {"languages", "other", "forms", "services", "countries", "empty", "months"}


def _load_into(caps: Captions, path: Path) -> None:
    p = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CaptionError(p, "", f"cannot read: {e}") from None
    unknown = set(doc) - _TOP
    if unknown:
        raise CaptionError(p, sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(_TOP))})")
    for table, group in _GROUPS.items():
        for key, spec in dict(doc.get(table, {})).items():
            if not isinstance(spec, dict):
                raise CaptionError(p, f"{table}.{key}", "a table with 'kind' and caption lists per language")
            kind = spec.get("kind", "text")
            for lang, texts in spec.items():
                if lang == "kind":
                    continue
                if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
                    raise CaptionError(p, f"{table}.{key}.{lang}", "a list of captions")
                caps.entries.extend(Caption(group, key, lang, t, V.fold(t), kind) for t in texts)
    for lang, texts in dict(doc.get("other", {})).items():
        caps.entries.extend(Caption("other", "", lang, t, V.fold(t), "text") for t in texts)
    for form, texts in dict(doc.get("forms", {})).items():
        caps.forms.setdefault(form, []).extend(V.fold(t) for t in texts)
    caps.services.update({V.fold(k): v for k, v in dict(doc.get("services", {})).items()})
    caps.countries.update(dict(doc.get("countries", {})))
    caps.empty.update(V.fold(v) for v in dict(doc.get("empty", {})).get("values", []))
    for lang, names in dict(doc.get("months", {})).items():
        if not isinstance(names, list) or len(names) != 12:
            raise CaptionError(p, f"months.{lang}", "twelve month names")
        caps.months[lang] = names


@lru_cache(maxsize=4)
def _captions(extra: tuple[str, ...]) -> Captions:
    caps = Captions()
    files = sorted(CAPTIONS_DIR.glob("*.toml"))
    for folder in extra:
        d = Path(folder)
        if not d.is_dir():
            raise CaptionError(folder, "", "POSTCHECK_PDF_CAPTIONS names a folder that does not exist")
        files.extend(sorted(d.glob("*.toml")))
    for f in files:
        _load_into(caps, f)
    caps.listed = list(caps.entries)
    caps.entries.sort(key=lambda c: len(c.folded), reverse=True)
    return caps


def captions() -> Captions:
    """The bundled caption sets plus those in ``POSTCHECK_PDF_CAPTIONS`` folders."""
    extra = tuple(filter(None, os.environ.get("POSTCHECK_PDF_CAPTIONS", "").split(os.pathsep)))
    return _captions(extra)


# ---------------------------------------------------------------------------- pieces of text

@dataclass
class Piece:
    text: str
    x: float
    y: float
    size: float
    page: int
    used: bool = False


def pieces_from_page(page: Any, number: int, out: list[Piece]) -> None:
    """Append the positioned text pieces of a pypdf page to ``out``."""

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        t = text.strip()
        if not t:
            return
        if len(out) >= MAX_PIECES:
            raise OverflowError("more text than a label has")
        a, b, c, d, e, f = tm
        x = e * cm[0] + f * cm[2] + cm[4]
        y = e * cm[1] + f * cm[3] + cm[5]
        scale = abs(a * cm[0] + b * cm[2]) or abs(c * cm[1] + d * cm[3]) or 1.0
        for i, line in enumerate(t.split("\n")):
            if line.strip():
                out.append(Piece(line.strip(), x, y - i * size * scale * 1.2, (size or 1.0) * scale, number))

    page.extract_text(visitor_text=visit)


_BOXNO = re.compile(r"^\(?\d{1,2}\)?[.)]?\s+")


def _fold_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of its original character."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text.replace("’", "'").replace("‘", "'")):
        if ch.isspace() or ch in "\u00a0\u202f":
            if out and out[-1] != " ":
                out.append(" ")
                idx.append(i)
            continue
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(c):
                continue
            for cc in c.casefold():
                out.append(cc)
                idx.append(i)
    return "".join(out), idx


@dataclass
class Match:
    caption: Caption
    piece: Piece
    rest: str  # original text after the caption(s) and separators
    unit: str | None


_UNIT_IN = re.compile(r"^\(\s*(kg|g|lb|oz)\s*\)", re.IGNORECASE)
_SEP = " \t:/|"


def match(piece: Piece, caps: Captions) -> Match | None:
    """The longest caption at the start of ``piece`` (after a box number), with what follows it."""
    text = _BOXNO.sub("", piece.text, count=1)
    folded, idx = _fold_map(text)
    for cap in caps.starting_with(folded[:1]):
        if _starts(folded, cap.folded):
            rest, unit = _after(text, folded, idx, len(cap.folded), caps, cap)
            return Match(cap, piece, rest, unit)
    return None


def _starts(folded: str, cap: str) -> bool:
    if not folded.startswith(cap):
        return False
    n = len(cap)
    return n == len(folded) or not (folded[n].isalnum() and cap[-1:].isalnum())


def _after(text: str, folded: str, idx: list[int], n: int, caps: Captions, cap: Caption) -> tuple[str, str | None]:
    start = idx[n] if n < len(idx) else len(text)
    rest = text[start:]
    unit = None
    same = [c for c in caps.entries if c.group == cap.group and c.key == cap.key]
    for _ in range(6):
        before = rest
        rest = rest.lstrip(_SEP)
        m = _UNIT_IN.match(rest)
        if m:
            unit = m.group(1).lower()
            rest = rest[m.end():]
        rest = _BOXNO.sub("", rest, count=1) if rest[:1] == "(" and _BOXNO.match(rest) else rest
        f2, i2 = _fold_map(rest)
        for c in same:
            if _starts(f2, c.folded):
                rest = rest[i2[len(c.folded)] if len(c.folded) < len(i2) else len(rest):]
                break
        if rest == before:
            break
    return rest.strip(), unit


# ---------------------------------------------------------------------------- reading

@dataclass
class _Doc:
    pieces: list[Piece]
    caps: Captions
    matches: dict[int, Match | None] = field(default_factory=dict)

    def m(self, p: Piece) -> Match | None:
        key = id(p)
        if key not in self.matches:
            self.matches[key] = match(p, self.caps)
        return self.matches[key]


def _right(doc: _Doc, p: Piece) -> Piece | None:
    tol = p.size * 0.45
    same = [q for q in doc.pieces if q.page == p.page and q is not p and abs(q.y - p.y) <= tol and q.x > p.x]
    return min(same, key=lambda q: q.x) if same else None


def _below(doc: _Doc, p: Piece) -> Piece | None:
    near = [q for q in doc.pieces if q.page == p.page and q is not p and 0 < p.y - q.y <= p.size * 2.6
            and abs(q.x - p.x) <= p.size * 1.5]
    return min(near, key=lambda q: (p.y - q.y, abs(q.x - p.x))) if near else None


def _value(doc: _Doc, m: Match) -> tuple[str | None, Piece | None]:
    if m.rest:
        return m.rest, m.piece
    for q in (_right(doc, m.piece), _below(doc, m.piece)):
        if q is None:
            continue
        qm = doc.m(q)
        if qm is not None and qm.caption.group in ("field", "section", "address", "column", "other"):
            continue
        return q.text, q
    return None, None


def _empty(text: str | None, caps: Captions) -> bool:
    return text is None or V.fold(text) in caps.empty or not text.strip()


def convert(kind: str, text: str, unit: str | None, lang: str, caps: Captions, currencies: list[str]) -> Any:
    """Read ``text`` as a value of ``kind`` (weight, amount, country, date, ...); ValueError if it is not."""
    if kind == "weight":
        return V.weight(text, unit=unit)
    if kind == "amount":
        value, cur = V.amount(text)
        if cur:
            currencies.append(cur)
        return value
    if kind == "country":
        return V.country(text, names=caps.countries)
    if kind == "date":
        return V.date(text, lang=lang, months=caps.months)
    if kind == "int":
        return V.quantity(text)
    if kind == "identifier":
        return V.identifier(text)
    if kind == "currency":
        t = text.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", t):
            raise ValueError("an ISO 4217 currency code such as CAD")
        return t
    if kind == "service":
        return caps.services.get(V.fold(text), text.strip())
    if kind == "category":
        f = V.fold(text)
        for c in caps.entries:
            if c.group == "category" and (f == c.folded or _starts(f, c.folded)):
                return c.key
        raise ValueError("a category: " + ", ".join(dict.fromkeys(c.text for c in caps.entries
                                                                   if c.group == "category" and c.lang == "en")))
    if kind == "dimensions":
        return text.strip().replace(",", ".")
    return text.strip()


def _looked(caps: Captions, group: str, key: str, pages: int, extra: str = "") -> str:
    texts = list(dict.fromkeys(c.text for c in caps.listed if c.group == group and c.key == key))
    shown = ", ".join(repr(t) for t in texts[:6]) + (", ..." if len(texts) > 6 else "")
    span = "page 1" if pages == 1 else f"pages 1-{pages}"
    return f"captions {shown} on {span} of the text layer{extra}"


_TICK = {"x", "☒", "✓", "✔", "■", "[x]", "(x)"}


def text_to_dict(pieces: list[Piece], pages: int, *, where: str
                 ) -> tuple[dict[str, Any], list[tuple[str, object, str]], dict[str, str]]:
    """Label dict, problems and where each field was looked for (see :func:`postcheck.pdf.form.form_to_dict`)."""
    caps = captions()
    pieces.sort(key=lambda p: (p.page, -p.y, p.x))
    doc = _Doc(pieces, caps)
    out: dict[str, Any] = {}
    problems: list[tuple[str, object, str]] = []
    looked: dict[str, str] = {}
    currencies: list[str] = []
    sections: list[tuple[str, Piece]] = []
    address_hits: list[Match] = []
    category_pieces: list[Match] = []

    for p in pieces:
        m = doc.m(p)
        if m is None:
            continue
        g = m.caption.group
        if g == "section" and not m.rest:
            sections.append((m.caption.key, p))
        elif g == "address":
            address_hits.append(m)
        elif g == "category":
            category_pieces.append(m)
        elif g == "field" and m.caption.key not in out and m.caption.key not in {pr[0] for pr in problems}:
            text, _src = _value(doc, m)
            if _empty(text, caps):
                continue
            assert text is not None
            try:
                out[m.caption.key] = convert(m.caption.kind, text, m.unit, m.caption.lang, caps, currencies)
            except ValueError as e:
                problems.append((m.caption.key, text, f"{e} (printed after {m.caption.text!r} on page {p.page})"))
    for key in ("service", "ship_date", "tracking_number", "origin", "destination", "currency", "zone",
                "gross_weight", "packaging_weight", "total_value", "postage_paid", "dimensions", "category",
                "explanation", "comments", "licence", "certificate", "invoice_number"):
        looked[key] = _looked(caps, "field", key, pages)
    # the form: CN 23 / CN 22 anywhere in the text
    for p in pieces:
        f = V.fold(p.text)
        hit = next((form for form, names in caps.forms.items() if any(re.search(rf"\b{re.escape(n)}\b", f)
                                                                         for n in names)), None)
        if hit:
            out["form"] = hit
            break
    # category as ticked boxes
    ticked = []
    if len(category_pieces) >= 3:
        out.pop("category", None)
        for m in category_pieces:
            left = [q for q in pieces if q.page == m.piece.page and abs(q.y - m.piece.y) <= m.piece.size * 0.6
                    and 0 < m.piece.x - q.x <= m.piece.size * 3]
            if any(V.fold(q.text) in _TICK for q in left) or V.fold(m.piece.text)[:3] in ("[x]", "(x)"):
                ticked.append(m.caption.key)
        if len(set(ticked)) == 1:
            out["category"] = ticked[0]
        elif len(set(ticked)) > 1:
            problems.append(("category", sorted(set(ticked)), "one ticked category box"))
    # sender and addressee
    for m in address_hits:
        owner = _section_of(m.piece, sections)
        if owner is None:
            continue
        key = f"{owner}.{m.caption.key}"
        sub = out.setdefault(owner, {})
        if m.caption.key in sub:
            continue
        text, _src = _value(doc, m)
        if _empty(text, caps):
            continue
        assert text is not None
        try:
            sub[m.caption.key] = convert(m.caption.kind, text, None, m.caption.lang, caps, currencies)
        except ValueError as e:
            problems.append((key, text, f"{e} (printed after {m.caption.text!r} on page {m.piece.page})"))
    for owner in ("sender", "addressee"):
        looked[f"{owner}.country"] = _looked(caps, "address", "country", pages,
                                             f", under {_looked(caps, 'section', owner, pages).split(' on ')[0]}")
    for key, owner in (("origin", "sender"), ("destination", "addressee")):
        if key not in out and isinstance(out.get(owner), dict) and out[owner].get("country"):
            out[key] = out[owner]["country"]
        looked[key] += f"; or the {owner}'s country ({looked[owner + '.country']})"
    # contents table
    items, item_problems = _table(doc, pieces, currencies)
    problems.extend(item_problems)
    if items:
        out["items"] = items
    for key in ("description", "quantity", "net_weight", "value", "hs_code", "origin_country"):
        looked[f"items.{key}"] = _looked(caps, "column", key, pages, " (a column of the contents table)")
    if "currency" not in out:
        if currencies and len(set(currencies)) == 1:
            out["currency"] = currencies[0]
        elif len(set(currencies)) > 1:
            problems.append(("currency", sorted(set(currencies)), "one currency for the label (print it after "
                                                                  "'Currency' / 'Devise')"))
        looked["currency"] += "; and currency codes printed with the amounts"
    return out, problems, looked


def _section_of(p: Piece, sections: list[tuple[str, Piece]]) -> str | None:
    cands = [(name, s) for name, s in sections if s.page == p.page and s.y > p.y and s.x <= p.x + p.size * 0.5]
    if not cands:
        return None
    best = max(cands, key=lambda ns: (ns[1].x, -(ns[1].y - p.y)))
    return best[0]


def _table(doc: _Doc, pieces: list[Piece], currencies: list[str]) -> tuple[list[dict[str, Any]], list]:
    """Contents lines under every header of column captions (one per page at most)."""
    caps = doc.caps
    items: list[dict[str, Any]] = []
    problems: list[tuple[str, object, str]] = []
    pages = sorted({p.page for p in pieces})
    for page in pages:
        heads = [(doc.m(p), p) for p in pieces if p.page == page]
        heads = [(m, p) for m, p in heads if m is not None and m.caption.group == "column"]
        if not heads:
            continue
        top = heads[0][1].y
        band = [(m, p) for m, p in heads if top - p.y <= p.size * 4]
        cols: dict[str, dict[str, Any]] = {}
        for m, p in band:
            c = cols.setdefault(m.caption.key, {"x": p.x, "unit": None, "lang": m.caption.lang})
            c["x"] = min(c["x"], p.x)
            c["unit"] = c["unit"] or m.unit or _unit_in(p.text)
        if len(cols) < 3 or "description" not in cols:
            continue
        bottom = min(p.y for _m, p in band)
        order = sorted(cols.items(), key=lambda kv: kv[1]["x"])
        size = max(p.size for _m, p in band)
        body = [p for p in pieces if p.page == page and p.y < bottom - size * 0.3]
        lines: list[list[Piece]] = []
        for p in body:
            if lines and abs(lines[-1][0].y - p.y) <= p.size * 0.45:
                lines[-1].append(p)
            else:
                lines.append([p])
        last_y = bottom
        for line in lines:
            if last_y - line[0].y > size * 5:
                break
            cells: dict[str, list[str]] = {}
            for p in sorted(line, key=lambda q: q.x):
                col = None
                for key, c in order:
                    if c["x"] <= p.x + p.size * 0.8:
                        col = key
                cells.setdefault(col or order[0][0], []).append(p.text)
            row = {k: " ".join(v) for k, v in cells.items()}
            first = doc.m(sorted(line, key=lambda q: q.x)[0])
            is_caption = first is not None and first.caption.group in ("field", "other", "section", "column",
                                                                           "category", "address")
            if ("description" not in row or not ({"net_weight", "value"} & set(row))
                    or (is_caption and len(row) < 3)):
                break
            last_y = line[0].y
            n = len(items)
            item: dict[str, Any] = {}
            for key, text in row.items():
                if _empty(text, caps) and key != "description":
                    continue
                kind = {"description": "text", "quantity": "int", "net_weight": "weight", "value": "amount",
                        "hs_code": "text", "origin_country": "country"}[key]
                try:
                    if key == "value":
                        value, cur = V.amount(text)
                        item["value"] = value
                        if cur:
                            item["value_currency"] = cur
                    else:
                        item[key] = convert(kind, text, cols[key]["unit"], cols[key]["lang"], caps, [])
                except ValueError as e:
                    problems.append((f"items[{n}].{key}", text, f"{e} (contents line {n + 1}, page {page})"))
            items.append(item)
    return items, problems


def _unit_in(text: str) -> str | None:
    m = re.search(r"\((kg|g|lb|oz)\)", text, re.IGNORECASE)
    return m.group(1).lower() if m else None
