"""Property: on random batches (edge weights, every spelling, bad rows, rare rules) the
vectorised engine's results equal per-row ``postcheck.check()``: codes, messages, verdict,
required / paid / shortfall, and the reason a row cannot be read."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_strategies import rows

pytestmark = pytest.mark.slow


@settings(max_examples=int(os.environ.get("BATCH_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(rows(), min_size=1, max_size=30))
def test_vector_engine_equals_check(engines, batch):
    fast, slow = engines
    cols = sorted({k for r in batch for k in r})
    t = pa.table({c: pa.array([r.get(c, "") for r in batch], pa.string()) for c in cols})
    numbers = range(2, 2 + t.num_rows)
    a = fast.check_table(t, rows=numbers, source="b.csv").table().to_pylist()
    b = slow.check_table(t, rows=numbers, source="b.csv").table().to_pylist()
    assert len(a) == len(batch)
    for x, y in zip(a, b):
        assert x == y
