"""Writing: the corrected CN 23 rendered (pdftoppm) and its text, the commands (fix, notice,
extract, --in-place-form), output safety, and the hypothesis round trip."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from strategies import labels
from pdf_samples import filled_form, same_product, story_pdf
from postcheck.checker import check
from postcheck.cli import cli
from postcheck.fix import apply_fixes
from postcheck.label import label_from_json
from postcheck.pdf.read import read_pdf
from postcheck.pdf.write import write_cn23

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "returned-parcel.json"


def _text(data: bytes) -> str:
    import pypdf

    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def story(tmp_path: Path) -> Path:
    p = tmp_path / "story.pdf"
    p.write_bytes(story_pdf())
    return p


def test_fix_story_pdf_writes_corrected_bilingual_cn23(story, tmp_path):
    out = tmp_path / "corrected.pdf"
    res = CliRunner().invoke(cli, ["fix", str(story), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "gross_weight: (empty) -> 520 g" in res.output and "postage_paid: 12.83 -> 18.82" in res.output
    text = _text(out.read_bytes())
    for s in ("CN 23", "(4) Poids brut total (kg) / Total gross weight (kg)", "0.520", "CAD 18.82", "CAD 62.00",
              "(1) Description détaillée du contenu", "Detailed description of contents", "RR473124829CA",
              "Vente de marchandises / Sale of goods", "(15) Date et signature de l'expéditeur", "6912.00"):
        assert s in text, s
    res = CliRunner().invoke(cli, ["check", str(out)])
    assert res.exit_code == 0, res.output


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
@pytest.mark.parametrize("size, px", [("4x6", (600, 900)), ("A4", (1240, 1754)), ("Letter", (1275, 1650))])
def test_corrected_label_renders(tmp_path, size, px):
    fixed = apply_fixes(label_from_json(EXAMPLE.read_text(encoding="utf-8"))).label
    pdf = tmp_path / "l.pdf"
    pdf.write_bytes(write_cn23(fixed, page_size=size))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "l")], check=True,
                   timeout=30)
    from PIL import Image

    img = Image.open(tmp_path / "l.png")
    assert abs(img.size[0] - px[0]) <= 2 and abs(img.size[1] - px[1]) <= 2
    dark = sum(1 for v in img.convert("L").tobytes() if v < 128)
    assert dark > 0.02 * img.size[0] * img.size[1]  # boxes, text and the barcode are drawn
    assert "0.520" in _text(pdf.read_bytes()) and "CAD 18.82" in _text(pdf.read_bytes())


def test_tracking_number_as_text_and_code128_bars():
    import pypdf

    fixed = apply_fixes(label_from_json(EXAMPLE.read_text(encoding="utf-8"))).label
    data = write_cn23(fixed)
    content = pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data()
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

    ref = Canvas(io.BytesIO(), pageCompression=0)
    Code128("RR473124829CA", barHeight=22, barWidth=0.72, quiet=False).drawOn(ref, 0, 0)
    bars = ref.getpdfdata().count(b" re")
    assert bars > 30
    assert content.count(b" re") >= bars + 7  # the bars, six category boxes and the frame
    assert "RR473124829CA" in _text(data)


def test_fix_refuses_existing_output_and_input(story, tmp_path):
    out = tmp_path / "o.pdf"
    out.write_bytes(b"keep")
    r = CliRunner().invoke(cli, ["fix", str(story), "-o", str(out)])
    assert r.exit_code == 2 and "--force" in r.output and out.read_bytes() == b"keep"
    r = CliRunner().invoke(cli, ["fix", str(story), "-o", str(story), "--force"])
    assert r.exit_code == 2 and "input" in r.output
    r = CliRunner().invoke(cli, ["fix", str(story), "-o", str(out), "--force"])
    assert r.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob(".*.part"))


def test_in_place_form_keeps_layout_and_fills_corrected_fields(tmp_path):
    src = tmp_path / "form.pdf"
    src.write_bytes(filled_form())
    out = tmp_path / "filled.pdf"
    r = CliRunner().invoke(cli, ["fix", str(src), "-o", str(out), "--in-place-form"])
    assert r.exit_code == 0, r.output
    import pypdf

    fields = pypdf.PdfReader(out).get_fields()
    assert fields["Box4_TotalGrossWeight"]["/V"] == "0.520"
    assert fields["Box9_PostalCharges"]["/V"] == "18.82"
    assert fields["Box10_SaleOfGoods"]["/V"] == "/Yes"
    assert len(pypdf.PdfReader(out).pages) == 1
    assert read_pdf(out, use_embedded=False).label.gross_weight == 520
    assert read_pdf(out).method == "embedded"


def test_in_place_form_needs_a_form(story, tmp_path):
    r = CliRunner().invoke(cli, ["fix", str(story), "-o", str(tmp_path / "x.pdf"), "--in-place-form"])
    assert r.exit_code == 2 and "no form fields" in r.output


@pytest.mark.parametrize("lang, words", [
    ("fr", ("il manque 5,99 CAD", "Ce n'est pas votre erreur", "poids net des articles, sans l'emballage",
            "0,520 kg", "Étiquette corrigée jointe")),
    ("en", ("5.99 is missing", "This is not your mistake", "without the packaging", "0.520 kg",
            "Corrected label attached")),
])
def test_notice(story, tmp_path, lang, words):
    out = tmp_path / f"notice-{lang}.pdf"
    r = CliRunner().invoke(cli, ["notice", str(story), "-o", str(out), "--lang", lang])
    assert r.exit_code == 0, r.output
    import pypdf

    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 2  # the notice, then the corrected label
    first = " ".join(reader.pages[0].extract_text().split())
    for w in words:
        assert w in first, w
    assert "CN 23" in reader.pages[1].extract_text()
    assert read_pdf(out).label.postage_paid == 18.82 or str(read_pdf(out).label.postage_paid) == "18.82"


def test_extract_prints_label_json(story):
    r = CliRunner().invoke(cli, ["extract", str(story)])
    assert r.exit_code == 0
    out = r.stdout if hasattr(r, "stdout") else r.output
    doc = json.loads(out[: out.rindex("}") + 1])
    assert doc["postage_paid"] == "12.83" and doc["items"][1]["net_weight"] == "180 g"


def test_cli_starts_without_pypdf_or_reportlab():
    code = "import sys, postcheck.cli; print(any(m.split('.')[0] in ('pypdf', 'reportlab') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_fix_as_subprocess(story, tmp_path):
    out = tmp_path / "c.pdf"
    p = subprocess.run([sys.executable, "-m", "postcheck", "fix", str(story), "-o", str(out), "--page-size", "A4"],
                       capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Changed 2 field(s)" in p.stdout


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labels())
def test_round_trip_fix_write_check_extract(label):
    fixed = apply_fixes(label)
    assert fixed.report.ok, [f.name for f in fixed.report.errors]
    data = write_cn23(fixed.label)
    got = read_pdf(data=data)
    assert check(got.label).ok
    assert got.label.to_dict() == fixed.label.to_dict()
    # and field for field when the embedded label is stripped (form), and the form too (text)
    assert read_pdf(data=data, use_embedded=False).label.to_dict() == fixed.label.to_dict()
    # the text layer cannot tell a box printed "none" from an empty one (caption sets' [empty]),
    # nor a value that is itself a caption ("To") from the next caption: known limits
    from postcheck.pdf.text import captions
    from postcheck.pdf.values import fold

    texts = fold(json.dumps(fixed.label.to_dict(), ensure_ascii=False))
    words = captions().empty | {c.folded for c in captions().entries}
    if not any(f'"{w}"' in texts for w in words):
        text = read_pdf(data=data, use_embedded=False, use_form=False).label.to_dict()
        assert same_product(text) == fixed.label.to_dict()


def test_fix_and_notice_take_a_measured_weight_on_the_command_line(tmp_path):
    """--measured reaches the checker as a weight with its unit (it once arrived as bare grams)."""
    from click.testing import CliRunner

    from postcheck.cli import cli

    story = Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json"
    r = CliRunner().invoke(cli, ["fix", str(story), "--measured", "1.1 kg", "-o", str(tmp_path / "c.pdf")])
    assert r.exit_code == 0, r.output
    assert "1100 g" in r.output and "22.06" in r.output
    r = CliRunner().invoke(cli, ["notice", str(story), "--measured", "520g", "--lang", "fr",
                                 "-o", str(tmp_path / "n.pdf")])
    assert r.exit_code == 0, r.output
    import pypdf

    text = pypdf.PdfReader(str(tmp_path / "n.pdf")).pages[0].extract_text()
    assert "0,520 kg" in text and "5,99 CAD" in text and "pesé au comptoir" in text
