"""Hostile PDFs: valid labels mutated byte by byte, truncated, deeply nested, 2,000 pages.
Expectation: a label or a LabelReadError / InvalidLabel naming the file, in under 5 s and under
500 MB (peak Python allocations, measured with tracemalloc)."""

from __future__ import annotations

import io
import json
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pdf"))
from pdf_samples import story_pdf  # noqa: E402

from postcheck.errors import InvalidLabel, LabelReadError  # noqa: E402
from postcheck.label import label_from_dict  # noqa: E402
from postcheck.pdf.read import read_pdf  # noqa: E402
from postcheck.pdf.write import write_cn23  # noqa: E402

pytestmark = pytest.mark.slow

STORY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json").read_text())
LABEL = label_from_dict(STORY)
SEEDS = {
    "postcheck": write_cn23(LABEL),  # embedded label + hidden form fields + text layer
    "text-only": write_cn23(LABEL, embed=False, form_fields=False),
    "french-story": story_pdf(),
}
TIME_BOUND_S = 5
MEMORY_BOUND_B = 500_000_000


def _read_bounded(data: bytes) -> None:
    t0 = time.perf_counter()
    try:
        read_pdf(data=data, path="fuzz.pdf")
    except (LabelReadError, InvalidLabel) as e:
        assert "fuzz.pdf" in str(e)
    assert time.perf_counter() - t0 < TIME_BOUND_S


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[i:]
        elif op == "dup":
            j = min(len(data), i + draw(st.integers(1, 256)))
            data[i:i] = data[i:j]
    return bytes(data)


@given(mutated())
def test_mutated_label_pdfs_answer_within_bounds(data):
    _read_bounded(data)


def _pdf_with(extra_object: bytes) -> bytes:
    """A minimal hand-written PDF whose catalog points at ``extra_object`` (object 4)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R /Extra 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            extra_object]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_deeply_nested_objects(depth):
    _read_bounded(_pdf_with(b"[" * depth + b"]" * depth))
    _read_bounded(_pdf_with(b"<< /A " * depth + b">>" * depth))


def test_two_thousand_pages_answer_within_bounds():
    import pypdf

    w = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(SEEDS["text-only"])))
    for _ in range(1999):
        w.add_blank_page(10, 10)
    buf = io.BytesIO()
    w.write(buf)
    t0 = time.perf_counter()
    got = read_pdf(data=buf.getvalue(), path="2000.pdf")
    assert time.perf_counter() - t0 < TIME_BOUND_S
    assert got.pages == 2000
    assert any("first 10 of 2000 pages" in n for n in got.notes)
    assert got.label.postage_paid == LABEL.postage_paid


def test_decompression_bomb_stays_under_the_memory_bound():
    import zlib

    body = zlib.compress(b"0 0 m " * 20_000_000, 9)  # 120 MB inflated
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"
    data = _pdf_with(stream).replace(b"/MediaBox [0 0 200 200]", b"/MediaBox [0 0 200 200] /Contents 4 0 R")
    tracemalloc.start()
    try:
        with pytest.raises(LabelReadError, match="decompression bomb"):
            read_pdf(data=data, path="bomb.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND_B, peak
