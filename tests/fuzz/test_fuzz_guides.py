"""A price guide that is cut short, corrupted or not a PDF at all: ``import_guide`` answers with
:class:`~postcheck.errors.GuideError` (a message naming the file) or an import whose every file
the strict loader accepts; never another exception (its speed is benchmarks/guides.py's to
measure, not a timed test's)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from postcheck.errors import GuideError
from postcheck.tariffs.guides import checked_text, import_guide

GUIDE = Path(os.environ.get("POSTCHECK_REFERENCE", "/work/shared/reference")) / "price-guides" / \
    "canadapost_small_business_updated_2022-01-10.pdf"

pytestmark = pytest.mark.slow


def _raw() -> bytes:
    if not GUIDE.is_file():
        pytest.skip(f"price guide {GUIDE} not available")
    return GUIDE.read_bytes()


def _attempt(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "guide.pdf"
    path.write_bytes(data)
    try:
        result = import_guide(path)
    except GuideError as e:
        assert str(path) in str(e)
    else:
        for rel, doc in result.tariffs.items():
            checked_text(rel, doc)  # raises if the strict loader refuses it


@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_guides(tmp_path_factory, cut: float) -> None:
    raw = _raw()
    _attempt(tmp_path_factory.mktemp("cut"), raw[: int(len(raw) * cut)])


@given(at=st.floats(min_value=0.0, max_value=1.0), junk=st.binary(min_size=1, max_size=64))
def test_corrupted_guides(tmp_path_factory, at: float, junk: bytes) -> None:
    raw = _raw()
    i = int(len(raw) * at)
    _attempt(tmp_path_factory.mktemp("junk"), raw[:i] + junk + raw[i + len(junk):])


@given(data=st.binary(max_size=2048))
def test_random_bytes(tmp_path_factory, data: bytes) -> None:
    _attempt(tmp_path_factory.mktemp("bytes"), b"%PDF-1.7\n" + data)


def test_a_page_that_cannot_be_loaded(tmp_path) -> None:
    """Found by the corruption test: one zero byte early in the file leaves a page pdfium
    cannot load."""
    raw = _raw()
    i = int(len(raw) * 0.001953125)
    _attempt(tmp_path, raw[:i] + b"\x00" + raw[i + 1:])
