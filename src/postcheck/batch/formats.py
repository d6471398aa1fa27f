"""Batch inputs and outputs, a chunk at a time: CSV, JSON Lines and Parquet.

Inputs are cut into chunks that end on a record boundary, so a chunk can be parsed and checked
on its own (in another process, or on a Dask worker) and a run can resume after the last
complete chunk.  Rows are numbered the way ``postcheck check`` numbers them: CSV rows as a
spreadsheet shows them (the header is row 1; a quoted line break or a blank line moves the
numbers on), JSON Lines by line, Parquet rows from 1.

* **CSV** is cut at line breaks outside quotes.  A chunk with no quoted line break and no stray
  carriage return is parsed by pyarrow; any other chunk (and any chunk pyarrow finds ragged, or
  whose row count is not its line count, as when it has a blank line) by Python's :mod:`csv`,
  exactly as :func:`postcheck.rows.iter_csv`.
  A file that is not UTF-8 is read as Windows-1252 (or Latin-1), as ``postcheck check`` does.
* **JSON Lines**: one label per line in the ``check`` model.
* **Parquet**: the CSV row format's columns, typed or text.

Outputs have one row per input row, in input order: ``row``, ``parcel_id``, ``status`` (ok,
error, unreadable), ``verdict``, ``required``, ``paid``, ``shortfall``, ``currency``, ``codes``,
``messages`` and ``error`` (why an unreadable row could not be read).  CSV joins codes with a
space and messages with `` | `` and neutralises spreadsheet formulas; JSON Lines and Parquet keep
them as lists.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from functools import lru_cache
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from postcheck.errors import LabelReadError
from postcheck.limits import CSV_FIELD_LIMIT

__all__ = ["Chunk", "csv_header", "csv_chunks", "jsonl_chunks", "parquet_chunks", "parse_csv_chunk",
           "encode_results", "OUTPUT_FORMATS", "INPUT_FORMATS", "format_of", "NotUtf8"]

INPUT_FORMATS = ("csv", "jsonl", "parquet")
OUTPUT_FORMATS = ("csv", "jsonl", "parquet")
_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet",
           ".pq": "parquet"}


def format_of(path: str | Path, given: str | None = None) -> str:
    """The format named by ``given`` or by the file's extension (CSV when unknown)."""
    if given:
        return given
    return _SUFFIX.get(Path(path).suffix.lower(), "csv")


class NotUtf8(Exception):
    """A CSV chunk is not UTF-8: the whole file is read again as Windows-1252 (internal)."""


@dataclass
class Chunk:
    """A piece of input that ends on a record boundary.

    ``data`` is raw CSV bytes (``kind`` "csv"), a list of JSON lines ("jsonl") or an Arrow table
    ("table").  ``first`` is the number of the chunk's first row or line; ``end`` the input
    position after the chunk (bytes, or rows for Parquet) and ``lines`` the CSV lines so far."""

    kind: str
    data: Any
    first: int
    end: int
    lines: int = 0
    encoding: str = "utf-8"
    names: list[str] = field(default_factory=list)
    plain: bool | None = None  # no quoted line break, no stray quote: pyarrow may read it (None: not known)
    path: str | None = None  # CSV sent without its bytes: read ``end - size`` .. ``end`` of this file
    size: int = 0

    def with_data(self) -> "Chunk":
        """The chunk with its bytes (read back from its file when it was sent without them)."""
        if self.data is not None or self.path is None:
            return self
        with open(self.path, "rb") as f:
            f.seek(self.end - self.size)
            data = f.read(self.size)
        return replace(self, data=data, path=None)


# ---------------------------------------------------------------------------- CSV

def csv_header(path: str | Path, encoding: str = "utf-8") -> tuple[list[str], int, int]:
    """``(column names, byte offset of the first record, lines in the header)``."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
        while True:
            end = _record_end(head)
            if end is not None:
                break
            more = f.read(1 << 20)
            if not more:
                end = len(head)
                break
            head += more
    raw = head[:end]
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode(encoding)
    except UnicodeDecodeError:
        raise NotUtf8() from None
    csv.field_size_limit(CSV_FIELD_LIMIT)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(c.strip() for c in rows[0]) and len(rows[0]) <= 1:
        raise LabelReadError(str(path), "empty CSV file: expected a header row with column names")
    names = rows[0]
    if len(names) > _FEW_COLUMNS:
        from postcheck.rows import check_header  # the label model: loaded here only for a wide header

        check_header(names, str(path))
    return names, end, _line_count(raw)


#: A header of this many columns or fewer is always within :func:`postcheck.rows.max_columns`
#: (which allows 100 beyond the label's and the contents lines'), so the label model need not
#: be loaded on this thread to say so.
_FEW_COLUMNS = 100


def _record_end(data: bytes) -> int | None:
    """Offset just after the first line break outside quotes (``\\n``, ``\\r\\n`` or a lone
    ``\\r``, as Python's csv reads them), or None when there is none yet (a ``\\r`` that ends
    ``data`` may be the start of a ``\\r\\n``)."""
    pos = 0
    quotes = 0
    while True:
        nl = data.find(b"\n", pos)
        cr = data.find(b"\r", pos, nl if nl >= 0 else len(data))
        brk = cr if cr >= 0 else nl
        if brk < 0:
            return None
        quotes += data.count(b'"', pos, brk)
        if quotes % 2 == 0:
            if brk == cr:
                if brk + 1 == len(data):
                    return None
                return brk + 2 if data[brk + 1] == 10 else brk + 1
            return brk + 1
        pos = brk + 1


def _line_count(data: bytes) -> int:
    """Lines as Python's universal newlines count them (\\n, \\r\\n, lone \\r)."""
    end = 0 if data.endswith((b"\n", b"\r")) or not data else 1
    if b"\r" not in data:
        return data.count(b"\n") + end
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + end


def _cut_block(data: bytes, final: bool) -> tuple[int, int | None, bool]:
    """Where a chunk of ``data`` (which starts on a record boundary) ends, and what is in it:
    ``(cut, line count or None, pyarrow reads it as Python's csv does)``.

    ``cut`` is just after the last line break outside quotes (0 if none), or ``len(data)`` when
    ``final``.  The line count is None when the chunk has a carriage return (:func:`_line_count`
    counts those).  Without quotes this is a few searches at memory speed; with quotes, see
    :func:`_quoted_regions`.

    A line break is ``\\n``; in data without one (a file whose lines end in a lone ``\\r``, as old
    Mac spreadsheets write them) it is ``\\r``, and a ``\\r`` that ends the data is not cut at (the
    next byte may be the ``\\n`` of a ``\\r\\n``)."""
    import numpy as np

    nl = 10
    if data.find(b"\n") < 0 and data.find(b"\r") >= 0:
        nl = 13
        if not final and data.endswith(b"\r"):
            cut, _count, plain = _cut_block(data[:-1], False)
            return cut, None, plain
    arr = np.frombuffer(data, dtype=np.uint8)
    plain = True
    if data.find(b'"') < 0:
        cut = len(data) if final else data.rfind(bytes((nl,))) + 1
    else:
        opens, closes, plain = _quoted_regions(data, arr)
        if len(opens) * _FEW_REGIONS > len(data):
            cut, quoted_nl = _cut_many_regions(arr, opens, closes, final, nl)
        else:
            cut, quoted_nl = _cut_few_regions(data, opens, closes, final, nl)
        # pyarrow reads an unfinished quoted field at the very end its own way
        plain = plain and not quoted_nl and not (final and len(closes) and closes[-1] >= len(data))
    if cut == 0:
        return 0, None, plain
    if data.find(b"\r", 0, cut) >= 0:
        return cut, None, plain
    return cut, _byte_count(arr[:cut], 10) + (0 if data[cut - 1] == 10 else 1), plain


#: Bytes compared at a time by :func:`_byte_count` and :func:`_byte_positions`: a mask of a whole
#: 20 MB chunk would be 20 MB of fresh memory for every comparison.
_SCAN_BLOCK = 1 << 18


def _byte_count(arr: Any, byte: int) -> int:
    """How many times ``byte`` occurs in the uint8 array ``arr``, a block at a time: the masks
    stay in the processor's cache instead of being a fresh 20 MB each (measured with the quote
    search below: :func:`_cut_block` of a 20 MB chunk 13 -> 9 ms)."""
    import numpy as np

    return sum(int(np.count_nonzero(arr[i:i + _SCAN_BLOCK] == byte)) for i in range(0, len(arr), _SCAN_BLOCK))


def _byte_positions(arr: Any, byte: int) -> Any:
    """Offsets of ``byte`` in the uint8 array ``arr`` (int64, ascending), a block at a time (see
    :func:`_byte_count`)."""
    import numpy as np

    parts = [np.flatnonzero(arr[i:i + _SCAN_BLOCK] == byte) + i for i in range(0, len(arr), _SCAN_BLOCK)]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


#: Quoted regions are "few" below one per this many bytes: they are looked at one by one.
_FEW_REGIONS = 64


def _cut_few_regions(data: bytes, opens: Any, closes: Any, final: bool, nl: int = 10) -> tuple[int, bool]:
    """``(cut, a line break before the cut is inside quotes)`` when the quoted regions are few
    (the usual CSV quotes the odd cell): the last line break, stepped back past any region that
    holds it, and a look at the bytes of the regions before the cut."""
    import numpy as np

    brk = bytes((nl,))
    cut = len(data) if final else data.rfind(brk) + 1
    while cut and not final:
        j = int(np.searchsorted(opens, cut - 1)) - 1  # the last region opened before that line break
        if j < 0 or cut - 1 >= closes[j]:
            break
        cut = data.rfind(brk, 0, int(opens[j])) + 1
    m = int(np.searchsorted(opens, cut))
    # every byte inside those regions at once (they are short and few): is one a line break?
    starts = opens[:m]
    lengths = np.minimum(closes[:m], cut) - starts
    total = int(lengths.sum())
    if total * 8 > len(data):  # long quoted texts: a search in each
        return cut, any(data.find(brk, o, o + k) >= 0 for o, k in zip(starts.tolist(), lengths.tolist()))
    inside = np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return cut, bool((np.frombuffer(data, dtype=np.uint8)[inside] == nl).any())


def _cut_many_regions(arr: Any, opens: Any, closes: Any, final: bool, nl: int = 10) -> tuple[int, bool]:
    """:func:`_cut_few_regions` over every line break at once (numpy), for quote-heavy data: a
    line break is inside quotes when it falls after the last opening quote before it and before
    that region's closing quote."""
    import numpy as np

    breaks = _byte_positions(arr, nl)
    r = np.searchsorted(opens, breaks) - 1
    inside = (r >= 0) & (breaks < closes[np.maximum(r, 0)])
    if final:
        cut, k = len(arr), len(breaks)
    else:
        outside = breaks[~inside]
        cut = int(outside[-1]) + 1 if len(outside) else 0
        k = int(np.searchsorted(breaks, cut - 1)) + 1 if cut else 0
    return cut, bool(inside[:k].any())


def _quoted_regions(data: bytes, arr: Any) -> tuple[Any, Any, bool]:
    """``(opening quotes, closing quotes, every quote is where RFC 4180 puts one)`` for ``data``,
    which starts on a record boundary, read as Python's csv reads it.

    A quote opens a quoted field only at the start of a field (after a comma, a line break or at
    the start); inside, ``""`` is a quote and the next lone quote closes the field (the end of the
    data closes an unfinished one).  A quote anywhere else is a plain character (``5" wide``).
    The usual file puts every quote where RFC 4180 does: then quotes alternate opening and
    closing, which numpy checks at once.  Otherwise the quotes are walked one by one, and the
    chunk is left to Python's csv (pyarrow may read such quotes differently)."""
    import numpy as np

    q = _byte_positions(arr, 34)
    n, size = len(q), len(arr)
    field_start = _byte_table(",\n\r")  # bytes after which a field starts
    prev = np.where(q > 0, arr[np.maximum(q - 1, 0)], 10)
    nxt = np.where(q + 1 < size, arr[np.minimum(q + 1, size - 1)], 10)
    even = np.arange(n) % 2 == 0
    adj_before = np.zeros(n, dtype=bool)
    adj_before[1:] = q[1:] == q[:-1] + 1
    adj_after = np.zeros(n, dtype=bool)
    adj_after[:-1] = adj_before[1:]
    # alternating: an opening quote at a field start (or just after a closing quote: "" inside a
    # field), a closing quote before a comma, a line break, the end, or an opening quote
    ok_open = field_start[prev] | adj_before
    ok_close = field_start[nxt] | adj_after
    if bool(np.all(np.where(even, ok_open, ok_close))):
        ends = q[1::2] if n % 2 == 0 else np.append(q[1::2], size)  # the last field may be unfinished
        return q[0::2], ends, True
    opens: list[int] = []
    closes: list[int] = []
    pos = q.tolist()
    i = 0
    while i < n:
        p = pos[i]
        if p == 0 or data[p - 1] in b",\n\r":
            j = i + 1
            while j + 1 < n and pos[j + 1] == pos[j] + 1:
                j += 2  # "" inside the field
            opens.append(p)
            closes.append(pos[j] if j < n else size)
            i = j + 1
        else:
            i += 1  # a plain character
    return np.array(opens, dtype=np.int64), np.array(closes, dtype=np.int64), False


def csv_chunks(path: str | Path, *, block_bytes: int = 16 << 20, start: int | None = None, lines: int | None = None,
               encoding: str = "utf-8", names: list[str] | None = None, first_bytes: int | None = None,
               by_position: bool = False, parts: int = 1) -> Iterator[Chunk]:
    """Raw CSV chunks of about ``block_bytes``, from the first record (or byte ``start`` with
    ``lines`` lines before it, to resume); the first chunk is about ``first_bytes`` when given
    (a small first chunk fills the engine's memo tables before the big ones arrive).  With
    ``by_position`` the chunks carry where their bytes are, not the bytes (see
    :meth:`Chunk.with_data`).  After the first, the chunks share the rest of the file evenly, in
    a multiple of ``parts`` chunks (the workers): no short last chunk that one worker checks
    while the other waits."""
    if names is None or start is None:
        names, start0, lines0 = csv_header(path, encoding)
        start = start0 if start is None else start
        lines = lines0 if lines is None else lines
    assert lines is not None
    with open(path, "rb") as f:
        file_size = os.fstat(f.fileno()).st_size
        left = 0  # chunks still to come, once the even share is set

        def even(pos: int) -> int:
            nonlocal left
            rest = file_size - pos
            if left <= 0:
                left = -(-max(rest, 1) // block_bytes)
                left = -(-left // parts) * parts
            size = -(-max(rest, 1) // left)
            left -= 1
            return max(size, 1 << 12)

        pos = start
        size = min(first_bytes, block_bytes) if first_bytes else even(pos)
        while True:
            f.seek(pos)
            data = f.read(size)
            if not data:
                return
            final = len(data) < size
            cut, count, plain = _cut_block(data, final)
            if cut == 0:  # one record longer than a block
                size *= 2
                continue
            if by_position:  # the reader reads the bytes itself: no copy of them here
                if count is None:
                    count = _line_count(data[:cut])
                yield Chunk("csv", None, lines + 1, pos + cut, lines + count, encoding=encoding, names=names,
                            plain=plain, path=str(path), size=cut)
            else:
                piece = data if cut == len(data) else data[:cut]
                if count is None:
                    count = _line_count(piece)
                yield Chunk("csv", piece, lines + 1, pos + cut, lines + count, encoding=encoding,
                            names=names, plain=plain)
            lines += count
            pos += cut
            if final and cut == len(data):
                return
            size = even(pos)
            # freed before the next read, which then reuses its memory (otherwise two chunks' worth
            # alternate, and in the parent of forked workers each fresh page is a page fault)
            del data


def parse_csv_chunk(chunk: Chunk) -> tuple[Any, Any, dict[int, dict[str, Any]]]:
    """``(Arrow table of text columns, row numbers (a numpy array or a list), rows with more
    cells than the header)``."""
    data: bytes = chunk.data
    names = chunk.names
    plain = chunk.plain
    if plain is None:
        plain = _cut_block(data, True)[2]
    if plain and data.find(b"\n") < 0 and data.find(b"\r") >= 0:
        # lines that end in a lone CR, none inside quotes (plain): each CR ends a record, as a
        # line feed would, so pyarrow reads the chunk with line feeds (3x faster than Python's csv)
        data = data.replace(b"\r", b"\n")
    simple = (plain and not data.startswith(b"\r")
              and (b"\r" not in data or (b"\n\r\n" not in data and data.count(b"\r") == data.count(b"\r\n"))))
    if simple:
        # Blocks of 1 MB stay in the processor's cache (measured: the least CPU of 256 KB to 8 MB,
        # half that of one block for the whole chunk).  pyarrow cuts its blocks at any line
        # break, which is right only because the chunk has no quoted line break (plain).  One
        # thread: chunks are already checked two at a time (measured: 3.80 s -> 3.48 s, 1M rows).
        # No invalid_row_handler: pyarrow hands an invalid row to it as text, and a row that is not
        # valid UTF-8 makes that conversion fail inside pyarrow ("Exception ignored ...").  Any
        # error at all (a ragged row, bytes that are not UTF-8) sends the chunk to Python's csv,
        # which reads ragged rows as `check` does and decides by decoding whether it is UTF-8.
        # ASCII text is valid UTF-8: pyarrow need not check every cell again (a tenth of the
        # parse; bytes.isascii() reads 20 MB in about a millisecond)
        check_utf8 = not data.isascii()
        table = _arrow_csv(data, names, chunk.encoding, check_utf8, 1 << 20)
        n = -1 if table is None else table.num_rows
        # one record per line, or Python's csv reads the chunk (a blank line: pyarrow skips those)
        expected = chunk.lines - chunk.first + 1 if chunk.lines else n
        if table is not None and n == expected:
            table = table.rename_columns(names)
            import numpy as np

            return table, np.arange(chunk.first, chunk.first + n, dtype=np.int64), {}
    return _python_csv(chunk)


def _arrow_csv(data: bytes, names: list[str], encoding: str, check_utf8: bool, block_size: int) -> Any:
    """pyarrow's reading of a plain chunk as text columns, or None where it cannot.  A row
    longer than a block (a cell of megabytes) is read again with one block for the chunk:
    Python's csv takes a second a 20 MB cell."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        return pacsv.read_csv(
            pa.BufferReader(data),  # no copy, no Python read() calls
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(names))],
                                           encoding=encoding, use_threads=False, block_size=block_size),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(names))},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=check_utf8))
    except pa.ArrowInvalid as e:
        if "straddl" in str(e) and block_size < len(data) < (1 << 31) - 1:
            return _arrow_csv(data, names, encoding, check_utf8, len(data) + 1)
        return None


def _python_csv(chunk: Chunk) -> tuple[Any, list[int], dict[int, dict[str, Any]]]:
    import pyarrow as pa

    try:
        text = chunk.data.decode(chunk.encoding)
    except UnicodeDecodeError:
        raise NotUtf8() from None
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text, newline=""), fieldnames=chunk.names, restkey=None)
    records, numbers, ragged = [], [], {}
    try:
        for row in reader:
            if None in row:
                ragged[len(records)] = row
            records.append(row)
            numbers.append(chunk.first - 1 + reader.line_num)
    except csv.Error as e:
        raise LabelReadError(chunk.path or "CSV", f"line {chunk.first - 1 + reader.line_num}: {e}") from None
    uniq = list(dict.fromkeys(chunk.names))
    cols = {c: [r.get(c) for r in records] for c in uniq}
    table = pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()}) if records else \
        pa.table({c: pa.array([], pa.string()) for c in uniq})
    return table, numbers, ragged


# ---------------------------------------------------------------------------- JSON Lines, Parquet

#: Bytes that may break a line for ``str.splitlines`` besides a final line feed: CR, VT, FF, the
#: separators 0x1C-0x1E, and the UTF-8 of NEL, LS and PS.
_OTHER_BREAKS = re.compile(rb"[\r\x0b\x0c\x1c\x1d\x1e]|\xc2\x85|\xe2\x80[\xa8\xa9]")


#: Bytes read at a time for a line without a line feed (a file of CR-only lines).
_PIECE = 8 << 20


def _raw_lines(f: Any) -> Iterator[bytes]:
    """The lines of a binary file as it iterates them (each ends with a line feed), except that
    a line longer than :data:`_PIECE` is cut after its last CR, unless that CR ends the piece
    (it may begin a CRLF): a file whose lines end in CR alone is read a piece at a time, not
    whole.  A longer line with no CR is read whole."""
    while True:
        raw = f.readline(_PIECE)
        if len(raw) < _PIECE or raw.endswith(b"\n"):
            if not raw:
                return
            yield raw
            continue
        cut = raw.rfind(b"\r", 0, len(raw) - 1) + 1
        if cut:
            f.seek(cut - len(raw), os.SEEK_CUR)
            yield raw[:cut]
            continue
        parts = [raw]
        while not parts[-1].endswith(b"\n"):
            more = f.readline(_PIECE)
            if not more:
                break
            parts.append(more)
        yield b"".join(parts)


def jsonl_chunks(path: str | Path, *, lines_per_chunk: int = 50_000, start: int = 0, lines: int = 0
                 ) -> Iterator[Chunk]:
    """Chunks of ``(line number, text)`` pairs; blank lines are skipped but counted.  Lines are
    those ``postcheck check`` sees (``str.splitlines``): a line feed ends one, and so do a lone
    CR, NEL, LS, PS and the other breaks that method knows, numbered on."""
    with open(path, "rb") as f:
        f.seek(start)
        pos, n = start, lines
        batch: list[tuple[int, bytes]] = []
        for raw in _raw_lines(f):
            pos += len(raw)
            if _OTHER_BREAKS.search(raw, 0, len(raw) - 2 if raw.endswith(b"\r\n") else len(raw)) is None:
                n += 1
                if raw.strip():
                    batch.append((n, raw))
            else:
                bom = n == 0 and raw.startswith(b"\xef\xbb\xbf")
                parts = raw.decode("utf-8-sig" if bom else "utf-8", errors="replace").splitlines()
                for part in parts or [""]:
                    n += 1
                    if part.strip():
                        batch.append((n, part.encode("utf-8")))
            if len(batch) >= lines_per_chunk:
                yield Chunk("jsonl", batch, batch[0][0], pos, n)
                batch = []
        if batch:
            yield Chunk("jsonl", batch, batch[0][0], pos, n)


def parquet_chunks(path: str | Path, *, rows_per_chunk: int = 200_000, start: int = 0) -> Iterator[Chunk]:
    """Chunks of a Parquet file as Arrow tables; ``start`` rows are skipped (to resume)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, OSError) as e:
        raise LabelReadError(str(path), f"not a Parquet file: {e}") from None
    seen = 0
    batches = pf.iter_batches(batch_size=rows_per_chunk)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as e:  # a damaged row group, past the footer
            raise LabelReadError(str(path), f"Parquet rows after row {seen} cannot be read: {e}") from None
        if batch is None:
            break
        t = pa.Table.from_batches([batch])
        if seen + t.num_rows <= start:
            seen += t.num_rows
            continue
        if seen < start:
            t = t.slice(start - seen)
            seen = start
        yield Chunk("table", t, seen + 1, seen + t.num_rows)
        seen += t.num_rows


# ---------------------------------------------------------------------------- outputs

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = "^[=+\\-@\t\r]"


def _formula_start(arr: Any) -> Any:
    """A mask of the cells that start with a formula character, or None when there is none:
    the first byte of every cell looked up at once (numpy over the string buffers)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    if n == 0:
        return None
    if not pa.types.is_string(arr.type):
        risky = pc.fill_null(pc.match_substring_regex(arr, _FORMULA_RE), False)
        return risky if pc.any(risky).as_py() else None
    from postcheck.batch.columns import string_buffers

    offs, data = string_buffers(arr)
    if offs[-1] == offs[0]:
        return None
    starts = offs[:-1]
    nonempty = offs[1:] > starts
    first = data[np.where(nonempty, starts, 0)]
    hit = _byte_table(_FORMULA)[first] & nonempty
    if arr.null_count:
        hit &= pc.is_valid(arr).to_numpy(zero_copy_only=False)
    if not hit.any():
        return None
    return pa.array(hit)


@lru_cache(maxsize=None)
def _byte_table(chars: str) -> Any:
    """A 256-entry mask of the (ASCII) ``chars``, to classify bytes with one numpy look-up."""
    import numpy as np

    t = np.zeros(256, dtype=bool)
    t[[ord(ch) for ch in chars]] = True
    return t


def _neutralised(arr: Any) -> Any:
    """Text cells a spreadsheet would run as formulas get a leading apostrophe."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from postcheck.report import neutralise_cell

    risky = _formula_start(arr)
    if risky is None:
        return arr
    fixed = [neutralise_cell(v) for v in arr.filter(risky).to_pylist()]
    return pc.replace_with_mask(arr, risky, pa.array(fixed, pa.string()))


_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _one_line(text: str) -> str:
    """A JSON text with the line breaks JSON leaves raw (NEL, LS, PS) escaped, so a reader that
    splits lines as Python's ``str.splitlines`` does still sees one result per line."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        for ch, esc in _LINE_BREAKS.items():
            text = text.replace(ch, esc)
    return text


def encode_results(table: Any, fmt: str, *, header: bool) -> bytes:
    """A chunk of results as bytes of the output format (Parquet: Arrow IPC, written by the
    parent into one Parquet file)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if fmt == "csv":
        cols = {}
        for name in table.column_names:
            col = table.column(name).combine_chunks()
            if name == "codes":
                col = pc.binary_join(col, " ")
            elif name == "messages":
                col = pc.binary_join(col, " | ")
            if name in ("parcel_id", "verdict", "messages", "error"):
                col = _neutralised(col)
            cols[name] = col
        out = pa.table(cols)
        buf = io.BytesIO()
        pacsv.write_csv(out, buf, write_options=pacsv.WriteOptions(include_header=header, quoting_style="needed"))
        return buf.getvalue()
    if fmt == "jsonl":
        lines = [_one_line(json.dumps(r, ensure_ascii=False)) for r in table.to_pylist()]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def write_parquet_part(writer: Any, data: bytes) -> None:
    import pyarrow as pa

    writer.write_table(pa.ipc.open_stream(data).read_all())

