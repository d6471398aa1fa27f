"""The layout reader on label pages drawn here the way carriers' systems draw them: words placed
one by one, captions in other languages, address blocks without captions, tables cut by their
headers, rotated text, overprints.  Real carrier PDFs are in test_real_labels.py (when on disk)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postcheck import tracking
from postcheck.pdf.layout import read_cells
from postcheck.pdf.read import read_pdf


def page(*items, size=(288, 432), pages=1) -> bytes:
    """A PDF whose pages print ``(x, y_from_top, text[, font size[, angle]])`` items."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=size, invariant=1)
    for _ in range(pages):
        for it in items:
            x, y, text = it[:3]
            fs = it[3] if len(it) > 3 else 8
            angle = it[4] if len(it) > 4 else 0
            c.saveState()
            c.setFont("Helvetica", fs)
            c.translate(x, size[1] - y)
            c.rotate(angle)
            c.drawString(0, 0, text)
            c.restoreState()
        c.showPage()
    c.save()
    return buf.getvalue()


GERMAN = page(
    (20, 20, "DHL PAKET", 14),
    (20, 40, "Von:"), (50, 40, "TechZone GmbH"),
    (50, 50, "Martin Schreiber"), (50, 60, "Friedrichstrasse 45"), (50, 70, "10117 Berlin"), (50, 80, "GERMANY"),
    (20, 100, "An:"), (50, 100, "UrbanStyle KG"), (50, 110, "Klara Huber"), (50, 120, "Leopoldstrasse 250"),
    (50, 130, "80807 Munich"), (50, 140, "GERMANY"),
    (180, 160, "Gewicht:"), (180, 172, "1.8 kg"),
    (20, 180, "Sendungsnr.: 00340434161094042557"),
)


def test_german_label_read_by_its_captions_and_blocks():
    got = read_pdf(data=GERMAN)
    d = got.doc
    assert d["service"] == "DHL PAKET"
    assert d["gross_weight"] == "1.8 kg" and d["tracking_number"] == "00340434161094042557"
    assert d["sender"] == {"business": "TechZone GmbH", "name": "Martin Schreiber", "street": "Friedrichstrasse 45",
                           "city": "Berlin", "postcode": "10117", "country": "DE"}
    assert d["addressee"]["name"] == "Klara Huber" and d["addressee"]["city"] == "Munich"
    assert (d["origin"], d["destination"]) == ("DE", "DE")
    assert "Gewicht" in got.found["gross_weight"] and "page 1" in got.found["gross_weight"]


def test_blocks_without_captions_sender_first():
    data = page((20, 30, "ABC CORP."), (20, 40, "TALL TOM"), (20, 50, "1098 N FRASER STREET"),
                (20, 60, "GEORGETOWN SC 29440"),
                (60, 120, "HORIZON", 10), (60, 132, "LINA SMITH", 10), (60, 144, "APT 303", 10),
                (60, 156, "1309 S AGNEW AVENUE", 10), (60, 168, "OKLAHOMA CITY OK 73108", 10),
                (40, 220, "USPS TRACKING #"), (40, 240, "9234 6903 6198 0900 0001 42", 11))
    d = read_pdf(data=data).doc
    assert d["sender"]["city"] == "GEORGETOWN" and d["sender"]["country"] == "US"
    assert d["addressee"] == {"business": "HORIZON", "name": "LINA SMITH", "street": "APT 303, 1309 S AGNEW AVENUE",
                              "city": "OKLAHOMA CITY", "postcode": "73108", "country": "US"}
    assert d["tracking_number"] == "9234690361980900000142"


def test_a_caption_is_never_a_value():
    data = page((20, 20, "Tracking Number"), (160, 20, "Numéro de repérage"),
                (20, 40, "Service required"), (20, 60, "Invoice No.:"), (120, 60, "Purchase Order No.:"),
                (20, 80, "(14)"), (20, 100, "Features / Services:"),
                (20, 120, "Please note the service on GRD ADVANTAGE labels is tracked."))
    d = read_pdf(data=data).doc
    for key in ("tracking_number", "service", "invoice_number"):
        assert key not in d, d


def test_ambiguous_date_is_refused_and_clear_ones_are_read():
    got = read_pdf(data=page((20, 20, "DATE: 01-05-2015")))
    assert "ship_date" not in got.doc
    assert any("01-05-2015" in n for n in got.notes)
    for text, iso in (("SHIP DATE: 19JUL24", "2024-07-19"), ("Ship Date: 19 Jul, 2024", "2024-07-19"),
                      ("Date d'expédition : 18 mars 2025", "2025-03-18"), ("Versanddatum: 02.06.2022", "2022-06-02"),
                      ("Date: 02/JUN/2022", "2022-06-02")):
        assert read_pdf(data=page((20, 20, text))).doc.get("ship_date") == iso, text


def test_usps_prints_dates_month_first():
    got = read_pdf(data=page((20, 20, "USPS GROUND ADVANTAGE", 12), (20, 40, "Ship Date: 03/01/2022")))
    assert got.doc["ship_date"] == "2022-03-01"
    assert "month first" in got.found["ship_date"]


def test_table_cut_by_its_headers_per_unit_columns_multiplied():
    data = page((20, 20, "DECLARATION EN DOUANE CN23"),
                (20, 60, "Description détaillée du contenu"), (150, 60, "Qté"), (175, 54, "Poids net"),
                (175, 62, "unitaire (kg)"), (230, 54, "Valeur"), (230, 62, "unitaire (EUR)"),
                (20, 80, "Printed circuits"), (152, 80, "2"), (180, 80, "0.500"), (235, 80, "1.00"),
                (20, 92, "Wool scarf"), (152, 92, "1"), (180, 92, "0.120"), (235, 92, "15.50"),
                (140, 110, "Total"), (180, 110, "0.620"), (235, 110, "17.50"),
                size=(300, 200))
    d = read_pdf(data=data).doc
    assert d["form"] == "CN23"
    assert d["items"] == [
        {"description": "Printed circuits", "quantity": 2, "net_weight": "1.000 kg", "value": "2.00",
         "value_currency": "EUR"},
        {"description": "Wool scarf", "quantity": 1, "net_weight": "0.120 kg", "value": "15.50", "value_currency": "EUR"}]
    assert d["total_value"] == "17.50" and d["currency"] == "EUR"


def test_ticked_category_box():
    data = page((20, 20, "Cadeau"), (100, 20, "X Vente de marchandise"), (20, 32, "Document"), (100, 32, "Autre"))
    assert read_pdf(data=data).doc["category"] == "sale_of_goods"
    two = page((20, 20, "X Cadeau"), (100, 20, "X Vente de marchandise"))
    got = read_pdf(data=two)
    assert "category" not in got.doc  # two ticks: postcheck does not choose


def test_identical_pages_read_once_and_rotated_text_upright():
    data = page((20, 20, "Contents: Blue Jean Coat"), pages=4)
    pages, dropped, count = read_cells(data, max_pages=10)
    assert count == 4 and dropped == [2, 3, 4]
    assert len(read_pdf(data=data).doc["items"]) == 1
    turned = page((100, 300, "CUT HERE / DÉCOUPER ICI", 8, 90), (150, 300, "WAYBILL 11 0373 3901", 8, -90))
    texts = {c.text for p in read_cells(turned, max_pages=1)[0] for c in p.cells}
    assert {"CUT HERE / DÉCOUPER ICI", "WAYBILL 11 0373 3901"} <= texts
    assert read_pdf(data=turned).doc["tracking_number"] == "1103733901"


def test_an_overprint_is_not_part_of_the_address():
    data = page((20, 30, "Von:"), (50, 30, "TechZone GmbH"), (50, 50, "MUSTER", 30), (50, 60, "Martin Schreiber"),
                (50, 70, "Friedrichstrasse 45"), (50, 80, "10117 Berlin"))
    d = read_pdf(data=data).doc
    assert d["sender"]["street"] == "Friedrichstrasse 45" and d["sender"]["name"] == "Martin Schreiber"


def test_an_image_only_page_says_so(tmp_path):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    png = tmp_path / "scan.png"
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"\xff" * 30 for _ in range(10))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)  # noqa: E731
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    buf = io.BytesIO()
    c = Canvas(buf)
    c.drawImage(ImageReader(str(png)), 10, 10, 100, 100)
    c.showPage()
    c.save()
    from postcheck.errors import LabelReadError

    with pytest.raises(LabelReadError) as e:
        read_pdf(data=buf.getvalue())
    assert "image" in str(e.value) and "no text layer" in str(e.value)


# -- never a wrong value: whatever the words, an identifier is only taken in its format


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPRSTUVWXYZ -*", min_size=1, max_size=30))
def test_tracking_formats_never_take_what_fails_their_check(text):
    got = tracking.match(text)
    if got is None:
        return
    number, fmt = got
    assert fmt in {"s10", "ups", "postnl", "usps-impb", "gs1"}
    if fmt in ("usps-impb", "gs1"):
        assert tracking.gs1_check_digit(number[:-1]) == int(number[-1])
    if fmt == "s10":
        from postcheck.identifiers import s10_problems

        assert not s10_problems(number)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["Weight", "Gewicht:", "Total:", "(14)", "Date", "Service", "Contact", "To",
                                 "Poids brut", "TRK#", "Ref.", "Nr", "Features / Services:", "N° de repérage"]),
                min_size=1, max_size=12))
def test_a_page_of_captions_only_reads_no_value(captions):
    data = page(*[(20 + 90 * (i % 3), 20 + 14 * (i // 3), t) for i, t in enumerate(captions)])
    d = read_pdf(data=data).doc
    assert set(d) <= {"form"}, d


def test_check_of_a_partial_pdf_asks_the_right_questions(tmp_path):
    """A carrier label with no currency and no priced service: the rules that can run run, and
    the report says what it needs; --set supplies it."""
    from click.testing import CliRunner

    from postcheck.cli import cli

    label = tmp_path / "dhl.pdf"
    label.write_bytes(GERMAN)
    r = CliRunner().invoke(cli, ["check", str(label)])
    assert r.exit_code == 2, r.output
    assert "service-not-priced" in r.output and "currency" in r.output and "--set currency=" in r.output
    r = CliRunner().invoke(cli, ["extract", "--explain", str(label)])
    assert r.exit_code == 2
    assert '"tracking_number": "00340434161094042557"' in r.output
    assert "gross_weight: page 1, below its caption 'Gewicht'" in r.output
