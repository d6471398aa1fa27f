"""The column-wise S10 check (plain numbers on their bytes, the rest by text kernels) says what
``s10_problems`` says, cell by cell."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.identifiers import s10_problems

_PLAIN = st.builds(lambda a, d, c: a + d + c,
                   st.text("ABCELRUVZQXabcelr", min_size=2, max_size=2),
                   st.text("0123456789", min_size=9, max_size=9),
                   st.sampled_from(["US", "CA", "GB", "us", "Gb", "XX", "ZZ", "DE", "FR", "AQ", "EU", "UK"]))
_ODD = st.text("AZaz09 -\t\u00e9\u0130\u017f\uff10.", min_size=1, max_size=16)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PLAIN, _ODD, _PLAIN.map(lambda s: s[:4] + " " + s[4:])), min_size=1, max_size=40))
def test_s10_columns_equal_s10_problems(engines, cells):
    fast, _ = engines
    cells = [c.strip() or "X" for c in cells]
    got = fast._s10_invalid(pa.array(cells, pa.string()), np.ones(len(cells), dtype=bool))
    assert got.tolist() == [bool(s10_problems(c)) for c in cells]
