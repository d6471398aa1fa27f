"""Read a chunk of rows column by column into exact integers.

A batch chunk is an Arrow table with the CSV row format of :mod:`postcheck.rows`.  Each cell is
read the way :func:`postcheck.rows.label_from_row` reads it, but a column at a time:

* the common spellings of weights (``"520 g"``, ``"0.52 kg"``, ``"18.3 oz"``) and amounts
  (``"12.83"``) are read into integer **picograms** and **micro-units** (exact: 1 oz is
  28 349 523 125 000 pg) by a small automaton run over the bytes of all the distinct cells at
  once, which reads exactly what the patterns ``_WEIGHT_RE`` and ``_AMOUNT_RE`` match;
* every other cell value is read once per distinct value by the label model itself (a minimal
  label with just that cell, memoised), so whatever pydantic accepts or rejects, and the
  problem it reports, is exactly what ``postcheck check`` would say.

A cell either reads (``ok``), is blank, or is *bad* with the label model's problem record; a
row with exactly one bad cell gets that problem as its reason without validating the row again.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from postcheck.errors import InvalidLabel
from postcheck.rows import ITEM_COLUMNS
from postcheck.rows import label_from_row as _label_from_row

__all__ = ["PG_PER_G", "MICRO", "to_pg", "to_micro", "CellMemo", "ColumnPlan", "item_groups",
           "weight_column", "amount_column", "memo_codes", "text_column", "blank_mask", "Encoded"]

#: Picograms per gram: every weight the fast path handles is a whole number of picograms.
PG_PER_G = 10 ** 12
#: Money in micro-units (1e-6 of the currency unit).
MICRO = 10 ** 6
#: Largest single weight the fast path takes (100 kg); heavier parcels take the exact per-row path.
MAX_FAST_PG = 100_000 * PG_PER_G

_UNIT_PG = {"g": 10 ** 12, "kg": 10 ** 15, "oz": 28_349_523_125_000, "lb": 453_592_370_000_000}
#: Most fraction digits per unit that keep ``value * factor`` a whole number of picograms.
_MAX_FRAC = {"g": 12, "kg": 15, "oz": 3, "lb": 6}
#: Most integer digits per unit that keep the product inside int64.
_MAX_INT = {"g": 6, "kg": 3, "oz": 5, "lb": 4}
_WEIGHT_RE = r"^[ \t]*(?P<i>\d{1,6})(?:\.(?P<f>\d{1,15}))?[ \t]*(?P<u>g|kg|oz|lb)[ \t]*$"
_AMOUNT_RE = r"^[ \t]*(?P<i>\d{1,12})(?:\.(?P<f>\d{1,6}))?[ \t]*$"
#: What Python's str.strip() removes from ASCII text.
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"

_BASE_ROW = {"service": "x", "origin": "CA", "destination": "US", "currency": "CAD"}
_BASE_ITEM = {"description": "x", "net_weight": "1 g", "value": "1"}
_ITEM_COL = re.compile(r"^item(\d{1,4})_(" + "|".join(ITEM_COLUMNS) + r")$")


def to_pg(grams: Decimal | None) -> int | None:
    """Exact picograms, or None when ``grams`` is not a whole number of them (or too large)."""
    if grams is None:
        return None
    v = grams * PG_PER_G
    if v != v.to_integral_value() or v < 0 or v > MAX_FAST_PG:
        return None
    return int(v)


def to_micro(amount: Decimal | None) -> int | None:
    """Exact micro-units, or None when ``amount`` has finer digits."""
    if amount is None:
        return None
    v = amount * MICRO
    if v != v.to_integral_value() or abs(v) >= 2 ** 62:
        return None
    return int(v)


@dataclass(frozen=True)
class Cell:
    """One distinct cell value read by the label model: its value or its problems."""

    ok: bool
    value: Any = None
    extra: Any = None  # the value's currency for item values ("USD 25.00")
    problems: tuple = ()


class CellMemo:
    """Reads distinct cell values with the label model, once each (per process)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, Any], Cell] = {}

    def read(self, field: str, value: Any, *, item: bool) -> Cell:
        """``field`` is a label field (``gross_weight``) or, with ``item``, an item field
        (``net_weight``); ``value`` None means the cell is blank."""
        try:
            key = (("item_" if item else "") + field, value)
            hash(key)
        except TypeError:
            key = None
        if key is not None:
            hit = self._memo.get(key)
            if hit is not None:
                return hit
        cell = self._read(field, value, item)
        if key is not None and len(self._memo) < 2_000_000:
            self._memo[key] = cell
        return cell

    @staticmethod
    def _read(field: str, value: Any, item: bool) -> Cell:
        row: dict[str, Any] = dict(_BASE_ROW)
        if item:
            row.update({f"item1_{k}": v for k, v in _BASE_ITEM.items()})
            name = f"item1_{field}"
        else:
            name = field
        if value is None:
            row.pop(name, None)
        else:
            row[name] = value
        try:
            lab = _label_from_row(row, source="")
        except InvalidLabel as e:
            return Cell(False, problems=e.problems)
        if item:
            it = lab.items[0]
            return Cell(True, getattr(it, field), it.value_currency if field == "value" else None)
        return Cell(True, getattr(lab, field, None))


def unique_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct values, index of each element's value)`` of an integer array, in order of first
    appearance: ``np.unique(x, return_inverse=True)`` by hashing (pyarrow) instead of sorting."""
    x = np.asarray(x, dtype=np.int64)
    if not len(x):
        return x, np.zeros(0, dtype=np.int64)
    enc = pc.dictionary_encode(pa.array(x))
    return enc.dictionary.to_numpy(), enc.indices.to_numpy().astype(np.int64)


def blank_mask(arr: pa.Array) -> np.ndarray:
    """True where a cell is blank the way :func:`postcheck.rows.row_to_dict` sees it (None, or
    text that is only white space)."""
    return _blank_mask(arr)


def _blank_mask(arr: pa.Array) -> np.ndarray:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return _blank_parts(arr)[0]
    if pa.types.is_floating(arr.type):
        return pc.fill_null(pc.is_nan(arr), True).to_numpy(zero_copy_only=False)
    return arr.is_null().to_numpy(zero_copy_only=False)


def _blank_parts(arr: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray, pa.Array]:
    """``(blank, text trimmed of ASCII white space, ASCII, trimmed length)`` of a text column.
    When every byte of the column is ASCII (one look at its buffer), the ASCII kernels give the
    same answers for less."""
    if _all_ascii(arr):
        trimmed = pc.ascii_trim(arr, _ASCII_SPACE)
        length = pc.binary_length(trimmed)
        ascii_ = np.ones(len(arr), dtype=bool)
    else:
        trimmed = pc.utf8_trim(arr, _ASCII_SPACE)
        length = pc.utf8_length(trimmed)
        ascii_ = pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False)
    out = pc.fill_null(pc.equal(length, 0), True).to_numpy(zero_copy_only=False)
    # non-ASCII white space: ask Python
    odd = ~ascii_ & ~out
    if odd.any():
        for i in np.flatnonzero(odd):
            v = arr[int(i)].as_py()
            out[i] = not v.strip()
    return out, trimmed, ascii_, length


def string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, bytes)`` of a string (or large string) array, as numpy views of its buffers:
    cell ``i`` is ``bytes[offsets[i]:offsets[i + 1]]`` (the offsets are int64)."""
    wide = 8 if pa.types.is_large_string(arr.type) else 4
    offs = np.frombuffer(arr.buffers()[1], dtype=np.int64 if wide == 8 else np.int32, count=len(arr) + 1,
                         offset=arr.offset * wide).astype(np.int64)
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None and buf.size else np.zeros(1, dtype=np.uint8)
    return offs, data


def _all_ascii(arr: Any) -> bool:
    """Every byte of a (plain, 32-bit offset) string array's text is ASCII."""
    if not isinstance(arr, pa.StringArray) or len(arr) == 0:
        return False
    offs, data = string_buffers(arr)
    return bool((data[offs[0]:offs[-1]] < 128).all())


@dataclass
class Encoded:
    """A column as codes into its distinct values: ``codes[i]`` indexes ``values`` (the code
    ``len(values)`` stands for a null cell); ``blank`` says which codes are blank cells."""

    codes: np.ndarray
    values: pa.Array
    blank: np.ndarray  # len(values) + 1


def _rename(problems: tuple, pos: int) -> tuple:
    """Problems of an ``item1_...`` cell as the label model names them at contents line ``pos``."""
    return tuple((re.sub(r"^item1_", f"item{pos + 1}_", loc), v, x) for loc, v, x in problems)


@dataclass(frozen=True)
class _Known:
    """One column's known values, their blank mask and the look-up options (replaced whole)."""

    values: pa.Array
    blank: np.ndarray
    lookup: Any


class KnownValues:
    """The distinct values seen so far in each text column of few distinct values (service,
    country, date, description ...), kept across chunks: a chunk's column is then encoded by
    looking its cells up in that set (``pc.index_in``, measured 20-40 % cheaper than hashing the
    column afresh with ``dictionary_encode``), and only values not seen before are added.  A
    column whose values pass ``LIMIT`` is encoded afresh in every chunk from then on (its
    consumers go over every known value each chunk, which would grow without bound); so is every
    column past the first ``COLUMNS`` names (a file of thousands of columns keeps memory flat)."""

    LIMIT = 4096
    COLUMNS = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, _Known | None] = {}  # None: not kept (too many values)

    def encode(self, name: str, arr: pa.Array) -> Encoded | None:
        """``arr`` (the column ``name`` of a chunk) encoded against the known values, or None
        when this column is not kept."""
        if not pa.types.is_string(arr.type):
            return None
        known = self._by_name.get(name)
        if known is None:
            if name in self._by_name or len(self._by_name) >= self.COLUMNS:
                return None
            known = self._add(name, None, pc.unique(arr))
            if known is None:
                return None
        idx = pc.index_in(arr, options=known.lookup)
        if idx.null_count > arr.null_count:  # values not seen before
            unseen = pc.and_(pc.is_null(idx), pc.is_valid(arr))
            known = self._add(name, known, pc.unique(pc.filter(arr, unseen)))
            if known is None:
                return None
            idx = pc.index_in(arr, options=known.lookup)
        if isinstance(idx, pa.ChunkedArray):
            idx = idx.combine_chunks()
        m = len(known.values)
        codes = idx.fill_null(m).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return Encoded(codes, known.values, np.append(known.blank, True))

    def _add(self, name: str, known: _Known | None, new: Any) -> _Known | None:
        if isinstance(new, pa.ChunkedArray):
            new = new.combine_chunks()
        new = new.drop_null()  # a null cell is no value: it keeps the null code
        with self._lock:
            if name in self._by_name:
                current = self._by_name[name]
                if current is None:
                    return None
                known = current  # as it is now (another thread may have added values)
            if known is None:
                values, blank = new, _blank_mask(new)
            else:
                fresh = pc.filter(new, pc.invert(pc.is_in(new, value_set=known.values)))
                values = pa.concat_arrays([known.values, fresh])
                blank = np.append(known.blank, _blank_mask(fresh))
            if len(values) > self.LIMIT or not pa.types.is_string(values.type):
                self._by_name[name] = None
                return None
            out = _Known(values, blank, pc.SetLookupOptions(value_set=values))
            self._by_name[name] = out
            return out


class ColumnPlan:
    """Per-row results of reading one chunk: bad cells, slow rows, and the chunk's columns
    encoded once each."""

    def __init__(self, n: int, known: KnownValues | None = None, names: dict[int, str] | None = None) -> None:
        self.known = known
        self.names = names or {}  # id of a chunk column -> its name
        self.n = n
        self.bad_count = np.zeros(n, dtype=np.int32)
        self.first_bad = np.full(n, -1, dtype=np.int64)  # row -> problem id of its (first) bad cell
        self.problems: list[tuple] = []
        self._ids: dict[tuple[int, int], int] = {}
        self._keep: list[tuple] = []
        self.slow = np.zeros(n, dtype=bool)  # rows only the exact per-row path can decide
        self._enc: dict[int, tuple[pa.Array, Encoded]] = {}

    def problem_id(self, problems: tuple, pos: int = -1) -> int:
        """A small id for a problems tuple (renamed for contents line ``pos`` when >= 0)."""
        key = (id(problems), pos)
        i = self._ids.get(key)
        if i is None:
            i = self._ids[key] = len(self.problems)
            self.problems.append(problems if pos < 0 else _rename(problems, pos))
            self._keep.append(problems)  # keeps id() unique while the plan lives
        return i

    def bad_rows(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """Rows (distinct) with a bad cell whose problems are ``ids``."""
        if not len(rows):
            return
        first = self.bad_count[rows] == 0
        self.first_bad[rows[first]] = ids[first]
        self.bad_count[rows] += 1

    def encoded(self, arr: pa.Array) -> Encoded:
        hit = self._enc.get(id(arr))
        if hit is not None and hit[0] is arr:
            return hit[1]
        name = self.names.get(id(arr))
        if name is not None and self.known is not None:
            got = self.known.encode(name, arr)
            if got is not None:
                self._enc[id(arr)] = (arr, got)
                return got
        enc = pc.dictionary_encode(arr)
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        values = enc.dictionary
        m = len(values)
        codes = enc.indices.fill_null(m).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        blank = np.append(_blank_mask(values), True)
        out = Encoded(codes, values, blank)
        self._enc[id(arr)] = (arr, out)
        return out

    def blank(self, arr: pa.Array | None, n: int) -> np.ndarray:
        """:func:`blank_mask` through the column's encoding (all blank when there is no column)."""
        if arr is None:
            return np.ones(n, dtype=bool)
        e = self.encoded(arr)
        return e.blank[e.codes]

    def view(self, pos: np.ndarray | None = None) -> "_View":
        return _View(self, None, pos)


class _View:
    """A plan seen through a subset of its rows (``idx``), for the contents line ``pos[row]``."""

    def __init__(self, plan: ColumnPlan, idx: np.ndarray | None, pos: np.ndarray | None):
        self.plan = plan
        self.idx = idx
        self.pos = pos

    def rows(self, local: np.ndarray) -> np.ndarray:
        return local if self.idx is None else self.idx[local]

    def sub(self, idx: np.ndarray) -> "_View":
        full = idx if self.idx is None else self.idx[idx]
        return _View(self.plan, full, self.pos)

    def bad_many(self, local: np.ndarray, problems: list[tuple], which: np.ndarray | None = None) -> None:
        """Rows ``local`` have a bad cell; row k's problems are ``problems[which[k]]``."""
        if not len(local):
            return
        rows = self.rows(np.asarray(local, dtype=np.int64))
        which = np.zeros(len(rows), dtype=np.int64) if which is None else np.asarray(which, dtype=np.int64)
        plan = self.plan
        if self.pos is None:
            key = which
            width = 1
        else:
            width = int(self.pos[rows].max()) + 1
            key = which * width + self.pos[rows]
        uniq, inv = unique_inverse(key)
        ids = np.array([plan.problem_id(problems[k // width], -1 if self.pos is None else k % width)
                        for k in uniq.tolist()], dtype=np.int64)
        plan.bad_rows(rows, ids[inv.reshape(-1)])

    def bad(self, local: int, problems: tuple) -> None:
        self.bad_many(np.array([local]), [problems])

    def slow_many(self, local: np.ndarray) -> None:
        self.plan.slow[self.rows(np.asarray(local, dtype=np.int64))] = True


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    return isinstance(v, float) and v != v


def memo_codes(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, *,
               item: bool = False) -> tuple[np.ndarray, np.ndarray, list[Any], list[Any]]:
    """Read a column through the label model, one distinct value at a time.

    Returns ``(present, codes, values, extras)``: ``values[codes[i]]`` is row ``i``'s parsed
    value where ``present[i]``; ``codes`` is -1 where the cell is blank or bad.  Bad cells are
    recorded in the plan behind ``view``."""
    if arr is None or n == 0:
        return np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64), [], []
    e = view.plan.encoded(arr) if view.idx is None else _encode_once(arr)
    cells = []
    for v, b in zip(e.values.to_pylist(), e.blank.tolist()):
        cells.append(None if b or _is_blank(v) else memo.read(field, v, item=item))
    good = np.array([c is not None and c.ok for c in cells] + [False], dtype=bool)
    badu = np.array([c is not None and not c.ok for c in cells] + [False], dtype=bool)
    codes = e.codes
    if badu.any():
        bad_rows = np.flatnonzero(badu[codes])
        if len(bad_rows):
            probs = [c.problems if c is not None and not c.ok else () for c in cells]
            view.bad_many(bad_rows, probs, codes[bad_rows])
    # each value's code where it reads, -1 where it is blank or bad: one look-up per row
    codes = np.where(good, np.arange(len(good)), -1)[codes]
    present = codes >= 0
    values = [c.value if c is not None and c.ok else None for c in cells]
    extras = [c.extra if c is not None and c.ok else None for c in cells]
    return present, codes, values, extras


def _encode_once(arr: pa.Array) -> Encoded:
    return ColumnPlan(0).encoded(arr)


# ---------------------------------------------------------------------------- the plain shapes, byte by byte

# The scanner below is a hand-made automaton for exactly the patterns _WEIGHT_RE and _AMOUNT_RE,
# which stay the reference: a property test holds the two together, and cells longer than the
# scanner reads go through the pattern.  Byte classes, and states:
_C_SPACE, _C_DIGIT, _C_DOT, _C_G, _C_K, _C_O, _C_Z, _C_L, _C_B, _C_OTHER, _C_END = range(11)
_S_START, _S_INT, _S_DOT, _S_FRAC, _S_GAP, _S_K, _S_O, _S_L, _S_UNIT, _S_DEAD = range(10)
_NC = _C_END + 1
#: Longest cell the scanner reads (bytes); longer ones, rare, go through the pattern.
_SCAN_WIDTH = 24


@lru_cache(maxsize=1)
def _byte_class() -> np.ndarray:
    cls = np.full(256, _C_OTHER, dtype=np.int64)
    cls[[32, 9]] = _C_SPACE
    cls[48:58] = _C_DIGIT
    cls[ord(".")] = _C_DOT
    for ch, c in zip("gkozlb", (_C_G, _C_K, _C_O, _C_Z, _C_L, _C_B)):
        cls[ord(ch)] = c
    return cls


@lru_cache(maxsize=2)
def _transitions(units: bool) -> tuple[np.ndarray, np.ndarray]:
    r"""``(next, unit)`` over ``state * _NC + byte class`` (a state is kept as ``state * _NC``):
    ``^[ \t]*\d+(\.\d+)?[ \t]*(g|kg|oz|lb)[ \t]*$`` with ``units``, else the same without the
    unit; ``unit`` is the index into ``_UNIT_PG`` of the unit a step completes.  The digit
    counts are checked after."""
    t = np.full((_S_DEAD + 1, _NC), _S_DEAD, dtype=np.int64)
    t[_S_START, _C_SPACE] = _S_START
    t[_S_START, _C_DIGIT] = _S_INT
    t[_S_INT, _C_DIGIT] = _S_INT
    t[_S_INT, _C_DOT] = _S_DOT
    t[_S_DOT, _C_DIGIT] = _S_FRAC
    t[_S_FRAC, _C_DIGIT] = _S_FRAC
    for s in (_S_INT, _S_FRAC, _S_GAP):
        t[s, _C_SPACE] = _S_GAP
        if units:
            t[s, _C_G] = _S_UNIT
            t[s, _C_K] = _S_K
            t[s, _C_O] = _S_O
            t[s, _C_L] = _S_L
        else:  # the number may end the cell
            t[s, _C_END] = _S_UNIT
    t[_S_K, _C_G] = t[_S_O, _C_Z] = t[_S_L, _C_B] = _S_UNIT
    t[_S_UNIT, _C_SPACE] = t[_S_UNIT, _C_END] = _S_UNIT
    unit = np.zeros_like(t)
    unit[_S_K, _C_G], unit[_S_O, _C_Z], unit[_S_L, _C_B] = 1, 2, 3  # kg, oz, lb (g is 0)
    return (t * _NC).ravel(), unit.ravel()


def _scan_plain(values: pa.Array, units: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                          np.ndarray, np.ndarray, np.ndarray]:
    """``(matches, integer part, its digits, fraction part, its digits, unit index, too long to
    read)`` of text cells against ``_WEIGHT_RE`` (``units``) or ``_AMOUNT_RE``, read byte by byte
    with numpy: the first byte of every cell at once, then the second byte of the cells that
    have one, and so on (longest cells first, so the cells still being read are always the
    front of the array).  Digit counts are not limited here (the patterns' ``{1,6}``, ``{1,12}``
    are checked by the caller)."""
    m = len(values)
    offs, data = string_buffers(values)
    lengths = offs[1:] - offs[:-1]
    by_length = np.argsort(-lengths, kind="stable")
    skip = int(np.count_nonzero(lengths > _SCAN_WIDTH))
    order = by_length[skip:]
    length = lengths[order]
    start = offs[:-1][order]
    k = len(order)
    # cells still being read at byte j: the first `active[j]` (lengths run downwards)
    active = np.searchsorted(-length, -np.arange(int(length[0]) if k else 0), side="left")
    table, unit_of = _transitions(units)
    cls_of = _byte_class()
    state = np.full(k, _S_START * _NC, dtype=np.int64)
    ip, ilen, fp, flen, unit = (np.zeros(k, dtype=np.int64) for _ in range(5))
    for j, a in enumerate(active.tolist()):
        byte = data[start[:a] + j]
        step = state[:a] + cls_of[byte]
        new = table[step]
        d = byte.astype(np.int64) - 48
        # a digit of the integer (fraction) part: x -> 10 x + d (past 18 digits this wraps, but
        # such a cell matches neither pattern anyway)
        for part, count, where in ((ip, ilen, new == _S_INT * _NC), (fp, flen, new == _S_FRAC * _NC)):
            x = part[:a]
            x += (x * 9 + d) * where
            count[:a] += where
        if units:
            unit[:a] |= unit_of[step]
        state[:a] = new
    fast_k = table[state + _C_END] == _S_UNIT * _NC
    out = [np.zeros(m, dtype=bool)] + [np.zeros(m, dtype=np.int64) for _ in range(5)]
    for whole, part in zip(out, (fast_k, ip, ilen, fp, flen, unit)):
        whole[order] = part
    if values.null_count:
        out[0] &= values.is_valid().to_numpy(zero_copy_only=False)
    too_long = np.zeros(m, dtype=bool)
    too_long[by_length[:skip]] = True
    return (*out, too_long)  # type: ignore[return-value]


def _digits(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(value, number of digits) of a column of digit strings ('' or null -> 0, 0)."""
    length = pc.fill_null(pc.utf8_length(strings), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    filled = pc.fill_null(strings, "")
    vals = pc.cast(pc.if_else(pc.equal(filled, ""), "0", filled), pa.int64())
    return vals.to_numpy(zero_copy_only=False).astype(np.int64), length


def _plain_by_pattern(values: pa.Array, units: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                               np.ndarray, np.ndarray]:
    """:func:`_scan_plain` by the patterns themselves (pyarrow's regular expressions): the
    reference, and the reader of cells longer than the scanner takes."""
    m = len(values)
    x = pc.extract_regex(values, _WEIGHT_RE if units else _AMOUNT_RE)
    fast = x.is_valid().to_numpy(zero_copy_only=False)
    if not fast.any():
        z = np.zeros(m, dtype=np.int64)
        return fast, z, z, z, z, z
    ip, ilen = _digits(x.field("i"))
    fp, flen = _digits(x.field("f"))
    unit = np.zeros(m, dtype=np.int64)
    if units:
        unit = pc.fill_null(pc.index_in(x.field("u"), value_set=pa.array(list(_UNIT_PG))), 0)
        unit = unit.to_numpy(zero_copy_only=False).astype(np.int64)
    return fast, ip, ilen, fp, flen, unit


def _plain_parts(values: pa.Array, units: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                          np.ndarray, np.ndarray]:
    """``(matches, integer part, its digits, fraction part, its digits, unit index)`` of distinct
    text cells in the plain shape of a weight (``units``) or an amount."""
    m = len(values)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) or m == 0:
        z = np.zeros(m, dtype=np.int64)
        return np.zeros(m, dtype=bool), z, z, z, z, z
    *parts, too_long = _scan_plain(values, units)
    long = np.flatnonzero(too_long)
    if len(long):
        more = _plain_by_pattern(values.take(pa.array(long)), units)
        for whole, part in zip(parts, more):
            whole[long] = part
    # the patterns' digit counts: \d{1,6} and fraction \d{1,15} (weights), \d{1,12} and \d{1,6} (amounts)
    fast, ip, ilen, fp, flen, unit = parts
    fast &= (ilen <= (6 if units else 12)) & (flen <= (15 if units else 6))
    return fast, ip, ilen, fp, flen, unit


def _fast_weights(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(taken, picograms)`` for distinct cells of the plain shape ``<number> <unit>``."""
    fast, ip, ilen, fp, flen, unit = _plain_parts(values, True)
    if not fast.any():
        return fast, np.zeros(len(values), dtype=np.int64)
    factor = np.array(list(_UNIT_PG.values()), dtype=np.int64)[unit]
    maxf = np.array(list(_MAX_FRAC.values()))[unit]
    maxi = np.array(list(_MAX_INT.values()))[unit]
    fast &= (flen <= maxf) & (ilen <= maxi)
    div = (10 ** np.minimum(flen, 15)).astype(np.int64)
    with np.errstate(over="ignore"):
        val = np.where(fast, ip * factor + fp * (factor // div), 0)
    fast &= val <= MAX_FAST_PG
    return fast, np.where(fast, val, 0)


def _fast_amounts(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(taken, micro-units)`` for distinct cells of the plain shape ``12.83``."""
    fast, ip, _, fp, flen, _ = _plain_parts(values, False)
    if not fast.any():
        return fast, np.zeros(len(values), dtype=np.int64)
    with np.errstate(over="ignore"):
        val = ip * MICRO + fp * (10 ** (6 - np.minimum(flen, 6))).astype(np.int64)
    return fast, np.where(fast, val, 0)


def _number_column(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, item: bool,
                   fast_parse: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]],
                   convert: Callable[[Any], int | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    """Weights or amounts, one distinct cell at a time: the plain shape by a pyarrow pattern,
    the rest by the label model (memoised).  Returns ``(present, exact integers, extra code per
    row (-1 none), extras)``; a value ``convert`` cannot hold sends its rows to the per-row path."""
    if arr is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64), []
    e = view.plan.encoded(arr)
    m = len(e.values)
    fast, val = fast_parse(e.values)
    val = np.append(val, 0)
    blank = e.blank
    rest = np.flatnonzero(~fast & ~blank[:m])
    bad_d = np.zeros(m + 1, dtype=bool)
    slow_d = np.zeros(m + 1, dtype=bool)
    extra_d = np.full(m + 1, -1, dtype=np.int64)
    extras: list[Any] = []
    probs: list[tuple] = [()] * (m + 1)
    if len(rest):
        for j, v in zip(rest.tolist(), e.values.take(pa.array(rest)).to_pylist()):
            cell = memo.read(field, v, item=item)
            if not cell.ok:
                bad_d[j] = True
                probs[j] = cell.problems
                continue
            u = convert(cell.value)
            if u is None:
                slow_d[j] = True
            else:
                val[j] = u
            if cell.extra is not None:
                extra_d[j] = len(extras)
                extras.append(cell.extra)
    codes = e.codes
    present = ~blank[codes]
    if bad_d.any():
        b = bad_d[codes]
        present &= ~b
        rows = np.flatnonzero(b)
        view.bad_many(rows, probs, codes[rows])
    if slow_d.any():
        view.slow_many(np.flatnonzero(slow_d[codes]))
    out = val[codes]
    out[~present] = 0
    return present, out, extra_d[codes], extras


def weight_column(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, *,
                  item: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(present, picograms)`` for a weight column; rows whose weight is not a whole number of
    picograms (or over 100 kg) are marked slow."""
    present, pg, _, _ = _number_column(arr, n, field, memo, view, item, _fast_weights, to_pg)
    return present, pg


def amount_column(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, *,
                  item: bool = False) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, list[Any]]]:
    """``(present, micro-units, (currency code per row or -1, currencies written with the value))``."""
    present, micro, ci, cv = _number_column(arr, n, field, memo, view, item, _fast_amounts, to_micro)
    return present, micro, (ci, cv)


def text_column(arr: pa.Array | None, n: int, field: str, max_len: int, memo: CellMemo, view: _View, *,
                item: bool = False, encode: bool = True, distinct: dict[str, Any] | None = None
                ) -> tuple[np.ndarray, pa.Array]:
    """Free text (descriptions, tracking numbers): stripped, at most ``max_len`` characters.
    Returns ``(present, stripped text)`` (null where blank or bad).  With ``encode`` the work is
    done once per distinct value (for columns that repeat, like descriptions), and ``distinct``,
    when given, receives ``codes`` (per row, -1 where not present) and ``texts`` (the stripped
    text of each code)."""
    if arr is None:
        return np.zeros(n, dtype=bool), pa.nulls(n, pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        p, codes, values, _ = memo_codes(arr, n, field, memo, view, item=item)
        vals = [None if v is None else str(v) for v in values] + [None]
        return p, pa.array(vals, pa.string()).take(pa.array(np.where(codes < 0, len(values), codes)))
    if encode:
        e = view.plan.encoded(arr)
        ok, texts = _stripped(e.values, e.blank[:-1], field, max_len, memo, item)
        ok = np.append(ok, False)
        codes = e.codes
        present = ok[codes]
        bad = ~e.blank[codes] & ~present
        if bad.any():
            rows = np.flatnonzero(bad)
            probs = [memo.read(field, v, item=item).problems if not o and not b else ()
                     for v, o, b in zip(e.values.to_pylist(), ok.tolist(), e.blank.tolist())]
            view.bad_many(rows, probs, codes[rows])
        if distinct is not None:
            distinct["codes"] = np.where(present, codes, -1)
            distinct["texts"] = texts.to_pylist()
        return present, texts.take(pa.array(codes, mask=~present))
    blank, trimmed, ascii_, length = _blank_parts(arr)
    ok, texts = _stripped(arr, blank, field, max_len, memo, item, (trimmed, ascii_, length))
    bad = ~blank & ~ok
    for i in np.flatnonzero(bad).tolist():
        view.bad(i, memo.read(field, arr[i].as_py(), item=item).problems)
    return ok, pc.if_else(pa.array(ok), texts, pa.scalar(None, pa.string()))


def _stripped(arr: pa.Array, blank: np.ndarray, field: str, max_len: int, memo: CellMemo,
              item: bool, parts: tuple[pa.Array, np.ndarray, pa.Array] | None = None) -> tuple[np.ndarray, pa.Array]:
    """``(readable and not blank, stripped text)`` per cell of ``arr`` (``parts``: its trimmed
    text, ASCII mask and trimmed length when already known)."""
    present = ~blank
    _, trimmed, ascii_, length = _blank_parts(arr) if parts is None else (None, *parts)
    long_ = pc.fill_null(pc.greater(length, max_len), False).to_numpy(zero_copy_only=False)
    odd = present & (~ascii_ | long_)
    if odd.any():
        idx = np.flatnonzero(odd)
        raw = arr.take(pa.array(idx)).to_pylist()
        fixed: list[Any] = trimmed.to_pylist()
        for i, v in zip(idx.tolist(), raw):
            s = v.strip()
            if len(s) <= max_len:
                fixed[i] = s
            else:
                present[i] = False
        trimmed = pa.array(fixed, pa.string())
    return present, trimmed


def item_groups(columns: list[str]) -> dict[int, dict[str, str]]:
    """``{group number: {item field: column name}}`` for ``item1_description`` ... columns."""
    out: dict[int, dict[str, str]] = {}
    for c in columns:
        m = _ITEM_COL.match(c.strip())
        if m:
            out.setdefault(int(m.group(1)), {})[m.group(2)] = c
    return dict(sorted(out.items()))
