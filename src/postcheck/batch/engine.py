"""Check a chunk of rows at once: the vectorised engine and its exact per-row fallback.

:func:`check_table` takes an Arrow table in the row format of :mod:`postcheck.rows` and returns
one result per row, equal to what :func:`postcheck.check` says about each row's label.  It works
in three tiers:

1. **Columns** (:mod:`postcheck.batch.columns`): every cell read into exact integers, or a
   problem record from the label model for a bad cell.
2. **Vectorised rules** for the parcels that make up almost every batch: basis weight, price
   and net-weight price per tariff (:mod:`postcheck.batch.prices`), then the weight (W101,
   W103), postage (P201, P202, P209), customs (C305, C307-C310, C312) and tracking-number
   (I401) rules over whole columns.  Their messages are written a rule at a time over the rows
   it fires on (pyarrow string joins of the rule's fixed text and formatted numbers), in the order
   ``check()`` reports them; verdicts once per distinct (error codes, currency, shortfall).
3. **Per-row fallback** to :func:`postcheck.check` for whatever tier 2 cannot decide exactly:
   refusals (over weight, size, zone, no tariff in force), the rarer rules (W102, W104, C301-C304,
   C306, C311), rows with two bad cells, and values finer than a picogram.  It is exact by
   construction and rare in real batches.

The per-row engine (``engine="python"``) runs tier 3 on every row; the property tests compare
the two.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from functools import lru_cache
from decimal import Decimal
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from postcheck.checker import check
from postcheck.descriptions import vague_reason
from postcheck.errors import InvalidLabel, NoTariffInForce, NotPriceable, PostcheckError, UnknownService
from postcheck.identifiers import normalise_s10, s10_problems
from postcheck.label import is_country
from postcheck.report import SEVERITY_ORDER, Finding, Postage, Report
from postcheck.rows import label_from_row
from postcheck.rules import _FAMILY_ORDER, DEFAULT_TOLERANCE, rules
from postcheck.rules.customs import CN22_LIMIT_SDR
from postcheck.tariffs.catalog import Rates, Selected
from postcheck.tariffs.pricing import zone_for

from postcheck.batch.columns import (MICRO, PG_PER_G, CellMemo, ColumnPlan, KnownValues, amount_column,
                                     item_groups, memo_codes, string_buffers, text_column, unique_inverse,
                                     weight_column)
from postcheck.batch.prices import _TOL_PG, VectorTariff

__all__ = ["Results", "Engine", "RESULT_SCHEMA", "STATUS_OK", "STATUS_ERROR", "STATUS_UNREADABLE"]

STATUS_OK, STATUS_ERROR, STATUS_UNREADABLE = "ok", "error", "unreadable"
RESULT_SCHEMA = pa.schema([
    ("row", pa.int64()), ("parcel_id", pa.string()), ("status", pa.string()), ("verdict", pa.string()),
    ("required", pa.string()), ("paid", pa.string()), ("shortfall", pa.string()), ("currency", pa.string()),
    ("codes", pa.list_(pa.string())), ("messages", pa.list_(pa.string())), ("error", pa.string()),
])

_IGNORED = {"parcel_id", "row", "order_id", ""}
_WEIGHTS = ("packaging_weight", "gross_weight", "measured_weight")
_AMOUNTS = ("postage_paid", "total_value")
_TEXTS = {"tracking_number": 60, "explanation": 500, "invoice_number": 60, "comments": 500,
          "licence": 120, "certificate": 120}
_REQUIRED = ("service", "origin", "destination", "currency")
#: Columns read cell by cell rather than through their dictionary encoding (one array each).
_READ_WHOLE = frozenset({"parcel_id", *_TEXTS})
_MEMO = ("service", "origin", "destination", "currency", "zone", "ship_date", "form", "category", "dimensions")
_CATS = ("", "gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other")
_HS_CLEAN = re.compile(r"[\s.\-]")
_S10 = r"^[A-Z]{2}\d{8}\d[A-Z]{2}$"
_TEN_G = 10 * PG_PER_G
_OK_VERDICT = Report(findings=(), postage=None, tariff=None, date="").verdict
#: The rules the vectorised engine decides itself; every other rule sends its rows to the per-row path.
VECTOR_RULES = ("W101", "W103", "W104", "P201", "P202", "P203", "P209", "C305", "C307", "C308", "C309", "C310",
                "C312", "I401")
RULES = {r.code: (r.name, r.severity) for r in rules() if r.code in VECTOR_RULES}
_SEV = SEVERITY_ORDER
_FAM = _FAMILY_ORDER
#: The vector rules in the order check() reports their findings (severity, family, code).
_BY_RANK = sorted(VECTOR_RULES, key=lambda c: (_SEV[RULES[c][1]], _FAM[c[0]], c))
_RANK = {c: k for k, c in enumerate(_BY_RANK)}


def kg(pg: int) -> str:
    """``format_weight(grams, "kg")`` for a weight in picograms."""
    g = (pg + PG_PER_G // 2) // PG_PER_G
    return f"{g // 1000}.{g % 1000:03d} kg"


def cents_text(micro: int) -> str:
    """``str(cents(amount))`` for a non-negative amount in micro-units."""
    c = (micro + 5000) // 10000
    return f"{c // 100}.{c % 100:02d}"


_STATUS_TEXT = pa.array([STATUS_OK, STATUS_ERROR, STATUS_UNREADABLE], pa.string())
ST_OK, ST_ERROR, ST_UNREADABLE = 0, 1, 2


class Results:
    """Per-row results of one chunk, held as arrays (texts as indices into small tables, findings
    as parts written whole columns at a time), ready to become an Arrow table."""

    def __init__(self, row: np.ndarray, parcel_id: pa.Array) -> None:
        n = len(row)
        self.row = row
        self.parcel_id = parcel_id
        self.status = np.zeros(n, dtype=np.int8)  # ST_OK / ST_ERROR / ST_UNREADABLE
        self.verdict = np.zeros(n, dtype=np.int64)  # index into verdicts, -1 none
        self.verdicts: list[str] = [_OK_VERDICT]
        self.required = np.zeros(n, dtype=np.int64)  # micro-units
        self.paid = np.zeros(n, dtype=np.int64)
        self.shortfall = np.zeros(n, dtype=np.int64)
        self.has_required = np.zeros(n, dtype=bool)
        self.has_paid = np.zeros(n, dtype=bool)
        self.currency = np.full(n, -1, dtype=np.int64)  # index into currencies, -1 none
        self.currencies: list[str] = []
        #: findings written by whole columns: (rows, order within the row, codes, messages)
        self.finding_parts: list[tuple[np.ndarray, np.ndarray, Any, pa.Array]] = []
        #: reasons of unreadable rows by whole columns: (rows, texts)
        self.error_parts: list[tuple[np.ndarray, pa.Array]] = []
        self.py_findings: dict[int, tuple[list[str], list[str]]] = {}
        self.py_error: dict[int, str] = {}
        self.fallback = 0  # rows decided by the per-row path
        self._texts: dict[str, int] = {_OK_VERDICT: 0}
        self._curs: dict[str, int] = {}

    def verdict_id(self, text: str) -> int:
        return _intern(self._texts, self.verdicts, text)

    def currency_id(self, cur: str) -> int:
        return _intern(self._curs, self.currencies, cur)

    def status_text(self) -> pa.Array:
        return _STATUS_TEXT.take(pa.array(self.status.astype(np.int32)))

    def table(self) -> pa.Table:
        n = len(self.row)

        def money(v: np.ndarray, valid: np.ndarray) -> pa.Array:
            return cents_arr(v, valid)

        def indexed(idx: np.ndarray, texts: list[str]) -> pa.Array:
            if not texts:
                return pa.nulls(n, pa.string())
            return pa.array(texts, pa.string()).take(pa.array(idx, mask=idx < 0))

        rows, subs, codes, msgs = [], [], [], []
        for r, s, c, m in self.finding_parts:
            rows.append(r)
            subs.append(s)
            codes.append(pa.array(np.full(len(r), c, dtype=object), pa.string()) if isinstance(c, str) else c)
            msgs.append(m)
        if self.py_findings:
            pr, ps, pcs, pms = [], [], [], []
            for i, (cs, ms) in self.py_findings.items():
                pr.extend([i] * len(cs))
                ps.extend(range(len(cs)))
                pcs.extend(cs)
                pms.extend(ms)
            rows.append(np.array(pr, dtype=np.int64))
            subs.append(np.array(ps, dtype=np.int64))
            codes.append(pa.array(pcs, pa.string()))
            msgs.append(pa.array(pms, pa.string()))
        if rows:
            r = np.concatenate(rows)
            order = np.lexsort((np.concatenate(subs), r))
            take = pa.array(order)
            flat_c = pa.concat_arrays([a.cast(pa.string()) for a in codes]).take(take)
            flat_m = pa.concat_arrays([a.cast(pa.string()) for a in msgs]).take(take)
            counts = np.bincount(r, minlength=n)
        else:
            flat_c = flat_m = pa.array([], pa.string())
            counts = np.zeros(n, dtype=np.int64)
        offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
        err = pa.nulls(n, pa.string())
        eparts = list(self.error_parts)
        if self.py_error:
            eparts.append((np.array(list(self.py_error), dtype=np.int64), pa.array(list(self.py_error.values()),
                                                                                      pa.string())))
        if eparts:
            er = np.concatenate([p[0] for p in eparts])
            pos = np.full(n, -1, dtype=np.int64)
            pos[er] = np.arange(len(er))
            err = pa.concat_arrays([p[1] for p in eparts]).take(pa.array(pos, mask=pos < 0))
        has_short = self.has_required & self.has_paid
        return pa.table([
            pa.array(self.row, pa.int64()), self.parcel_id, self.status_text(),
            indexed(self.verdict, self.verdicts), money(self.required, self.has_required),
            money(self.paid, self.has_paid), money(self.shortfall, has_short),
            indexed(self.currency, self.currencies), pa.ListArray.from_arrays(offsets, flat_c),
            pa.ListArray.from_arrays(offsets, flat_m), err,
        ], schema=RESULT_SCHEMA)

    def forget(self, rows: np.ndarray) -> None:
        """Drop whatever was written for ``rows`` (findings, reasons, postage), so the per-row path
        can decide them afresh."""
        if not len(rows):
            return
        drop = np.zeros(len(self.row), dtype=bool)
        drop[rows] = True
        self.status[rows] = ST_OK
        self.verdict[rows] = 0
        self.has_required[rows] = self.has_paid[rows] = False
        self.required[rows] = self.paid[rows] = self.shortfall[rows] = 0
        self.currency[rows] = -1
        parts = []
        for r, s, c, m in self.finding_parts:
            keep = ~drop[r]
            if keep.all():
                parts.append((r, s, c, m))
            elif keep.any():
                k = np.flatnonzero(keep)
                parts.append((r[k], s[k], c if isinstance(c, str) else c.take(pa.array(k)), m.take(pa.array(k))))
        self.finding_parts = parts
        eparts = []
        for r, t in self.error_parts:
            keep = ~drop[r]
            if keep.all():
                eparts.append((r, t))
            elif keep.any():
                k = np.flatnonzero(keep)
                eparts.append((r[k], t.take(pa.array(k))))
        self.error_parts = eparts
        for i in rows.tolist():
            self.py_findings.pop(i, None)
            self.py_error.pop(i, None)

    def counts(self) -> tuple[int, int, int]:
        """(ok, error, unreadable) rows."""
        c = np.bincount(self.status, minlength=3)
        return int(c[0]), int(c[1]), int(c[2])

    def shortfall_by_currency(self) -> dict[str, Decimal]:
        """Total shortfall per currency, summed over the amounts as written (to the cent)."""
        out: dict[str, Decimal] = {}
        rows = self.has_required & self.has_paid & (self.shortfall != 0) & (self.currency >= 0)
        if not rows.any():
            return out
        c = (self.shortfall[rows] + 5000) // 10000
        cur = self.currency[rows]
        for k in np.unique(cur[c != 0]).tolist():
            total = int(c[cur == k].sum())
            out[self.currencies[k]] = Decimal(total) / 100
        return out


#: Up to this many rows of a chunk go to the per-row path one slice each, more in one take().
_FEW_ROWS = 64


class Engine:
    """Checks chunks of rows against one set of tariffs (state is per process: memoised cells,
    tariffs as integer arrays, selections by date).

    Threads may check chunks with one engine at once: the memo tables hold values that are the
    same whoever computes them (a race computes one twice), and what hands out small integers
    (names, products, tariffs) does so under a lock."""

    def __init__(self, rates: Rates, *, as_of: dt.date | None = None, vector: bool = True,
                 select: Iterable[str] | None = None, ignore: Iterable[str] = (), tolerance: str | None = None) -> None:
        self.rates = rates
        self.as_of = as_of
        #: options passed on to check(); a selection or tolerance of its own is honoured on the exact
        #: per-row path (the vectorised rules assume every rule and the default tolerance)
        self.options: dict[str, Any] = {}
        if select:
            self.options["select"] = list(select)
        if ignore:
            self.options["ignore"] = list(ignore)
        if tolerance is not None:
            self.options["tolerance"] = tolerance
        self.vector = vector and not self.options
        self.memo = CellMemo()
        self._known = KnownValues()  # text columns of few distinct values, across chunks
        self._vt: dict[int, VectorTariff] = {}
        self._tariffs: list[Any] = []
        self._resolve: dict[str, Any] = {}
        self._names: list[Any] = []
        # verdict texts by (error bits, currency, shortfall) packed in one integer
        self._verdicts: dict[int, str] = {}
        self._currency_names: list[str] = []  # a small number for each currency in the packed key
        self._name_ids: dict[Any, int] = {}
        self._pids: list[str] = []
        self._sdr: dict[tuple[str, dt.date], int | None] = {}
        self._vague: dict[tuple[str, bool], str | None] = {}
        self._hs: dict[str, bool] = {}
        self._lock = threading.RLock()
        self._sel_memo = _PairMemo()
        self._zone_memo = _PairMemo()

    # ------------------------------------------------------------------ per-row path

    def check_row(self, row: dict[str, Any], source: str, parcel_id: str | None,
                  items: list[dict[str, Any]] | None = None) -> tuple[str, Report | None, str | None]:
        """Exactly what ``postcheck check`` does with one row: ``(status, report, error)``."""
        try:
            lab = label_from_row(row, items=items, source=source)
            report = check(lab, rates=self.rates, as_of=self.as_of, source=source, parcel_id=parcel_id,
                           **self.options)
        except PostcheckError as e:
            return STATUS_UNREADABLE, None, str(e)
        return (STATUS_OK if report.ok else STATUS_ERROR), report, None

    def check_labels(self, labels: Iterable[Any], sources: Iterable[str]) -> Iterable[tuple[str, Report | None, str | None]]:
        for lab, src in zip(labels, sources):
            try:
                report = check(lab, rates=self.rates, as_of=self.as_of, source=src, **self.options)
            except PostcheckError as e:
                yield STATUS_UNREADABLE, None, str(e)
                continue
            yield (STATUS_OK if report.ok else STATUS_ERROR), report, None

    # ------------------------------------------------------------------ chunk

    def check_table(self, table: pa.Table, *, rows: Any, source: str, unit: str = "row",
                    items: dict[str, list[dict[str, Any]]] | None = None,
                    raw: dict[int, dict[str, Any]] | None = None) -> Results:
        """Check every row of ``table``; row ``i`` is called ``f"{source} {unit} {rows[i]}"``.
        ``raw`` holds rows the table cannot show (more cells than the header): they are checked
        from the given dicts on the per-row path."""
        n = table.num_rows
        numbers = np.asarray(rows, dtype=np.int64)
        names = [c.strip() for c in table.column_names]
        cols: dict[str, Any] = {}
        for name, col in zip(names, table.columns):
            if pa.types.is_dictionary(col.type):  # a Parquet file's categorical column: its values
                col = col.cast(col.type.value_type)
            if pa.types.is_large_string(col.type):
                col = col.cast(pa.string())
            if isinstance(col, pa.ChunkedArray):
                if col.num_chunks == 1:
                    col = col.chunk(0)
                elif name in _READ_WHOLE or not pa.types.is_string(col.type):
                    col = col.combine_chunks()
                # else a text column read only through its dictionary encoding, which takes the
                # chunks as they are (one dictionary for all): no copy of its text
            cols[name] = col
        pid = _parcel_ids(cols.get("parcel_id"), n)
        res = Results(numbers, pid)
        if n == 0:
            return res
        # lists, structs, maps (a Parquet file can hold them) are read only by the per-row path
        flat = not any(pa.types.is_nested(c.type) or pa.types.is_union(c.type) for c in cols.values())
        if self.vector and items is None and len(set(names)) == len(names) and flat:
            slow = self._vector(cols, names, n, res, source, unit, numbers)
        else:
            slow = np.ones(n, dtype=bool)
        if raw:
            # rows with more cells than the header: the table shows them cut short, so whatever the
            # vectorised path made of them is dropped and the row itself is read on the per-row path
            extra = np.array(sorted(raw), dtype=np.int64)
            res.forget(extra)
            slow[extra] = True
        idx = np.flatnonzero(slow)
        if len(idx):
            if len(idx) <= _FEW_ROWS:
                # a slice is free; a take() of a parsed table joins each column's blocks first
                # (measured: 3.7 ms for one row of a 100,000-row chunk, 0.1 ms a row by slices)
                slow_rows = [table.slice(i, 1).to_pylist()[0] for i in idx.tolist()]
            else:
                slow_rows = table.take(pa.array(idx)).to_pylist()
            pids = pid.take(pa.array(idx)).to_pylist()
            for i, row, p in zip(idx.tolist(), slow_rows, pids):
                if raw and i in raw:
                    row = raw[i]
                src = f"{source} {unit} {numbers[i]}"
                its = items.get(p or "", []) if items is not None else None
                self._store(res, i, *self.check_row(row, src, p, its))
            res.fallback += len(idx)
        return res

    @staticmethod
    def _store(res: Results, i: int, status: str, report: Report | None, error: str | None) -> None:
        if report is None:  # an unreadable label has no postage, findings or verdict
            res.status[i] = ST_UNREADABLE
            res.verdict[i] = -1
            res.has_required[i] = res.has_paid[i] = False
            res.required[i] = res.paid[i] = res.shortfall[i] = 0
            res.currency[i] = -1
            res.py_findings.pop(i, None)
            res.py_error[i] = error or ""
            return
        res.status[i] = ST_OK if status == STATUS_OK else ST_ERROR
        res.py_error.pop(i, None)
        res.verdict[i] = res.verdict_id(report.verdict)
        p = report.postage
        res.has_required[i] = res.has_paid[i] = False
        res.required[i] = res.paid[i] = res.shortfall[i] = 0
        res.currency[i] = -1
        if p is not None:
            res.currency[i] = res.currency_id(p.currency)
            if p.required is not None:
                res.has_required[i] = True
                res.required[i] = int(p.required * MICRO)
            if p.paid is not None:
                res.has_paid[i] = True
                res.paid[i] = int(p.paid * MICRO)
            if p.required is not None and p.paid is not None:
                res.shortfall[i] = int(p.shortfall * MICRO)
        if report.findings:
            res.py_findings[i] = ([f.code for f in report.findings], [f.message for f in report.findings])

    # ------------------------------------------------------------------ vectorised path

    def _vector(self, cols: dict[str, pa.Array], names: list[str], n: int, res: Results, source: str,
                unit: str, numbers: np.ndarray) -> np.ndarray:
        plan = ColumnPlan(n, self._known, {id(v): k for k, v in cols.items()})
        memo = self.memo
        groups = item_groups(names)
        item_cols = {c for g in groups.values() for c in g.values()}

        # -- label cells
        label: dict[str, Any] = {}
        for f in _MEMO:
            label[f] = memo_codes(cols.get(f), n, f, memo, plan.view())
        for f in _WEIGHTS:
            label[f] = weight_column(cols.get(f), n, f, memo, plan.view())
        for f in _AMOUNTS:
            label[f] = amount_column(cols.get(f), n, f, memo, plan.view())
        for f, m in _TEXTS.items():
            label[f] = text_column(cols.get(f), n, f, m, memo, plan.view(), encode=False)
        for f in names:
            if f in _IGNORED or f in item_cols or f in label:
                continue
            memo_codes(cols[f], n, f, memo, plan.view())  # unknown or unused columns: validation only
        for f in _REQUIRED:
            missing = ~label[f][0] & plan.blank(cols.get(f), n)
            if missing.any():
                plan.view().bad_many(np.flatnonzero(missing), [memo.read(f, None, item=False).problems])

        # -- items: present groups, their position (Line N), cells
        pos = np.zeros(n, dtype=np.int32)
        items = []
        for k, g in groups.items():
            blanks = {f: plan.blank(cols[c], n) for f, c in g.items()}
            here = ~np.logical_and.reduce(list(blanks.values()))
            if not here.any():
                continue
            p_now = pos.copy()
            view = plan.view(p_now)
            it: dict[str, Any] = {"here": here, "pos": p_now}
            for f in ("description", "net_weight", "value"):
                missing = here & (blanks[f] if f in blanks else True)
                if missing.any():
                    view.bad_many(np.flatnonzero(missing), [memo.read(f, None, item=True).problems])
            it["desc_distinct"] = {}
            it["description"] = text_column(cols.get(g.get("description", "")), n, "description", 500, memo, view,
                                            item=True, distinct=it["desc_distinct"])
            it["net_weight"] = weight_column(cols.get(g.get("net_weight", "")), n, "net_weight", memo, view,
                                             item=True)
            it["value"] = amount_column(cols.get(g.get("value", "")), n, "value", memo, view, item=True)
            for f in ("quantity", "hs_code", "origin_country"):
                it[f] = memo_codes(cols.get(g.get(f, "")), n, f, memo, view, item=True)
            items.append(it)
            pos = pos + here.astype(np.int32)
        n_items = pos

        # -- service
        svc_p, svc_c, svc_u, _ = label["service"]
        resolved = [self._resolved(s) for s in svc_u]
        pid_u = np.array([self._pid_id(r) if isinstance(r, str) else -1 for r in resolved] + [-1], dtype=np.int64)
        pid = pid_u[svc_c]
        unknown = svc_p & (pid < 0)
        readable = plan.bad_count == 0
        # unreadable rows: "<source> row N" + the reason, written once per distinct reason
        for rows, key, reason in ((np.flatnonzero(plan.bad_count == 1), plan.first_bad, plan.problems),
                                  (np.flatnonzero(readable & unknown), svc_c, resolved)):
            if not len(rows):
                continue
            res.status[rows] = ST_UNREADABLE
            res.verdict[rows] = -1
            uniq, inv = unique_inverse(key[rows])
            texts = pa.array([str(InvalidLabel("", reason[k])) for k in uniq.tolist()], pa.string())
            res.error_parts.append((rows, _join(f"{source} {unit} ", _num(numbers[rows]),
                                               texts.take(pa.array(inv.reshape(-1))))))
        slow = (plan.bad_count > 1) | (readable & plan.slow & ~unknown)
        fast = readable & ~plan.slow & ~unknown
        if not fast.any():
            return slow

        # -- date and tariff: per distinct (product, date)
        _, date_c, date_u, _ = label["ship_date"]
        today = dt.date.today()
        dates = [self.as_of or d for d in date_u] + [self.as_of or today]
        date_c = np.where(date_c < 0, len(date_u), date_c)
        # one integer per (product, date), the same in every chunk: the memo answers most chunks at once
        date_ids = np.array([self._id(d) for d in dates], dtype=np.int64)
        t_idx = self._sel_memo.get((pid << 32) | date_ids[date_c], fast,
                                   lambda k: self._selected(self._pids[k >> 32], self._names[k & 0xFFFFFFFF]))
        slow |= fast & (t_idx < 0)
        fast &= t_idx >= 0
        ti_safe = np.maximum(t_idx, 0)
        t_form = np.array([{"none": 0, "CN22": 1, "CN23": 2}[t.customs_form] for t in self._tariffs] or [0])[ti_safe]

        # -- countries, currency, zone, dimensions
        _, o_c, o_u, _ = label["origin"]
        _, d_c, d_u, _ = label["destination"]
        o_id = self._ids(o_u)[o_c]
        d_id = self._ids(d_u)[d_c]
        intl = o_id != d_id
        _, cur_c, cur_u, _ = label["currency"]
        cur_id = self._ids(cur_u)[cur_c]
        t_cur = np.array([self._id(t.currency) for t in self._tariffs] or [0])[ti_safe]
        slow |= fast & (cur_id != t_cur)  # P210
        fast &= ~slow
        _, z_c, z_u, _ = label["zone"]
        z_id = self._ids(z_u)[z_c]
        if max(int(d_id.max()), int(z_id.max()) + 1) <= _ID_MASK:
            # one integer per (tariff, destination, zone as written), the same in every chunk
            z_key = (np.maximum(t_idx, 0) << 42) | (np.maximum(d_id, 0) << 21) | (z_id + 1)
            z_idx = self._zone_memo.get(z_key, fast, lambda k: self._zone_index(
                k >> 42, self._names[(k >> 21) & _ID_MASK], self._names[(k & _ID_MASK) - 1] if k & _ID_MASK else None))
        else:  # millions of distinct names: per chunk
            zw = int(z_id.max()) + 2
            dz = np.maximum(d_id, 0) * zw + (z_id + 1)
            z_idx = _per_pair(t_idx, dz, fast, lambda ti, k: self._zone_index(
                ti, self._names[k // zw], self._names[k % zw - 1] if k % zw else None))
        slow |= fast & (z_idx < 0)
        fast &= z_idx >= 0
        z_idx = np.maximum(z_idx, 0)
        _, dim_c, dim_u, _ = label["dimensions"]
        vol = np.full(n, -1, dtype=np.int64)
        has_dims = fast & (dim_c >= 0)
        if has_dims.any():
            eff = _per_pair(t_idx, dim_c, has_dims,
                            lambda a, b: (lambda e: -2 if e.unsure else e.vol_pg)(self._vt[a].dims_effect(dim_u[b])))
            slow |= has_dims & (eff == -2)
            fast &= ~(has_dims & (eff == -2))
            vol = np.where(has_dims & (eff >= 0), eff, -1)
        _, form_c, form_u, _ = label["form"]
        form = np.array([{"CN22": 1, "CN23": 2}.get(f, 0) for f in form_u] + [0], dtype=np.int8)[form_c]
        _, cat_c, cat_u, _ = label["category"]
        cat = np.array([_CATS.index(c) if c in _CATS else 0 for c in cat_u] + [0], dtype=np.int8)[cat_c]

        # -- weights and values
        pack_p, pack = label["packaging_weight"]
        gross_p, gross = label["gross_weight"]
        meas_p, meas = label["measured_weight"]
        net = np.zeros(n, dtype=np.int64)
        value_sum = np.zeros(n, dtype=np.int64)
        for it in items:
            p, w = it["net_weight"]
            net += np.where(p, w, 0)
            vp, v, (ci, cv) = it["value"]
            value_sum += np.where(vp, v, 0)
            for i in np.flatnonzero(fast & (ci >= 0)).tolist():
                if cur_u[cur_c[i]] != cv[ci[i]]:
                    slow[i] = True  # C304
            _, hs_c, hs_u, _ = it["hs_code"]
            hs_bad = np.array([h is not None and not self._hs_ok(h) for h in hs_u] + [False])[hs_c]
            slow |= fast & hs_bad  # C306
        has_items = n_items > 0
        exp_p = pack_p & has_items
        expected = net + pack
        floor = np.where(exp_p, expected, net)
        # basis kinds: 1 measured, 2 floor over gross (net + packaging), 3 floor over gross (net weight),
        # 4 declared gross, 5 net + packaging, 6 net weight only
        over = gross_p & has_items & (floor > gross)
        kind = np.select([meas_p, over & exp_p, over, gross_p, exp_p, has_items], [1, 2, 3, 4, 5, 6], 0).astype(np.int8)
        basis = np.select([meas_p, over, gross_p, exp_p, has_items], [meas, floor, gross, expected, net], 0)
        has_basis = kind > 0

        tv_p, tv, _ = label["total_value"]
        paid_p, paid, _ = label["postage_paid"]
        expl_p = label["explanation"][0]
        inv_p = label["invoice_number"][0]
        slow |= fast & gross_p & has_items & (gross < net)  # W102
        slow |= fast & tv_p & has_items & (tv != value_sum)  # C303
        slow |= fast & (cat == _CATS.index("gift")) & inv_p  # C311
        slow |= fast & (form == 0) & intl & (t_form != 0)  # C301
        slow |= fast & (form == 1) & (t_form == 2)  # C302 (parcel product)
        cn22 = fast & ~slow & (form == 1)
        if cn22.any():
            lim = _per_pair(cur_id, date_c, cn22, lambda a, b: self._cn22_limit(self._names[a], dates[b]))
            value = np.where(tv_p, tv, value_sum)
            slow |= cn22 & (lim >= 0) & (value > lim)  # C302 (over 300 SDR)
        fast &= ~slow

        # -- prices, per tariff
        req_ok = np.zeros(n, dtype=bool)
        req = np.zeros(n, dtype=np.int64)
        req_key = np.zeros(n, dtype=np.int64)
        charge = np.zeros(n, dtype=np.int64)
        rounded = np.zeros(n, dtype=np.int64)
        net_ok = np.zeros(n, dtype=bool)
        net_price = np.zeros(n, dtype=np.int64)
        net_key = np.zeros(n, dtype=np.int64)
        over_limit = np.zeros(n, dtype=bool)  # P203: heavier than the product's limit
        for ti in np.unique(t_idx[fast]).tolist():
            rows = np.flatnonzero(fast & (t_idx == ti))
            vt = self._vt[ti]
            b = rows[has_basis[rows]]
            if len(b):
                pr = vt.price(basis[b], z_idx[b], vol[b])
                req_ok[b], req[b], req_key[b] = pr.ok, pr.price, pr.step_key
                charge[b], rounded[b] = pr.chargeable, pr.rounded
                refused = b[~pr.ok]
                if len(refused):
                    # the only refusals price() makes (zones and sizes were settled above) are P203:
                    # over the product's weight limit (checked first, as check_limits() does) is
                    # written here; a chargeable weight past the last step goes row by row
                    over = basis[refused] > vt.max_pg if vt.max_pg >= 0 else np.zeros(len(refused), dtype=bool)
                    over_limit[refused[over]] = True
                    req[refused] = 0
                    past = refused[~over]
                    slow[past] = True
                    fast[past] = False
            m = rows[has_items[rows]]
            if len(m):
                pr = vt.price(net[m], z_idx[m], vol[m])
                net_ok[m], net_price[m], net_key[m] = pr.ok, pr.price, pr.step_key

        # a label paying less than its plan's price may be paying exactly another price plan's (a
        # small business paying Small Business prices): those rows go to check(), which says so
        short = fast & req_ok & paid_p & (paid < req)
        if short.any():
            other_plan = self._other_plan_paid(short, t_idx, date_c, dates, basis, z_idx, vol, paid)
            slow |= other_plan
            fast &= ~other_plan

        # -- findings
        has_form = form > 0
        commercial = (cat == _CATS.index("sale_of_goods")) | (cat == _CATS.index("commercial_sample"))
        docs = cat == _CATS.index("documents")
        w101 = fast & has_form & ~gross_p
        w103a = fast & has_items & gross_p & (gross == net) & (~pack_p | (pack > 0))
        w103b = (fast & ~w103a & has_items & has_basis & paid_p & (basis > net) & net_ok & req_ok
                 & (paid == net_price) & (req > net_price))
        w104 = fast & meas_p & gross_p & (np.abs(meas - gross) > _TEN_G)
        p201 = fast & req_ok & paid_p & (paid < req)
        p202 = fast & req_ok & paid_p & (paid > req)
        p209 = fast & ~paid_p
        c309 = fast & has_form & (cat == 0)
        c310 = fast & has_form & (cat == _CATS.index("other")) & ~expl_p
        c312 = fast & has_form & ~has_items
        tn_p, tn = label["tracking_number"]
        i401 = self._s10_invalid(tn, fast & tn_p & intl)
        customs = fast & has_form & has_items
        item_vague, item_hs, item_origin = (np.zeros(n, dtype=bool) for _ in range(3))
        for it in items:
            rows = customs & it["here"]
            if not rows.any():
                it["vague"] = np.zeros(n, dtype=bool)
                continue
            dd = it["desc_distinct"]
            if "codes" in dd and not (dd["codes"][rows] < 0).any():  # stripped text per distinct cell, already read
                codes, uniq = dd["codes"], dd["texts"]
            else:
                enc = pc.dictionary_encode(it["description"][1])
                codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
                uniq = enc.dictionary.to_pylist()
            it["desc_codes"] = (codes, uniq)
            vague = _per_pair(codes, docs.astype(np.int64), rows,
                              lambda a, b: 1 if self._vague_reason(uniq[a], bool(b)) else 0)
            it["vague"] = rows & (vague == 1)
            it["no_hs"] = rows & commercial & (it["hs_code"][1] < 0)
            it["no_origin"] = rows & commercial & (it["origin_country"][1] < 0)
            item_vague |= it["vague"]
            item_hs |= it["no_hs"]
            item_origin |= it["no_origin"]
        item_f = item_vague | item_hs | item_origin
        p203 = fast & over_limit
        any_f = w101 | w103a | w103b | w104 | p201 | p202 | p203 | p209 | c309 | c310 | c312 | i401 | item_f

        # postage columns for every fast row
        res.has_required[fast] = req_ok[fast]
        res.required[fast] = req[fast]
        res.has_paid[fast] = paid_p[fast]
        res.paid[fast] = paid[fast]
        res.shortfall[fast] = np.maximum(req - paid, 0)[fast]
        cur_of_t = np.array([res.currency_id(t.currency) for t in self._tariffs], dtype=np.int64)
        res.currency[fast] = cur_of_t[t_idx[fast]]

        if not any_f.any():
            return slow
        # -- messages, one rule at a time over the rows it fires on (whole columns of text)
        groups_n = max(len(items), 1)
        cur_t = pa.array([t.currency for t in self._tariffs], pa.string())
        name_t = pa.array([t.name for t in self._tariffs], pa.string())
        max_t = pa.array([f"{t.limits.text.get('max_weight')}" for t in self._tariffs], pa.string())  # as check_limits()
        max_pg_t = np.array([self._vt[i].max_pg for i in range(len(self._tariffs))], dtype=np.int64)

        def add(code: str, mask: np.ndarray, build: Any, line: int = 0) -> None:
            idx = np.flatnonzero(mask)
            if len(idx):
                msgs = build(idx)
                res.finding_parts.append((idx, np.full(len(idx), _RANK[code] * groups_n + line, dtype=np.int64),
                                          code, msgs))

        def cur(idx: np.ndarray) -> pa.Array:
            return cur_t.take(pa.array(t_idx[idx]))

        def name(idx: np.ndarray) -> pa.Array:
            return name_t.take(pa.array(t_idx[idx]))

        def step(idx: np.ndarray, key: np.ndarray) -> pa.Array:
            return _per_pair_text(t_idx[idx], key[idx], lambda a, b: self._vt[a].step_text(b))

        def story(idx: np.ndarray) -> pa.Array:
            e = exp_p[idx]
            return _cases(len(idx),
                          (e, lambda p: _join("net ", kg_arr(net[idx[p]]), " + packaging ", kg_arr(pack[idx[p]]), " = ",
                                              kg_arr(expected[idx[p]]))),
                          (~e, lambda p: _join("net ", kg_arr(net[idx[p]]))))

        def m_w101(idx: np.ndarray) -> pa.Array:
            e, w = exp_p[idx], meas_p[idx]
            ev = _cases(len(idx),
                        (w & e, lambda p: _join(" The parcel weighed ", kg_arr(meas[idx[p]]), " on the scale (",
                                                story(idx[p]), ").")),
                        (w & ~e, lambda p: _join(" The parcel weighed ", kg_arr(meas[idx[p]]), " on the scale.")),
                        (~w & e, lambda p: _join(" With the packaging the parcel weighs ", kg_arr(expected[idx[p]]),
                                                 " (", story(idx[p]), ").")),
                        (~w & ~e, ""))
            f = pc.if_else(pa.array(form[idx] == 1), "CN 22", "CN 23")
            return _join("The ", f, " gives no total gross weight; only the goods' net weights (", kg_arr(net[idx]),
                       ") are declared, so the packaging is not counted.", ev)

        def m_w103a(idx: np.ndarray) -> pa.Array:
            extra = pc.if_else(pa.array(pack_p[idx] & (pack[idx] != 0)),
                               _join("; with the ", kg_arr(pack[idx]), " packaging it is ", kg_arr(expected[idx])), "")
            return _join("The declared gross weight ", kg_arr(gross[idx]), " is exactly the goods' net weight: the "
                       "packaging is not counted", extra, ".")

        def m_w103b(idx: np.ndarray) -> pa.Array:
            c = cur(idx)
            return _join("The postage paid, ", c, " ", cents_arr(paid[idx]), ", is the price of the goods' net weight ",
                       kg_arr(net[idx]), " (", step(idx, net_key), "); the parcel as ",
                       pc.if_else(pa.array(kind[idx] == 1), "weighed", "packed"), " is ", kg_arr(basis[idx]), " (",
                       step(idx, req_key), ", ", c, " ", cents_arr(req[idx]), ").")

        def m_w104(idx: np.ndarray) -> pa.Array:
            diff = meas[idx] - gross[idx]
            return _join("The parcel weighs ", kg_arr(meas[idx]), " on the scale, ",
                       pa.array([grams_text(d) for d in np.abs(diff).tolist()], pa.string()), " ",
                       pc.if_else(pa.array(diff > 0), "more", "less"), " than the declared gross weight ",
                       kg_arr(gross[idx]), f" (tolerance {DEFAULT_TOLERANCE}).")

        def m_p201(idx: np.ndarray) -> pa.Array:
            c = cur(idx)
            b, k = basis[idx], kind[idx]
            n_ = len(idx)
            ev = _cases(n_, (k == 1, lambda p: _join("the parcel weighed ", kg_arr(b[p]), " on the scale")),
                        (k == 4, lambda p: _join("the declared gross weight is ", kg_arr(b[p]))),
                        ((k != 1) & (k != 4), lambda p: _join("the parcel weighs ", kg_arr(b[p]), " (", story(idx[p]),
                                                              ")")))
            alone = has_items[idx] & net_ok[idx] & (paid[idx] == net_price[idx]) & (b > net[idx])
            paid_step = _cases(n_, (alone, lambda p: _join(" (the price of the net weight ", kg_arr(net[idx[p]]),
                                                           " alone)")), (~alone, ""))
            charged = (vol[idx] >= 0) & (vol[idx] > rounded[idx])
            note = _cases(n_, (charged, lambda p: _join(" The volumetric weight ", kg_arr(vol[idx[p]]),
                                                        " is charged, being above the actual weight.")),
                          (~charged, ""))
            return _join("Postage is short by ", c, " ", cents_arr(req[idx] - paid[idx]), ": ", ev,
                       ", which is priced at ", c, " ", cents_arr(req[idx]), " (", name(idx), ", ",
                       step(idx, req_key), "); ", c, " ", cents_arr(paid[idx]), " was paid", paid_step, ".", note)

        def m_p202(idx: np.ndarray) -> pa.Array:
            c = cur(idx)
            return _join(c, " ", cents_arr(paid[idx]), " was paid; ", c, " ", cents_arr(req[idx]), " is the price for ",
                       kg_arr(charge[idx]), " (", name(idx), ", ", step(idx, req_key), "). ", c, " ",
                       cents_arr(paid[idx] - req[idx]), " could be reclaimed.")

        def m_p203(idx: np.ndarray) -> pa.Array:
            b = basis[idx]
            # in kilograms, unless rounding to the gram hides the excess (then in grams, as check())
            hidden = (b + PG_PER_G // 2) // PG_PER_G * PG_PER_G <= max_pg_t[t_idx[idx]] - _TOL_PG
            shown = kg_arr(b)
            if hidden.any():
                grams = pa.array([grams_text(v) if h else None for v, h in zip(b.tolist(), hidden.tolist())], pa.string())
                shown = pc.if_else(pa.array(hidden), grams, shown)
            return _join(shown, " is over the ", max_t.take(pa.array(t_idx[idx])), " limit of ", name(idx), ".")

        def m_p209(idx: np.ndarray) -> pa.Array:
            return _join("The label does not state the postage paid",
                       pc.if_else(pa.array(req_ok[idx]),
                                  _join("; ", cur(idx), " ", cents_arr(req[idx]), " is due for ", kg_arr(charge[idx]),
                                      "."), "."))

        add("W101", w101, m_w101)
        add("W103", w103a, m_w103a)
        add("W103", w103b, m_w103b)
        add("W104", w104, m_w104)
        add("P201", p201, m_p201)
        add("P202", p202, m_p202)
        add("P203", p203, m_p203)
        add("P209", p209, m_p209)
        for k, it in enumerate(items):
            if "no_hs" not in it:
                continue
            line = pa.array(it["pos"] + 1)
            desc = it["description"][1]
            if it["vague"].any():
                dcodes, ddict = it["desc_codes"]
                why_of = lambda a, b, _d=ddict: self._vague_reason(_d[a], bool(b))  # noqa: E731
                add("C305", it["vague"], lambda idx, _l=line, _c=dcodes, _w=why_of: _join(
                    "Line ", pc.cast(_l.take(pa.array(idx)), pa.string()), ": ",
                    _per_pair_text(_c[idx], docs[idx].astype(np.int64), _w),
                    "; customs need what the goods are, e.g. \"men's cotton shirts\"."), k)
            add("C307", it["no_hs"], lambda idx, _l=line, _d=desc: _join(
                "Line ", pc.cast(_l.take(pa.array(idx)), pa.string()), " (", _d.take(pa.array(idx)),
                ") has no HS tariff number; commercial items need one."), k)
            add("C308", it["no_origin"], lambda idx, _l=line, _d=desc: _join(
                "Line ", pc.cast(_l.take(pa.array(idx)), pa.string()), " (", _d.take(pa.array(idx)),
                ") has no country of origin; commercial items need one."), k)
        const = lambda text: (lambda idx: pa.array(np.full(len(idx), text, dtype=object), pa.string()))  # noqa: E731
        add("C309", c309, const("No category of item is ticked on the customs declaration."))
        add("C310", c310, const("Category \"other\" is ticked but no explanation is given."))
        add("C312", c312, const("The customs declaration has no contents lines."))
        add("I401", i401, lambda idx: _s10_messages(tn.take(pa.array(idx))))

        # -- status and verdict: one verdict per distinct (error codes, currency, shortfall)
        err_bits = np.zeros(n, dtype=np.int64)
        for code, mask in (("W101", w101), ("W103", w103a | w103b), ("W104", w104), ("P201", p201),
                           ("P202", p202), ("P203", p203), ("P209", p209), ("C305", item_vague), ("C307", item_hs),
                           ("C308", item_origin), ("C309", c309), ("C310", c310), ("C312", c312), ("I401", i401)):
            if RULES[code][1] == "error":
                err_bits |= mask.astype(np.int64) << _RANK[code]
        erring = err_bits != 0
        res.status[erring] = ST_ERROR
        short = np.where(p201, req - paid, 0)
        idx = np.flatnonzero(erring)
        if len(idx):
            names = self._currency_names
            for t in self._tariffs:
                if t.currency not in names:
                    names.append(t.currency)
            cur_of_tariff = np.array([names.index(t.currency) for t in self._tariffs], dtype=np.int64)
            eb, ci, sh = err_bits[idx], cur_of_tariff[t_idx[idx]], short[idx]
            if int(eb.max()) < 1 << 16 and int(ci.max()) < 1 << 8 and 0 <= int(sh.min()) and int(sh.max()) < 1 << 38:
                # one integer per (codes, currency, shortfall): a 1-D unique, much faster than
                # axis=1, and the key of the verdicts already written (kept across chunks)
                uniq1, inv = unique_inverse((eb << 46) | (ci << 38) | sh)
                known = self._verdicts
                texts = []
                for key in uniq1.tolist():
                    text = known.get(key)
                    if text is None:
                        text = self._verdict(_codes_of(key >> 46), names[(key >> 38) & 0xFF], key & ((1 << 38) - 1))
                        if len(known) < 200_000:
                            known[key] = text
                    texts.append(text)
            else:
                uniq, inv = np.unique(np.stack([eb, ci, sh]), axis=1, return_inverse=True)
                texts = [self._verdict(_codes_of(int(b)), names[int(c)], int(s)) for b, c, s in uniq.T.tolist()]
            ids = np.array([res.verdict_id(t) for t in texts], dtype=np.int64)
            res.verdict[idx] = ids[inv.reshape(-1)]
        return slow

    # ------------------------------------------------------------------ ids

    @staticmethod
    def _verdict(errors: tuple[str, ...], currency: str, short_micro: int) -> str:
        """:attr:`Report.verdict` for these error codes and shortfall (the caller remembers it)."""
        findings = tuple(Finding(code=c, name=RULES[c][0], severity="error", message="") for c in errors)
        postage = Postage(currency=currency, required=Decimal(short_micro) / MICRO, paid=Decimal(0),
                          chargeable_weight=None, basis=None)
        return Report(findings=findings, postage=postage, tariff=None, date="").verdict

    def _id(self, name: Any) -> int:
        """A small integer for a string (countries, currencies, zones), stable in this engine."""
        i = self._name_ids.get(name)
        if i is None:
            with self._lock:
                i = self._name_ids.get(name)
                if i is None:
                    self._names.append(name)
                    i = self._name_ids[name] = len(self._names) - 1
        return i

    def _ids(self, values: list[Any]) -> np.ndarray:
        """Ids of distinct values, with -1 appended for code -1 (blank)."""
        return np.array([self._id(v) for v in values] + [-1], dtype=np.int64)

    def _pid_id(self, pid: str) -> int:
        with self._lock:
            if pid not in self._pids:
                self._pids.append(pid)
            return self._pids.index(pid)

    def _zone_index(self, ti: int, dest: str, zone: str | None) -> int:
        t = self._tariffs[ti]
        try:
            return t.zone_names.index(zone_for(t, dest, zone))
        except NotPriceable:
            return -1

    # ------------------------------------------------------------------ memoised look-ups

    def _resolved(self, service: str) -> Any:
        hit = self._resolve.get(service)
        if hit is None:
            try:
                hit = self.rates.resolve(service)
            except UnknownService as e:
                known = ", ".join(e.known[:20])
                hit = (("service", service, f"a product id from 'postcheck rates list' ({known})"),)
            self._resolve[service] = hit
        return hit

    def _selected(self, pid: str, date: dt.date) -> int:
        """The index of the tariff in force for (product, date), -1 when none or not exact.
        Asked once per new pair: ``_sel_memo`` remembers the answers across chunks."""
        with self._lock:  # adds to the engine's tariffs
            return self._select(pid, date)

    def _select(self, pid: str, date: dt.date) -> int:
        try:
            sel = self.rates.select(pid, date)
        except NoTariffInForce:
            return -1
        assert isinstance(sel, Selected)
        for i, t in enumerate(self._tariffs):
            if t is sel.tariff:
                break
        else:
            self._tariffs.append(sel.tariff)
            i = len(self._tariffs) - 1
            self._vt[i] = VectorTariff.build(sel.tariff)
        return i if self._vt[i].exact else -1

    def _other_plan_paid(self, short: np.ndarray, t_idx: np.ndarray, date_c: np.ndarray, dates: list,
                         basis: np.ndarray, z_idx: np.ndarray, vol: np.ndarray, paid: np.ndarray) -> np.ndarray:
        """Rows of ``short`` whose postage is another price plan's price for the parcel, or that
        this engine cannot price under another plan exactly (both are check()'s to answer)."""
        out = np.zeros(len(short), dtype=bool)
        pairs = np.unique(np.stack([t_idx[short], date_c[short]]), axis=1)
        for ti, dc in pairs.T.tolist():
            t = self._tariffs[ti]
            others = [pid for pid in self.rates.plans(t.id).values() if pid != t.id]
            if not others:
                continue
            rows = np.flatnonzero(short & (t_idx == ti) & (date_c == dc))
            for pid in others:
                tj = self._selected(pid, dates[dc])
                u = self._tariffs[tj] if tj >= 0 else None
                if u is None or (u.zone_names, u.volumetric, u.limits, u.oversize, u.surcharges) != (
                        t.zone_names, t.volumetric, t.limits, t.oversize, t.surcharges):
                    try:  # not priced here exactly (or not in force): check() decides
                        self.rates.select(pid, dates[dc])
                    except NoTariffInForce:
                        continue
                    out[rows] = True
                    break
                pr = self._vt[tj].price(basis[rows], z_idx[rows], vol[rows])
                out[rows[pr.ok & (pr.price == paid[rows])]] = True
        return out

    def _cn22_limit(self, currency: str, date: dt.date) -> int | None:
        key = (currency, date)
        if key not in self._sdr:
            found = self.rates.sdr_rate(currency, date)
            self._sdr[key] = (None if found is None else
                              int((CN22_LIMIT_SDR * found[0]).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
                                  * MICRO))
        return self._sdr[key]

    def _vague_reason(self, description: str, documents: bool) -> str | None:
        key = (description, documents)
        if key not in self._vague:
            self._vague[key] = vague_reason(description, category="documents" if documents else None)
        return self._vague[key]

    def _hs_ok(self, hs: str) -> bool:
        hit = self._hs.get(hs)
        if hit is None:
            digits = _HS_CLEAN.sub("", hs)
            hit = self._hs[hs] = digits.isdigit() and 6 <= len(digits) <= 10 and digits.isascii()
        return hit

    def _s10_invalid(self, arr: pa.Array, rows: np.ndarray) -> np.ndarray:
        """Rows whose tracking number (stripped text) has an S10 problem.  Numbers written plainly
        (13 ASCII characters, letters and digits in place) are checked on their bytes with numpy;
        the others through :func:`_s10_invalid_text`."""
        out = np.zeros(len(rows), dtype=bool)
        if not rows.any():
            return out
        idx = np.flatnonzero(rows)
        sub = arr.take(pa.array(idx))
        where, b = _s10_plain(sub)
        ok = np.zeros(len(idx), dtype=bool)
        if len(where):
            ok[where] = _s10_plain_valid(b)
        rest = np.ones(len(idx), dtype=bool)
        rest[where] = False
        if rest.any():
            r = np.flatnonzero(rest)
            ok[r] = ~_s10_invalid_text(sub.take(pa.array(r)))
        out[idx] = ~ok
        return out


def _s10_plain(sub: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(positions, bytes)`` of the cells that are a plain S10 number: 13 bytes, two ASCII letters,
    nine digits, two ASCII letters (either case).  ``bytes`` is a (k, 13) uint8 matrix, upper-cased,
    which is what ``normalise_s10`` makes of such a cell."""
    lens = pc.fill_null(pc.binary_length(sub), 0).to_numpy(zero_copy_only=False)
    cand = np.flatnonzero(lens == 13)
    if not len(cand):
        return cand, np.zeros((0, 13), dtype=np.uint8)
    s = sub.take(pa.array(cand))
    offs, data = string_buffers(s)
    k = len(cand)
    if int(offs[-1]) - int(offs[0]) == 13 * k:  # k cells of 13 bytes back to back (what take() builds)
        b = data[int(offs[0]):int(offs[0]) + 13 * k].reshape(k, 13)
    else:
        b = data[offs[:-1, None] + np.arange(13)]
    upper, kind, pattern = _s10_tables()
    b = upper[b]  # letters upper-cased, every other byte as it is
    # a byte out of place anywhere in the 13: the row's 13 flags read as two 64-bit words
    wrong = np.zeros((k, 16), dtype=bool)
    np.not_equal(kind[b], pattern, out=wrong[:, :13])
    words = wrong.view(np.uint64)
    plain = (words[:, 0] | words[:, 1]) == 0
    return cand[plain], b[plain]


@lru_cache(maxsize=1)
def _s10_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(upper-case of each byte, kind of each byte: 1 letter 2 digit 0 other, the kinds of a
    plain S10 number's 13 bytes)``."""
    upper = np.arange(256, dtype=np.uint8)
    upper[97:123] -= 32
    kind = np.zeros(256, dtype=np.uint8)
    kind[65:91] = 1
    kind[48:58] = 2
    return upper, kind, np.array([1, 1] + [2] * 9 + [1, 1], dtype=np.uint8)


_S10_WEIGHTS = np.array([8, 6, 4, 2, 3, 5, 9, 7], dtype=np.int64)


def _s10_plain_valid(b: np.ndarray) -> np.ndarray:
    """Valid S10 numbers among plain ones (bytes from :func:`_s10_plain`): check digit, assigned
    service indicator, ISO country."""
    s = b[:, 2:10] @ _S10_WEIGHTS - 48 * int(_S10_WEIGHTS.sum())
    c = 11 - s % 11
    c = np.where(c == 10, 0, np.where(c == 11, 5, c))
    si, cc = _letter_pairs()
    letter = lambda j: b[:, j].astype(np.intp) - 65  # noqa: E731
    return (c == b[:, 10].astype(np.int64) - 48) & si[letter(0), letter(1)] & cc[letter(11), letter(12)]


@lru_cache(maxsize=1)
def _letter_pairs() -> tuple[np.ndarray, np.ndarray]:
    """26 x 26 tables: assigned service indicators, ISO country codes."""
    out = []
    for arr in (_assigned_indicators(), _countries()):
        t = np.zeros((26, 26), dtype=bool)
        for v in arr.to_pylist():
            t[ord(v[0]) - 65, ord(v[1]) - 65] = True
        out.append(t)
    return out[0], out[1]


def _s10_invalid_text(sub: pa.Array) -> np.ndarray:
    """Cells (stripped text, not blank) with an S10 problem, through pyarrow's text kernels
    (non-ASCII cells through :func:`s10_problems`)."""
    ascii_ = pc.fill_null(pc.string_is_ascii(sub), False).to_numpy(zero_copy_only=False)
    norm = pc.utf8_upper(pc.replace_substring_regex(sub, r"[ \t\n\r\x0b\x0c\x1c-\x1f-]", ""))
    fmt = pc.fill_null(pc.match_substring_regex(norm, _S10), False).to_numpy(zero_copy_only=False) & ascii_
    ok = fmt.copy()
    if fmt.any():
        good = np.flatnonzero(fmt)
        well = norm.take(pa.array(good))
        d = np.stack([pc.cast(pc.utf8_slice_codeunits(well, k, k + 1), pa.int64()).to_numpy(zero_copy_only=False)
                      for k in range(2, 11)])
        s = (d[:8] * np.array([8, 6, 4, 2, 3, 5, 9, 7])[:, None]).sum(axis=0)
        c = 11 - s % 11
        c = np.where(c == 10, 0, np.where(c == 11, 5, c))
        ok[good] = c == d[8]
        si_ok = pc.is_in(pc.utf8_slice_codeunits(well, 0, 2), value_set=_assigned_indicators())
        cc_ok = pc.is_in(pc.utf8_slice_codeunits(well, 11, 13), value_set=_countries())
        ok[good] &= (pc.and_(si_ok, cc_ok)).to_numpy(zero_copy_only=False)
    for j in np.flatnonzero(~ascii_).tolist():
        ok[j] = not s10_problems(sub[j].as_py())
    return ~ok


@lru_cache(maxsize=1)
def _assigned_indicators() -> pa.Array:
    """Every two-letter S10 service indicator the UPU assigns (not reserved or unassigned)."""
    from postcheck.identifiers import service_indicator_meaning

    letters = [chr(c) for c in range(65, 91)]
    ok = []
    for a in letters:
        for b in letters:
            m = service_indicator_meaning(a + b)
            if m is not None and not m.startswith(("reserved", "unassigned")):
                ok.append(a + b)
    return pa.array(ok, pa.string())


@lru_cache(maxsize=1)
def _countries() -> pa.Array:
    import pycountry

    return pa.array(sorted(c.alpha_2 for c in pycountry.countries if is_country(c.alpha_2)), pa.string())


def grams_text(pg: int) -> str:
    """``format_weight(grams, "g")`` for a weight in picograms."""
    whole, frac = divmod(pg, PG_PER_G)
    return f"{whole}.{frac:012d}".rstrip("0").rstrip(".") + " g" if frac else f"{whole} g"


def _intern(ids: dict[str, int], texts: list[str], text: str) -> int:
    """``text``'s index in ``texts`` (appended the first time; ``ids`` remembers)."""
    i = ids.get(text)
    if i is None:
        i = ids[text] = len(texts)
        texts.append(text)
    return i


#: Names (countries, zones, dates ...) get ids below this in the keys of :class:`_PairMemo`.
_ID_MASK = (1 << 21) - 1


class _PairMemo:
    """``fn(key)`` for integer keys, remembered across chunks: a chunk's distinct keys are looked
    up at once (sorted arrays, binary search) and only new ones are computed."""

    def __init__(self) -> None:
        self._table = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self._lock = threading.Lock()

    def get(self, key: np.ndarray, rows: np.ndarray, fn: Any) -> np.ndarray:
        """``fn(key[i])`` where ``rows[i]`` (-1 elsewhere, and where fn gives None)."""
        out = np.full(len(rows), -1, dtype=np.int64)
        idx = np.flatnonzero(rows)
        if not len(idx):
            return out
        uniq, inv = unique_inverse(key[idx])
        keys, vals = self._table
        pos = np.minimum(np.searchsorted(keys, uniq), max(len(keys) - 1, 0))
        found = keys[pos] == uniq if len(keys) else np.zeros(len(uniq), dtype=bool)
        got = np.where(found, vals[pos] if len(vals) else 0, -1)
        missing = np.flatnonzero(~found)
        if len(missing):
            new = [fn(k) for k in uniq[missing].tolist()]
            got[missing] = [-1 if v is None else v for v in new]
            with self._lock:
                keys, vals = self._table
                if len(keys) > 1_000_000:  # bounded: start afresh
                    keys, vals = keys[:0], vals[:0]
                k2 = np.concatenate([keys, uniq[missing]])
                v2 = np.concatenate([vals, got[missing]])
                order = np.argsort(k2, kind="stable")
                k2, v2 = k2[order], v2[order]
                keep = np.ones(len(k2), dtype=bool)
                keep[1:] = k2[1:] != k2[:-1]  # another thread may have added the same key
                self._table = (k2[keep], v2[keep])
        out[idx] = got[inv.reshape(-1)]
        return out


def _per_pair(a: np.ndarray, b: np.ndarray, rows: np.ndarray, fn: Any) -> np.ndarray:
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


def _parcel_ids(arr: pa.Array | None, n: int) -> pa.Array:
    if arr is None:
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def _num(x: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(x, dtype=np.int64)), pa.string())


def _cases(n: int, *cases: tuple[np.ndarray, Any]) -> pa.Array:
    """``n`` texts, each from the case whose mask holds at its position (the masks are disjoint
    and cover every position): ``(mask, text)`` for a fixed text, ``(mask, make)`` for texts
    that ``make(positions)`` writes for those positions only (what ``if_else`` over whole
    alternatives would write for every position, and throw away)."""
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


def _join(*parts: Any) -> pa.Array:
    """Texts joined element-wise; a part is a str (the same in every row) or a string array."""
    return pc.binary_join_element_wise(*[pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts], "")


_TEXTS_OF: dict[Any, dict[int, str]] = {}


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


#: Up to this many values, ``_per_value`` looks each one up (the rows of one finding in a chunk).
_FEW_VALUES = 2048


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
        out = _join(_num(x // 1000), ".", pc.utf8_lpad(_num(x % 1000), 3, "0"), " kg")
    else:
        out = _join(_num(x // 100), ".", pc.utf8_lpad(_num(x % 100), 2, "0"))
    if valid is None:
        return out
    return pc.if_else(pa.array(np.asarray(valid, dtype=bool)), out, pa.scalar(None, pa.string()))


def _kg_g(g: int) -> str:
    return f"{g // 1000}.{g % 1000:03d} kg"


def _cents_c(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def kg_arr(pg: np.ndarray) -> pa.Array:
    """:func:`kg` over an array of picograms."""
    return _per_value((np.asarray(pg, dtype=np.int64) + PG_PER_G // 2) // PG_PER_G, _kg_g)


def cents_arr(micro: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """:func:`cents_text` over an array of micro-units (null where ``valid`` is False)."""
    return _per_value((np.asarray(micro, dtype=np.int64) + 5000) // 10000, _cents_c, valid)


def _per_pair_text(a: np.ndarray, b: np.ndarray, fn: Any) -> pa.Array:
    """``fn(a, b)`` per row, called once per distinct pair."""
    if not len(a):
        return pa.array([], pa.string())
    a, b = a.astype(np.int64), b.astype(np.int64)
    a0, b0 = int(a.min()), int(b.min())
    key = (a - a0) * (int(b.max()) - b0 + 1) + (b - b0)
    uniq, inv = unique_inverse(key)
    width = int(b.max()) - b0 + 1
    texts = [fn(a0 + k // width, b0 + k % width) for k in uniq.tolist()]
    return pa.array(texts, pa.string()).take(pa.array(inv.reshape(-1)))


def _codes_of(bits: int) -> tuple[str, ...]:
    return tuple(c for c in _BY_RANK if bits >> _RANK[c] & 1)


def _s10_messages(sub: pa.Array) -> pa.Array:
    """I401's message for each (stripped) tracking number, all of which have a problem.  The
    common case, a well-formed number with a wrong check digit, is written column-wise."""
    n = len(sub)
    ascii_ = pc.fill_null(pc.string_is_ascii(sub), False).to_numpy(zero_copy_only=False)
    norm = pc.utf8_upper(pc.replace_substring_regex(sub, r"[ \t\n\r\x0b\x0c\x1c-\x1f-]", ""))
    simple = pc.fill_null(pc.match_substring_regex(norm, _S10), False).to_numpy(zero_copy_only=False) & ascii_
    if simple.any():
        g = np.flatnonzero(simple)
        well = norm.take(pa.array(g))
        si_ok = pc.is_in(pc.utf8_slice_codeunits(well, 0, 2), value_set=_assigned_indicators())
        cc_ok = pc.is_in(pc.utf8_slice_codeunits(well, 11, 13), value_set=_countries())
        simple[g] = pc.and_(si_ok, cc_ok).to_numpy(zero_copy_only=False)
    parts, where = [], []
    s = np.flatnonzero(simple)
    if len(s):
        well = norm.take(pa.array(s))
        d = np.stack([pc.cast(pc.utf8_slice_codeunits(well, k, k + 1), pa.int64()).to_numpy(zero_copy_only=False)
                      for k in range(2, 10)])
        c = 11 - (d * np.array([8, 6, 4, 2, 3, 5, 9, 7])[:, None]).sum(axis=0) % 11
        c = np.where(c == 10, 0, np.where(c == 11, 5, c))
        parts.append(_join("Tracking number ", well, ": check digit is ", pc.utf8_slice_codeunits(well, 10, 11),
                         ", the serial ", pc.utf8_slice_codeunits(well, 2, 10), " gives ", _num(c), "."))
        where.append(s)
    rest = np.flatnonzero(~simple)
    if len(rest):
        texts = sub.take(pa.array(rest)).to_pylist()
        parts.append(pa.array([f"Tracking number {normalise_s10(t)}: " + "; ".join(s10_problems(t)) + "."
                               for t in texts], pa.string()))
        where.append(rest)
    pos = np.empty(n, dtype=np.int64)
    pos[np.concatenate(where)] = np.arange(n)
    return pa.concat_arrays(parts).take(pa.array(pos))
