"""Read a chunk of rows column by column into exact integers.

A batch chunk is an Arrow table with the CSV row format of :mod:`postcheck.rows`.  Each cell is
read the way :func:`postcheck.rows.label_from_row` reads it, but a column at a time:

* the common spellings of weights (``"520 g"``, ``"0.52 kg"``, ``"18.3 oz"``) and amounts
  (``"12.83"``) are read with one regular expression over the whole column into integer
  **picograms** and **micro-units** (exact: 1 oz is 28 349 523 125 000 pg);
* every other cell value is read once per distinct value by the label model itself (a minimal
  label with just that cell, memoised), so whatever pydantic accepts or rejects, and the
  problem it reports, is exactly what ``postcheck check`` would say.

A cell either reads (``ok``), is blank, or is *bad* with the label model's problem record; a
row with exactly one bad cell gets that problem as its reason without validating the row again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from postcheck.errors import InvalidLabel
from postcheck.rows import ITEM_COLUMNS
from postcheck.rows import label_from_row as _label_from_row

__all__ = ["PG_PER_G", "MICRO", "to_pg", "to_micro", "CellMemo", "ColumnPlan", "item_groups",
           "weight_column", "amount_column", "memo_codes", "memo_column", "text_column", "blank_mask"]

#: Picograms per gram: every weight the fast path handles is a whole number of picograms.
PG_PER_G = 10 ** 12
#: Money in micro-units (1e-6 of the currency unit).
MICRO = 10 ** 6
#: Largest single weight the fast path takes (100 kg); heavier parcels take the exact per-row path.
MAX_FAST_PG = 100_000 * PG_PER_G

_UNIT_PG = {"g": 10 ** 12, "kg": 10 ** 15, "oz": 28_349_523_125_000, "lb": 453_592_370_000_000}
#: Most fraction digits per unit that keep ``value * factor`` a whole number of picograms.
_MAX_FRAC = {"g": 6, "kg": 6, "oz": 3, "lb": 6}
#: Most integer digits per unit that keep the product inside int64.
_MAX_INT = {"g": 6, "kg": 3, "oz": 5, "lb": 4}
_WEIGHT_RE = r"^[ \t]*(?P<i>\d{1,6})(?:\.(?P<f>\d{1,6}))?[ \t]*(?P<u>g|kg|oz|lb)[ \t]*$"
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
            key = None  # type: ignore[assignment]
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


_BLANKS: dict[int, tuple[pa.Array, np.ndarray]] = {}


def blank_mask(arr: pa.Array) -> np.ndarray:
    """True where a cell is blank the way :func:`postcheck.rows.row_to_dict` sees it (None, or
    text that is only white space).  The last few columns' masks are kept (a chunk asks twice)."""
    hit = _BLANKS.get(id(arr))
    if hit is not None and hit[0] is arr:
        return hit[1].copy()
    out = _blank_mask(arr)
    if len(_BLANKS) > 64:
        _BLANKS.clear()
    _BLANKS[id(arr)] = (arr, out)
    return out.copy()


def _blank_mask(arr: pa.Array) -> np.ndarray:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        trimmed = pc.utf8_trim(arr, _ASCII_SPACE)
        blank = pc.fill_null(pc.equal(pc.utf8_length(trimmed), 0), True)
        out = blank.to_numpy(zero_copy_only=False)
        # non-ASCII white space: ask Python
        odd = ~pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False) & ~out
        if odd.any():
            for i in np.flatnonzero(odd):
                v = arr[int(i)].as_py()
                out[i] = not v.strip()
        return out
    if pa.types.is_floating(arr.type):
        return pc.fill_null(pc.is_nan(arr), True).to_numpy(zero_copy_only=False)
    return arr.is_null().to_numpy(zero_copy_only=False)


class ColumnPlan:
    """Per-row results of reading one chunk: bad cells, slow rows and parsed columns."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.bad_count = np.zeros(n, dtype=np.int32)
        self.bad_problems: dict[int, tuple] = {}  # row -> problems of its (first) bad cell
        self.slow = np.zeros(n, dtype=bool)  # rows only the exact per-row path can decide

    def bad(self, row: int, problems: Callable[[], tuple]) -> None:
        self.bad_count[row] += 1
        if self.bad_count[row] == 1:
            self.bad_problems[row] = problems()

    def view(self, rename: Callable[[tuple, int], tuple] | None = None) -> "_View":
        return _View(self, None, rename)


class _View:
    """A plan seen through a subset of its rows (``idx``) and a renaming of problem locations."""

    def __init__(self, plan: ColumnPlan, idx: np.ndarray | None, rename: Callable[[tuple, int], tuple] | None):
        self.plan = plan
        self.idx = idx
        self.rename = rename

    def row(self, local: int) -> int:
        return local if self.idx is None else int(self.idx[local])

    def sub(self, idx: np.ndarray) -> "_View":
        full = idx if self.idx is None else self.idx[idx]
        return _View(self.plan, full, self.rename)

    def bad(self, local: int, problems: tuple) -> None:
        i = self.row(local)
        ren = self.rename
        self.plan.bad(i, (lambda: ren(problems, i)) if ren else (lambda: problems))

    def slow(self, local: int) -> None:
        self.plan.slow[self.row(local)] = True


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
    enc = pc.dictionary_encode(arr)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    cells = []
    for v in enc.dictionary.to_pylist():
        cells.append(None if _is_blank(v) else memo.read(field, v, item=item))
    good = np.array([c is not None and c.ok for c in cells] + [False], dtype=bool)
    badu = np.array([c is not None and not c.ok for c in cells] + [False], dtype=bool)
    codes = pc.fill_null(enc.indices, len(cells)).to_numpy(zero_copy_only=False).astype(np.int64)
    present = good[codes]
    for i in np.flatnonzero(badu[codes]).tolist():
        view.bad(i, cells[codes[i]].problems)
    codes = np.where(present, codes, -1)
    values = [c.value if c is not None and c.ok else None for c in cells]
    extras = [c.extra if c is not None and c.ok else None for c in cells]
    return present, codes, values, extras


def memo_column(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, *,
                item: bool = False) -> tuple[np.ndarray, list[Any], list[Any]]:
    """Like :func:`memo_codes`, with the values spelled out per row (for small subsets)."""
    present, codes, values, extras = memo_codes(arr, n, field, memo, view, item=item)
    return (present, [values[c] if c >= 0 else None for c in codes.tolist()],
            [extras[c] if c >= 0 else None for c in codes.tolist()])


def _simple(arr: pa.Array, pattern: str) -> tuple[np.ndarray, pa.StructArray | None]:
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return np.zeros(len(arr), dtype=bool), None
    m = pc.extract_regex(arr, pattern)
    ok = m.is_valid().to_numpy(zero_copy_only=False)
    return ok, m


def _digits(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(value, number of digits) of a column of digit strings ('' or null -> 0, 0)."""
    length = pc.fill_null(pc.utf8_length(strings), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    filled = pc.fill_null(strings, "")
    vals = pc.cast(pc.if_else(pc.equal(filled, ""), "0", filled), pa.int64())
    return vals.to_numpy(zero_copy_only=False).astype(np.int64), length


def weight_column(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, *,
                  item: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(present, picograms)`` for a weight column; rows whose weight is not a whole number of
    picograms (or over 100 kg) are marked slow."""
    pg = np.zeros(n, dtype=np.int64)
    if arr is None:
        return np.zeros(n, dtype=bool), pg
    blank = blank_mask(arr)
    fast, m = _simple(arr, _WEIGHT_RE)
    fast &= ~blank
    if m is not None and fast.any():
        ip, ilen = _digits(m.field("i"))
        fp, flen = _digits(m.field("f"))
        unit = pc.fill_null(pc.index_in(m.field("u"), value_set=pa.array(list(_UNIT_PG))), 0)
        unit = unit.to_numpy(zero_copy_only=False).astype(np.int64)
        factor = np.array(list(_UNIT_PG.values()), dtype=np.int64)[unit]
        maxf = np.array(list(_MAX_FRAC.values()))[unit]
        maxi = np.array(list(_MAX_INT.values()))[unit]
        fast &= (flen <= maxf) & (ilen <= maxi)
        div = (10 ** np.minimum(flen, 6)).astype(np.int64)
        with np.errstate(over="ignore"):
            val = np.where(fast, ip * factor + fp * (factor // div), 0)
        fast &= val <= MAX_FAST_PG
        pg = np.where(fast, val, 0)
    present = ~blank
    _read_rest(arr, ~fast & ~blank, present, pg, to_pg, field, memo, view, item)
    return present, pg


def amount_column(arr: pa.Array | None, n: int, field: str, memo: CellMemo, view: _View, *,
                  item: bool = False) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """``(present, micro-units, currency written with the value or None)``."""
    micro = np.zeros(n, dtype=np.int64)
    currencies: list[Any] = [None] * n
    if arr is None:
        return np.zeros(n, dtype=bool), micro, currencies
    blank = blank_mask(arr)
    fast, m = _simple(arr, _AMOUNT_RE)
    fast &= ~blank
    if m is not None and fast.any():
        ip, _ = _digits(m.field("i"))
        fp, flen = _digits(m.field("f"))
        micro = np.where(fast, ip * MICRO + fp * (10 ** (6 - flen)).astype(np.int64), 0)
    present = ~blank
    for i, cur in _read_rest(arr, ~fast & ~blank, present, micro, to_micro, field, memo, view, item).items():
        currencies[i] = cur
    return present, micro, currencies


def _read_rest(arr: pa.Array, rest: np.ndarray, present: np.ndarray, out: np.ndarray,
               convert: Callable[[Any], int | None], field: str, memo: CellMemo, view: _View,
               item: bool) -> dict[int, Any]:
    """Cells the fast pattern did not take, read by the label model and converted exactly into
    ``out``; a value ``convert`` cannot hold sends its row to the per-row path.  Returns the
    extras (an item value's currency) by row."""
    extras: dict[int, Any] = {}
    if not rest.any():
        return extras
    idx = np.flatnonzero(rest)
    p2, values, ex = memo_column(arr.take(pa.array(idx)), len(idx), field, memo, view.sub(idx), item=item)
    for i, ok, v, e in zip(idx.tolist(), p2.tolist(), values, ex):
        if not ok:
            present[i] = False
            continue
        u = convert(v)
        if u is None:
            view.slow(i)
        else:
            out[i] = u
        extras[i] = e
    return extras


def text_column(arr: pa.Array | None, n: int, field: str, max_len: int, memo: CellMemo, view: _View, *,
                item: bool = False) -> tuple[np.ndarray, pa.Array]:
    """Free text (descriptions, tracking numbers): stripped, at most ``max_len`` characters.
    Returns ``(present, stripped text)`` (null where blank or bad)."""
    if arr is None:
        return np.zeros(n, dtype=bool), pa.nulls(n, pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        p, vals, _ = memo_column(arr, n, field, memo, view, item=item)
        return p, pa.array([None if v is None else str(v) for v in vals], pa.string())
    blank = blank_mask(arr)
    present = ~blank
    trimmed = pc.utf8_trim(arr, _ASCII_SPACE)
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False)
    long_ = pc.fill_null(pc.greater(pc.utf8_length(trimmed), max_len), False).to_numpy(zero_copy_only=False)
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
                view.bad(i, memo.read(field, v, item=item).problems)
        trimmed = pa.array(fixed, pa.string())
    trimmed = pc.if_else(pa.array(present), trimmed, pa.scalar(None, pa.string()))
    return present, trimmed


def item_groups(columns: list[str]) -> dict[int, dict[str, str]]:
    """``{group number: {item field: column name}}`` for ``item1_description`` ... columns."""
    out: dict[int, dict[str, str]] = {}
    for c in columns:
        m = _ITEM_COL.match(c.strip())
        if m:
            out.setdefault(int(m.group(1)), {})[m.group(2)] = c
    return dict(sorted(out.items()))
