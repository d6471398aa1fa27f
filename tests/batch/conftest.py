"""Fixtures for batch tests: the seeded parcel generator (benchmarks/parcels.py) and helpers that
run a batch both ways (vectorised and per-row ``check()``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import parcels  # noqa: E402


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 generated parcels (every bundled product, edge weights, ~3 % unreadable rows)."""
    return parcels.write_csv(tmp_path_factory.mktemp("batch") / "orders.csv", 2000, seed=11)


@pytest.fixture(scope="session")
def engines():
    from postcheck.batch.engine import Engine
    from postcheck.tariffs import Rates

    rates = Rates.load(bundled=True, env=False)
    return Engine(rates), Engine(rates, vector=False)
