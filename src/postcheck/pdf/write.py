"""Write a corrected label as a CN 23 (reportlab): the UPU's boxes in their order, bilingual
French / English captions, every box filled, the tracking number as text and Code 128.

A written label can be read back three ways (:mod:`postcheck.pdf.read`):

1. the full label as JSON, embedded as the file ``postcheck-label.json`` (lossless);
2. hidden form fields named by the ``postcheck-cn23`` mapping profile (exact values);
3. the printed text, through the caption sets.

The page is drawn on a 4 x 6 in frame (288 x 432 pt) and scaled to fill A4 or Letter, so the
three sizes look alike.  Text is set in DejaVu Sans, embedded (:mod:`postcheck.pdf.typeface`):
Latin, Greek and Cyrillic print as they are, a character the font lacks as its code point
(``[U+4E2D]``); the embedded label keeps every character exactly.  The service box prints the
product's name ("Small Packet USA Air"); the embedded label and the hidden fields keep its id.

>>> from postcheck.label import label_from_json
>>> pdf = write_cn23(label_from_json(open("examples/returned-parcel.json").read()))
>>> pdf[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, Iterable

from postcheck import __version__
from postcheck.pdf.base import EMBEDDED_NAME
from postcheck.pdf.form import PROFILES_DIR, label_to_fields, load_profile, postcheck_profile
from postcheck.pdf.typeface import font as _font
from postcheck.pdf.typeface import printable

__all__ = ["write_cn23", "write_blank_form", "draw_label", "new_canvas", "finish", "page_size", "EMBEDDED_NAME",
           "PAGE_SIZES", "kg_text", "printable", "product_name"]

FRAME = (288.0, 432.0)  # 4 x 6 in, portrait
PAGE_SIZES = ("4x6", "A4", "Letter")
ROWS_FIRST = 12  # contents lines on the first page
ROWS_MORE = 30  # on each continuation page

CATEGORY_BOXES = (
    ("gift", "Cadeau", "Gift"), ("commercial_sample", "Échantillon commercial", "Commercial sample"),
    ("documents", "Documents", "Documents"), ("returned_goods", "Envoi en retour", "Returned goods"),
    ("sale_of_goods", "Vente de marchandises", "Sale of goods"), ("other", "Autre", "Other"),
)
#: Table columns: key, x in the frame, French and English captions with the box number.
COLUMNS = (
    ("description", 8, "(1) Description détaillée du contenu", "Detailed description of contents"),
    ("quantity", 112, "(2) Quantité", "Quantity"),
    ("net_weight", 136, "(3) Poids net (kg)", "Net weight (kg)"),
    ("value", 172, "(5) Valeur", "Value"),
    ("hs_code", 208, "(7) N° tarifaire SH", "HS tariff No."),
    ("origin_country", 246, "(8) Pays d'origine", "Country of origin"),
)
_COL_END = 282


def page_size(name: str) -> tuple[float, float]:
    from reportlab.lib.pagesizes import A4, letter

    sizes = {"4x6": FRAME, "a4": A4, "letter": letter}
    try:
        return sizes[name.lower()]
    except KeyError:
        raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)}, got {name!r}") from None


_size = page_size


def product_name(service: str, rates: Any = None) -> str:
    """The product's name for a service id or name ("Small Packet USA Air"), as its newest
    price list gives it; the service as written when postcheck has no tariff of it."""
    from postcheck.errors import UnknownService

    if rates is None:
        from postcheck.checker import default_rates

        rates = default_rates()
    try:
        tables = rates.tables(service)
    except UnknownService:
        return service
    return tables[-1].name if tables else service


def kg_text(grams: Decimal) -> str:
    """Grams as kilograms with at least three decimals, exactly: 520 -> "0.520", 0.5 -> "0.0005"."""
    kg = grams / 1000
    if kg == kg.quantize(Decimal("0.001")):
        return f"{kg.quantize(Decimal('0.001')):f}"
    return f"{kg.normalize():f}"


def _money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "-"
    return f"{currency} {amount:f}" if currency else f"{amount:f}"


class _Page:
    """Drawing helpers in frame coordinates (origin bottom left of the 4 x 6 frame)."""

    def __init__(self, c: Any) -> None:
        self.c = c

    def text(self, x: float, y: float, s: str, size: float = 5.0, bold: bool = False, width: float | None = None,
             right: bool = False) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        s = printable(s)
        font = _font(bold)
        if width is not None:
            w = stringWidth(s, font, size)
            if w > width:
                size = max(3.2, size * width / w)
                while stringWidth(s, font, size) > width and len(s) > 4:
                    s = s[:-4] + "..."
        self.c.setFont(font, size)
        if right:
            self.c.drawRightString(x, y, s)
        else:
            self.c.drawString(x, y, s)

    def caption(self, x: float, y: float, fr: str, en: str, size: float = 4.2, width: float | None = None) -> None:
        """A bilingual caption, made smaller when it would run into the value beside it."""
        self.text(x, y, f"{fr} / {en}", size, width=width)

    def box(self, x: float, y: float, w: float, h: float) -> None:
        self.c.rect(x, y, w, h, stroke=1, fill=0)


def _barcode(c: Any, value: str, x: float, y: float, width: float, height: float) -> bool:
    if not value or not value.isascii() or not value.isprintable():
        return False
    from reportlab.graphics.barcode.code128 import Code128

    bc = Code128(value, barHeight=height, barWidth=0.72, quiet=False)
    if bc.width > width:
        bc = Code128(value, barHeight=height, barWidth=0.72 * width / bc.width, quiet=False)
    bc.drawOn(c, x, y)
    return True


def _address(p: _Page, x: float, top: float, w: float, fr: str, en: str, a: Any, *, email: bool) -> None:
    p.text(x + 2, top - 6, f"{fr} / {en}", 5.2, bold=True)
    rows = [("Nom", "Name", "name"), ("Entreprise", "Business", "business"), ("Rue", "Street", "street"),
            ("Ville", "City", "city"), ("Code postal", "Postcode", "postcode"), ("Pays", "Country", "country"),
            ("Tél.", "Tel.", "phone")]
    if email:
        rows.append(("Courriel", "E-mail", "email"))
    y = top - 13
    for cfr, cen, key in rows:
        value = getattr(a, key, None) if a is not None else None
        p.caption(x + 2, y, cfr, cen, 3.8, width=41)
        p.text(x + 44, y, value if value else "-", 5.0, width=w - 46)
        y -= 6.2


def _item_rows(p: _Page, label: Any, items: Iterable[tuple[int, Any]], top: float) -> float:
    """Header and contents lines from ``top``; returns the y below the last line."""
    xs = [c[1] for c in COLUMNS] + [_COL_END]
    for i, (_key, x, fr, en) in enumerate(COLUMNS):
        p.text(x, top - 5, fr, 3.6, width=xs[i + 1] - x - 1.5)
        p.text(x, top - 9.5, en, 3.6, width=xs[i + 1] - x - 1.5)
    p.c.line(6, top - 11.5, _COL_END, top - 11.5)
    y = top - 18
    for _n, it in items:
        cells = {
            "description": it.description,
            "quantity": str(it.quantity),
            "net_weight": kg_text(it.net_weight),
            "value": _money(it.value, it.value_currency),
            "hs_code": it.hs_code or "-",
            "origin_country": it.origin_country or "-",
        }
        for i, (key, x, _fr, _en) in enumerate(COLUMNS):
            p.text(x, y, cells[key], 5.0, width=xs[i + 1] - x - 2)
        y -= 7.2
    return y


def _first_page(c: Any, label: Any, items: list[tuple[int, Any]], pages: int, service_name: str) -> None:
    p = _Page(c)
    W, H = FRAME
    c.setLineWidth(0.5)
    # title and item number (barcode)
    p.text(8, H - 14, "DÉCLARATION EN DOUANE", 7.2, bold=True)
    p.text(8, H - 22, "CUSTOMS DECLARATION", 6.4, bold=True)
    p.text(W - 8, H - 17, "CN 23", 12, bold=True, right=True)
    p.caption(8, H - 30, "N° de l'envoi", "No. of item")
    tn = label.tracking_number
    has_bar = _barcode(c, tn or "", 100, H - 50, 180, 22)
    p.text(8, H - 38, tn or "-", 7.0, bold=True, width=90)
    if tn and not has_bar:
        p.text(100, H - 38, "(code-barres impossible / no barcode for this number)", 4.0)
    p.caption(8, H - 46, "Service", "Service")
    p.text(8, H - 52, service_name, 5.0, width=90)
    top = H - 56
    c.line(6, top, W - 6, top)
    # sender and addressee
    _address(p, 6, top, 138, "De", "From", label.sender, email=False)
    _address(p, 144, top, 138, "À", "To", label.addressee, email=True)
    c.line(144, top, 144, top - 63)
    top -= 63
    c.line(6, top, W - 6, top)
    p.caption(8, top - 6, "Envoi de", "Shipped from", width=52)
    p.text(62, top - 6, label.origin, 5.0)
    p.caption(80, top - 6, "Envoi vers", "Shipped to", width=48)
    p.text(130, top - 6, label.destination, 5.0)
    p.caption(150, top - 6, "Devise", "Currency", width=38)
    p.text(190, top - 6, label.currency, 5.0)
    p.caption(214, top - 6, "Zone", "Zone", width=24)
    p.text(240, top - 6, label.zone or "-", 5.0, width=40)
    top -= 9
    c.line(6, top, W - 6, top)
    # contents (boxes 1 2 3 5 7 8)
    y = _item_rows(p, label, items[:ROWS_FIRST], top)
    if len(items) > ROWS_FIRST:
        p.text(8, y, f"Suite sur {pages - 1} page(s) / Continued on {pages - 1} page(s)", 4.2)
        y -= 3  # the note stays above the rule that closes the table
    y = min(y, top - 18 - 7.2 * ROWS_FIRST) - 2
    c.line(6, y + 4, W - 6, y + 4)
    # totals (boxes 4, 6, 9) and postcheck's own lines
    p.caption(8, y - 2, "(4) Poids brut total (kg)", "Total gross weight (kg)", width=101)
    p.text(8, y - 9, kg_text(label.gross_weight) if label.gross_weight is not None else "-", 6.5, bold=True)
    p.caption(112, y - 2, "(6) Valeur totale", "Total value", width=81)
    p.text(112, y - 9, _money(label.total_value, label.currency), 6.5, bold=True)
    p.caption(196, y - 2, "(9) Frais de port", "Postal charges/Fees", width=86)
    p.text(196, y - 9, _money(label.postage_paid, label.currency), 6.5, bold=True)
    y -= 16
    p.caption(8, y, "Poids de l'emballage (kg)", "Packaging weight (kg)", width=101)
    p.text(112, y, kg_text(label.packaging_weight) if label.packaging_weight is not None else "-", 5.0)
    y -= 6.2
    p.caption(8, y, "Dimensions", "Dimensions")
    dims = label.to_dict().get("dimensions")
    p.text(112, y, dims or "-", 5.0)
    y -= 4
    c.line(6, y, W - 6, y)
    # category (box 10)
    p.caption(8, y - 6, "(10) Catégorie de l'envoi", "Category of item")
    y -= 13
    for i, (key, fr, en) in enumerate(CATEGORY_BOXES):
        x = 8 + (i % 3) * 92
        yy = y - (i // 3) * 7
        p.box(x, yy - 0.8, 4.6, 4.6)
        if label.category == key:
            p.text(x + 0.9, yy, "X", 4.6, bold=True)
        p.text(x + 7, yy, f"{fr} / {en}", 4.2, width=82)
    y -= 14
    p.caption(8, y, "Explication", "Explanation")
    p.text(78, y, label.explanation or "-", 5.0, width=200)
    y -= 3
    c.line(6, y, W - 6, y)
    # boxes 11 to 14
    for fr, en, value in (("(11) Observations", "Comments", label.comments),
                          ("(12) Licence N°", "Licence No.", label.licence),
                          ("(13) Certificat N°", "Certificate No.", label.certificate),
                          ("(14) Facture N°", "Invoice No.", label.invoice_number)):
        y -= 6.4
        p.caption(8, y, fr, en)
        p.text(112, y, value or "-", 5.0, width=168)
    y -= 4
    c.line(6, y, W - 6, y)
    # box 15
    y -= 7
    p.caption(8, y, "(15) Date et signature de l'expéditeur", "Date and sender's signature")
    y -= 8
    p.text(8, y, label.ship_date.isoformat() if label.ship_date else "-", 6.0, bold=True)
    c.line(112, y - 1, W - 10, y - 1)
    p.text(8, 12, "Je certifie que cet envoi ne contient aucun objet dangereux ou interdit. / I certify that "
                  "this item contains no dangerous or prohibited articles.", 3.4, width=272)
    p.text(8, 6, f"postcheck {__version__} - {label.form or 'CN23'} corrigée / corrected", 3.4)
    c.rect(4, 3, W - 8, H - 6, stroke=1, fill=0)


def _more_page(c: Any, label: Any, items: list[tuple[int, Any]], page: int, pages: int) -> None:
    p = _Page(c)
    W, H = FRAME
    c.setLineWidth(0.5)
    p.text(8, H - 14, f"Suite / Continuation CN 23 - {page}/{pages}", 6.4, bold=True)
    p.caption(8, H - 22, "N° de l'envoi", "No. of item")
    p.text(100, H - 22, label.tracking_number or "-", 5.0)
    _item_rows(p, label, items, H - 26)
    c.rect(4, 3, W - 8, H - 6, stroke=1, fill=0)


def _hidden_fields(c: Any, values: dict[str, str], fields: list[Any]) -> None:
    """Text fields with no appearance, flagged hidden: the exact values for the form reader."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString

    doc = c._doc
    for name, value in values.items():
        d = PDFDictionary({"Type": PDFName("Annot"), "Subtype": PDFName("Widget"), "FT": PDFName("Tx"),
                           "T": PDFString(name), "V": PDFString(value), "F": 2 | 4, "Ff": 1,
                           "Rect": PDFArray([0, 0, 0, 0]), "P": doc.thisPageRef()})
        c._addAnnotation(d)
        fields.append(doc.Reference(d))


def _embed(c: Any, data: bytes, fields: list[Any]) -> None:
    """The label JSON as an embedded file (``/AFRelationship /Data``), plus the form's AcroForm."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString

    doc = c._doc
    stream = PDFStream(PDFDictionary({"Type": PDFName("EmbeddedFile"), "Subtype": "/application#2Fjson",
                                      "Params": PDFDictionary({"Size": len(data)})}), data)
    ref = doc.Reference(stream)
    spec = PDFDictionary({"Type": PDFName("Filespec"), "F": PDFString(EMBEDDED_NAME),
                          "UF": PDFString(EMBEDDED_NAME), "EF": PDFDictionary({"F": ref}),
                          "Desc": PDFString("postcheck label (JSON)"), "AFRelationship": PDFName("Data")})
    spec_ref = doc.Reference(spec)
    names = PDFDictionary({"EmbeddedFiles": PDFDictionary({"Names": PDFArray([PDFString(EMBEDDED_NAME), spec_ref])})})
    c.setCatalogEntry("Names", names)
    doc.Catalog.AF = PDFArray([spec_ref])
    if fields:
        c.setCatalogEntry("AcroForm", PDFDictionary({"Fields": PDFArray(fields), "NeedAppearances": "false"}))


def new_canvas(buf: io.BytesIO, size: str, title: str) -> Any:
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    # Flate only: the ASCII85 layer reportlab adds by default costs ~2 ms a page in pure Python
    # and serves 7-bit channels a label never travels through.
    rl_config.useA85 = 0
    c = Canvas(buf, pagesize=page_size(size), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setCreator(f"postcheck {__version__}")
    c.setSubject("CN 23 customs declaration")
    return c


def _place(c: Any, size: str, scale: float) -> None:
    if scale != 1.0:
        w, h = page_size(size)
        c.translate((w - FRAME[0] * scale) / 2, (h - FRAME[1] * scale) / 2)
        c.scale(scale, scale)


def draw_label(c: Any, label: Any, size: str, *, form_fields: bool = True, rates: Any = None) -> list[Any]:
    """Draw the CN 23 (and its continuation pages) on canvas ``c``, each page ended with
    ``showPage``; returns the hidden form fields to list in the AcroForm.  ``rates`` names the
    product (:func:`product_name`; the bundled tariffs when None)."""

    w, h = page_size(size)
    scale = min((w - 20) / FRAME[0], (h - 20) / FRAME[1]) if (w, h) != FRAME else 1.0
    items = list(enumerate(label.items))
    rest = items[ROWS_FIRST:]
    chunks = [rest[i:i + ROWS_MORE] for i in range(0, len(rest), ROWS_MORE)]
    pages = 1 + len(chunks)
    fields: list[Any] = []
    c.saveState()
    _place(c, size, scale)
    _first_page(c, label, items, pages, product_name(label.service, rates))
    c.restoreState()
    if form_fields:
        _hidden_fields(c, label_to_fields(label, postcheck_profile()), fields)
    c.showPage()
    for i, chunk in enumerate(chunks, start=2):
        c.saveState()
        _place(c, size, scale)
        _more_page(c, label, chunk, i, pages)
        c.restoreState()
        c.showPage()
    return fields


def finish(c: Any, label: Any, fields: list[Any], *, embed: bool = True) -> None:
    """Embed the label JSON and the AcroForm, then save the canvas."""
    if embed:
        _embed(c, label.to_json(indent=None).encode("utf-8"), fields)
    elif fields:
        from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary

        c.setCatalogEntry("AcroForm", PDFDictionary({"Fields": PDFArray(fields)}))
    c.save()


def write_cn23(label: Any, *, page_size: str = "4x6", embed: bool = True, form_fields: bool = True,
               rates: Any = None) -> bytes:
    """The label as a printable CN 23 PDF (see the module docstring)."""
    buf = io.BytesIO()
    c = new_canvas(buf, page_size, f"CN 23 {label.tracking_number or ''}".strip())
    fields = draw_label(c, label, page_size, form_fields=form_fields, rates=rates)
    finish(c, label, fields, embed=embed)
    return buf.getvalue()


def write_blank_form(*, page_size: str = "A4") -> bytes:
    """A fillable CN 23 in postcheck's generic layout, with the field names of the bundled
    ``generic-cn23`` profile (used by the tests and as a template for users)."""
    from reportlab.pdfgen.canvas import Canvas


    prof = load_profile(PROFILES_DIR / "generic-cn23.toml")
    w, h = _size(page_size)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(w, h), invariant=1)
    c.setFont("Helvetica", 5)
    form = c.acroForm
    names = list(prof.fields.values())
    y = h - 20
    c.drawString(10, y, "CN 23 - DÉCLARATION EN DOUANE / CUSTOMS DECLARATION (fillable)")
    y -= 14
    for path, fm in prof.fields.items():
        c.drawString(10, y + 2, path)
        form.textfield(name=fm.field, x=90, y=y, width=w - 100, height=8, fontSize=5, borderWidth=0.3)
        y -= 9.5
    for n in range(prof.items_first, prof.items_first + prof.items_max):
        x = 10.0
        for key in prof.items:
            form.textfield(name=prof.item_field(key, n), x=x, y=y, width=(w - 20) / len(prof.items) - 2,
                           height=8, fontSize=5, borderWidth=0.3)
            x += (w - 20) / len(prof.items)
        y -= 9.5
    for value, name in prof.choices.get("category", {}).items():
        form.checkbox(name=name, x=10, y=y, size=7, buttonStyle="cross")
        c.drawString(20, y + 2, value)
        y -= 8.5
    _ = names
    c.showPage()
    c.save()
    return buf.getvalue()
