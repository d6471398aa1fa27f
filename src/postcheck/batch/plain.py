"""``postcheck batch`` on a plain install: the per-row engine without numpy or pyarrow.

Every row is checked by :func:`postcheck.check` (as ``--engine python`` does), and the results
are written in the same bytes as the column engine writes them (CSV or JSON Lines; Parquet needs
pyarrow).  It reads the whole CSV input as text, so it suits the batches a plain install is
used for; ``pip install 'postcheck[fast]'`` streams inputs of any size, over ten times faster
(4.4 s against 50 s for 50,000 rows of ``benchmarks/parcels.py`` on a 2-core machine).

Why a second writer of the same bytes: the column engine writes its results with pyarrow's CSV
writer, which this path cannot import; :func:`encode_records` writes what that writer writes
(every text quoted, quotes doubled, nulls empty), and ``tests/batch/test_plain.py`` holds the two
to the same bytes.  The per-label report's emitters (:mod:`postcheck.report`) write other columns
(one finding a row), for ``postcheck check``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from postcheck.batch import RESULT_COLUMNS
from postcheck.errors import LabelReadError, PostcheckError
from postcheck.output import OutputError, check_output_path
from postcheck.report import Report, neutralise_cell

__all__ = ["check_row", "result_record", "encode_records", "run_plain", "HINT", "STATUS_OK", "STATUS_ERROR",
           "STATUS_UNREADABLE"]

STATUS_OK, STATUS_ERROR, STATUS_UNREADABLE = "ok", "error", "unreadable"
#: Printed when ``postcheck batch`` runs without numpy and pyarrow.
HINT = "note: checking row by row; pip install 'postcheck[fast]' checks whole columns at once, over 10 times faster"
_MICRO = 10 ** 6
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def check_row(row: Mapping[str, Any], source: str, *, rates: Any, as_of: dt.date | None,
              parcel_id: str | None = None, items: list[dict[str, Any]] | None = None,
              options: Mapping[str, Any] | None = None) -> tuple[str, Report | None, str | None]:
    """Exactly what ``postcheck check`` does with one row: ``(status, report, error)``."""
    from postcheck.checker import check
    from postcheck.rows import label_from_row

    try:
        lab = label_from_row(row, items=items, source=source)
        report = check(lab, rates=rates, as_of=as_of, source=source, parcel_id=parcel_id, **(options or {}))
    except PostcheckError as e:
        return STATUS_UNREADABLE, None, str(e)
    return (STATUS_OK if report.ok else STATUS_ERROR), report, None


def _cents(amount: Decimal) -> str:
    """An amount to the cent, half up, as the column engine writes it (from micro-units)."""
    c = (int(amount * _MICRO) + 5000) // 10000
    return f"{c // 100}.{c % 100:02d}"


def result_record(row: int, parcel_id: str | None, status: str, report: Report | None,
                  error: str | None) -> dict[str, Any]:
    """One result, as a row of the column engine's result table."""
    out: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS)
    out.update(row=row, parcel_id=parcel_id, status=status, codes=[], messages=[], error=error)
    if report is None:
        return out
    out["verdict"] = report.verdict
    p = report.postage
    if p is not None:
        out["currency"] = p.currency
        if p.required is not None:
            out["required"] = _cents(p.required)
        if p.paid is not None:
            out["paid"] = _cents(p.paid)
        if p.shortfall is not None:
            out["shortfall"] = _cents(p.shortfall)
    out["codes"] = [f.code for f in report.findings]
    out["messages"] = [f.message for f in report.findings]
    return out


def _csv_cell(name: str, value: Any) -> str:
    """A cell as pyarrow's CSV writer writes it (quoting "needed": every text quoted)."""
    if value is None:
        return ""
    if name == "row":
        return str(value)
    if name == "codes":
        value = " ".join(value)
    elif name == "messages":
        value = " | ".join(value)
    if name in ("parcel_id", "verdict", "messages", "error"):
        value = neutralise_cell(value)
    return '"' + value.replace('"', '""') + '"'


def encode_records(records: Iterable[dict[str, Any]], fmt: str, *, header: bool) -> bytes:
    """Results as bytes of the output format: what ``encode_results`` writes for the same table."""
    if fmt == "csv":
        lines = [",".join(f'"{n}"' for n in RESULT_COLUMNS)] if header else []
        lines += [",".join(_csv_cell(n, r[n]) for n in RESULT_COLUMNS) for r in records]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    lines = []
    for r in records:
        text = json.dumps(r, ensure_ascii=False)
        for ch, esc in _LINE_BREAKS.items():
            text = text.replace(ch, esc)
        lines.append(text)
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from postcheck.rows import decode_text, iter_csv

    try:
        data = path.read_bytes()
    except OSError as e:
        raise LabelReadError(str(path), f"cannot read: {e.strerror or e}") from None
    text, _note = decode_text(data, str(path))
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 20))
    yield from iter_csv(text, str(path))


def _jsonl_labels(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, "rb") as f:
        for ln, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            text = raw.decode("utf-8", errors="replace")
            if ln == 1:
                text = text.lstrip("\ufeff")
            for k, part in enumerate(text.splitlines()):
                if part.strip():
                    yield ln + k, part


def _parcel_id(row: Mapping[str, Any]) -> str | None:
    for key, value in row.items():
        if key is not None and str(key).strip() == "parcel_id" and isinstance(value, str):
            return value.strip() or None
    return None


def run_plain(input_path: str | Path, output_path: str | Path, *, in_format: str, out_format: str,
              force: bool = False, rates_dirs: tuple[str, ...] = (), as_of: dt.date | None = None,
              items_path: str | None = None, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
              tolerance: str | None = None) -> Any:
    """Check every row of a CSV or JSON Lines file with :func:`postcheck.check` and write the
    results (CSV or JSON Lines) atomically; returns the run's :class:`~postcheck.batch.run.Summary`."""
    from postcheck.batch.run import Summary
    from postcheck.label import label_from_json
    from postcheck.rows import group_items, read_csv_rows
    from postcheck.tariffs import Rates

    inp, out = Path(input_path), Path(output_path)
    if not inp.exists():
        raise LabelReadError(str(inp), "no such file")
    if inp.is_dir():
        raise LabelReadError(str(inp), "is a folder, not a batch file")
    for fmt, path in ((in_format, inp), (out_format, out)):
        if fmt == "parquet":
            raise LabelReadError(str(path), "Parquet needs pyarrow: pip install 'postcheck[fast]'")
        if fmt not in ("csv", "jsonl"):
            raise LabelReadError(str(path), f"unknown format {fmt!r}")
    check_output_path(out, inputs=[inp] + ([items_path] if items_path else []), force=force)
    rates = Rates.load(list(rates_dirs))
    options: dict[str, Any] = {}
    if select:
        options["select"] = list(select)
    if ignore:
        options["ignore"] = list(ignore)
    if tolerance is not None:
        options["tolerance"] = tolerance
    items = None
    if items_path:
        if in_format != "csv":
            raise LabelReadError(str(inp), "--items goes with a CSV input")
        item_rows, _ = read_csv_rows(items_path)
        items = group_items(item_rows, str(items_path))
    source = str(inp)
    records = []
    if in_format == "csv":
        for n, row in _csv_rows(inp):
            pid = _parcel_id(row)
            its = items.get(pid or "", []) if items is not None else None
            records.append(result_record(n, pid, *check_row(row, f"{source} row {n}", rates=rates, as_of=as_of,
                                                             parcel_id=pid, items=its, options=options)))
    else:
        from postcheck.checker import check

        for ln, text in _jsonl_labels(inp):
            src = f"{source} line {ln}"
            try:
                report = check(label_from_json(text, source=src), rates=rates, as_of=as_of, source=src, **options)
            except PostcheckError as e:
                records.append(result_record(ln, None, STATUS_UNREADABLE, None, str(e)))
                continue
            records.append(result_record(ln, None, STATUS_OK if report.ok else STATUS_ERROR, report, None))
    summary = Summary(read=len(records), fallback=len(records))
    for r in records:
        if r["status"] == STATUS_OK:
            summary.ok += 1
        elif r["status"] == STATUS_ERROR:
            summary.errors += 1
        else:
            summary.unreadable += 1
        if r["shortfall"] is not None and r["currency"] is not None and r["shortfall"] != "0.00":
            cur = r["currency"]
            summary.shortfall[cur] = summary.shortfall.get(cur, Decimal(0)) + Decimal(r["shortfall"])
    part = out.with_name(out.name + ".part")
    try:
        with open(part, "wb") as f:
            f.write(encode_records(records, out_format, header=True))
        os.replace(part, out)
    except OSError as e:
        part.unlink(missing_ok=True)
        raise OutputError(str(out), f"cannot write: {e.strerror or e}") from None
    return summary
