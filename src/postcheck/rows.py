"""Labels from flat rows (CSV, Parquet, data frames).

One row is one parcel.  Parcel columns carry the label's field names (``parcel_id``, ``service``,
``origin``, ``destination``, ``zone``, ``ship_date``, ``tracking_number``, ``form``,
``category``, ``explanation``, ``invoice_number``, ``currency``, ``postage_paid``,
``packaging_weight``, ``gross_weight``, ``measured_weight``, ``total_value``, ``dimensions``).
The contents lines come in one of two ways:

* **in columns**: ``item1_description``, ``item1_quantity``, ``item1_net_weight``,
  ``item1_value``, ``item1_hs_code``, ``item1_origin_country``, then ``item2_...`` and so on;
* **in a second file** keyed by ``parcel_id`` with columns ``parcel_id``, ``description``,
  ``quantity``, ``net_weight``, ``value``, ``hs_code``, ``origin_country`` (one row per line).

Empty cells are absent values.  Text files are read as UTF-8 (with or without a byte-order
mark); a file that is not valid UTF-8 is read as Windows-1252 / Latin-1 and the report says so.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from postcheck.bounds import MAX_DIGITS
from postcheck.errors import InvalidLabel, LabelReadError
from postcheck.label import MAX_ITEMS, Label, label_from_dict
from postcheck.limits import CSV_FIELD_LIMIT, current

__all__ = ["LABEL_COLUMNS", "ITEM_COLUMNS", "row_to_dict", "label_from_row", "row_problems", "read_csv_rows",
           "decode_text", "group_items", "max_columns", "check_header"]

LABEL_COLUMNS = ("parcel_id", "service", "origin", "destination", "zone", "ship_date", "tracking_number", "form",
                 "category", "explanation", "invoice_number", "currency", "postage_paid", "packaging_weight",
                 "gross_weight", "measured_weight", "total_value", "dimensions")
ITEM_COLUMNS = ("description", "quantity", "net_weight", "value", "hs_code", "origin_country")
_ITEM_COL = re.compile(r"^item(\d{1,4})_(" + "|".join(ITEM_COLUMNS) + r")$")
_IGNORED = {"parcel_id", "row", "order_id"}
_MAX_FIELD = 10_000
#: Extra columns a header may have beyond the label's and its contents lines' (each is refused
#: by name in every row, but a few are no reason to refuse the file).
_SPARE_COLUMNS = 100


def max_columns() -> int:
    """Columns a CSV header may have: the label's, six per contents line up to the limit
    ``items``, and a few more.  A header past it is refused at once (a million columns made
    every row a million-key mapping)."""
    return len(LABEL_COLUMNS) + len(_IGNORED) + len(ITEM_COLUMNS) * min(current().items, MAX_ITEMS) + _SPARE_COLUMNS


def check_header(names: Sequence[str], source: str) -> None:
    """Refuse a header of more than :func:`max_columns` columns (:class:`LabelReadError`)."""
    limit = max_columns()
    if len(names) > limit:
        raise LabelReadError(source, f"a header of {len(names)} columns; at most {limit} are read "
                                     f"(the label's and {len(ITEM_COLUMNS)} per contents line, limit items)")


def decode_text(data: bytes, source: str) -> tuple[str, str | None]:
    """Decode a text file; return ``(text, note)`` where note says when Latin-1 was assumed."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        try:
            return data.decode("cp1252"), f"{source} is not UTF-8 (byte {e.start}); read as Windows-1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), f"{source} is not UTF-8 (byte {e.start}); read as Latin-1"


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:  # NaN / NA from data frames
        return v != v  # noqa: PLR0124
    except Exception:
        return False


def row_to_dict(row: Mapping[str, Any], items: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The label mapping for one row (unknown columns are kept so validation names them)."""
    out: dict[str, Any] = {}
    lines: dict[int, dict[str, Any]] = {}
    for key, value in row.items():
        if key is None:
            raise InvalidLabel("row", (("", value, "no more cells than the header has columns"),))
        k = str(key).strip()
        if _blank(value) or k in _IGNORED or k == "":
            continue
        if isinstance(value, str) and len(value) > _MAX_FIELD:
            raise InvalidLabel("row", ((k, value[:40] + "...", f"a cell under {_MAX_FIELD} characters"),))
        m = _ITEM_COL.match(k)
        if m:
            lines.setdefault(int(m.group(1)), {})[m.group(2)] = value
        else:
            out[k] = value
    if items is not None:
        out["items"] = [{k: v for k, v in it.items() if k in ITEM_COLUMNS and not _blank(v)} for it in items]
    elif lines:
        out["items"] = [lines[n] for n in sorted(lines)]
    # numeric cells from typed sources (Parquet, pandas) -> the text the model expects
    for it in out.get("items", []):
        q = it.get("quantity")
        if isinstance(q, float) and q.is_integer():
            it["quantity"] = int(q)
        elif isinstance(q, str) and q.strip().isdigit() and q.isascii() and len(q.strip()) <= MAX_DIGITS:
            it["quantity"] = int(q.strip())
        for k in ("value",):
            if isinstance(it.get(k), float):
                it[k] = repr(it[k])
    for k in ("postage_paid", "total_value"):
        if isinstance(out.get(k), float):
            out[k] = repr(out[k])
    return out


def label_from_row(row: Mapping[str, Any], *, items: Sequence[Mapping[str, Any]] | None = None,
                   source: str = "row") -> Label:
    """Validate one row into a :class:`Label`; :class:`InvalidLabel` names the column."""
    try:
        data = row_to_dict(row, items)
    except InvalidLabel as e:
        raise InvalidLabel(source, e.problems) from None
    try:
        return label_from_dict(data, source=source)
    except InvalidLabel as e:
        raise row_problems(e, items_in_columns=items is None) from None


def row_problems(error: InvalidLabel, *, items_in_columns: bool) -> InvalidLabel:
    """``error`` with contents lines named by their CSV columns (``item1_net_weight``, not
    ``items[0].net_weight``) when the lines came in columns."""
    if not items_in_columns:
        return error
    problems = tuple((re.sub(r"^items\[(\d+)\]\.", lambda m: f"item{int(m.group(1)) + 1}_", loc), v, x)
                     for loc, v, x in error.problems)
    return InvalidLabel(error.source, problems)


def group_items(rows: Iterable[Mapping[str, Any]], source: str) -> dict[str, list[dict[str, Any]]]:
    """Items file rows grouped by ``parcel_id``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for i, r in enumerate(rows, start=2):
        pid = r.get("parcel_id")
        if _blank(pid):
            raise LabelReadError(source, f"row {i}: parcel_id is empty (every contents line names its parcel)")
        out.setdefault(str(pid).strip(), []).append(dict(r))
    return out


def read_csv_rows(path: str | Path, *, max_bytes: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Every row of a CSV file as a dict (header = first row), plus an encoding note."""
    p = Path(path)
    try:
        data = p.read_bytes() if max_bytes is None else p.open("rb").read(max_bytes + 1)
    except OSError as e:
        raise LabelReadError(str(p), f"cannot read: {e.strerror or e}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise LabelReadError(str(p), f"larger than the {max_bytes // 1_000_000} MB limit for a label file")
    text, note = decode_text(data, str(p))
    rows = [row for _n, row in iter_csv(text, str(p))]
    return rows, note


def iter_csv(text: str, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number as a spreadsheet shows it, row)`` for every record; blank lines are skipped."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=None)
    try:
        if reader.fieldnames is None:
            raise LabelReadError(source, "empty CSV file: expected a header row with column names")
        check_header(reader.fieldnames, source)
        for row in reader:
            yield reader.line_num, row
    except csv.Error as e:
        raise LabelReadError(source, f"CSV line {reader.line_num}: {e}") from None
