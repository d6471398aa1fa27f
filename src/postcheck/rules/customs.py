"""Customs rules (C3xx): the CN 22 / CN 23 declaration and its fields."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterator

from postcheck.descriptions import vague_reason
from postcheck.report import Fix
from postcheck.rules.context import Context
from postcheck.rules.registry import Fires, Hit, Unsure, columns, rule

if TYPE_CHECKING:  # pragma: no cover
    from postcheck.batch.facts import Facts, Line

#: The UPU CN 22 ceiling, in SDR (Special Drawing Rights).
CN22_LIMIT_SDR = Decimal(300)
_COMMERCIAL = ("sale_of_goods", "commercial_sample")


def declared_value(ctx: Context) -> Decimal:
    return ctx.label.total_value if ctx.label.total_value is not None else ctx.label.items_value


def cn22_limit(ctx: Context) -> tuple[Decimal, str] | None:
    """The 300 SDR ceiling in the label's currency, with a note on the rate used."""
    found = ctx.rates.sdr_rate(ctx.label.currency, ctx.date)
    if found is None:
        return None
    per_sdr, table, note = found
    limit = (CN22_LIMIT_SDR * per_sdr).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"300 SDR = {ctx.label.currency} {limit} at the SDR rate of {table.effective_from.isoformat()}"
    if note:
        text += f" ({note})"
    return limit, text


def needs_cn23(ctx: Context) -> tuple[bool, str]:
    """Whether the item needs a CN 23 rather than a CN 22, and why."""
    t = ctx.tariff
    if t is not None and t.customs_form == "CN23":
        return True, f"{t.name} is a parcel product and always travels with a CN 23"
    lim = cn22_limit(ctx)
    value = declared_value(ctx)
    if lim is not None and value > lim[0]:
        return True, (f"the contents are worth {ctx.label.currency} {value:.2f}, over the CN 22 ceiling of "
                      f"{lim[1]}")
    return False, ""


@rule("C301", "customs-form-missing", severity="error", fixable=True)
def customs_form_missing(ctx: Context) -> Iterator[Hit]:
    """An international item carries no customs declaration.

    What it checks:
        Origin and destination differ, the product is not domestic, and ``form`` is empty.

    Why it matters:
        Goods crossing a border need a CN 22 or CN 23; without one the item is held by customs or
        returned.

    Example:
        A Small Packet USA Air label from CA to US with no ``form``.

    Corrected:
        ``"form": "CN22"`` (or ``"CN23"`` above 300 SDR and for parcel products).

    Fix safety:
        Safe: the form is chosen by the rule; the declaration's fields still need the contents.

    References:
        UPU Convention (customs declarations CN 22 / CN 23); reference/upu_cn22_cn23_fields.csv.
    """
    label = ctx.label
    t = ctx.tariff
    if label.form is not None or not label.is_international or (t is not None and t.customs_form == "none"):
        return
    cn23, why = needs_cn23(ctx)
    form = "CN23" if cn23 else "CN22"
    yield Hit(message=f"An item from {label.origin} to {label.destination} needs a customs declaration; "
                      f"the label has none.", loc="form", expected=form,
              fix=Fix(f"attach a {form[:2]} {form[2:]}" + (f" ({why})" if why else ""), "safe", {"form": form}))


@columns(customs_form_missing)
def _customs_form_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Unsure(~f.has_form & f.international & f.tariff_needs_form)


@rule("C302", "wrong-customs-form", severity="error", fixable=True)
def wrong_customs_form(ctx: Context) -> Iterator[Hit]:
    """A CN 22 is used where a CN 23 is required.

    What it checks:
        ``form`` is CN22 while the contents are worth more than 300 SDR (converted into the
        label's currency with the dated SDR rate shipped in ``rates/sdr/``), or the product is a
        parcel product that always needs a CN 23.

    Why it matters:
        Customs hold an item whose declaration is on the wrong form.

    Example:
        A CN 22 on goods worth CAD 700 (300 SDR = CAD 575.06 on 2025-10-20).

    Corrected:
        ``"form": "CN23"``.

    Fix safety:
        Safe: every CN 22 field has a CN 23 box.

    References:
        UPU CN 22 / CN 23 (300 SDR ceiling); reference/sdr_rates_2025.csv (IMF SDR rates).
    """
    if ctx.label.form != "CN22":
        return
    cn23, why = needs_cn23(ctx)
    if not cn23:
        return
    yield Hit(message=f"A CN 22 is not enough here: {why}.", loc="form", seen="CN22", expected="CN23",
              fix=Fix("use a CN 23 customs declaration", "safe", {"form": "CN23"}))


@columns(wrong_customs_form)
def _wrong_customs_form_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Unsure(f.is_cn22 & f.tariff_needs_cn23)
    if f.is_cn22.any():
        limit = f.cn22_limit()
        yield Unsure(f.is_cn22 & (limit >= 0) & (f.declared_value > limit))


@rule("C303", "total-value-mismatch", severity="error", fixable=True)
def total_value_mismatch(ctx: Context) -> Iterator[Hit]:
    """The declared total value is not the sum of the lines' values.

    What it checks:
        CN 23 box (6) "Total value" equals the sum of box (5) over the contents lines.

    Why it matters:
        Customs assess duty on the value; a total that disagrees with the lines delays clearance.

    Example:
        Lines of 25.00 and 10.00 with ``"total_value": "30.00"``.

    Corrected:
        ``"total_value": "35.00"``.

    Fix safety:
        Safe: the lines are the detailed declaration; the total follows from them.

    References:
        UPU CN 23 boxes (5) and (6).
    """
    tv = ctx.label.total_value
    if tv is None or not ctx.label.items:
        return
    s = ctx.label.items_value
    if tv == s:
        return
    cur = ctx.label.currency
    yield Hit(message=f"The total value {cur} {tv:.2f} is not the sum of the contents lines, {cur} {s:.2f}.",
              loc="total_value", seen=f"{cur} {tv:.2f}", expected=f"{cur} {s:.2f}",
              fix=Fix(f"declare the total value {cur} {s:.2f}", "safe", {"total_value": f"{s:.2f}"}))


@columns(total_value_mismatch)
def _total_value_mismatch_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Unsure(f.has_total_value & f.has_items & (f.total_value != f.items_value))


@rule("C304", "value-currency-mismatch", severity="error")
def value_currency_mismatch(ctx: Context) -> Iterator[Hit]:
    """A contents line is valued in another currency than the declaration.

    What it checks:
        Each line's value currency (as written, e.g. ``"USD 25.00"``) equals the label's
        ``currency``.

    Why it matters:
        Box (6) adds the lines up; values in mixed currencies make the total meaningless.

    Example:
        ``"currency": "CAD"`` with a line ``"value": "USD 25.00"``.

    Corrected:
        Every value in CAD.

    Fix safety:
        Display only: a rate of exchange is the shipper's choice.

    References:
        UPU CN 23 boxes (5) and (6) ("with currency").
    """
    for i, item in enumerate(ctx.label.items):
        if item.value_currency and item.value_currency != ctx.label.currency:
            yield Hit(message=(f"Line {i + 1} ({item.description}) is valued in {item.value_currency}; the "
                               f"declaration is in {ctx.label.currency}."),
                      loc=f"items[{i}].value", seen=f"{item.value_currency} {item.value:.2f}",
                      expected=f"a value in {ctx.label.currency}",
                      fix=Fix(f"state the value of line {i + 1} in {ctx.label.currency}", "display"))


@columns(value_currency_mismatch)
def _value_currency_mismatch_columns(f: Facts) -> Iterator[Fires | Unsure]:
    for line in f.lines:
        yield Unsure(line.here & (line.value_currency >= 0) & (line.value_currency != f.label_currency))


@rule("C305", "vague-description", severity="error")
def vague_description(ctx: Context) -> Iterator[Hit]:
    """A contents line is described in words customs reject.

    What it checks:
        Each line's description against published lists of unacceptable descriptions (Transport
        Canada PACT, EU ICS2 stop words, the UPU forms' generic terms): "gift", "parts",
        "merchandise", "clothes", numbers only, and so on.

    Why it matters:
        Customs pre-load screening rejects such descriptions; the item is held or returned.

    Example:
        ``"description": "Gift"``.

    Corrected:
        ``"description": "Hand-knitted wool scarf"`` (what it is, what it is made of, what it is for).

    Fix safety:
        Display only: only the shipper knows what is in the parcel.

    References:
        reference/transport_canada_pact_unacceptable_commodity_descriptions.txt;
        reference/eu_ics2_stop_words_PARTIAL.txt; UPU CN 23 box (1).
    """
    if ctx.label.form is None:
        return
    for i, item in enumerate(ctx.label.items):
        why = vague_reason(item.description, category=ctx.label.category)
        if why:
            yield Hit(message=f"Line {i + 1}: {why}; customs need what the goods are, e.g. \"men's cotton shirts\".",
                      loc=f"items[{i}].description", seen=item.description,
                      expected="a specific description (what it is, material, use)",
                      fix=Fix("describe the goods specifically: what it is, what it is made of, what it is for",
                              "display"))


@columns(vague_description)
def _vague_description_columns(f: Facts) -> Iterator[Fires | Unsure]:
    documents = f.category_is("documents")
    for k, line in enumerate(f.lines):
        rows = f.has_form & line.here
        if not (rows & f.rows).any():
            continue
        codes, texts = line.descriptions()

        def reason(d: int, docs: int, texts: list[str | None] = texts) -> str | None:
            return vague_reason(texts[d] or "", category="documents" if docs else None)

        vague, why = f.per_distinct(rows, reason, codes, documents)

        def message(at: Any, line: Line = line, why: Callable[[Any], Any] = why) -> Any:
            return f.join("Line ", line.number(at), ": ", why(at),
                          "; customs need what the goods are, e.g. \"men's cotton shirts\".")

        yield Fires(vague, message, line=k)


_HS_CLEAN = re.compile(r"[\s.\-]")


@lru_cache(maxsize=10_000)
def hs_code_valid(hs_code: str) -> bool:
    """6 to 10 digits, once dots, spaces and dashes are removed."""
    digits = _HS_CLEAN.sub("", hs_code)
    return digits.isdigit() and 6 <= len(digits) <= 10 and digits.isascii()


@rule("C306", "hs-code-invalid", severity="error")
def hs_code_invalid(ctx: Context) -> Iterator[Hit]:
    """An HS tariff number is not 6 to 10 digits.

    What it checks:
        Each line's ``hs_code``, after removing dots, spaces and dashes: 6 to 10 digits.

    Why it matters:
        Customs classify goods by the HS number; a malformed one is rejected by electronic
        customs data checks.

    Example:
        ``"hs_code": "69-12"`` or ``"hs_code": "mug"``.

    Corrected:
        ``"hs_code": "6912.00"`` (six-digit WCO HS code, national digits optional).

    Fix safety:
        Display only: the classification is the shipper's.

    References:
        UPU CN 23 box (7) "HS tariff number (6-digit WCO HS)".
    """
    for i, item in enumerate(ctx.label.items):
        if item.hs_code is not None and not hs_code_valid(item.hs_code):
            yield Hit(message=f"Line {i + 1}: HS tariff number {item.hs_code!r} is not 6 to 10 digits.",
                      loc=f"items[{i}].hs_code", seen=item.hs_code, expected="6 to 10 digits, e.g. 6912.00",
                      fix=Fix("give the 6-digit HS code of the goods (national digits optional)", "display"))


@columns(hs_code_invalid)
def _hs_code_invalid_columns(f: Facts) -> Iterator[Fires | Unsure]:
    for line in f.lines:
        def invalid_text(h: int, codes: list[str] = line.hs_codes) -> str | None:
            return None if hs_code_valid(codes[h]) else "invalid"

        invalid, _ = f.per_distinct(line.hs_code >= 0, invalid_text, line.hs_code)
        yield Unsure(invalid)


def _missing_on_commercial_lines_columns(f: Facts, codes_of: str, what: str) -> Iterator[Fires | Unsure]:
    """The column form of :func:`_missing_on_commercial_lines`: lines whose ``codes_of`` column
    (``hs_code``, ``origin_country``) is blank."""
    commercial = f.has_form & (f.category_is("sale_of_goods") | f.category_is("commercial_sample"))
    for k, line in enumerate(f.lines):
        def message(at: Any, line: Line = line) -> Any:
            return f.join("Line ", line.number(at), " (", f.take(line.description, at),
                          f") has no {what}; commercial items need one.")

        yield Fires(commercial & line.here & (getattr(line, codes_of) < 0), message, line=k)


def _missing_on_commercial_lines(ctx: Context, attr: str, what: str, expected: str, advice: str) -> Iterator[Hit]:
    """A Hit for each contents line of a commercial item (sale of goods, commercial sample)
    whose ``attr`` is empty."""
    if ctx.label.form is None or ctx.label.category not in _COMMERCIAL:
        return
    for i, item in enumerate(ctx.label.items):
        if getattr(item, attr) is None:
            yield Hit(message=f"Line {i + 1} ({item.description}) has no {what}; commercial items need one.",
                      loc=f"items[{i}].{attr}", expected=expected, fix=Fix(advice, "display"))


@rule("C307", "hs-code-missing", severity="warning")
def hs_code_missing(ctx: Context) -> Iterator[Hit]:
    """A commercial item's contents line has no HS tariff number.

    What it checks:
        Category ``sale_of_goods`` or ``commercial_sample``: every line has ``hs_code``.

    Why it matters:
        The CN 23 asks for the HS number for commercial items; without it clearance is slower
        and may be refused under electronic advance data rules.

    Example:
        ``"category": "sale_of_goods"`` and a line with no ``hs_code``.

    Corrected:
        ``"hs_code": "6912.00"``.

    Fix safety:
        Display only.

    References:
        UPU CN 23 box (7) "For commercial items only".
    """
    yield from _missing_on_commercial_lines(ctx, "hs_code", "HS tariff number", "an HS code, e.g. 6912.00",
                                            "add the 6-digit HS code of the goods")


@columns(hs_code_missing)
def _hs_code_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    return _missing_on_commercial_lines_columns(f, "hs_code", "HS tariff number")


@rule("C308", "origin-missing", severity="warning")
def origin_missing(ctx: Context) -> Iterator[Hit]:
    """A commercial item's contents line has no country of origin.

    What it checks:
        Category ``sale_of_goods`` or ``commercial_sample``: every line has ``origin_country``.

    Why it matters:
        Duty rates depend on where goods were made; the CN 23 asks for it for commercial items.

    Example:
        A ``sale_of_goods`` line with no ``origin_country``.

    Corrected:
        ``"origin_country": "CA"`` (where the goods were produced, not where they were posted).

    Fix safety:
        Display only: the sender's country is not necessarily the goods' origin.

    References:
        UPU CN 23 box (8) "Country of origin of goods".
    """
    yield from _missing_on_commercial_lines(ctx, "origin_country", "country of origin",
                                            "an ISO country code, e.g. CA", "add the country where the goods were made")


@columns(origin_missing)
def _origin_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    return _missing_on_commercial_lines_columns(f, "origin_country", "country of origin")


@rule("C309", "category-missing", severity="error")
def category_missing(ctx: Context) -> Iterator[Hit]:
    """The declaration does not say what kind of item it is.

    What it checks:
        With a CN 22 / CN 23: ``category`` is one of gift, documents, commercial_sample,
        returned_goods, sale_of_goods, other.

    Why it matters:
        Customs treat gifts, samples, returns and sales differently; the box is required.

    Example:
        A CN 23 with no category ticked.

    Corrected:
        ``"category": "sale_of_goods"``.

    Fix safety:
        Display only.

    References:
        UPU CN 23 box (10) "Category of item".
    """
    if ctx.label.form is not None and ctx.label.category is None:
        yield Hit(message="No category of item is ticked on the customs declaration.", loc="category",
                  expected="gift, documents, commercial_sample, returned_goods, sale_of_goods or other",
                  fix=Fix("tick the category of the item", "display"))


@columns(category_missing)
def _category_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Fires(f.has_form & f.category_is(None), "No category of item is ticked on the customs declaration.")


@rule("C310", "explanation-missing", severity="error")
def explanation_missing(ctx: Context) -> Iterator[Hit]:
    """Category "other" is ticked without an explanation.

    What it checks:
        ``category`` is ``other`` and ``explanation`` is empty.

    Why it matters:
        The CN 23 requires an explanation of "other"; customs cannot classify the item without it.

    Example:
        ``"category": "other"`` and no ``explanation``.

    Corrected:
        ``"explanation": "Repaired watch returned to owner"``.

    Fix safety:
        Display only.

    References:
        UPU CN 23 box (10) "Other (+ Explanation)".
    """
    if ctx.label.form is not None and ctx.label.category == "other" and not ctx.label.explanation:
        yield Hit(message="Category \"other\" is ticked but no explanation is given.", loc="explanation",
                  expected="a short explanation of the item's nature",
                  fix=Fix("explain what kind of item it is", "display"))


@columns(explanation_missing)
def _explanation_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Fires(f.has_form & f.category_is("other") & ~f.has_explanation,
                "Category \"other\" is ticked but no explanation is given.")


@rule("C311", "gift-for-sale-of-goods", severity="error")
def gift_for_sale_of_goods(ctx: Context) -> Iterator[Hit]:
    """The item is declared a gift but carries a commercial invoice.

    What it checks:
        ``category`` is ``gift`` while ``invoice_number`` is given.

    Why it matters:
        A sale declared as a gift is a false declaration; customs may seize the item and fine
        the sender.

    Example:
        ``"category": "gift"`` with ``"invoice_number": "INV-1042"``.

    Corrected:
        ``"category": "sale_of_goods"``.

    Fix safety:
        Unsafe: only the sender knows whether it is a sale; applied only with ``--unsafe-fixes``.

    References:
        UPU CN 23 box (10) and box (14) "Invoice"; CN 22 note: "Gift" not acceptable for commercial items.
    """
    if ctx.label.category == "gift" and ctx.label.invoice_number:
        yield Hit(message=(f"The item is declared a gift but has commercial invoice {ctx.label.invoice_number}; "
                           "goods that were sold are \"sale of goods\"."),
                  loc="category", seen="gift", expected="sale_of_goods",
                  fix=Fix("declare the category as sale of goods", "unsafe", {"category": "sale_of_goods"}))


@columns(gift_for_sale_of_goods)
def _gift_for_sale_of_goods_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Unsure(f.category_is("gift") & f.has_invoice)


@rule("C312", "contents-missing", severity="error")
def contents_missing(ctx: Context) -> Iterator[Hit]:
    """The customs declaration lists no contents.

    What it checks:
        With a CN 22 / CN 23: at least one contents line.

    Why it matters:
        Customs cannot clear an item whose contents are not declared.

    Example:
        ``"form": "CN23", "items": []``.

    Corrected:
        One line per kind of goods, with description, quantity, net weight and value.

    Fix safety:
        Display only.

    References:
        UPU CN 23 boxes (1) to (5).
    """
    if ctx.label.form is not None and not ctx.label.items:
        yield Hit(message="The customs declaration has no contents lines.", loc="items",
                  expected="at least one line", fix=Fix("declare the contents, one line per kind of goods", "display"))


@columns(contents_missing)
def _contents_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Fires(f.has_form & ~f.has_items, "The customs declaration has no contents lines.")
