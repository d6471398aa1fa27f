"""Blank cells, trimmed text and lengths of a text column: the ASCII kernels (used when every
byte of the column is ASCII) say what the UTF-8 kernels say."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.batch import columns as C


def _general(arr: pa.Array) -> tuple:
    trimmed = pc.utf8_trim(arr, C._ASCII_SPACE)
    length = pc.utf8_length(trimmed)
    blank = pc.fill_null(pc.equal(length, 0), True).to_numpy(zero_copy_only=False)
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~ascii_ & ~blank):
        blank[i] = not arr[int(i)].as_py().strip()
    return blank, trimmed, ascii_, length


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(" \t\n\r\x0b\x0c\x1c\x1fab1\u00e9\u00a0\u3000", max_size=6)), max_size=30),
       st.booleans())
def test_blank_parts_whatever_the_text(cells, sliced):
    arr = pa.array(["zz"] + cells, pa.string()).slice(1) if sliced else pa.array(cells, pa.string())
    got, want = C._blank_parts(arr), _general(arr)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].to_pylist() == want[1].to_pylist()
    assert got[2].tolist() == want[2].tolist()
    assert [None if x is None else int(x) for x in got[3].to_pylist()] == want[3].to_pylist()
