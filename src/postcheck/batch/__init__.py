"""Batches: many labels at once, with the same findings as :func:`postcheck.check` on each.

* :func:`check_many` checks an iterable of labels (Label objects or mappings) and yields one
  :class:`~postcheck.report.Report` each, lazily.
* :func:`check_frame` checks a pandas DataFrame in the CSV row format of :mod:`postcheck.rows`
  (one row per parcel, contents in ``item1_...`` columns) with the vectorised engine and
  returns a DataFrame with one result per row.
* :func:`check_dask` maps :func:`check_frame` over a Dask DataFrame, partition by partition
  (``pip install 'postcheck[dask]'``).
* ``postcheck batch INPUT -o OUTPUT`` streams a CSV, JSON Lines or Parquet file of any size.

>>> import postcheck
>>> [r.verdict for r in postcheck.check_many([label_dict])]      # doctest: +SKIP
['Will be returned: short CAD 5.99']
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from postcheck.label import Label
    from postcheck.report import Report
    from postcheck.tariffs import Rates

__all__ = ["check_many", "check_frame", "check_dask", "RESULT_COLUMNS"]

#: Columns of :func:`check_frame`'s result (and of ``postcheck batch`` outputs).
RESULT_COLUMNS = ("row", "parcel_id", "status", "verdict", "required", "paid", "shortfall", "currency", "codes",
                  "messages", "error")


def check_many(labels: Iterable["Label | Mapping[str, Any]"], *, rates: "Rates | None" = None,
               as_of: dt.date | None = None, **options: Any) -> Iterator["Report"]:
    """Check labels one after another, lazily: ``postcheck.check(label, ...)`` for each.

    Raises :class:`~postcheck.errors.InvalidLabel` at the label that cannot be read, like
    ``check``; other keyword options (``select``, ``ignore``, ``tolerance``) are passed on."""
    from postcheck.checker import check, default_rates

    rates = rates or default_rates()
    for label in labels:
        yield check(label, rates=rates, as_of=as_of, **options)


def check_frame(frame: "pd.DataFrame", *, rates: "Rates | None" = None, as_of: dt.date | None = None,
                source: str = "frame", first_row: int = 1, engine: str = "vector") -> "pd.DataFrame":
    """Check every row of a DataFrame in the CSV row format; one result row per input row.

    Row numbers start at ``first_row`` (messages name rows as ``"frame row N"``).  Money
    columns are exact decimal strings ("12.83"); ``codes`` and ``messages`` are lists.

    >>> check_frame(orders)[["parcel_id", "verdict", "shortfall"]]     # doctest: +SKIP
    """
    import numpy as np
    import pyarrow as pa

    from postcheck.checker import default_rates

    table = pa.Table.from_pandas(frame, preserve_index=False)
    eng = _engine_for(rates or default_rates(), as_of, engine != "python")
    res = eng.check_table(table, rows=np.arange(first_row, first_row + table.num_rows, dtype=np.int64), source=source)
    out = res.table().to_pandas()
    for c in ("codes", "messages"):  # plain lists, not numpy arrays
        out[c] = out[c].map(list)
    out.index = frame.index
    return out


def check_dask(frame: Any, *, as_of: dt.date | None = None, rates_dirs: tuple[str, ...] = (),
               source: str = "frame") -> Any:
    """Map :func:`check_frame` over a Dask DataFrame, partition by partition.

    Rows are numbered from 1 across the whole frame (partition lengths are computed first).
    Every worker loads the tariffs once (bundled tables plus ``rates_dirs``)."""
    import pandas as pd

    lengths = frame.map_partitions(len).compute().tolist()
    starts = [1]
    for n in lengths[:-1]:
        starts.append(starts[-1] + n)
    meta = pd.DataFrame({c: pd.Series(dtype="object") for c in RESULT_COLUMNS}).astype({"row": "int64"})

    def part(df: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
        k = partition_info["number"] if partition_info else 0
        return check_frame(df, rates=_rates_for(rates_dirs), as_of=as_of, source=source, first_row=starts[k])

    return frame.map_partitions(part, meta=meta)


_ENGINES: dict[tuple, Any] = {}
_RATES: dict[tuple[str, ...], Any] = {}


def _rates_for(dirs: tuple[str, ...]) -> "Rates":
    from postcheck.tariffs import Rates

    if dirs not in _RATES:
        _RATES[dirs] = Rates.load(list(dirs))
    return _RATES[dirs]


def _engine_for(rates: "Rates", as_of: dt.date | None, vector: bool) -> Any:
    """One engine per (rates, date, kind) and process: its memo of cells is reused."""
    from postcheck.batch.engine import Engine

    key = (id(rates), as_of, vector)
    eng = _ENGINES.get(key)
    if eng is None or eng.rates is not rates:
        eng = _ENGINES[key] = Engine(rates, as_of=as_of, vector=vector)
    return eng
