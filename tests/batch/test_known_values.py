"""Text columns encoded against the values seen in earlier chunks read back cell for cell, with
the same blank cells, as a fresh dictionary encoding of each chunk."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.batch.columns import ColumnPlan, KnownValues, blank_mask

_CELL = st.one_of(st.none(), st.sampled_from(["CA", "US", "", " ", "DE", "\u00a0", "gift", "Gift "]),
                  st.text(max_size=4))


def _chunked(cells: list, pieces: int) -> pa.ChunkedArray:
    k = max(1, len(cells) // pieces)
    parts = [cells[i:i + k] for i in range(0, len(cells), k)] or [[]]
    return pa.chunked_array([pa.array(p, pa.string()) for p in parts], pa.string())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_CELL, max_size=40), min_size=1, max_size=5), st.integers(1, 3))
def test_cells_read_back_across_chunks(chunks, pieces):
    known = KnownValues()
    for cells in chunks:
        arr = _chunked(cells, pieces)
        plan = ColumnPlan(len(cells), known, {id(arr): "origin"})
        e = plan.encoded(arr)
        values = e.values.to_pylist() + [None]
        assert [values[c] for c in e.codes.tolist()] == cells
        assert plan.blank(arr, len(cells)).tolist() == blank_mask(arr.combine_chunks()).tolist()


def test_a_column_of_many_values_is_encoded_afresh(monkeypatch):
    monkeypatch.setattr(KnownValues, "LIMIT", 10)
    known = KnownValues()
    few = pa.array(["a", "b", "a"])
    assert known.encode("x", few) is not None
    many = pa.array([str(i) for i in range(20)])
    assert known.encode("x", many) is None  # past the limit: from now on, dictionary_encode
    assert known.encode("x", few) is None
    e = ColumnPlan(20, known, {id(many): "x"}).encoded(many)
    assert np.array_equal(e.codes, np.arange(20))
    assert known.encode("d", pa.array([1, 2], pa.int64())) is None  # text columns only


def test_only_so_many_columns_are_kept(monkeypatch):
    monkeypatch.setattr(KnownValues, "COLUMNS", 3)
    known = KnownValues()
    arr = pa.array(["a", "b"])
    assert all(known.encode(f"c{i}", arr) is not None for i in range(3))
    assert known.encode("c3", arr) is None and known.encode("c0", arr) is not None
