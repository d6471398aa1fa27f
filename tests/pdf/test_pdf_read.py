"""Reading label PDFs: the French story label (text layer), a filled CN 23 form (profile), the
three paths of a postcheck label, missing values, and hostile files."""

from __future__ import annotations

import io
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest

from pdf_samples import STORY_FORM, filled_form, same_product, story_pdf
from postcheck.errors import InvalidLabel
from postcheck.fix import apply_fixes
from postcheck.label import label_from_json
from postcheck.pdf.read import read_pdf
from postcheck.pdf.write import write_cn23

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json"


@pytest.fixture(scope="module")
def story_label():
    return label_from_json(EXAMPLE.read_text(encoding="utf-8"))


def test_french_text_layer_story_is_read_and_fixed(story_label, rates):
    got = read_pdf(data=story_pdf())
    assert got.method == "text"
    expected = story_label.to_dict()
    assert got.label.to_dict() == expected  # every field of the JSON story, read from French captions
    assert "gross_weight" in got.not_found and "Poids brut total" in got.not_found["gross_weight"]
    fixed = apply_fixes(got.label, rates=rates)
    assert fixed.label.gross_weight == Decimal(520)
    assert fixed.label.postage_paid == Decimal("18.82")
    assert fixed.report.ok
    assert {c.loc for c in fixed.changes} == {"gross_weight", "postage_paid"}


def test_story_with_measured_weight_and_no_packaging_line(rates):
    from pdf_samples import STORY_TEXT

    lines = [t for t in STORY_TEXT if "emballage" not in t[2]]
    got = read_pdf(data=story_pdf(lines))
    assert got.label.packaging_weight is None
    fixed = apply_fixes(got.label, measured_weight="520 g", rates=rates)
    assert fixed.label.gross_weight == Decimal(520) and fixed.label.postage_paid == Decimal("18.82")


def test_filled_cn23_form_is_read_through_the_generic_profile(story_label):
    got = read_pdf(data=filled_form())
    assert (got.method, got.profile) == ("form", "generic-cn23")
    expected = story_label.to_dict()
    expected["service"] = "Small Packet USA Air"  # as typed into the form
    expected.pop("dimensions")  # the generic form has no such box
    assert got.label.to_dict() == expected


def test_form_value_that_cannot_be_read_names_field_and_form_field():
    bad = dict(STORY_FORM, Box3_NetWeight_2="heavy")
    with pytest.raises(InvalidLabel) as e:
        read_pdf(data=filled_form(bad))
    assert "items[1].net_weight" in str(e.value) and "Box3_NetWeight_2" in str(e.value)


@pytest.mark.parametrize("size", ["4x6", "A4", "Letter"])
def test_postcheck_label_reads_back_by_all_three_paths(story_label, size):
    fixed = apply_fixes(story_label).label
    data = write_cn23(fixed, page_size=size)
    for kw, method in (({}, "embedded"), ({"use_embedded": False}, "form"),
                       ({"use_embedded": False, "use_form": False}, "text")):
        got = read_pdf(data=data, **kw)
        assert got.method == method
        if method == "text":  # the page prints the product's name; embedded JSON and fields keep the id
            assert got.label.service == "Small Packet USA Air"
            assert same_product(got.label.to_dict()) == fixed.to_dict()
        else:
            assert got.label.to_dict() == fixed.to_dict(), method


def test_stripped_copy_still_reads(story_label, tmp_path):
    """pypdf rewrite without attachments and without the AcroForm: the text layer remains."""
    import pypdf
    from pypdf.generic import NameObject

    fixed = apply_fixes(story_label).label
    reader = pypdf.PdfReader(io.BytesIO(write_cn23(fixed)))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        page[NameObject("/Annots")] = pypdf.generic.ArrayObject()
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    got = read_pdf(data=out.getvalue())
    assert got.method == "text"
    assert same_product(got.label.to_dict()) == fixed.to_dict()


def test_missing_required_value_says_where_it_looked():
    from pdf_samples import STORY_TEXT

    lines = [t for t in STORY_TEXT if not t[2].startswith(("Service", "Devise"))]
    lines = [(x, y, t.replace(" $", "")) for x, y, t in lines]
    got = read_pdf(data=story_pdf(lines))
    assert got.label is None  # a partial read: what was found is kept, the rest is said
    assert got.doc["tracking_number"] == "RR473124829CA" and "service" not in got.doc
    msg = str(got.error())
    assert "service: required field is missing: not found; looked for captions 'Service'" in msg
    assert "currency" in msg and "'Devise'" in msg


def test_unreadable_value_is_a_problem_not_a_guess():
    from pdf_samples import STORY_TEXT

    lines = [(x, y, "Poids de l'emballage : beaucoup") if "emballage" in t else (x, y, t) for x, y, t in STORY_TEXT]
    got = read_pdf(data=story_pdf(lines))
    assert got.label is not None and got.label.packaging_weight is None
    note = next(n for n in got.notes if n.startswith("packaging_weight"))
    assert "'beaucoup'" in note and "page 1" in note


def test_embedded_label_is_checked_by_the_check_command(story_label, tmp_path):
    from click.testing import CliRunner

    from postcheck.cli import cli

    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(write_cn23(story_label))  # uncorrected
    res = CliRunner().invoke(cli, ["check", str(pdf), "--format", "json"])
    assert res.exit_code == 1
    assert json.loads(res.output)["postage"]["required"] == "18.82"


# ---------------------------------------------------------------------------- hostile files

def _encrypted(data: bytes) -> bytes:
    import pypdf

    w = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    w.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _bomb() -> bytes:
    """A page whose content stream inflates from ~90 kB to 60 MB."""
    import zlib

    import pypdf
    from pypdf.generic import NameObject, StreamObject

    w = pypdf.PdfWriter()
    page = w.add_blank_page(200, 200)
    s = StreamObject()
    s._data = zlib.compress(b"0 0 m " * 10_000_000, 9)
    s[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = w._add_object(s)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _many_pages() -> bytes:
    import pypdf

    w = pypdf.PdfWriter()
    for _ in range(5000):
        w.add_blank_page(10, 10)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize("name, make, words", [
    ("empty", lambda d: b"", "not a PDF"),
    ("not-pdf", lambda d: b"hello, I am a label\n" * 10, "not a PDF"),
    ("truncated", lambda d: d[: len(d) // 2], "truncated"),
    ("garbage-body", lambda d: d[:20] + b"\x00garbage" * 500 + d[-200:], "not a readable PDF"),
    ("encrypted", _encrypted, "encrypted"),
    ("bomb", lambda d: _bomb(), "decompression bomb"),
    ("too-many-pages", lambda d: _many_pages(), "limit"),
    ("huge", lambda d: d + b"%" + b"x" * 21_000_000 + b"\n%%EOF\n", "limit"),
])
def test_bad_pdfs_exit_2_quickly(story_label, tmp_path, name, make, words):
    from click.testing import CliRunner

    from postcheck.cli import cli

    path = tmp_path / f"{name}.pdf"
    path.write_bytes(make(write_cn23(story_label, embed=False, form_fields=False)))
    start = time.perf_counter()
    res = CliRunner().invoke(cli, ["check", str(path)])
    took = time.perf_counter() - start
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
    assert took < 5, took
