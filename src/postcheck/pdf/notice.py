"""A one-page notice for the shipper of a returned parcel, as a good clerk would write it, in
French or English, followed by the corrected CN 23.

It says what was found (with the weights), why the parcel came back, the amount due, what was
corrected on the label, and, when the cause is the label tool's own defect (no gross weight,
postage on the net weight), says so plainly.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from postcheck.money import cents

__all__ = ["write_notice", "TOOL_DEFECTS"]

#: Findings whose cause is the label tool, not the shipper.
TOOL_DEFECTS = frozenset({"gross-weight-missing", "packaging-not-counted"})

T = {
    "en": {
        "title": "Returned item: what happened and how to send it again",
        "item": "Item {tn}, {service}, posted {date}, from {sender} to {addressee}.",
        "found": "What we found",
        "net": "Net weight of the contents declared on the label: {net} ({n} line(s)).",
        "gross_none": "Total gross weight (box 4 of the CN 23): not declared.",
        "gross": "Total gross weight declared (box 4 of the CN 23): {gross}.",
        "packed": "The parcel as packed weighs {w} ({how}).",
        "how_measured": "weighed",
        "how_packaging": "net {net} + packaging {pack}",
        "paid": "Postage paid: {paid}. Postage for {w} ({step}): {req}.",
        "why": "Why it came back",
        "short": "The postage paid does not cover the parcel's weight: {short} is missing.",
        "due": "Amount due",
        "due_text": "{short}, the difference between the postage required ({req}) and the postage paid ({paid}).",
        "nothing": "Nothing to pay.",
        "cause": "Whose mistake",
        "tool": ("This is not your mistake: the label tool you used has a defect. {what} Your parcel was "
                 "packed and addressed correctly."),
        "tool_gross": "It prints no total gross weight on the CN 23",
        "tool_net": "it computed the postage on the net weight of the goods, without the packaging",
        "fixed": "What the corrected label changes",
        "todo": "What to do",
        "todo_text": ("Pay the amount due at the counter, stick the corrected label (next page) over the old one, "
                      "and drop the parcel off again."),
        "todo_ok": "Stick the corrected label (next page) over the old one and drop the parcel off again.",
        "other": "Also: {msg}",
        "gross-weight-missing": ("The CN 23 gives no total gross weight (box 4): only the goods' net weights are "
                                 "declared, so the packaging is not counted."),
        "footer": "Prepared with postcheck {v}; prices: {tariff}.",
        "attached": "Corrected label attached (next page).",
    },
    "fr": {
        "title": "Envoi retourné : ce qui s'est passé et comment le renvoyer",
        "item": "Envoi {tn}, {service}, déposé le {date}, de {sender} à {addressee}.",
        "found": "Ce que nous avons constaté",
        "net": "Poids net du contenu déclaré sur l'étiquette : {net} ({n} ligne(s)).",
        "gross_none": "Poids brut total (case 4 de la CN 23) : non déclaré.",
        "gross": "Poids brut total déclaré (case 4 de la CN 23) : {gross}.",
        "packed": "L'envoi tel qu'il est emballé pèse {w} ({how}).",
        "how_measured": "pesé au comptoir",
        "how_packaging": "net {net} + emballage {pack}",
        "paid": "Affranchissement payé : {paid}. Affranchissement pour {w} ({step}) : {req}.",
        "why": "Pourquoi l'envoi a été retourné",
        "short": "L'affranchissement payé ne couvre pas le poids de l'envoi : il manque {short}.",
        "due": "Montant à payer",
        "due_text": "{short}, soit la différence entre l'affranchissement exigé ({req}) et l'affranchissement "
                    "payé ({paid}).",
        "nothing": "Rien à payer.",
        "cause": "À qui la faute",
        "tool": ("Ce n'est pas votre erreur : l'outil d'étiquetage que vous avez utilisé a un défaut. {what} "
                 "Votre colis était correctement emballé et adressé."),
        "tool_gross": "Il n'imprime pas de poids brut total sur la CN 23",
        "tool_net": "il a calculé l'affranchissement sur le poids net des articles, sans l'emballage",
        "fixed": "Ce que l'étiquette corrigée change",
        "todo": "Que faire",
        "todo_text": ("Payez le montant dû au comptoir, collez l'étiquette corrigée (page suivante) sur l'ancienne "
                      "et déposez de nouveau le colis."),
        "todo_ok": "Collez l'étiquette corrigée (page suivante) sur l'ancienne et déposez de nouveau le colis.",
        "other": "Aussi (détail en anglais) : {msg}",
        "gross-weight-missing": ("La CN 23 ne donne pas de poids brut total (case 4) : seul le poids net des "
                                 "articles est déclaré, l'emballage n'est pas compté."),
        "footer": "Préparé avec postcheck {v}; tarifs : {tariff}.",
        "attached": "Étiquette corrigée jointe (page suivante).",
    },
}

_FIELDS = {"en": {"gross_weight": "total gross weight", "postage_paid": "postage", "form": "customs form",
                  "total_value": "total value"},
           "fr": {"gross_weight": "poids brut total", "postage_paid": "affranchissement",
                  "form": "formulaire de douane",
                  "total_value": "valeur totale"}}


def _kg(grams: Decimal | None, lang: str) -> str:
    if grams is None:
        return "-"
    s = f"{(grams / 1000).quantize(Decimal('0.001'))} kg"
    return s.replace(".", ",") if lang == "fr" else s


def _cur(amount: Decimal | None, currency: str, lang: str) -> str:
    if amount is None:
        return "-"
    s = f"{cents(amount)}"
    return f"{s.replace('.', ',')} {currency}" if lang == "fr" else f"{currency} {s}"


def _change_value(loc: str, value: Any, currency: str, lang: str) -> str:
    """A changed field's value as the notice prints it: amounts and weights in the reader's
    language (``12,83 CAD``, ``0,520 kg``), the form as "CN 23"."""
    from postcheck.errors import InvalidInput
    from postcheck.units import parse_weight

    if value is None:
        return "(vide)" if lang == "fr" else "(empty)"
    try:
        if loc in ("postage_paid", "total_value"):
            return _cur(Decimal(str(value)), currency, lang)
        if loc.endswith("weight"):
            return _kg(parse_weight(value, field=loc), lang)
    except (ArithmeticError, ValueError, InvalidInput):
        pass
    if loc == "form" and value in ("CN22", "CN23"):
        return f"{value[:2]} {value[2:]}"
    return str(value)


def _wrap(text: str, font_name: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` points in ``font_name`` at ``size``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, font_name, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


def _who(a: Any, country: str) -> str:
    if a is None or not (a.name or a.business):
        return country
    return f"{a.name or a.business} ({country})"


def write_notice(label: Any, report: Any, fixed: Any, *, lang: str = "en", page_size: str = "A4",
                 measured_g: Decimal | None = None, rates: Any = None) -> bytes:
    """``label`` as read, ``report`` its check, ``fixed`` the :class:`~postcheck.fix.FixResult`;
    ``rates`` names the product (the bundled tariffs when None)."""
    from postcheck import __version__
    from postcheck.pdf.typeface import font, printable
    from postcheck.pdf.write import draw_label, finish, new_canvas, page_size as size_of, product_name

    t = T[lang]
    buf = io.BytesIO()
    c = new_canvas(buf, page_size, ("Avis" if lang == "fr" else "Notice") + f" {label.tracking_number or ''}")
    w, h = size_of(page_size)
    y = h - 56
    left = 56

    def line(text: str, size: float = 10.5, bold: bool = False, gap: float = 4) -> None:
        nonlocal y
        c.setFont(font(bold), size)
        for part in _wrap(printable(text), font(bold), size, w - 2 * left):
            c.drawString(left, y, part)
            y -= size * 1.3
        y -= gap

    cur = label.currency
    p = report.postage
    names = {f.name for f in report.errors}
    line(t["title"], 15, bold=True, gap=8)
    line(t["item"].format(tn=label.tracking_number or "-", service=product_name(label.service, rates),
                          date=label.ship_date.isoformat() if label.ship_date else "-",
                          sender=_who(label.sender, label.origin), addressee=_who(label.addressee, label.destination)))
    line(t["found"], 12, bold=True)
    line("- " + t["net"].format(net=_kg(label.net_weight_g, lang), n=len(label.items)))
    line("- " + (t["gross"].format(gross=_kg(label.gross_weight, lang)) if label.gross_weight is not None
                 else t["gross_none"]))
    packed = measured_g if measured_g is not None else fixed.label.gross_weight
    if packed is not None:
        how = (t["how_measured"] if measured_g is not None else
               t["how_packaging"].format(net=_kg(label.net_weight_g, lang), pack=_kg(label.packaging_weight, lang)))
        line("- " + t["packed"].format(w=_kg(packed, lang), how=how))
    if p is not None and p.required is not None:
        step = report.tariff.step if report.tariff and report.tariff.step else ""
        weight = p.chargeable_weight or "-"
        if lang == "fr":
            step = step.replace("up to", "jusqu'à").replace(".", ",")
            weight = weight.replace(".", ",")
        line("- " + t["paid"].format(paid=_cur(p.paid, cur, lang), w=weight, step=step,
                                     req=_cur(p.required, cur, lang)))
    line(t["why"], 12, bold=True)
    short = p.shortfall if p is not None else None
    if short:
        line(t["short"].format(short=_cur(short, cur, lang)))
    for f in report.errors:
        if f.name in ("postage-insufficient", "packaging-not-counted") and short:
            continue
        text = t.get(f.name) or (f.message if lang == "en" else t["other"].format(msg=f.message))
        line("- " + text, 9.5)
    line(t["due"], 12, bold=True)
    line(t["due_text"].format(short=_cur(short, cur, lang), req=_cur(p.required, cur, lang),
                              paid=_cur(p.paid, cur, lang)) if short and p else t["nothing"], bold=bool(short))
    if names & TOOL_DEFECTS:
        what = []
        if "gross-weight-missing" in names:
            what.append(t["tool_gross"])
        if "packaging-not-counted" in names:
            what.append(t["tool_net"])
        text = (what[0] + (" ; " if lang == "fr" else "; ") + what[1] if len(what) == 2 else what[0]) + "."
        line(t["cause"], 12, bold=True)
        line(t["tool"].format(what=text[0].upper() + text[1:]))
    if fixed.changes:
        line(t["fixed"], 12, bold=True)
        for ch in fixed.changes:
            name = _FIELDS[lang].get(ch.loc, ch.loc)
            before, after = (_change_value(ch.loc, v, cur, lang) for v in (ch.before, ch.after))
            line(f"- {name} : {before} → {after}" if lang == "fr" else f"- {name}: {before} → {after}",
                 9.5, gap=1)
        y -= 3
    line(t["todo"], 12, bold=True)
    line(t["todo_text"] if short else t["todo_ok"])
    line(t["attached"], 10, bold=True)
    tariff = (f"{report.tariff.operator} {report.tariff.name}, {report.tariff.effective_from} ({report.tariff.source})"
              if report.tariff else "-")
    c.setFont(font(), 7.5)
    for i, part in enumerate(_wrap(printable(t["footer"].format(v=__version__, tariff=tariff)), font(), 7.5,
                                   w - 2 * left)):
        c.drawString(left, 40 - i * 9, part)
    c.showPage()
    fields = draw_label(c, fixed.label, page_size, rates=rates)
    finish(c, fixed.label, fields)
    return buf.getvalue()
