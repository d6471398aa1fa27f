"""Caption sets: the printed captions of labels, customs forms and invoices, as data.

The caption sets are ``postcheck/pdf/captions/*.toml`` plus files in the folders named by
``POSTCHECK_PDF_CAPTIONS`` (docs/pdf-profiles.md describes the format).  The layout reader
(:mod:`postcheck.pdf.reader`) matches them against cells of text; the form reader
(:mod:`postcheck.pdf.form`) reads form values with :func:`convert`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from postcheck.errors import DataFileError
from postcheck.pdf import values as V

__all__ = ["Caption", "Captions", "captions", "convert", "CaptionError"]

CAPTIONS_DIR = Path(__file__).resolve().parent / "captions"


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


# ---------------------------------------------------------------------------- values


def _starts(folded: str, cap: str) -> bool:
    if not folded.startswith(cap):
        return False
    n = len(cap)
    return n == len(folded) or not (folded[n].isalnum() and cap[-1:].isalnum())


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
