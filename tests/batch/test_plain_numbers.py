"""The byte-by-byte scanner of plain weights and amounts reads exactly what its patterns
(``_WEIGHT_RE``, ``_AMOUNT_RE``, through pyarrow's regular expressions) read, cell by cell."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.batch import columns as C

_NUMBER = st.builds(lambda sp1, i, f, sp2, u, sp3: sp1 + i + f + sp2 + u + sp3,
                    st.text(" \t", max_size=3), st.text("0123456789", min_size=0, max_size=14),
                    st.one_of(st.just(""), st.text("0123456789", max_size=18).map(lambda d: "." + d)),
                    st.text(" \t", max_size=2),
                    st.sampled_from(["g", "kg", "oz", "lb", "", "k", "G", "kgs", "l", "o", "z", "b", "\n", "é"]),
                    st.text(" \t\n", max_size=30))
_ODD = st.text(" \t0123456789.gkozlb\x00\nxé", max_size=30)


def _by_pattern(values: pa.Array, units: bool) -> tuple:
    fast, ip, ilen, fp, flen, unit = C._plain_by_pattern(values, units)
    return fast & (ilen <= (6 if units else 12)) & (flen <= (15 if units else 6)), ip, ilen, fp, flen, unit


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_NUMBER, _ODD), min_size=1, max_size=30), st.booleans(), st.booleans())
def test_scanner_reads_what_the_pattern_reads(cells, units, sliced):
    arr = pa.array(["pad"] + cells, pa.string())
    if sliced:  # an array that starts inside its buffers, as pyarrow's dictionaries may
        arr = arr.slice(1)
    else:
        arr = pa.array(cells, pa.string())
    got = C._plain_parts(arr, units)
    want = _by_pattern(arr, units)
    assert got[0].tolist() == want[0].tolist(), cells
    ok = got[0]
    for g, w in zip(got[1:], want[1:]):
        assert np.array_equal(g[ok], w[ok]), cells


def test_common_spellings():
    vals = pa.array(["520 g", "0.52 kg", " 18.3 oz ", "1 lb", "12g", "1\t\tkg\t", "007 g",
                     "12 k", ".5 g", "1.g", "1234567 g", "5 g\n", "5 G", "12\x00 g", "   " * 10 + "5 g", None])
    fast, pg = C._fast_weights(vals)
    assert fast.tolist() == [True] * 7 + [False] * 7 + [True, False]
    assert pg[:7].tolist() == [520 * C.PG_PER_G, 520 * C.PG_PER_G, 518_796_273_187_500, 453_592_370_000_000,
                               12 * C.PG_PER_G, 1000 * C.PG_PER_G, 7 * C.PG_PER_G]
    fast, micro = C._fast_amounts(pa.array(["12.83", " 7 ", "0.005", "1.1234567", "12.8.3", "", "1e3", "123456789012"]))
    assert fast.tolist() == [True, True, True, False, False, False, False, True]
    assert micro[[0, 1, 2, 7]].tolist() == [12_830_000, 7_000_000, 5_000, 123456789012 * C.MICRO]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 999_999), st.text("0123456789", min_size=1, max_size=16), st.sampled_from(["g", "kg", "oz", "lb"]))
def test_many_fraction_digits_read_as_the_label_model_reads_them(whole, frac, unit):
    """A weight with many decimals ("1400.778110000 g", as a scale may export it) is taken on the
    fast path only when it is a whole number of picograms, and then as the label model reads it."""
    cell = f"{whole}.{frac} {unit}"
    fast, pg = C._fast_weights(pa.array([cell]))
    read = C.CellMemo().read("gross_weight", cell, item=False)
    want = C.to_pg(read.value) if read.ok else None
    if fast[0]:
        assert int(pg[0]) == want
    elif want is not None:  # not taken although exact: only past the fast path's limits
        assert len(frac) > C._MAX_FRAC[unit] or len(str(whole)) > C._MAX_INT[unit] or want > C.MAX_FAST_PG
