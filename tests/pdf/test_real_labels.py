"""The layout reader on real carrier PDFs (../shared/real-labels, when present): never a wrong value,
and the fields a careful person reads off each document.

The corpus is not ours to ship; these tests run where it is on disk (the development machine, CI
with the shared folder) and are skipped elsewhere.  The scorer is ../shared/tools/score-labels.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postcheck.pdf.layout import read_cells
from postcheck.pdf.read import read_pdf

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "real-labels"
pytestmark = pytest.mark.skipif(not (CORPUS / "expected.json").exists(), reason="real-label corpus not on disk")


def _key() -> dict:
    return json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _flat(doc: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            for i, it in enumerate(v):
                out.update(_flat(it, f"{prefix}{k}[{i}]."))
        elif v is not None:
            out[prefix + k] = v
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.pdf")) if CORPUS.exists() else [])
def test_no_value_where_the_document_shows_none(name):
    """A field the answer key says is not printed is never filled (the reader's first promise)."""
    key = _key()[name]
    try:
        got = read_pdf(CORPUS / name)
    except Exception as e:  # an image-only page is refused with a message, never a traceback
        assert "image" in str(e) or "text" in str(e)
        return
    want = _flat(key["fields"])
    accept = key.get("accept") or {}
    for path, value in _flat(got.doc).items():
        if path.endswith("value_currency"):
            continue
        assert path in want or path in accept, f"{name}: {path} = {value!r} is not printed on the document"


@pytest.mark.slow
def test_identical_copies_are_read_once():
    pages, dropped, count = read_cells((CORPUS / "colissimo-cn23-guadeloupe.pdf").read_bytes(), max_pages=10)
    assert (count, dropped, len(pages)) == (4, [2, 3, 4], 1)
    got = read_pdf(CORPUS / "colissimo-cn23-guadeloupe.pdf")
    assert len(got.doc["items"]) == 1  # four copies, one contents line
    assert got.doc["items"][0]["net_weight"] == "1.000 kg"  # 2 x 0.500 kg per unit


@pytest.mark.slow
def test_captions_are_never_values():
    got = read_pdf(CORPUS / "canadapost-expedited.pdf")
    assert "tracking_number" not in got.doc  # 'Numéro de repérage' is a caption over empty boxes
    assert got.doc["service"] == "Expedited Parcel"
    assert got.doc["addressee"]["city"] == "OTTAWA" and got.doc["addressee"]["postcode"] == "K1K 4T3"


@pytest.mark.slow
def test_ambiguous_date_is_refused_and_said():
    got = read_pdf(CORPUS / "landmark-label.pdf")
    assert "ship_date" not in got.doc
    assert any("01-05-2015" in n and "day/month or month/day" in n for n in got.notes)


@pytest.mark.slow
def test_a_partial_read_is_printed_and_exits_2(tmp_path):
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "postcheck", "extract", "--explain", str(CORPUS / "dhl-paket-de.pdf")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    doc = json.loads(p.stdout)
    assert doc["tracking_number"] == "0034043333301020022796580" and doc["gross_weight"] == "1.8 kg"
    assert doc["sender"]["city"] == "Berlin" and doc["addressee"]["name"] == "Klara Huber"
    assert "Traceback" not in p.stderr and "currency" in p.stderr
