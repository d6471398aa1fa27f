"""Read a label from a PDF (pypdf), by the first of three paths that applies:

1. **Embedded label**: the ``postcheck-label.json`` file postcheck embeds in what it writes
   (lossless, and the fast path: no page is parsed).
2. **Fillable form**: the AcroForm fields, through the first mapping profile whose ``match``
   fields the form has (:mod:`postcheck.pdf.form`).
3. **Text layer**: words with their positions (:mod:`postcheck.pdf.layout`), read by the layout
   reader (:mod:`postcheck.pdf.reader`): captions in six languages, address blocks, contents
   tables, product names and identifiers of known formats; first pages only.

:func:`read_pdf` returns what it read even when required fields are missing (``PdfLabel.doc``,
``PdfLabel.missing``); :func:`read_label_pdf` raises :class:`~postcheck.errors.InvalidLabel` then,
naming each missing field and where postcheck looked.  A file that
is not a readable PDF (truncated, encrypted, too big, a decompression bomb) raises
:class:`~postcheck.errors.LabelReadError` quickly; the command line exits 2 on either.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from postcheck.errors import MISSING, InvalidLabel, LabelReadError, PostcheckError
from postcheck.label import Label, label_from_dict, label_from_json
from postcheck.pdf.base import EMBEDDED_NAME, MAX_STREAM_BYTES, form_values, max_bytes, open_pdf, pypdf_config, too_big

__all__ = ["read_label_pdf", "read_pdf", "PdfLabel", "open_pdf", "form_values"]

#: Limits: a label PDF is small; these keep hostile files bounded in time and memory.  File size,
#: pages and text pages are configurable (postcheck.limits: pdf_file_mb, pdf_pages, pdf_text_pages).
MAX_EMBEDDED_BYTES = 2_000_000

_OPTIONAL = ("gross_weight", "postage_paid", "ship_date", "tracking_number", "category", "total_value",
             "packaging_weight")


@dataclass
class PdfLabel:
    """What :func:`read_pdf` found: the label, which path read it, and what was not found."""

    label: Label | None  # None when required fields are missing or a value is unreadable
    method: str  # "embedded", "form" or "text"
    source: str
    profile: str | None = None
    pages: int = 0
    not_found: dict[str, str] = field(default_factory=dict)  # optional field -> where postcheck looked
    notes: list[str] = field(default_factory=list)
    doc: dict[str, Any] = field(default_factory=dict)  # what was read, in the label's JSON shape
    found: dict[str, str] = field(default_factory=dict)  # field path -> page and caption or rule
    looked: dict[str, str] = field(default_factory=dict)  # field -> where postcheck looked for it
    problems: tuple[tuple[str, object, str], ...] = ()  # (field path, value seen, what was expected)

    @property
    def complete(self) -> bool:
        return self.label is not None

    def error(self) -> InvalidLabel:
        """The problems that keep this from being a whole label, as one error."""
        return InvalidLabel(self.source, self.problems or (("label", MISSING, "a readable label"),))


class _AtDebug(logging.Handler):
    """pypdf warns about the small faults of real carriers' PDFs ("incorrect startxref pointer",
    "Multiple definitions in dictionary"); they go to the ``postcheck.pdf`` logger at debug level,
    never to the terminal."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("postcheck.pdf").debug("pypdf: %s", record.getMessage())


_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.addHandler(_AtDebug())
_PYPDF_LOG.propagate = False


def _embedded(reader: Any, source: str) -> bytes | None:
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    ef = names.get_object().get("/EmbeddedFiles") if names is not None else None
    if ef is None:
        return None
    arr = ef.get_object().get("/Names")
    if arr is None:
        return None
    arr = arr.get_object()
    for i in range(0, min(len(arr), 200) - 1, 2):
        if str(arr[i]) != EMBEDDED_NAME:
            continue
        stream = arr[i + 1].get_object()["/EF"]["/F"].get_object()
        declared = int(stream.get("/Length", 0) or 0)
        if declared > MAX_EMBEDDED_BYTES:
            raise LabelReadError(source, f"the embedded {EMBEDDED_NAME} is too large ({declared} bytes)")
        data = stream.get_data()
        if len(data) > MAX_EMBEDDED_BYTES:
            raise LabelReadError(source, f"the embedded {EMBEDDED_NAME} is too large ({len(data)} bytes)")
        return data
    return None


def _problems_with_where(problems: list[tuple[str, object, str]], err: InvalidLabel | None,
                         looked: dict[str, str]) -> list[tuple[str, object, str]]:
    out = list(problems)
    seen = {p[0] for p in problems}
    for loc, value, expected in (err.problems if err else ()):
        if loc in seen:
            continue
        key = loc.split("[")[0] if "[" in loc else loc
        if "[" in loc:
            key = "items." + loc.split("].", 1)[-1]
        if value is MISSING and key in looked:
            expected = f"{expected}: not found; looked for {looked[key]}"
        out.append((loc, value, expected))
    return out


def _from_dict(doc: dict[str, Any], problems: list[tuple[str, object, str]], looked: dict[str, str],
               source: str) -> Label:
    try:
        label = label_from_dict(doc, source=source)
        err = None
    except InvalidLabel as e:
        label, err = None, e
    if problems or err is not None:
        raise InvalidLabel(source, tuple(_problems_with_where(problems, err, looked)))
    assert label is not None
    return label


def read_pdf(path: str | os.PathLike[str] | None = None, *, data: bytes | None = None,
             profiles: Iterable[str | os.PathLike[str]] = (), use_embedded: bool = True,
             use_form: bool = True) -> PdfLabel:
    """Read one label from a PDF file (or its bytes); see the module docstring.

    ``use_embedded`` / ``use_form`` = False skip those paths (to check what a stripped copy gives).
    """
    import pypdf

    from postcheck.pdf.form import form_to_dict, match_profile
    from postcheck.pdf.form import profiles as all_profiles

    source = str(path) if path is not None else "<pdf>"
    if data is None:
        p = Path(source)
        try:
            size = p.stat().st_size
        except OSError as e:
            raise LabelReadError(source, f"cannot read: {e.strerror or e}") from None
        if size > max_bytes():
            raise too_big(size, source)
        try:
            data = p.read_bytes()
        except OSError as e:
            raise LabelReadError(source, f"cannot read: {e.strerror or e}") from None
    with pypdf.apply_configuration(pypdf_config()):
        try:
            return _read(data, source, list(profiles), use_embedded, use_form, form_to_dict, match_profile,
                         all_profiles)
        except PostcheckError:
            raise
        except (RecursionError, MemoryError, OverflowError) as e:
            raise LabelReadError(source, f"is too complex to read safely ({type(e).__name__})") from None
        except Exception as e:  # pypdf raises many kinds on broken files
            raise LabelReadError(source, f"is not a readable PDF ({type(e).__name__}: {str(e)[:160]})") from None


def _refuse_bomb(reader: Any, pages: int, source: str) -> None:
    """Say so when a page came out empty because its content inflates past the stream limit
    (pypdf then returns no text rather than raising)."""
    from pypdf.errors import LimitReachedError

    for i in range(pages):
        try:
            contents = reader.pages[i].get_contents()
            if contents is not None:
                contents.get_data()
        except LimitReachedError:
            raise LabelReadError(source, f"page {i + 1}'s content inflates past the {MAX_STREAM_BYTES // 1_000_000} MB "
                                         "safety limit (a decompression bomb?); postcheck does not read it") from None
        except Exception:
            return


def _read(data: bytes, source: str, extra_profiles: list[Any], use_embedded: bool, use_form: bool,
          form_to_dict: Any, match_profile: Any, all_profiles: Any) -> PdfLabel:
    reader = open_pdf(data, source)
    pages = len(reader.pages)
    if use_embedded:
        raw = _embedded(reader, source)
        if raw is not None:
            embedded = label_from_json(raw, source=f"{source} (embedded {EMBEDDED_NAME})")
            return PdfLabel(embedded, "embedded", source, pages=pages, doc=embedded.to_dict())
    form = form_values(reader) if use_form else {}
    notes: list[str] = []
    if form:
        candidates = all_profiles(extra_profiles)
        prof = match_profile(form, candidates)
        if prof is not None:
            fdoc, fproblems, looked = form_to_dict(form, prof, where="form")
            flabel = _from_dict(fdoc, fproblems, looked, source)
            return PdfLabel(flabel, "form", source, profile=prof.name, pages=pages, doc=flabel.to_dict(),
                            not_found={k: looked[k] for k in _OPTIONAL if k in looked and _unset(flabel, k)})
        notes.append(f"the form's fields ({', '.join(sorted(form)[:5])}{', ...' if len(form) > 5 else ''}) match "
                     "no mapping profile; read its text instead (docs/pdf-profiles.md explains how to write one)")
    from postcheck.limits import current
    from postcheck.pdf.layout import read_cells
    from postcheck.pdf.reader import read_pages

    read = min(pages, current().pdf_text_pages)
    try:
        layout, dropped, _count = read_cells(data, max_pages=read)
    except OverflowError:
        raise LabelReadError(source, "has far more text than a label; is it really a label?") from None
    except Exception as e:  # pdfium's own errors on a file pypdf opened
        raise LabelReadError(source, f"is not a readable PDF ({type(e).__name__}: {str(e)[:160]})") from None
    if pages > read:
        notes.append(f"read the first {read} of {pages} pages")
    if not any(p.lines for p in layout):
        _refuse_bomb(reader, read, source)
        images = sum(p.images for p in layout)
        what = ("holds only an image (a scan or a photo): it has no text layer" if images else
                "has no text on its pages" + (" and no filled form fields (a blank form?)" if form else ""))
        raise LabelReadError(source, f"{what}; postcheck cannot read it yet: type the label as JSON, or give the "
                                     "fields with --set" + (f"; note: {notes[0]}" if notes else ""))
    got = read_pages(layout, dropped=dropped)
    notes.extend(got.notes)
    doc = got.doc
    problems: list[tuple[str, object, str]] = []
    for key, why in got.refused.items():
        if key not in doc:
            notes.append(f"{key}: not taken: {why}")
    label: Label | None
    try:
        label = label_from_dict(dict(doc), source=source)
    except InvalidLabel as e:
        label = None
        problems = list(_problems_with_where([], e, got.looked))
    missing = {k: got.looked[k] for k in got.looked if k not in doc}
    return PdfLabel(label, "text", source, pages=pages, notes=notes, doc=doc, found=got.found, looked=got.looked,
                    problems=tuple(problems), not_found={k: v for k, v in missing.items() if k in _OPTIONAL})


def _unset(label: Label, key: str) -> bool:
    return getattr(label, key, None) is None


def read_label_pdf(path: str | os.PathLike[str], *, profiles: Iterable[str | os.PathLike[str]] = ()) -> Label:
    """The label in a PDF file (what ``postcheck check label.pdf`` reads); InvalidLabel when a
    required field is missing, naming it and where postcheck looked."""
    got = read_pdf(path, profiles=profiles)
    if got.label is None:
        raise got.error()
    return got.label
