"""Check a chunk of rows at once: the vectorised engine and its exact per-row fallback.

:meth:`Engine.check_table` takes an Arrow table in the row format of :mod:`postcheck.rows` and
returns one result per row, equal to what :func:`postcheck.check` says about each row's label.
It works in three steps:

1. **Cells** (:mod:`postcheck.batch.columns`): every cell read into exact integers, once per
   distinct value, or a problem record from the label model for a bad cell.
2. **Facts** (:class:`postcheck.batch.facts.Facts`): the tariff in force for each row, the
   weight postage must cover and its price, the net weight's price (:mod:`postcheck.batch.prices`).
   Rows whose facts cannot be worked out exactly (no tariff, a refused zone or size, another
   currency than the tariff's, two bad cells, values finer than a picogram) go to step 3.
3. **Rules**: every enabled rule of the registry, in the order ``check()`` reports them, through
   its column form (``@columns`` beside the rule in ``rules/``), which marks the rows the rule
   fires on with their messages (whole columns of text) or the rows it cannot decide.  A rule
   without a column form sends every row to step 3.  Verdicts are written once per distinct
   (error rules, currency, shortfall).

Step 3 is :func:`postcheck.batch.plain.check_row` (``check()`` on the row) for the rows the
column forms leave undecided: exact by construction, and rare in real batches.  The per-row
engine (``vector=False``) takes every row that way; the property tests compare the two.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from postcheck.batch.columns import (MICRO, PG_PER_G, CellMemo, ColumnPlan, KnownValues, amount_column, item_groups,
                                     memo_codes, text_column, unique_inverse, weight_column)
from postcheck.batch.plain import STATUS_ERROR, STATUS_OK, STATUS_UNREADABLE, check_row
from postcheck.batch.facts import BASES, CATEGORIES, FORMS, Facts, Line, cents_arr, per_pair
from postcheck.batch.prices import VectorTariff
from postcheck.checker import check
from postcheck.errors import InvalidLabel, NoTariffInForce, NotPriceable, PostcheckError, UnknownService
from postcheck.report import Finding, Postage, Report
from postcheck.rules import DEFAULT_TOLERANCE, RuleInfo, Selection, Unsure
from postcheck.rules.customs import CN22_LIMIT_SDR
from postcheck.tariffs.catalog import Rates, Selected
from postcheck.tariffs.pricing import zone_for

__all__ = ["Results", "Engine", "RESULT_SCHEMA", "STATUS_OK", "STATUS_ERROR", "STATUS_UNREADABLE"]

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
_DEFAULT_TOLERANCE_PG = int(DEFAULT_TOLERANCE.grams * PG_PER_G)
_OK_VERDICT = Report(findings=(), postage=None, tariff=None, date="").verdict


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

        money = cents_arr

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
            pr: list[int] = []
            ps: list[int] = []
            pcs: list[str] = []
            pms: list[str] = []
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

    def store(self, i: int, status: str, report: Report | None, error: str | None) -> None:
        """Row ``i``'s result from the per-row path: ``(status, report, error)`` as
        :func:`postcheck.batch.plain.check_row` gives it."""
        if report is None:  # an unreadable label has no postage, findings or verdict
            self.status[i] = ST_UNREADABLE
            self.verdict[i] = -1
            self.has_required[i] = self.has_paid[i] = False
            self.required[i] = self.paid[i] = self.shortfall[i] = 0
            self.currency[i] = -1
            self.py_findings.pop(i, None)
            self.py_error[i] = error or ""
            return
        self.status[i] = ST_OK if status == STATUS_OK else ST_ERROR
        self.py_error.pop(i, None)
        self.verdict[i] = self.verdict_id(report.verdict)
        p = report.postage
        self.has_required[i] = self.has_paid[i] = False
        self.required[i] = self.paid[i] = self.shortfall[i] = 0
        self.currency[i] = -1
        if p is not None:
            self.currency[i] = self.currency_id(p.currency)
            if p.required is not None:
                self.has_required[i] = True
                self.required[i] = int(p.required * MICRO)
            if p.paid is not None:
                self.has_paid[i] = True
                self.paid[i] = int(p.paid * MICRO)
            if p.shortfall is not None:
                self.shortfall[i] = int(p.shortfall * MICRO)
        if report.findings:
            self.py_findings[i] = ([f.code for f in report.findings], [f.message for f in report.findings])

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
        # verdict texts by (error bits, currency, shortfall)
        self._verdicts: dict[tuple[int, int, int], str] = {}
        self._currency_names: list[str] = []  # a small number for each currency in the packed key
        self._name_ids: dict[Any, int] = {}
        self._pids: list[str] = []
        self._sdr: dict[tuple[str, dt.date], int | None] = {}
        #: the rules the vectorised path runs, in the order check() reports them, each with the bit
        #: that stands for it in a row's set of error rules (rules of other severities have none)
        self._selection = Selection(self.options.get("select"), self.options.get("ignore", ()))
        self._rules: tuple[RuleInfo, ...] = ()
        self._bit: dict[int, int] = {}
        self._lock = threading.RLock()
        self._sel_memo = _PairMemo()
        self._zone_memo = _PairMemo()

    @property
    def rules(self) -> tuple[RuleInfo, ...]:
        """The enabled rules in report order, as the registry has them now (a rule registered
        after the engine was made is run too)."""
        rs = self._selection.enabled_rules()
        if rs is not self._rules:
            with self._lock:
                errors = [k for k, r in enumerate(rs) if r.severity == "error"]
                self._bit = {k: b for b, k in enumerate(errors)}
                self._verdicts = {}
                self._rules = rs
        return rs

    # ------------------------------------------------------------------ per-row path

    def check_row(self, row: dict[str, Any], source: str, parcel_id: str | None,
                  items: list[dict[str, Any]] | None = None) -> tuple[str, Report | None, str | None]:
        """Exactly what ``postcheck check`` does with one row: ``(status, report, error)``."""
        return check_row(row, source, rates=self.rates, as_of=self.as_of, parcel_id=parcel_id, items=items,
                         options=self.options)

    def check_labels(self, labels: Iterable[Any], sources: Iterable[str]
                     ) -> Iterable[tuple[str, Report | None, str | None]]:
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
                res.store(i, *self.check_row(row, src, p, its))
            res.fallback += len(idx)
        return res

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
        for g in groups.values():
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
            res.error_parts.append((rows, Facts.join(f"{source} {unit} ", Facts.number(numbers[rows]),
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
        t_form = np.array([FORMS[t.customs_form] for t in self._tariffs] or [0])[ti_safe]

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
            z_idx = per_pair(t_idx, dz, fast, lambda ti, k: self._zone_index(
                ti, self._names[k // zw], self._names[k % zw - 1] if k % zw else None))
        slow |= fast & (z_idx < 0)
        fast &= z_idx >= 0
        z_idx = np.maximum(z_idx, 0)
        _, dim_c, dim_u, _ = label["dimensions"]
        vol = np.full(n, -1, dtype=np.int64)
        has_dims = fast & (dim_c >= 0)
        if has_dims.any():
            eff = per_pair(t_idx, dim_c, has_dims,
                            lambda a, b: (lambda e: -2 if e.unsure else e.vol_pg)(self._vt[a].dims_effect(dim_u[b])))
            slow |= has_dims & (eff == -2)
            fast &= ~(has_dims & (eff == -2))
            vol = np.where(has_dims & (eff >= 0), eff, -1)
        _, form_c, form_u, _ = label["form"]
        form = np.array([FORMS.get(f, 0) for f in form_u] + [0], dtype=np.int8)[form_c]
        _, cat_c, cat_u, _ = label["category"]
        cat = np.array([CATEGORIES.index(c) if c in CATEGORIES else 0 for c in cat_u] + [0], dtype=np.int8)[cat_c]

        # -- weights and values
        pack_p, pack = label["packaging_weight"]
        gross_p, gross = label["gross_weight"]
        meas_p, meas = label["measured_weight"]
        net = np.zeros(n, dtype=np.int64)
        value_sum = np.zeros(n, dtype=np.int64)
        lines = []
        for it in items:
            p, w = it["net_weight"]
            net += np.where(p, w, 0)
            vp, v, (ci, cv) = it["value"]
            value_sum += np.where(vp, v, 0)
            _, hs_c, hs_u, _ = it["hs_code"]
            cur_of_value = self._ids(cv)
            lines.append(Line(here=it["here"], pos=it["pos"], description=it["description"][1], hs_code=hs_c,
                              hs_codes=hs_u, origin_country=it["origin_country"][1],
                              value_currency=np.where(ci >= 0, cur_of_value[ci], -1),
                              _distinct=it["desc_distinct"]))
        has_items = n_items > 0
        exp_p = pack_p & has_items
        expected = net + pack
        floor = np.where(exp_p, expected, net)
        over = gross_p & has_items & (floor > gross)
        kind = np.select([meas_p, over & exp_p, over, gross_p, exp_p, has_items],
                         [BASES.index(b) for b in ("measured", "net + packaging above gross", "net weight above gross",
                                                   "declared gross", "net + packaging", "net weight only")],
                         0).astype(np.int8)
        basis = np.select([meas_p, over, gross_p, exp_p, has_items], [meas, floor, gross, expected, net], 0)
        has_basis = kind > 0

        # -- prices, per tariff
        req_ok = np.zeros(n, dtype=bool)
        req = np.zeros(n, dtype=np.int64)
        req_key = np.zeros(n, dtype=np.int64)
        charge = np.zeros(n, dtype=np.int64)
        rounded = np.zeros(n, dtype=np.int64)
        net_ok = np.zeros(n, dtype=bool)
        net_price = np.zeros(n, dtype=np.int64)
        net_key = np.zeros(n, dtype=np.int64)
        over_limit = np.zeros(n, dtype=bool)  # heavier than the product's limit
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
                    # the only refusals price() makes (zones and sizes were settled above) are over the
                    # product's weight limit (checked first, as check_limits() does) and a chargeable
                    # weight past the last step, which goes row by row
                    over = basis[refused] > vt.max_pg if vt.max_pg >= 0 else np.zeros(len(refused), dtype=bool)
                    over_limit[refused[over]] = True
                    req[refused] = 0
                    past = refused[~over]
                    slow[past] = True
                    fast[past] = False
            with_items = rows[has_items[rows]]
            if len(with_items):
                pr = vt.price(net[with_items], z_idx[with_items], vol[with_items])
                net_ok[with_items], net_price[with_items], net_key[with_items] = pr.ok, pr.price, pr.step_key

        # -- the facts, for the rules' column forms
        tv_p, tv, _ = label["total_value"]
        paid_p, paid, _ = label["postage_paid"]
        # a label paying less than its plan's price may be paying exactly another price plan's (a
        # small business paying Small Business prices): those rows go to check(), which says so
        short = fast & req_ok & paid_p & (paid < req)
        if short.any():
            other_plan = self._other_plan_paid(short, t_idx, date_c, dates, basis, z_idx, vol, paid)
            slow |= other_plan
            fast &= ~other_plan
        tn_p, tn = label["tracking_number"]
        facts = Facts(n, tariff_of=ti_safe, currencies=pa.array([t.currency for t in self._tariffs], pa.string()),
                  names=pa.array([t.name for t in self._tariffs], pa.string()),
                  max_weights=pa.array([f"{t.limits.text.get('max_weight')}" for t in self._tariffs], pa.string()),
                  step_text=lambda ti, key: self._vt[ti].step_text(key),
                  cn22_limit=lambda rows: per_pair(cur_id, date_c, rows,
                                                   lambda a, b: self._cn22_limit(self._names[a], dates[b])))
        facts.rows = fast
        facts.form, facts.has_form, facts.is_cn22 = form, form > 0, form == FORMS["CN22"]
        facts.category, facts.international = cat, intl
        facts.label_currency = cur_id
        facts.has_items, facts.net = has_items, net
        facts.has_packaging, facts.packaging, facts.has_gross, facts.gross = pack_p, pack, gross_p, gross
        facts.has_measured, facts.measured, facts.has_expected, facts.expected = meas_p, meas, exp_p, expected
        facts.basis_kind, facts.basis, facts.has_basis = kind, basis, has_basis
        facts.has_total_value, facts.total_value, facts.items_value = tv_p, tv, value_sum
        facts.has_paid, facts.paid = paid_p, paid
        facts.has_explanation, facts.has_invoice = label["explanation"][0], label["invoice_number"][0]
        facts.has_tracking, facts.tracking = tn_p, tn
        facts.tariff_needs_form, facts.tariff_needs_cn23 = t_form != FORMS["none"], t_form == FORMS["CN23"]
        facts.declared_value = np.where(tv_p, tv, value_sum)
        facts.tolerance, facts.tolerance_pg = DEFAULT_TOLERANCE, _DEFAULT_TOLERANCE_PG
        facts.priced, facts.required, facts.required_step = req_ok, req, req_key
        facts.chargeable, facts.rounded, facts.volumetric = charge, rounded, vol
        facts.net_priced, facts.net_price, facts.net_step = net_ok, net_price, net_key
        facts.over_weight_limit = over_limit
        facts.max_weight = np.array([self._vt[i].max_pg for i in range(len(self._tariffs))] or [-1],
                                dtype=np.int64)[ti_safe]
        facts.lines = lines

        # -- the rules: what each one's column form finds, or every row to check() for a rule without one
        found: list[tuple[int, np.ndarray, Any, int]] = []
        rules = self.rules
        for k, info in enumerate(rules):
            if info.columns is None:
                slow |= fast
                return slow
            for out in info.columns(facts):
                if isinstance(out, Unsure):
                    slow |= fast & out.rows
                else:
                    found.append((k, out.rows, out.message, out.line))
        fast &= ~slow

        # postage columns for every fast row
        res.has_required[fast] = req_ok[fast]
        res.required[fast] = req[fast]
        res.has_paid[fast] = paid_p[fast]
        res.paid[fast] = paid[fast]
        res.shortfall[fast] = np.maximum(req - paid, 0)[fast]
        cur_of_t = np.array([res.currency_id(t.currency) for t in self._tariffs], dtype=np.int64)
        res.currency[fast] = cur_of_t[t_idx[fast]]

        # -- messages, one rule at a time over the rows it fires on (whole columns of text), and the
        # error rules each row breaks (bit k for the k-th rule in report order)
        groups_n = max(len(items), 1)
        err_bits = np.zeros(n, dtype=np.int64)
        for k, rows_k, message, line in found:
            idx = np.flatnonzero(fast & rows_k)
            if not len(idx):
                continue
            info = rules[k]
            msgs = (pa.repeat(pa.scalar(message, pa.string()), len(idx)) if isinstance(message, str)
                    else message(idx))
            res.finding_parts.append((idx, np.full(len(idx), k * groups_n + line, dtype=np.int64), info.code, msgs))
            if info.severity == "error":
                err_bits[idx] |= 1 << self._bit[k]

        # -- status and verdict: one verdict per distinct (error codes, currency, shortfall)
        erring = err_bits != 0
        res.status[erring] = ST_ERROR
        short = np.where(req_ok & paid_p & (paid < req), req - paid, 0)
        idx = np.flatnonzero(erring)
        if len(idx):
            names = self._currency_names
            for t in self._tariffs:
                if t.currency not in names:
                    names.append(t.currency)
            cur_of_tariff = np.array([names.index(t.currency) for t in self._tariffs], dtype=np.int64)
            # the distinct sets of error rules, then one integer per (set, currency, shortfall): a 1-D
            # unique, much faster than axis=1; the verdicts already written are kept across chunks
            bits_u, bits_i = unique_inverse(err_bits[idx])
            ci, sh = cur_of_tariff[t_idx[idx]], short[idx]
            if len(bits_u) < 1 << 16 and int(ci.max()) < 1 << 8 and 0 <= int(sh.min()) and int(sh.max()) < 1 << 38:
                uniq1, inv = unique_inverse((bits_i << 46) | (ci << 38) | sh)
                keys = [(int(bits_u[key >> 46]), (key >> 38) & 0xFF, key & ((1 << 38) - 1)) for key in uniq1.tolist()]
            else:
                uniq, inv = np.unique(np.stack([bits_i, ci, sh]), axis=1, return_inverse=True)
                keys = [(int(bits_u[b]), c, s) for b, c, s in uniq.T.tolist()]
            known = self._verdicts
            texts = []
            for key in keys:
                text = known.get(key)
                if text is None:
                    text = self._verdict(self._codes_of(key[0]), names[key[1]], key[2])
                    if len(known) < 200_000:
                        known[key] = text
                texts.append(text)
            ids = np.array([res.verdict_id(t) for t in texts], dtype=np.int64)
            res.verdict[idx] = ids[inv.reshape(-1)]
        return slow

    # ------------------------------------------------------------------ ids

    def _codes_of(self, bits: int) -> tuple[tuple[str, str], ...]:
        """(code, name) of the error rules whose bits are set."""
        return tuple((r.code, r.name) for k, r in enumerate(self._rules) if k in self._bit and bits >> self._bit[k] & 1)

    @staticmethod
    def _verdict(errors: tuple[tuple[str, str], ...], currency: str, short_micro: int) -> str:
        """:attr:`Report.verdict` for these error rules and shortfall (the caller remembers it)."""
        findings = tuple(Finding(code=c, name=name, severity="error", message="") for c, name in errors)
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
        i = next((k for k, t in enumerate(self._tariffs) if t is sel.tariff), -1)
        if i < 0:
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


def _parcel_ids(arr: pa.Array | None, n: int) -> pa.Array:
    if arr is None:
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)
