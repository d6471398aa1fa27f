"""The facts of a chunk of rows that the rules' column forms read, and the text kernels they write
their messages with.

:class:`Facts` is to a chunk what :class:`postcheck.rules.context.Context` is to one label: the
label's cells read into exact integers (weights in picograms, money in micro-units), the tariff in
force, the weight postage must cover and its price, each a numpy array with one entry per row of
the chunk, computed once by the engine (:mod:`postcheck.batch.engine`) and shared by every rule.
Rows the engine could not work the facts out for exactly never reach a column form; they go to
:func:`postcheck.check`.

A column form (``@columns(rule)`` in ``rules/``) combines the arrays with ``&``, ``|``, ``~`` and
comparisons, and writes messages with the methods here (:meth:`Facts.join`, :meth:`Facts.kg`,
:meth:`Facts.money` ...), which take ``at``, the positions of the rows a message is for.  So the
rule modules never import numpy or pyarrow themselves, and ``postcheck check`` starts as fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from postcheck.batch.columns import PG_PER_G, unique_inverse
from postcheck.batch.prices import TOLERANCE_PG
from postcheck.rules.context import Tolerance

__all__ = ["Facts", "Line", "BASES", "CATEGORIES", "FORMS", "grams_text", "cents_arr", "per_pair"]

#: The label's categories, as numbered in :attr:`Facts.category` (0: none ticked).
CATEGORIES = ("", "gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other")
#: Where the weight postage must cover comes from, as numbered in :attr:`Facts.basis_kind`
#: (``Context.basis``; a floor is net + packaging or the net weight, above the declared gross weight).
BASES = ("", "measured", "net + packaging above gross", "net weight above gross", "declared gross",
         "net + packaging", "net weight only")
#: Customs forms, as numbered in :attr:`Facts.form`.
FORMS = {"none": 0, "CN22": 1, "CN23": 2}


def grams_text(pg: int) -> str:
    """``format_weight(grams, "g")`` for a weight in picograms."""
    whole, frac = divmod(pg, PG_PER_G)
    return f"{whole}.{frac:012d}".rstrip("0").rstrip(".") + " g" if frac else f"{whole} g"


@dataclass
class Line:
    """One column group of contents lines (``item1_...``): per row, whether the row has a line
    there, its position on the label (0 for "Line 1") and its cells."""

    here: np.ndarray
    pos: np.ndarray
    description: pa.Array  # stripped text, null where blank
    hs_code: np.ndarray  # code per row, -1 blank
    hs_codes: list[str]
    origin_country: np.ndarray  # code per row, -1 blank
    value_currency: np.ndarray  # the engine's number for the currency written with the value, -1 none
    _distinct: dict[str, Any] = field(default_factory=dict)

    def descriptions(self) -> tuple[np.ndarray, list[str | None]]:
        """``(code per row, distinct stripped descriptions)``: each row's description is
        ``texts[code]`` (code -1 where blank)."""
        d = self._distinct
        if "codes" not in d or (d["codes"][self.here] < 0).any():
            enc = pc.dictionary_encode(self.description)
            d["codes"] = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
            d["texts"] = enc.dictionary.to_pylist()
        return d["codes"], d["texts"]

    def number(self, at: np.ndarray) -> pa.Array:
        """"1", "2" ...: the line's number on the label, for the rows at ``at``."""
        return _num(self.pos[at] + 1)


class Facts:
    """Per-row facts of one chunk (every array has one entry per row) and the text kernels the
    column forms write messages with.  The engine sets the arrays; see the attribute comments."""

    # set by the engine (bool arrays are masks; numbers are exact integers)
    n: int
    rows: np.ndarray  # the rows the engine worked the facts out for (the column forms see no others)
    form: np.ndarray  # FORMS number of the label's customs form
    has_form: np.ndarray
    is_cn22: np.ndarray
    label_currency: np.ndarray  # the engine's number for the label's currency
    category: np.ndarray  # CATEGORIES index
    international: np.ndarray
    has_items: np.ndarray
    net: np.ndarray  # pg, sum of the lines' net weights
    has_packaging: np.ndarray
    packaging: np.ndarray  # pg
    has_gross: np.ndarray
    gross: np.ndarray  # pg
    has_measured: np.ndarray
    measured: np.ndarray  # pg
    has_expected: np.ndarray  # net + packaging known (items and packaging)
    expected: np.ndarray  # pg, net + packaging
    basis_kind: np.ndarray  # BASES index
    basis: np.ndarray  # pg: the weight postage must cover (Context.basis)
    has_basis: np.ndarray
    has_total_value: np.ndarray
    total_value: np.ndarray  # micro
    items_value: np.ndarray  # micro, sum of the lines' values
    has_paid: np.ndarray
    paid: np.ndarray  # micro
    has_explanation: np.ndarray
    has_invoice: np.ndarray
    has_tracking: np.ndarray
    tracking: pa.Array  # stripped text
    tariff_needs_form: np.ndarray  # the product travels with a customs declaration abroad
    tariff_needs_cn23: np.ndarray  # ... and it is a CN 23 (a parcel product)
    declared_value: np.ndarray  # micro: the total value, else the sum of the lines' values
    tolerance: Tolerance  # how far a measured weight may stray (the default: the per-row path takes others)
    tolerance_pg: int
    priced: np.ndarray  # the basis weight has a price (Context.required is a Quote)
    required: np.ndarray  # micro
    required_step: np.ndarray  # step key (VectorTariff.step_text)
    chargeable: np.ndarray  # pg
    rounded: np.ndarray  # pg
    volumetric: np.ndarray  # pg, -1 none
    net_priced: np.ndarray
    net_price: np.ndarray  # micro
    net_step: np.ndarray
    over_weight_limit: np.ndarray  # the tariff refuses the basis weight as over its limit
    max_weight: np.ndarray  # pg, the tariff's limit plus the conversion tolerance (-1 none)
    lines: list[Line]

    def __init__(self, n: int, *, tariff_of: np.ndarray, currencies: pa.Array, names: pa.Array,
                 max_weights: pa.Array, step_text: Callable[[int, int], str],
                 cn22_limit: Callable[[np.ndarray], np.ndarray]) -> None:
        self.n = n
        self._tariff_of = tariff_of
        self._currencies = currencies
        self._names = names
        self._max_weights = max_weights
        self._step_text = step_text
        self._cn22_limit = cn22_limit

    # -- facts worked out on demand

    def category_is(self, name: str | None) -> np.ndarray:
        """Rows whose category is ``name`` (None: no category ticked)."""
        return self.category == CATEGORIES.index(name or "")

    def basis_is(self, name: str) -> np.ndarray:
        """Rows whose basis weight comes from ``name`` (one of :data:`BASES`)."""
        return self.basis_kind == BASES.index(name)

    def cn22_limit(self) -> np.ndarray:
        """The CN 22 ceiling (300 SDR) in the label's currency, micro-units (-1 where no SDR rate
        is known), for rows with a CN 22; -1 elsewhere."""
        if not hasattr(self, "_cn22"):
            self._cn22 = self._cn22_limit(self.rows & self.is_cn22)
        return self._cn22

    def each(self, rows: np.ndarray, test: Callable[[pa.Array], np.ndarray], texts: pa.Array) -> np.ndarray:
        """``test`` (a function of a string array giving a bool array) over the texts of ``rows``:
        a mask over the chunk, False elsewhere."""
        out = np.zeros(self.n, dtype=bool)
        idx = np.flatnonzero(rows & self.rows)
        if len(idx):
            out[idx] = test(texts.take(pa.array(idx)))
        return out

    # -- texts, for the rows at positions ``at``

    @staticmethod
    def join(*parts: Any) -> pa.Array:
        """Texts joined element-wise; a part is a str (the same in every row) or a string array."""
        return pc.binary_join_element_wise(*[pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts],
                                           "")

    @staticmethod
    def if_else(mask: np.ndarray, yes: Any, no: Any) -> pa.Array:
        return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)

    @staticmethod
    def cases(n: int, *cases: tuple[np.ndarray, Any]) -> pa.Array:
        """``n`` texts, each from the case whose mask holds at its position (the masks are disjoint
        and cover every position): ``(mask, text)`` for a fixed text, ``(mask, make)`` for texts
        that ``make(positions)`` writes for those positions only."""
        pieces, where = [], []
        for mask, make in cases:
            p = np.flatnonzero(mask)
            if len(p):
                where.append(p)
                pieces.append(pa.repeat(pa.scalar(make, pa.string()), len(p)) if isinstance(make, str) else make(p))
        if not pieces:
            return pa.array([], pa.string())
        inv = np.empty(n, dtype=np.int64)
        inv[np.concatenate(where)] = np.arange(n)
        return pa.concat_arrays([a.cast(pa.string()) for a in pieces]).take(pa.array(inv))

    @staticmethod
    def kg(pg: np.ndarray) -> pa.Array:
        """``format_weight(grams, "kg")`` over picograms."""
        return _per_value((np.asarray(pg, dtype=np.int64) + PG_PER_G // 2) // PG_PER_G, _kg_g)

    @staticmethod
    def grams(pg: np.ndarray) -> pa.Array:
        """``format_weight(grams, "g")`` over picograms."""
        return pa.array([grams_text(v) for v in np.asarray(pg, dtype=np.int64).tolist()], pa.string())

    @staticmethod
    def number(x: np.ndarray) -> pa.Array:
        return _num(x)

    @staticmethod
    def take(texts: pa.Array, at: np.ndarray) -> pa.Array:
        return texts.take(pa.array(at))

    def currency(self, at: np.ndarray) -> pa.Array:
        """The tariff's currency code."""
        return self._currencies.take(pa.array(self._tariff_of[at]))

    def money(self, at: np.ndarray, micro: np.ndarray) -> pa.Array:
        """``Context.money``: "CAD 12.83"."""
        return self.join(self.currency(at), " ", cents_arr(micro))

    def product(self, at: np.ndarray) -> pa.Array:
        """The tariff's product name."""
        return self._names.take(pa.array(self._tariff_of[at]))

    def max_weight_text(self, at: np.ndarray) -> pa.Array:
        """The tariff's weight limit as its file writes it."""
        return self._max_weights.take(pa.array(self._tariff_of[at]))

    def over_weight_detail(self, at: np.ndarray) -> pa.Array:
        """``NotPriceable.detail`` of an over-weight refusal (``check_limits``): "2.100 kg is over the
        2 kg limit of Small Packet USA Air", in grams where kilograms to the gram would read as the
        limit itself."""
        b = self.basis[at]
        hidden = (b + PG_PER_G // 2) // PG_PER_G * PG_PER_G <= self.max_weight[at] - TOLERANCE_PG
        shown = self.kg(b)
        if hidden.any():
            shown = self.if_else(hidden, pa.array([grams_text(v) if h else None
                                                   for v, h in zip(b.tolist(), hidden.tolist())], pa.string()), shown)
        return self.join(shown, " is over the ", self.max_weight_text(at), " limit of ", self.product(at))

    def step(self, at: np.ndarray, key: np.ndarray) -> pa.Array:
        """``Quote.step_text`` ("up to 1 kg") of the step ``key`` (``required_step`` or ``net_step``)."""
        return _per_pair_text(self._tariff_of[at], key[at], self._step_text)

    def weight_story(self, at: np.ndarray) -> pa.Array:
        """``Context.weight_story``: "net 0.480 kg + packaging 0.040 kg = 0.520 kg"."""
        e = self.has_expected[at]
        return self.cases(len(at),
                          (e, lambda p: self.join("net ", self.kg(self.net[at[p]]), " + packaging ",
                                                  self.kg(self.packaging[at[p]]), " = ",
                                                  self.kg(self.expected[at[p]]))),
                          (~e, lambda p: self.join("net ", self.kg(self.net[at[p]]))))

    def per_distinct(self, rows: np.ndarray, fn: Callable[..., str | None], *keys: np.ndarray
                     ) -> tuple[np.ndarray, Callable[[np.ndarray], pa.Array]]:
        """``fn(*key values)`` for each row of ``rows``, called once per distinct tuple of keys
        (small non-negative integers, such as the codes of a coded column): ``(rows where it gave
        a text, texts(at))``."""
        a = keys[0]
        b = keys[1] if len(keys) > 1 else np.zeros(self.n, dtype=np.int64)
        texts: list[str | None] = []

        def one(x: int, y: int) -> int:
            texts.append(fn(x, y) if len(keys) > 1 else fn(x))
            return len(texts) - 1

        which = per_pair(a, b, rows & self.rows, one)
        hit = rows & self.rows & np.array([t is not None for t in texts] + [False], dtype=bool)[which]
        table = pa.array(texts, pa.string())
        return hit, lambda at: table.take(pa.array(which[at]))


# ---------------------------------------------------------------------- text kernels

def _num(x: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(x, dtype=np.int64)), pa.string())


_TEXTS_OF: dict[Any, dict[int, str]] = {}
#: Up to this many values, ``_per_value`` looks each one up (the rows of one finding in a chunk).
_FEW_VALUES = 2048


def _per_value(x: np.ndarray, fmt: Any, valid: np.ndarray | None = None) -> pa.Array:
    """``fmt(v)`` for each integer of ``x``, written once per distinct value (a column of
    amounts or weights has a few thousand in a chunk); null where ``valid`` is False."""
    x = np.asarray(x, dtype=np.int64)
    if not len(x):
        return pa.array([], pa.string())
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    if len(x) <= _FEW_VALUES:  # a message's rows: the texts straight from the memo, no encoding
        return pa.array(_texts(x.tolist(), fmt), pa.string(), mask=mask)
    enc = pc.dictionary_encode(pa.array(x))
    if len(enc.dictionary) * 8 > len(x):  # mostly distinct: whole-column kernels beat a Python loop
        return _per_value_columns(x, fmt, valid)
    texts = pa.array(_texts(enc.dictionary.to_numpy().tolist(), fmt), pa.string())
    codes = enc.indices.to_numpy()
    return texts.take(pa.array(codes) if mask is None else pa.array(codes, mask=mask))


def _texts(values: list[int], fmt: Any) -> list[str]:
    """``fmt(v)`` for each value, remembered across chunks (prices and weights recur)."""
    done = _TEXTS_OF.setdefault(fmt, {})
    out = []
    for v in values:
        t = done.get(v)
        if t is None:
            t = fmt(v)
            if len(done) < 100_000:
                done[v] = t
        out.append(t)
    return out


def _per_value_columns(x: np.ndarray, fmt: Any, valid: np.ndarray | None) -> pa.Array:
    if fmt is _kg_g:
        out = Facts.join(_num(x // 1000), ".", pc.utf8_lpad(_num(x % 1000), 3, "0"), " kg")
    else:
        out = Facts.join(_num(x // 100), ".", pc.utf8_lpad(_num(x % 100), 2, "0"))
    if valid is None:
        return out
    return pc.if_else(pa.array(np.asarray(valid, dtype=bool)), out, pa.scalar(None, pa.string()))


def _kg_g(g: int) -> str:
    return f"{g // 1000}.{g % 1000:03d} kg"


def _cents_c(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def cents_arr(micro: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``str(cents(amount))`` over an array of micro-units (null where ``valid`` is False)."""
    return _per_value((np.asarray(micro, dtype=np.int64) + 5000) // 10000, _cents_c, valid)


def _per_pair_text(a: np.ndarray, b: np.ndarray, fn: Any) -> pa.Array:
    """``fn(a, b)`` per row, called once per distinct pair."""
    if not len(a):
        return pa.array([], pa.string())
    a, b = a.astype(np.int64), b.astype(np.int64)
    a0, b0 = int(a.min()), int(b.min())
    width = int(b.max()) - b0 + 1
    key = (a - a0) * width + (b - b0)
    uniq, inv = unique_inverse(key)
    texts = [fn(a0 + k // width, b0 + k % width) for k in uniq.tolist()]
    return pa.array(texts, pa.string()).take(pa.array(inv.reshape(-1)))


def per_pair(a: np.ndarray, b: np.ndarray, rows: np.ndarray, fn: Any) -> np.ndarray:
    """``fn(a, b)`` for each row in ``rows`` (-1 elsewhere), once per distinct pair; None -> -1."""
    out = np.full(len(rows), -1, dtype=np.int64)
    idx = np.flatnonzero(rows)
    if not len(idx):
        return out
    aa, bb = a[idx].astype(np.int64), b[idx].astype(np.int64)
    a0, b0 = int(aa.min()), int(bb.min())
    width = int(bb.max()) - b0 + 1
    key = (aa - a0) * width + (bb - b0)
    size = int(key.max()) + 1
    if size <= 4 * len(idx) + 1024:  # dense keys: a lookup table, no sort
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
        table = np.full(size, -1, dtype=np.int64)
        for k in np.flatnonzero(seen).tolist():
            v = fn(a0 + k // width, b0 + k % width)
            table[k] = -1 if v is None else v
        out[idx] = table[key]
        return out
    uniq, inv = unique_inverse(key)
    vals = []
    for k in uniq.tolist():
        v = fn(a0 + k // width, b0 + k % width)
        vals.append(-1 if v is None else v)
    out[idx] = np.array(vals, dtype=np.int64)[inv.reshape(-1)]
    return out
