"""The column forms of the S10 check (plain numbers on their bytes, the rest one by one) say what
``s10_problems`` and ``s10_message`` say, cell by cell."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.identifiers import s10_invalid_column, s10_message, s10_messages_column, s10_problems

_PLAIN = st.builds(lambda a, d, c: a + d + c,
                   st.text("ABCELRUVZQXabcelr", min_size=2, max_size=2),
                   st.text("0123456789", min_size=9, max_size=9),
                   st.sampled_from(["US", "CA", "GB", "us", "Gb", "XX", "ZZ", "DE", "FR", "AQ", "EU", "UK"]))
_ODD = st.text("AZaz09 -\t\u00e9\u0130\u017f\uff10.", min_size=1, max_size=16)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PLAIN, _ODD, _PLAIN.map(lambda s: s[:4] + " " + s[4:])), min_size=1, max_size=40))
def test_s10_columns_equal_s10_problems(cells):
    cells = [c.strip() or "X" for c in cells]
    got = s10_invalid_column(pa.array(cells, pa.string()))
    assert got.tolist() == [bool(s10_problems(c)) for c in cells]
    bad = [c for c in cells if s10_problems(c)]
    assert s10_messages_column(pa.array(bad, pa.string())).to_pylist() == [s10_message(c) for c in bad]
