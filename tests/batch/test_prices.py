"""Formula tariffs (a price per piece plus a price per unit of weight) priced over a column in
integers give the cents the Decimal formula gives, weight by weight."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.batch.columns import PG_PER_G
from postcheck.batch.prices import VectorTariff
from postcheck.tariffs import Rates

_FORMULA = [t for t in Rates.load([]).all_tariffs() if t.formula is not None]


def test_there_are_formula_tariffs():
    assert len(_FORMULA) >= 3  # Deutsche Post Warenpost International KILO and its variants


@pytest.mark.parametrize("tariff", _FORMULA, ids=lambda t: t.id)
@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 30_000).map(lambda g: g * PG_PER_G),  # whole grams
                          st.integers(0, 30_000 * PG_PER_G)),  # anything down to the picogram
                min_size=1, max_size=50))
def test_formula_prices_in_integers(tariff, weights):
    vt = VectorTariff.build(tariff)
    w = np.array(weights, dtype=np.int64)
    priced = vt.price(w, np.zeros(len(w), dtype=np.int64), np.full(len(w), -1, dtype=np.int64))
    assert priced.price.tolist() == [vt._formula_price(int(c)) for c in priced.chargeable]
