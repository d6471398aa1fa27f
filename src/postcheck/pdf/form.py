"""Fillable forms (AcroForm): mapping profiles, reading a form into a label, filling a form.

A *mapping profile* is a small TOML file that says which form field holds which label field
(docs/pdf-profiles.md).  postcheck ships two, under ``postcheck/pdf/profiles/``: the hidden
fields of the labels it writes, and a generic fillable CN 23.  Users add their own in a folder
named by ``POSTCHECK_PDF_PROFILES`` or with ``--profile FILE``.  The loader is strict: an
unknown key or a label field that does not exist is an error naming file and key.

pypdf is imported only inside the functions that need it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from postcheck.errors import MISSING, DataFileError, LabelReadError
from postcheck.pdf.base import EMBEDDED_NAME, form_values, open_pdf, pypdf_config

__all__ = ["Profile", "ProfileError", "load_profile", "profiles", "match_profile", "form_to_dict",
           "label_to_fields", "PROFILES_DIR"]

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"

_LABEL = ("form", "service", "origin", "destination", "zone", "ship_date", "tracking_number", "category",
          "explanation", "invoice_number", "currency", "postage_paid", "packaging_weight", "gross_weight",
          "total_value", "dimensions", "measured_weight", "comments", "licence", "certificate")
_ADDRESS = ("name", "business", "street", "city", "postcode", "country", "phone", "email")
_ITEM = ("description", "quantity", "net_weight", "value", "value_currency", "hs_code", "origin_country")
#: How a value of each label field is read: weight, amount, country, date, int, identifier, text.
KINDS: dict[str, str] = {
    "postage_paid": "amount", "total_value": "amount", "packaging_weight": "weight", "gross_weight": "weight",
    "measured_weight": "weight", "origin": "country", "destination": "country", "ship_date": "date",
    "tracking_number": "identifier", "items.net_weight": "weight", "items.value": "amount",
    "items.quantity": "int", "items.origin_country": "country", "sender.country": "country",
    "addressee.country": "country", "currency": "code", "items.value_currency": "code",
}
LABEL_PATHS = frozenset(_LABEL) | {f"{s}.{a}" for s in ("sender", "addressee") for a in _ADDRESS}
_FIELD_KEYS = {"field", "unit", "kind", "lang"}
_TOP_KEYS = {"name", "description", "match", "fields", "items", "choices", "defaults", "constants"}


class ProfileError(DataFileError):
    """A mapping profile breaks the format: names the file and the key."""


@dataclass(frozen=True)
class FieldMap:
    field: str  # form field name ("{n}" is the contents line number in items)
    unit: str | None = None  # unit of a bare number (weights)
    kind: str | None = None
    lang: str = "en"  # dates: "fr" reads 01/03/2022 day first


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    path: str
    match: tuple[str, ...]
    fields: Mapping[str, FieldMap]
    items: Mapping[str, FieldMap] = field(default_factory=dict)
    items_first: int = 1
    items_max: int = 0
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)

    def item_field(self, key: str, n: int) -> str:
        return self.items[key].field.replace("{n}", str(n))


def _fieldmap(path: str, key: str, spec: Any) -> FieldMap:
    if isinstance(spec, str) and spec:
        return FieldMap(spec)
    if isinstance(spec, dict):
        unknown = set(spec) - _FIELD_KEYS
        if unknown:
            raise ProfileError(path, key, f"unknown key {sorted(unknown)[0]!r} "
                                          f"(allowed: {', '.join(sorted(_FIELD_KEYS))})")
        if not isinstance(spec.get("field"), str) or not spec["field"]:
            raise ProfileError(path, key, "needs 'field', the form field's name")
        unit = spec.get("unit")
        if unit is not None and unit not in ("g", "kg", "lb", "oz"):
            raise ProfileError(path, key, f"unit must be g, kg, lb or oz, got {unit!r}")
        lang = spec.get("lang", "en")
        if lang not in ("en", "fr"):
            raise ProfileError(path, key, f"lang must be en or fr, got {lang!r}")
        return FieldMap(spec["field"], unit, spec.get("kind"), lang)
    raise ProfileError(path, key, "a form field name, or a table with 'field' (and 'unit', 'lang')")


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate one profile file."""
    p = str(path)
    try:
        with open(p, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise ProfileError(p, "", f"cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(p, "", f"not valid TOML: {e}") from None
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise ProfileError(p, sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("name", "match", "fields"):
        if key not in doc:
            raise ProfileError(p, key, "required key is missing")
    if not isinstance(doc["match"], list) or not doc["match"] or not all(isinstance(m, str) for m in doc["match"]):
        raise ProfileError(p, "match", "a non-empty list of form field names that identify the form")
    fields: dict[str, FieldMap] = {}
    for k, spec in dict(doc["fields"]).items():
        if k not in LABEL_PATHS:
            raise ProfileError(p, f"fields.{k}", "not a label field (see 'postcheck schema')")
        fields[k] = _fieldmap(p, f"fields.{k}", spec)
    items: dict[str, FieldMap] = {}
    first, most = 1, 0
    if "items" in doc:
        it = doc["items"]
        extra = set(it) - {"first", "max", "fields"}
        if extra:
            raise ProfileError(p, f"items.{sorted(extra)[0]}", "unknown key (allowed: first, max, fields)")
        first, most = it.get("first", 1), it.get("max", 0)
        if not isinstance(first, int) or not isinstance(most, int) or most < 0:
            raise ProfileError(p, "items", "'first' and 'max' are whole numbers")
        for k, spec in dict(it.get("fields", {})).items():
            if k not in _ITEM:
                raise ProfileError(p, f"items.fields.{k}", f"not a contents-line field ({', '.join(_ITEM)})")
            items[k] = _fieldmap(p, f"items.fields.{k}", spec)
            if "{n}" not in items[k].field:
                raise ProfileError(p, f"items.fields.{k}", "needs {n} in the field name for the line number")
    choices: dict[str, dict[str, str]] = {}
    for k, opts in dict(doc.get("choices", {})).items():
        if k not in LABEL_PATHS:
            raise ProfileError(p, f"choices.{k}", "not a label field")
        if not isinstance(opts, dict) or not all(isinstance(v, str) for v in opts.values()):
            raise ProfileError(p, f"choices.{k}", "a table of value = checkbox field name")
        choices[k] = dict(opts)
    for table in ("defaults", "constants"):
        for k, v in dict(doc.get(table, {})).items():
            if k not in LABEL_PATHS:
                raise ProfileError(p, f"{table}.{k}", "not a label field")
            if not isinstance(v, str) or (table == "defaults" and v not in LABEL_PATHS):
                raise ProfileError(p, f"{table}.{k}", "a label field path" if table == "defaults" else "a text value")
    return Profile(name=str(doc["name"]), description=str(doc.get("description", "")), path=p,
                   match=tuple(doc["match"]), fields=fields, items=items, items_first=first, items_max=most,
                   choices=choices, defaults=dict(doc.get("defaults", {})), constants=dict(doc.get("constants", {})))


@lru_cache(maxsize=8)
def _profiles_in(folder: str, stamp: float) -> tuple[Profile, ...]:
    return tuple(load_profile(f) for f in sorted(Path(folder).glob("*.toml")))


def profiles(extra: Iterable[str | os.PathLike[str]] = ()) -> list[Profile]:
    """User profiles (``extra`` files, then ``POSTCHECK_PDF_PROFILES`` folders) before the bundled ones."""
    out = [load_profile(p) for p in extra]
    for folder in filter(None, os.environ.get("POSTCHECK_PDF_PROFILES", "").split(os.pathsep)):
        d = Path(folder)
        if not d.is_dir():
            raise ProfileError(folder, "", "POSTCHECK_PDF_PROFILES names a folder that does not exist")
        out.extend(_profiles_in(str(d), d.stat().st_mtime))
    out.extend(_profiles_in(str(PROFILES_DIR), 0.0))
    return out


@lru_cache(maxsize=1)
def postcheck_profile() -> Profile:
    return load_profile(PROFILES_DIR / "postcheck-cn23.toml")


def match_profile(names: Iterable[str], candidates: list[Profile]) -> Profile | None:
    """The first profile whose ``match`` fields all exist in the form."""
    have = set(names)
    for p in candidates:
        if all(m in have for m in p.match):
            return p
    return None


# ---------------------------------------------------------------------------- reading

def _convert(kind: str, raw: str, fm: FieldMap, currencies: list[str]) -> Any:
    """A form value read as the label field's kind (the same reading as printed text)."""
    from postcheck.pdf.text import captions, convert

    return convert(kind, raw, fm.unit, fm.lang, captions(), currencies)


def _on(value: Any) -> bool:
    s = str(value).lstrip("/").strip().lower()
    return s not in ("", "off", "no", "false", "0", "none")


def form_to_dict(form: Mapping[str, Any], profile: Profile, *, where: str
                 ) -> tuple[dict[str, Any], list[tuple[str, object, str]], dict[str, str]]:
    """A form's field values (name -> value) read through ``profile``.

    Returns ``(label dict, problems, looked)``: ``problems`` lists values that could not be read,
    as ``(label path, value, expected)`` naming the form field; ``looked`` says, for every label
    field, where the profile looked for it (used to explain a missing value).
    """
    doc: dict[str, Any] = {}
    problems: list[tuple[str, object, str]] = []
    looked: dict[str, str] = {}
    currencies: list[str] = []

    def put(path: str, value: Any) -> None:
        if "." in path:
            head, tail = path.split(".", 1)
            doc.setdefault(head, {})[tail] = value
        else:
            doc[path] = value

    for path, fm in profile.fields.items():
        looked[path] = f"form field {fm.field!r} ({where}, profile {profile.name})"
        raw = form.get(fm.field)
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()
        kind = fm.kind or KINDS.get(path, "text")
        try:
            put(path, _convert(kind, raw, fm, currencies))
        except ValueError as e:
            problems.append((path, raw, f"{e} (form field {fm.field!r}, profile {profile.name})"))
    for path, opts in profile.choices.items():
        ticked = [v for v, name in opts.items() if _on(form.get(name, ""))]
        looked.setdefault(path, f"check boxes {', '.join(repr(n) for n in opts.values())} ({where}, "
                                f"profile {profile.name})")
        if len(ticked) == 1:
            put(path, ticked[0])
        elif len(ticked) > 1:
            problems.append((path, ticked, f"one ticked box, not {len(ticked)} (profile {profile.name})"))
    for path, value in profile.constants.items():
        put(path, value)
    items: list[dict[str, Any]] = []
    if profile.items:
        for n in range(profile.items_first, profile.items_first + profile.items_max):
            row: dict[str, Any] = {}
            for key, fm in profile.items.items():
                name = profile.item_field(key, n)
                raw = form.get(name)
                if raw is None or str(raw).strip() == "":
                    continue
                kind = fm.kind or KINDS.get(f"items.{key}", "text")
                try:
                    row[key] = _convert(kind, str(raw).strip(), fm, currencies)
                except ValueError as e:
                    problems.append((f"items[{len(items)}].{key}", str(raw).strip(),
                                     f"{e} (form field {name!r}, profile {profile.name})"))
                    row[key] = MISSING
            if not row:
                if ("description" in profile.items and profile.item_field("description", n) not in form):
                    break  # the form has no more lines
                continue
            items.append({k: v for k, v in row.items() if v is not MISSING})
        for key, fm in profile.items.items():
            looked[f"items.{key}"] = (f"form fields {fm.field.replace('{n}', str(profile.items_first))}, ... "
                                      f"({where}, profile {profile.name})")
    if items:
        doc["items"] = items
    for path, source in profile.defaults.items():
        if _get(doc, path) is None and _get(doc, source) is not None:
            put(path, _get(doc, source))
        looked.setdefault(path, looked.get(source, "") + f" (as {source})")
    if "currency" not in doc and currencies:
        doc["currency"] = currencies[0]
    return doc, problems, looked


def _get(doc: Mapping[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, Mapping) else None
    return cur


# ---------------------------------------------------------------------------- writing

def label_to_fields(label: Any, profile: Profile) -> dict[str, str]:
    """The form field values that say ``label`` through ``profile`` (text fields only; the
    profile's choices are returned as ``{checkbox name: True/False}`` under ``"__choices__"``
    by :func:`label_to_choices`)."""
    doc = label.to_dict()
    out: dict[str, str] = {}
    for path, fm in profile.fields.items():
        v = _get(doc, path)
        if v is None:
            continue
        if fm.unit and KINDS.get(path) == "weight":
            v = _weight_in(getattr(label, path), fm.unit)
        out[fm.field] = str(v)
    if profile.items:
        for i, item in enumerate(label.items[: profile.items_max]):
            d = item.model_dump(mode="json", exclude_none=True)
            for key, fm in profile.items.items():
                v = d.get(key)
                if v is None:
                    continue
                if fm.unit and key == "net_weight":
                    v = _weight_in(item.net_weight, fm.unit)
                out[profile.item_field(key, profile.items_first + i)] = str(v)
    return out


def label_to_choices(label: Any, profile: Profile) -> dict[str, bool]:
    doc = label.to_dict()
    out: dict[str, bool] = {}
    for path, opts in profile.choices.items():
        v = _get(doc, path)
        for value, name in opts.items():
            out[name] = value == v
    return out


def _weight_in(grams: Any, unit: str) -> str:
    from postcheck.units import grams_to

    d = grams_to(grams, unit)
    s = f"{d.normalize():f}"
    if unit == "kg" and "." in s and len(s.split(".")[1]) < 3:
        s = f"{d:.3f}"
    return s


# ---------------------------------------------------------------------------- filling a user's form

def fill_form(data: bytes, label: Any, *, source: str, extra_profiles: Iterable[str | os.PathLike[str]] = ()) -> bytes:
    """A copy of the fillable form ``data`` with ``label``'s values in the fields its profile
    names; layout untouched, the corrected label embedded (so reading it back is lossless)."""
    import io

    import pypdf
    from pypdf.generic import NameObject, TextStringObject

    with pypdf.apply_configuration(pypdf_config()):
        reader = open_pdf(data, source)
        names = form_values(reader)
        if not names:
            raise LabelReadError(source, "has no form fields: --in-place-form fills a fillable form; "
                                         "drop the option to write postcheck's own CN 23")
        prof = match_profile(names, profiles(extra_profiles))
        if prof is None:
            raise LabelReadError(source, "no mapping profile reads this form, so postcheck cannot tell which "
                                         "field is which (docs/pdf-profiles.md explains how to write one)")
        if prof.items and len(label.items) > prof.items_max:
            raise LabelReadError(source, f"the form has {prof.items_max} contents lines and the label "
                                         f"{len(label.items)}; drop --in-place-form to write a CN 23 with "
                                         "continuation pages")
        values = label_to_fields(label, prof)
        ticks = label_to_choices(label, prof)
        writer = pypdf.PdfWriter(clone_from=reader)
        for page in writer.pages:
            for annot in page.get("/Annots", []) or []:
                w = annot.get_object()
                name = w.get("/T")
                parent = w.get("/Parent")
                if name is None and parent is not None:
                    name = parent.get_object().get("/T")
                    target = parent.get_object()
                else:
                    target = w
                if name is None:
                    continue
                name = str(name)
                if name in values:
                    target[NameObject("/V")] = TextStringObject(values[name])
                    if "/AP" in w:
                        del w["/AP"]  # the viewer redraws it (NeedAppearances)
                elif name in ticks:
                    on = next((k for k in w.get("/AP", {}).get("/N", {}) if k != "/Off"), "/Yes")
                    state = NameObject(on if ticks[name] else "/Off")
                    target[NameObject("/V")] = state
                    w[NameObject("/AS")] = state
        writer.set_need_appearances_writer(True)
        root: Any = writer.root_object
        if "/Names" in root and "/EmbeddedFiles" in root["/Names"]:
            del root["/Names"][NameObject("/EmbeddedFiles")]
        writer.add_attachment(EMBEDDED_NAME, label.to_json(indent=None).encode("utf-8"))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
