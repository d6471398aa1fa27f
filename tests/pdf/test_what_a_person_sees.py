"""What postcheck writes, as a person reads it: the product's name, French amounts, non-Latin
names in an embedded font, a clear mark for a glyph the font lacks; and still lossless."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from postcheck.cli import cli
from postcheck.fix import apply_fixes
from postcheck.label import label_from_dict
from postcheck.pdf.read import read_pdf
from postcheck.pdf.typeface import FONTS_DIR, printable
from postcheck.pdf.write import product_name, write_cn23

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "returned-parcel.json"
STORY_DOC = json.loads(STORY.read_text("utf-8"))


def page_text(data: bytes, page: int = 0) -> str:
    return pypdf.PdfReader(io.BytesIO(data)).pages[page].extract_text()


def fonts(data: bytes) -> set[str]:
    res = pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    return {str(res[k].get_object()["/BaseFont"]) for k in res}


@pytest.fixture
def world_label():
    doc = dict(STORY_DOC, addressee={"name": "Ηλίας Παπαδόπουλος", "street": "ул. Тверская 7", "city": "Москва",
                                     "postcode": "125009", "country": "RU"},
               destination="US")
    return apply_fixes(label_from_dict(doc)).label


def test_cn23_prints_greek_and_cyrillic_names_in_the_embedded_font(world_label):
    data = write_cn23(world_label, page_size="A4")
    text = page_text(data)
    for word in ("Ηλίας Παπαδόπουλος", "ул. Тверская 7", "Москва"):
        assert word in text
    assert "?" not in text
    assert {"/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold"} <= fonts(data)


def test_cn23_prints_the_products_name_and_keeps_its_id_in_the_data(world_label):
    data = write_cn23(world_label)
    text = page_text(data)
    assert "Small Packet USA Air" in text and "small_packet_usa_air" not in text
    for kw in ({}, {"use_embedded": False}):  # embedded JSON and hidden fields: lossless
        assert read_pdf(data=data, **kw).label.to_dict() == world_label.to_dict()


def test_a_glyph_the_font_lacks_prints_as_its_code_point_never_a_question_mark(world_label):
    label = world_label.model_copy(update={"addressee": world_label.addressee.model_copy(update={"name": "王小明"})})
    data = write_cn23(label)
    assert "[U+738B][U+5C0F][U+660E]" in page_text(data)
    assert read_pdf(data=data).label.addressee.name == "王小明"  # the embedded label keeps it
    assert printable("a\u2192b ✓ 王") == "a\u2192b ✓ [U+738B]"
    assert printable("\U0001F600") == "[U+1F600]"  # past U+FFFF: a reader could not copy it back


def test_a_service_postcheck_does_not_price_is_printed_as_written():
    assert product_name("small_packet_usa_air") == "Small Packet USA Air"
    assert product_name("Small Packet USA Air") == "Small Packet USA Air"
    assert product_name("DHL Express Worldwide") == "DHL Express Worldwide"


def notice(tmp_path, lang: str) -> bytes:
    out = tmp_path / f"notice-{lang}.pdf"
    r = CliRunner().invoke(cli, ["notice", str(STORY), "--measured", "520g", "--lang", lang, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out.read_bytes()


def test_english_notice_names_the_product_and_prints_its_arrows(tmp_path):
    text = page_text(notice(tmp_path, "en"))
    assert "Item RR473124829CA, Small Packet USA Air, posted 2022-03-01" in " ".join(text.split())
    assert "- postage: CAD 12.83 → CAD 18.82" in text
    assert "- total gross weight: (empty) → 0.520 kg" in text
    assert "?" not in text


def test_french_notice_writes_amounts_and_weights_the_french_way(tmp_path):
    data = notice(tmp_path, "fr")
    text = page_text(data)
    assert "- affranchissement : 12,83 CAD → 18,82 CAD" in text
    assert "- poids brut total : (vide) → 0,520 kg" in text
    assert "Small Packet USA Air" in text
    assert "12.83" not in text and "18.82" not in text and "?" not in text
    # the corrected CN 23 that follows reads back as the corrected label
    got = read_pdf(data=data)
    assert got.label.gross_weight == 520 and str(got.label.postage_paid) == "18.82"


def test_the_font_and_its_licence_ship_inside_the_package():
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONTS_DIR / name).is_file()
    assert "Bitstream" in (FONTS_DIR / "LICENSE-DejaVu.txt").read_text("utf-8")
