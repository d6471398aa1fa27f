"""Check a chunk of rows at once: the vectorised engine and its exact per-row fallback.

:func:`check_table` takes an Arrow table in the row format of :mod:`postcheck.rows` and returns
one result per row, equal to what :func:`postcheck.check` says about each row's label.  It works
in three tiers:

1. **Columns** (:mod:`postcheck.batch.columns`): every cell read into exact integers, or a
   problem record from the label model for a bad cell.
2. **Vectorised rules** for the parcels that make up almost every batch: basis weight, price
   and net-weight price per tariff (:mod:`postcheck.batch.prices`), then the weight (W101,
   W103), postage (P201, P202, P209), customs (C305, C307-C310, C312) and tracking-number
   (I401) rules over whole columns.  Only rows with a finding get a Python loop, to write the
   same messages the rules write.
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
from functools import lru_cache
from dataclasses import dataclass, field
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
from postcheck.rows import LABEL_COLUMNS, label_from_row
from postcheck.rules import _FAMILY_ORDER, DEFAULT_TOLERANCE, rules
from postcheck.rules.customs import CN22_LIMIT_SDR
from postcheck.tariffs.catalog import Rates, Selected
from postcheck.tariffs.pricing import zone_for

from postcheck.batch.columns import (MICRO, PG_PER_G, CellMemo, ColumnPlan, amount_column, blank_mask,
                                     item_groups, memo_codes, text_column, weight_column)
from postcheck.batch.prices import VectorTariff

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
_MEMO = ("service", "origin", "destination", "currency", "zone", "ship_date", "form", "category", "dimensions")
_CATS = ("", "gift", "documents", "commercial_sample", "returned_goods", "sale_of_goods", "other")
_HS_CLEAN = re.compile(r"[\s.\-]")
_S10 = r"^[A-Z]{2}\d{8}\d[A-Z]{2}$"
_TEN_G = 10 * PG_PER_G
_OK_VERDICT = Report(findings=(), postage=None, tariff=None, date="").verdict
#: The rules the vectorised engine decides itself; every other rule sends its rows to the per-row path.
VECTOR_RULES = ("W101", "W103", "W104", "P201", "P202", "P209", "C305", "C307", "C308", "C309", "C310", "C312",
                "I401")
RULES = {r.code: (r.name, r.severity) for r in rules() if r.code in VECTOR_RULES}
_SEV = SEVERITY_ORDER
_FAM = _FAMILY_ORDER


def kg(pg: int) -> str:
    """``format_weight(grams, "kg")`` for a weight in picograms."""
    g = (pg + PG_PER_G // 2) // PG_PER_G
    return f"{g // 1000}.{g % 1000:03d} kg"


def cents_text(micro: int) -> str:
    """``str(cents(amount))`` for a non-negative amount in micro-units."""
    c = (micro + 5000) // 10000
    return f"{c // 100}.{c % 100:02d}"


@dataclass
class Results:
    """Per-row results of one chunk, ready to become an Arrow table."""

    row: np.ndarray
    parcel_id: pa.Array
    status: np.ndarray  # object: ok / error / unreadable
    verdict: np.ndarray  # object
    required: np.ndarray  # int64 micro
    paid: np.ndarray
    shortfall: np.ndarray
    has_required: np.ndarray
    has_paid: np.ndarray
    currency: np.ndarray  # object or None
    codes: dict[int, list[str]] = field(default_factory=dict)
    messages: dict[int, list[str]] = field(default_factory=dict)
    error: dict[int, str] = field(default_factory=dict)
    fallback: int = 0  # rows decided by the per-row path

    def table(self) -> pa.Table:
        n = len(self.row)

        def money(v: np.ndarray, valid: np.ndarray) -> pa.Array:
            c = (v + 5000) // 10000
            whole = pc.cast(pa.array(c // 100), pa.string())
            frac = pc.utf8_lpad(pc.cast(pa.array(c % 100), pa.string()), 2, "0")
            out = pc.binary_join_element_wise(whole, frac, ".")
            return pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string()))

        def lists(d: dict[int, list[str]]) -> pa.Array:
            counts = np.zeros(n + 1, dtype=np.int32)
            flat: list[str] = []
            for i in sorted(d):
                counts[i + 1] = len(d[i])
                flat.extend(d[i])
            return pa.ListArray.from_arrays(pa.array(np.cumsum(counts, dtype=np.int32)),
                                            pa.array(flat, type=pa.string()))

        err = np.full(n, None, dtype=object)
        for i, e in self.error.items():
            err[i] = e
        has_short = self.has_required & self.has_paid
        return pa.table([
            pa.array(self.row, pa.int64()), self.parcel_id, pa.array(self.status, pa.string()),
            pa.array(self.verdict, pa.string()), money(self.required, self.has_required),
            money(self.paid, self.has_paid), money(self.shortfall, has_short),
            pa.array(self.currency, pa.string()), lists(self.codes), lists(self.messages),
            pa.array(err, pa.string()),
        ], schema=RESULT_SCHEMA)


class Engine:
    """Checks chunks of rows against one set of tariffs (state is per process: memoised cells,
    tariffs as integer arrays, selections by date)."""

    def __init__(self, rates: Rates, *, as_of: dt.date | None = None, vector: bool = True) -> None:
        self.rates = rates
        self.as_of = as_of
        self.vector = vector
        self.memo = CellMemo()
        self._vt: dict[int, VectorTariff] = {}
        self._tariffs: list[Any] = []
        self._sel: dict[tuple[str, dt.date], int] = {}
        self._resolve: dict[str, Any] = {}
        self._names: list[Any] = []
        self._verdicts: dict[tuple, str] = {}
        self._name_ids: dict[Any, int] = {}
        self._pids: list[str] = []
        self._sdr: dict[tuple[str, dt.date], int | None] = {}
        self._vague: dict[tuple[str, bool], str | None] = {}
        self._hs: dict[str, bool] = {}

    # ------------------------------------------------------------------ per-row path

    def check_row(self, row: dict[str, Any], source: str, parcel_id: str | None,
                  items: list[dict[str, Any]] | None = None) -> tuple[str, Report | None, str | None]:
        """Exactly what ``postcheck check`` does with one row: ``(status, report, error)``."""
        try:
            lab = label_from_row(row, items=items, source=source)
            report = check(lab, rates=self.rates, as_of=self.as_of, source=source, parcel_id=parcel_id)
        except PostcheckError as e:
            return STATUS_UNREADABLE, None, str(e)
        return (STATUS_OK if report.ok else STATUS_ERROR), report, None

    def check_labels(self, labels: Iterable[Any], sources: Iterable[str]) -> Iterable[tuple[str, Report | None, str | None]]:
        for lab, src in zip(labels, sources):
            try:
                report = check(lab, rates=self.rates, as_of=self.as_of, source=src)
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
        cols: dict[str, pa.Array] = {}
        for name, col in zip(names, table.columns):
            cols[name] = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        pid = _parcel_ids(cols.get("parcel_id"), n)
        res = Results(row=numbers, parcel_id=pid,
                      status=np.full(n, STATUS_OK, dtype=object), verdict=np.full(n, _OK_VERDICT, dtype=object),
                      required=np.zeros(n, dtype=np.int64), paid=np.zeros(n, dtype=np.int64),
                      shortfall=np.zeros(n, dtype=np.int64), has_required=np.zeros(n, dtype=bool),
                      has_paid=np.zeros(n, dtype=bool), currency=np.full(n, None, dtype=object))
        if n == 0:
            return res
        if self.vector and items is None and len(set(names)) == len(names):
            slow = self._vector(cols, names, n, res, source, unit, numbers)
        else:
            slow = np.ones(n, dtype=bool)
        if raw:
            slow[list(raw)] = True
        idx = np.flatnonzero(slow)
        if len(idx):
            sub = table.take(pa.array(idx))
            pids = pid.take(pa.array(idx)).to_pylist()
            for i, row, p in zip(idx.tolist(), sub.to_pylist(), pids):
                if raw and i in raw:
                    row = raw[i]
                src = f"{source} {unit} {numbers[i]}"
                its = items.get(p or "", []) if items is not None else None
                self._store(res, i, *self.check_row(row, src, p, its))
            res.fallback += len(idx)
        return res

    @staticmethod
    def _store(res: Results, i: int, status: str, report: Report | None, error: str | None) -> None:
        res.status[i] = status
        if report is None:
            res.verdict[i] = None
            res.error[i] = error or ""
            return
        res.verdict[i] = report.verdict
        p = report.postage
        if p is not None:
            res.currency[i] = p.currency
            if p.required is not None:
                res.has_required[i] = True
                res.required[i] = int(p.required * MICRO)
            if p.paid is not None:
                res.has_paid[i] = True
                res.paid[i] = int(p.paid * MICRO)
            if p.required is not None and p.paid is not None:
                res.shortfall[i] = int(p.shortfall * MICRO)
        if report.findings:
            res.codes[i] = [f.code for f in report.findings]
            res.messages[i] = [f.message for f in report.findings]

    # ------------------------------------------------------------------ vectorised path

    def _vector(self, cols: dict[str, pa.Array], names: list[str], n: int, res: Results, source: str,
                unit: str, numbers: np.ndarray) -> np.ndarray:
        plan = ColumnPlan(n)
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
            label[f] = text_column(cols.get(f), n, f, m, memo, plan.view())
        for f in names:
            if f in _IGNORED or f in item_cols or f in label:
                continue
            memo_codes(cols[f], n, f, memo, plan.view())  # unknown or unused columns: validation only
        for f in _REQUIRED:
            missing = ~label[f][0] & blank_mask_or_all(cols.get(f), n)
            if missing.any():
                probs = memo.read(f, None, item=False).problems
                for i in np.flatnonzero(missing).tolist():
                    plan.bad(i, lambda p=probs: p)

        # -- items: present groups, their position (Line N), cells
        pos = np.zeros(n, dtype=np.int32)
        items = []
        for k, g in groups.items():
            blanks = {f: blank_mask(cols[c]) for f, c in g.items()}
            here = ~np.logical_and.reduce(list(blanks.values()))
            if not here.any():
                continue
            p_now = pos.copy()

            def rename(problems: tuple, i: int, _p=p_now) -> tuple:
                return tuple((re.sub(r"^item1_", f"item{_p[i] + 1}_", loc), v, x) for loc, v, x in problems)

            view = plan.view(rename)
            it: dict[str, Any] = {"here": here, "pos": p_now}
            for f in ("description", "net_weight", "value"):
                missing = here & (blanks[f] if f in blanks else True)
                if missing.any():
                    probs = memo.read(f, None, item=True).problems
                    for i in np.flatnonzero(missing).tolist():
                        view.bad(i, probs)
            it["description"] = text_column(cols.get(g.get("description", "")), n, "description", 500, memo, view,
                                            item=True)
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
        src = lambda i: f"{source} {unit} {numbers[i]}"  # noqa: E731
        for i in np.flatnonzero(plan.bad_count == 1).tolist():
            res.status[i] = STATUS_UNREADABLE
            res.verdict[i] = None
            res.error[i] = str(InvalidLabel(src(i), plan.bad_problems[i]))
        for i in np.flatnonzero(readable & unknown).tolist():
            res.status[i] = STATUS_UNREADABLE
            res.verdict[i] = None
            res.error[i] = str(InvalidLabel(src(i), resolved[svc_c[i]]))
        slow = (plan.bad_count > 1) | (readable & plan.slow & ~unknown)
        fast = readable & ~plan.slow & ~unknown
        if not fast.any():
            return slow

        # -- date and tariff: per distinct (product, date)
        _, date_c, date_u, _ = label["ship_date"]
        today = dt.date.today()
        dates = [self.as_of or d for d in date_u] + [self.as_of or today]
        date_c = np.where(date_c < 0, len(date_u), date_c)
        t_idx = _per_pair(pid, date_c, fast, lambda a, b: self._selected(self._pids[a], dates[b]))
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
            vp, v, curs = it["value"]
            value_sum += np.where(vp, v, 0)
            for i in [i for i, c in enumerate(curs) if c is not None]:
                if fast[i] and cur_u[cur_c[i]] != curs[i]:
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
        for ti in np.unique(t_idx[fast]).tolist():
            rows = np.flatnonzero(fast & (t_idx == ti))
            vt = self._vt[ti]
            b = rows[has_basis[rows]]
            if len(b):
                pr = vt.price(basis[b], z_idx[b], vol[b])
                req_ok[b], req[b], req_key[b] = pr.ok, pr.price, pr.step_key
                charge[b], rounded[b] = pr.chargeable, pr.rounded
                refused = b[~pr.ok]
                slow[refused] = True  # P203 and other refusals
                fast[refused] = False
            m = rows[has_items[rows]]
            if len(m):
                pr = vt.price(net[m], z_idx[m], vol[m])
                net_ok[m], net_price[m], net_key[m] = pr.ok, pr.price, pr.step_key

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
        for it in items:
            rows = customs & it["here"]
            if not rows.any():
                it["vague"] = np.zeros(n, dtype=bool)
                continue
            enc = pc.dictionary_encode(it["description"][1])
            codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
            uniq = enc.dictionary.to_pylist()
            vague = _per_pair(codes, docs.astype(np.int64), rows,
                              lambda a, b: 1 if self._vague_reason(uniq[a], bool(b)) else 0)
            it["vague"] = rows & (vague == 1)
            it["no_hs"] = rows & commercial & (it["hs_code"][1] < 0)
            it["no_origin"] = rows & commercial & (it["origin_country"][1] < 0)
        item_f = np.zeros(n, dtype=bool)
        for it in items:
            if "no_hs" in it:
                item_f |= it["vague"] | it["no_hs"] | it["no_origin"]
        any_f = w101 | w103a | w103b | w104 | p201 | p202 | p209 | c309 | c310 | c312 | i401 | item_f

        # postage columns for every fast row
        res.has_required[fast] = req_ok[fast]
        res.required[fast] = req[fast]
        res.has_paid[fast] = paid_p[fast]
        res.paid[fast] = paid[fast]
        res.shortfall[fast] = np.maximum(req - paid, 0)[fast]
        for ti in np.unique(t_idx[fast]).tolist():
            res.currency[fast & (t_idx == ti)] = self._tariffs[ti].currency

        rows_f = np.flatnonzero(any_f)
        if not len(rows_f):
            return slow
        take = pa.array(rows_f)
        tn_l = tn.take(take).to_pylist()
        descs = [it["description"][1].take(take).to_pylist() for it in items]
        cols_f = {name: arr[rows_f].tolist() for name, arr in {
            "t": t_idx, "net": net, "pack": pack, "pack_p": pack_p, "exp": expected, "exp_p": exp_p, "w101": w101,
            "meas": meas, "meas_p": meas_p, "form": form, "w103a": w103a, "w103b": w103b, "gross": gross,
            "paid": paid, "net_key": net_key, "req_key": req_key, "kind": kind, "basis": basis, "req": req,
            "w104": w104, "p201": p201, "p202": p202, "p209": p209, "has_items": has_items, "net_ok": net_ok,
            "net_price": net_price, "vol": vol, "rounded": rounded, "charge": charge, "req_ok": req_ok,
            "item_f": item_f, "docs": docs, "c309": c309, "c310": c310, "c312": c312, "i401": i401}.items()}
        item_f_cols = [{k: it[k][rows_f].tolist() for k in ("here", "pos", "vague", "no_hs", "no_origin")
                        if k in it} for it in items]
        F = cols_f
        for j, i in enumerate(rows_f.tolist()):
            ti = F["t"][j]
            t = self._tariffs[ti]
            vt = self._vt[ti]
            cur = t.currency
            found: list[tuple[str, str]] = []
            net_i = F["net"][j]
            story = (f"net {kg(net_i)} + packaging {kg(F['pack'][j])} = {kg(F['exp'][j])}" if F["exp_p"][j]
                     else f"net {kg(net_i)}")
            if F["w101"][j]:
                ev = ""
                if F["meas_p"][j]:
                    ev = f" The parcel weighed {kg(F['meas'][j])} on the scale"
                    if F["exp_p"][j]:
                        ev += f" ({story})"
                    ev += "."
                elif F["exp_p"][j]:
                    ev = f" With the packaging the parcel weighs {kg(F['exp'][j])} ({story})."
                f = "CN22" if F["form"][j] == 1 else "CN23"
                found.append(("W101", f"The {f[:2]} {f[2:]} gives no total gross weight; only the goods' net "
                                      f"weights ({kg(net_i)}) are declared, so the packaging is not counted.{ev}"))
            if F["w103a"][j]:
                extra = (f"; with the {kg(F['pack'][j])} packaging it is {kg(F['exp'][j])}" if F["pack_p"][j] and F["pack"][j]
                         else "")
                found.append(("W103", f"The declared gross weight {kg(F['gross'][j])} is exactly the goods' net "
                                      f"weight: the packaging is not counted{extra}."))
            elif F["w103b"][j]:
                found.append(("W103", f"The postage paid, {cur} {cents_text(F['paid'][j])}, is the price of the "
                                      f"goods' net weight {kg(net_i)} ({vt.step_text(F['net_key'][j])}); the parcel as "
                                      f"{'weighed' if F['kind'][j] == 1 else 'packed'} is {kg(F['basis'][j])} "
                                      f"({vt.step_text(F['req_key'][j])}, {cur} {cents_text(F['req'][j])})."))
            if F["w104"][j]:
                diff = F["meas"][j] - F["gross"][j]
                found.append(("W104", f"The parcel weighs {kg(F['meas'][j])} on the scale, {grams_text(abs(diff))} "
                                      f"{'more' if diff > 0 else 'less'} than the declared gross weight "
                                      f"{kg(F['gross'][j])} (tolerance {DEFAULT_TOLERANCE})."))
            if F["p201"][j]:
                b, k = F["basis"][j], F["kind"][j]
                if k == 1:
                    ev = f"the parcel weighed {kg(b)} on the scale"
                elif k == 4:
                    ev = f"the declared gross weight is {kg(b)}"
                else:
                    ev = f"the parcel weighs {kg(b)} ({story})"
                paid_step = ""
                if F["has_items"][j] and F["net_ok"][j] and F["paid"][j] == F["net_price"][j] and b > net_i:
                    paid_step = f" (the price of the net weight {kg(net_i)} alone)"
                note = ""
                if F["vol"][j] >= 0 and F["vol"][j] > F["rounded"][j]:
                    note = f" The volumetric weight {kg(F['vol'][j])} is charged, being above the actual weight."
                found.append(("P201", f"Postage is short by {cur} {cents_text(F['req'][j] - F['paid'][j])}: {ev}, which is "
                                      f"priced at {cur} {cents_text(F['req'][j])} ({t.name}, "
                                      f"{vt.step_text(F['req_key'][j])}); {cur} {cents_text(F['paid'][j])} was paid"
                                      f"{paid_step}.{note}"))
            if F["p202"][j]:
                found.append(("P202", f"{cur} {cents_text(F['paid'][j])} was paid; {cur} {cents_text(F['req'][j])} is "
                                      f"the price for {kg(F['charge'][j])} ({t.name}, {vt.step_text(F['req_key'][j])}). "
                                      f"{cur} {cents_text(F['paid'][j] - F['req'][j])} could be reclaimed."))
            if F["p209"][j]:
                found.append(("P209", "The label does not state the postage paid"
                              + (f"; {cur} {cents_text(F['req'][j])} is due for {kg(F['charge'][j])}." if F["req_ok"][j]
                                 else ".")))
            if F["item_f"][j]:
                lines = [(ic["pos"][j], ic, d[j]) for ic, d in zip(item_f_cols, descs) if ic["here"][j]]
                for line, ic, d in lines:
                    if ic.get("vague", [False] * (j + 1))[j]:
                        why = self._vague_reason(d, F["docs"][j])
                        found.append(("C305", f"Line {line + 1}: {why}; customs need what the goods are, e.g. "
                                              f"\"men's cotton shirts\"."))
                for line, ic, d in lines:
                    if "no_hs" in ic and ic["no_hs"][j]:
                        found.append(("C307", f"Line {line + 1} ({d}) has no HS tariff number; commercial items "
                                              f"need one."))
                for line, ic, d in lines:
                    if "no_origin" in ic and ic["no_origin"][j]:
                        found.append(("C308", f"Line {line + 1} ({d}) has no country of origin; commercial items "
                                              f"need one."))
            if F["c309"][j]:
                found.append(("C309", "No category of item is ticked on the customs declaration."))
            if F["c310"][j]:
                found.append(("C310", "Category \"other\" is ticked but no explanation is given."))
            if F["c312"][j]:
                found.append(("C312", "The customs declaration has no contents lines."))
            if F["i401"][j]:
                found.append(("I401", f"Tracking number {normalise_s10(tn_l[j])}: "
                              + "; ".join(s10_problems(tn_l[j])) + "."))
            found.sort(key=_finding_order)
            res.codes[i] = [c for c, _ in found]
            res.messages[i] = [m for _, m in found]
            errors = tuple(c for c, _ in found if RULES[c][1] == "error")
            if errors:
                res.status[i] = STATUS_ERROR
                res.verdict[i] = self._verdict(errors, cur, F["req"][j] - F["paid"][j] if F["p201"][j] else 0)
        return slow

    # ------------------------------------------------------------------ ids

    def _verdict(self, errors: tuple[str, ...], currency: str, short_micro: int) -> str:
        """:attr:`Report.verdict` for these error codes and shortfall (memoised)."""
        key = (errors, currency, short_micro)
        hit = self._verdicts.get(key)
        if hit is None:
            findings = tuple(Finding(code=c, name=RULES[c][0], severity="error", message="") for c in errors)
            postage = Postage(currency=currency, required=Decimal(short_micro) / MICRO, paid=Decimal(0),
                              chargeable_weight=None, basis=None)
            hit = Report(findings=findings, postage=postage, tariff=None, date="").verdict
            if len(self._verdicts) < 100_000:
                self._verdicts[key] = hit
        return hit

    def _id(self, name: Any) -> int:
        """A small integer for a string (countries, currencies, zones), stable in this engine."""
        i = self._name_ids.get(name)
        if i is None:
            i = self._name_ids[name] = len(self._names)
            self._names.append(name)
        return i

    def _ids(self, values: list[Any]) -> np.ndarray:
        """Ids of distinct values, with -1 appended for code -1 (blank)."""
        return np.array([self._id(v) for v in values] + [-1], dtype=np.int64)

    def _pid_id(self, pid: str) -> int:
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
        hit = self._sel.get((pid, date))
        return self._select(pid, date) if hit is None else hit

    def _select(self, pid: str, date: dt.date) -> int:
        try:
            sel = self.rates.select(pid, date)
        except NoTariffInForce:
            self._sel[(pid, date)] = -1
            return -1
        assert isinstance(sel, Selected)
        for i, t in enumerate(self._tariffs):
            if t is sel.tariff:
                break
        else:
            self._tariffs.append(sel.tariff)
            i = len(self._tariffs) - 1
            self._vt[i] = VectorTariff.build(sel.tariff)
        ti = i if self._vt[i].exact else -1
        self._sel[(pid, date)] = ti
        return ti

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
        """Rows whose tracking number (stripped text) has an S10 problem (vectorised check digit)."""
        out = np.zeros(len(rows), dtype=bool)
        if not rows.any():
            return out
        idx = np.flatnonzero(rows)
        sub = arr.take(pa.array(idx))
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
        out[idx] = ~ok
        return out


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


def _finding_order(cm: tuple[str, str]) -> tuple[int, int, str]:
    return (_SEV[RULES[cm[0]][1]], _FAM[cm[0][0]], cm[0])


def grams_text(pg: int) -> str:
    """``format_weight(grams, "g")`` for a weight in picograms."""
    whole, frac = divmod(pg, PG_PER_G)
    return f"{whole}.{frac:012d}".rstrip("0").rstrip(".") + " g" if frac else f"{whole} g"


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
    uniq, inv = np.unique(key, return_inverse=True)
    vals = []
    for k in uniq.tolist():
        v = fn(a0 + k // width, b0 + k % width)
        vals.append(-1 if v is None else v)
    out[idx] = np.array(vals, dtype=np.int64)[inv.reshape(-1)]
    return out


def blank_mask_or_all(arr: pa.Array | None, n: int) -> np.ndarray:
    return np.ones(n, dtype=bool) if arr is None else blank_mask(arr)


def _parcel_ids(arr: pa.Array | None, n: int) -> pa.Array:
    if arr is None:
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)
