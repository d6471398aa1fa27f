"""Read labels from files: JSON (one label or a list), JSON Lines, CSV, PDF.

Each label read comes back as a :class:`LabelInput`; a label that cannot be read carries its
error instead, so one bad record never stops the others.  ``sets`` (``--set FIELD=VALUE``) are
applied to each label's mapping before the model is built (:mod:`postcheck.overrides`);
``partial=True`` lets a label lacking required fields through as a
:class:`~postcheck.partial.PartialLabel`, for a check that runs what it can.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from postcheck.errors import InvalidLabel, LabelReadError, PostcheckError
from postcheck.label import Label, label_from_dict, label_from_json, loads_json
from postcheck.overrides import apply_overrides
from postcheck.partial import PartialLabel, partial_label

__all__ = ["LabelInput", "read_labels", "max_label_file_bytes", "detect_format"]


def max_label_file_bytes() -> int:
    """Largest label file ``check`` reads (limit label_file_mb; batches stream instead)."""
    from postcheck.limits import current

    return current().label_file_mb * 1_000_000


@dataclass
class LabelInput:
    source: str  # "file.csv row 3"
    label: Label | PartialLabel | None
    error: PostcheckError | None = None
    parcel_id: str | None = None
    note: str | None = None


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson", ".csv", ".pdf"):
        return {".ndjson": "jsonl"}.get(suffix, suffix[1:])
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:
        return "json"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    return "csv"


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        limit = max_label_file_bytes()
        if size > limit:
            raise LabelReadError(str(path), f"{size} bytes is over the {limit // 1_000_000} MB limit for a label "
                                            "file (limit label_file_mb); use 'postcheck batch' for large files")
        return path.read_bytes()
    except OSError as e:
        raise LabelReadError(str(path), f"cannot read: {e.strerror or e}") from None


def _build(doc: Any, source: str, sets: Sequence[str], partial: bool,
           missing: Mapping[str, str] | None = None) -> Label | PartialLabel:
    """The label in ``doc`` (its JSON shape) after the ``--set`` overrides."""
    if sets and isinstance(doc, dict):
        doc = apply_overrides(doc, sets)
    if partial:
        return partial_label(doc, missing=missing, source=source)
    return label_from_dict(doc, source=source)


def read_labels(path: str | Path, *, items_path: str | Path | None = None, sets: Sequence[str] = (),
                partial: bool = False, profiles: Iterable[str] = ()) -> Iterator[LabelInput]:
    """Every label in a file.  Raises :class:`LabelReadError` only when the file as a whole is
    unreadable (missing, too large, not a PDF ...) or holds no label at all (``[]``, a CSV
    header alone, an empty JSON Lines file): checking nothing is not a clean result.  Raises
    :class:`~postcheck.errors.InvalidInput` for a ``--set`` that does not apply.  ``profiles``
    are PDF form profiles."""
    found = 0
    for li in _read_labels(Path(path), items_path, sets, partial, profiles):
        found += 1
        yield li
    if not found:
        raise LabelReadError(str(path), "holds no label to check")


def _read_labels(p: Path, items_path: str | Path | None, sets: Sequence[str], partial: bool,
                 profiles: Iterable[str]) -> Iterator[LabelInput]:
    if not p.exists():
        raise LabelReadError(str(p), "no such file")
    if p.is_dir():
        raise LabelReadError(str(p), "is a folder, not a label file")
    fmt = detect_format(p)
    if fmt == "pdf":
        yield _pdf_label(p, sets=sets, partial=partial, profiles=profiles)
        return
    data = _read_bytes(p)
    if fmt == "csv":
        yield from _csv_labels(p, data, items_path, sets, partial)
        return
    if fmt == "jsonl":
        text = data.decode("utf-8-sig", errors="replace")
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            src = f"{p} line {n}"
            try:
                try:
                    doc = loads_json(line)
                except (ValueError, RecursionError):
                    yield LabelInput(src, label_from_json(line, source=src))  # raises, naming the problem
                    continue
                yield LabelInput(src, _build(doc, src, sets, partial))
            except InvalidLabel as e:
                yield LabelInput(src, None, e)
        return
    # JSON: one label, or a list of labels
    try:
        doc = loads_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise LabelReadError(str(p), f"not UTF-8 text (bad byte at offset {e.start})") from None
    except json.JSONDecodeError as e:
        raise LabelReadError(str(p), f"not valid JSON: line {e.lineno}, column {e.colno}: {e.msg}") from None
    except (ValueError, RecursionError) as e:
        raise LabelReadError(str(p), f"not valid JSON: {e}") from None
    if isinstance(doc, list):
        for i, entry in enumerate(doc):
            src = f"{p} [{i}]"
            try:
                yield LabelInput(src, _build(entry, src, sets, partial))
            except InvalidLabel as e:
                yield LabelInput(src, None, e)
    else:
        try:
            yield LabelInput(str(p), _build(doc, str(p), sets, partial))
        except InvalidLabel as e:
            yield LabelInput(str(p), None, e)


def _pdf_label(p: Path, *, sets: Sequence[str], partial: bool, profiles: Iterable[str]) -> LabelInput:
    """The label in a PDF.  The reader gives a label; with ``--set`` its mapping is changed
    and read again (lossless: the model reads back its own ``to_dict()``).  ``missing`` is what
    the reader did not find, with where it looked."""
    from postcheck.pdf.read import read_pdf  # lazy: pypdf only when needed

    got = read_pdf(p, profiles=tuple(profiles))
    if got.label is not None and not sets:
        return LabelInput(str(p), got.label)
    if got.label is None and not (partial or sets):
        return LabelInput(str(p), None, got.error())
    doc = got.doc if got.label is None else got.label.to_dict()
    # what the reader looked for and did not find; contents lines only where the document is a
    # customs declaration (a domestic carrier label has none, and needs none)
    customs = bool(doc.get("form") or doc.get("total_value") or doc.get("category"))
    missing = {**got.not_found, **{k: v for k, v in got.looked.items()
                                   if k not in doc and (k != "items" or customs)}}
    try:
        return LabelInput(str(p), _build(doc, str(p), sets, partial, missing=missing))
    except InvalidLabel as e:
        return LabelInput(str(p), None, e)


def _csv_labels(p: Path, data: bytes, items_path: str | Path | None, sets: Sequence[str],
                partial: bool) -> Iterator[LabelInput]:
    from postcheck.rows import decode_text, group_items, iter_csv, read_csv_rows, row_problems, row_to_dict

    text, note = decode_text(data, str(p))
    items = None
    if items_path is not None:
        item_rows, _ = read_csv_rows(items_path, max_bytes=max_label_file_bytes())
        items = group_items(item_rows, str(items_path))
    for n, row in iter_csv(text, str(p)):
        src = f"{p} row {n}"
        raw_id = row.get("parcel_id")
        pid = raw_id.strip() or None if isinstance(raw_id, str) else None
        try:
            try:
                doc = row_to_dict(row, items.get(pid or "", []) if items is not None else None)
            except InvalidLabel as e:
                raise InvalidLabel(src, e.problems) from None
            try:
                lab = _build(doc, src, sets, partial)
            except InvalidLabel as e:
                raise row_problems(e, items_in_columns=items is None) from None
            yield LabelInput(src, lab, parcel_id=pid, note=note)
        except InvalidLabel as e:
            yield LabelInput(src, None, e, parcel_id=pid, note=note)
