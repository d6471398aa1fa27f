"""Sample label PDFs built by the tests with reportlab: the French text-layer label the online
tool printed for the returned parcel (no embedded label, no form fields), and a fillable CN 23
filled in like a shipper would."""

from __future__ import annotations

import io

STORY_TEXT = [  # (x, y, text) on a Letter page, as the online tool laid it out
    (40, 740, "Postes Canada - Déclaration en douane CN 23"),
    (40, 720, "Service : Petit paquet – É.-U. – Avion"),
    (40, 706, "Date d'expédition : 01/03/2022"),
    (320, 706, "N° de suivi : RR 473 124 829 CA"),
    (40, 680, "Expéditeur"), (320, 680, "Destinataire"),
    (40, 666, "Nom : Marie Tremblay"), (320, 666, "Nom : John Smith"),
    (40, 654, "Entreprise : Atelier Tremblay"), (320, 654, "Adresse : 42 Elm Street"),
    (40, 642, "Adresse : 123 rue Saint-Paul"), (320, 642, "Ville : Burlington VT"),
    (40, 630, "Ville : Montréal QC"), (320, 630, "Code postal : 05401"),
    (40, 618, "Code postal : H2Y 1H3"), (320, 618, "Pays : États-Unis"),
    (40, 606, "Pays : Canada"),
    (40, 594, "Téléphone : +1 514 555 0142"),
    (40, 570, "Catégorie de l'envoi : Vente de marchandises"),
    (320, 570, "N° de facture : 2022-0117"),
    # contents table
    (40, 544, "Description détaillée du contenu"), (250, 544, "Quantité"), (300, 544, "Poids net"),
    (370, 544, "Valeur"), (430, 544, "N° tarifaire du SH"), (510, 544, "Pays d'origine"),
    (40, 528, "Handmade ceramic coffee mug"), (250, 528, "1"), (300, 528, "0,300 kg"), (370, 528, "38,00"),
    (430, 528, "6912.00"), (510, 528, "Canada"),
    (40, 514, "Linen tea towel"), (250, 514, "2"), (300, 514, "0,180 kg"), (370, 514, "24,00"),
    (430, 514, "6302.51"), (510, 514, "Canada"),
    (40, 490, "Poids net total : 0,480 kg"),
    (40, 476, "Poids de l'emballage : 40 g"),
    (40, 462, "Valeur totale : 62,00 $"),
    (40, 448, "Affranchissement : 12,83 $"),
    (40, 434, "Devise : CAD"),
    (40, 420, "Dimensions : 25 x 18 x 8 cm"),
]


def story_pdf(lines=STORY_TEXT) -> bytes:
    """The returned parcel's label as the French online tool printed it: text only."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=letter, invariant=1)
    for x, y, text in lines:
        c.setFont("Helvetica-Bold" if y > 735 else "Helvetica", 9)
        c.drawString(x, y, text)
    c.showPage()
    c.save()
    return buf.getvalue()


STORY_FORM = {
    "Service": "Small Packet USA Air", "Box15_Date": "01/03/2022", "ItemNumber": "RR473124829CA",
    "Currency": "CAD", "Box9_PostalCharges": "12,83", "PackagingWeight": "0,040", "Box6_TotalValue": "62,00",
    "Box14_Invoice": "2022-0117",
    "From_Name": "Marie Tremblay", "From_Business": "Atelier Tremblay", "From_Street": "123 rue Saint-Paul",
    "From_City": "Montréal QC", "From_Postcode": "H2Y 1H3", "From_Country": "Canada", "From_Phone": "+1 514 555 0142",
    "To_Name": "John Smith", "To_Street": "42 Elm Street", "To_City": "Burlington VT", "To_Postcode": "05401",
    "To_Country": "US",
    "Box1_Description_1": "Handmade ceramic coffee mug", "Box2_Quantity_1": "1", "Box3_NetWeight_1": "0,300",
    "Box5_Value_1": "38.00", "Box7_HSNumber_1": "6912.00", "Box8_Origin_1": "CA",
    "Box1_Description_2": "Linen tea towel", "Box2_Quantity_2": "2", "Box3_NetWeight_2": "0.180",
    "Box5_Value_2": "24.00", "Box7_HSNumber_2": "6302.51", "Box8_Origin_2": "CA",
}


def filled_form(values=STORY_FORM, tick="Box10_SaleOfGoods") -> bytes:
    """postcheck's blank generic CN 23, filled with pypdf as a shipper's PDF viewer would."""
    import pypdf
    from pypdf.generic import NameObject

    from postcheck.pdf.write import write_blank_form

    reader = pypdf.PdfReader(io.BytesIO(write_blank_form()))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.update_page_form_field_values(writer.pages[0], dict(values), auto_regenerate=False)
    for annot in writer.pages[0]["/Annots"]:
        w = annot.get_object()
        if w.get("/T") == tick:
            w[NameObject("/V")] = NameObject("/Yes")
            w[NameObject("/AS")] = NameObject("/Yes")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def same_product(doc: dict) -> dict:
    """``doc`` with its service as the product id it names: the printed CN 23 shows the
    product's name ("Small Packet USA Air"), so the text layer reads the name back."""
    from postcheck.checker import default_rates

    return dict(doc, service=default_rates().resolve(doc["service"]))
