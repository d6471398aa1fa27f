"""Shared fixtures: the bundled tariffs, the fixture tariffs, and paths to both."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from postcheck.tariffs import Rates, bundled_dir

TESTS = Path(__file__).resolve().parent
FIXTURE_RATES = TESTS / "fixtures" / "rates"


@pytest.fixture(scope="session")
def rates() -> Rates:
    """The bundled tables only (no POSTCHECK_RATES, no user folders)."""
    return Rates.load(bundled=True, env=False)


@pytest.fixture(scope="session")
def fixture_rates() -> Rates:
    """Only the invented test tariffs under tests/fixtures/rates (demo_parcel, 2024 and 2025)."""
    return Rates.load([FIXTURE_RATES], bundled=False, env=False)


@pytest.fixture(scope="session")
def bundled_rates_dir() -> Path:
    return bundled_dir()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the demo fixture folder: ``<tmp>/rates/demo/parcel_demo/*.toml``.

    Returns the ``rates`` root; edit files under ``root / "demo" / "parcel_demo"``."""
    root = tmp_path / "rates"
    shutil.copytree(FIXTURE_RATES, root)
    return root


class FifoReader:
    """A named pipe at ``path`` read to its end on a thread (what a process downstream does)."""

    def __init__(self, path: Path) -> None:
        import os
        import threading

        os.mkfifo(path)
        self.path = path
        self.got: list[bytes] = []
        self._thread = threading.Thread(target=lambda: self.got.append(path.read_bytes()), daemon=True)
        self._thread.start()

    def data(self, timeout: float = 30) -> bytes:
        """What the reader got, once the writer closed the pipe."""
        self._thread.join(timeout)
        return self.got[0]


@pytest.fixture
def fifo_reader():
    """``fifo_reader(path)`` makes a named pipe there with a reader on it (see FifoReader)."""
    return FifoReader
