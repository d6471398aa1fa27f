"""Postage rules (P2xx): the price for the parcel's real weight, limits, destinations, dates."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Iterator

import difflib

from postcheck.errors import NoTariffInForce, NotPriceable, UnknownService
from postcheck.report import SERVICE_NOT_PRICED, Fix
from postcheck.rules.context import Context
from postcheck.rules.registry import Fires, Hit, Unsure, columns, rule
from postcheck.tariffs.pricing import Quote
from postcheck.tariffs.catalog import Rates
from postcheck.tariffs.quote import quote

if TYPE_CHECKING:  # pragma: no cover
    from postcheck.batch.facts import Facts


#: What pricing a parcel needs of the label (its weight is found when the rule runs: a measured
#: weight does without the lines' net weights).
PRICING = ("service", "destination")


def _alternatives(ctx: Context, limit: int = 3) -> str:
    """Cheapest other products that can carry this parcel, as text ('' when none)."""
    basis = ctx.basis
    if basis is None:
        return ""
    try:
        priced, _ = quote(ctx.rates, origin=ctx.label.origin, destination=ctx.label.destination,
                          weight_g=basis[0], date=ctx.date, dims_mm=ctx.label.dimensions, zone=ctx.label.zone)
    except Exception:  # advice only; never let it hide the finding
        return ""
    names = [f"{o.name} ({o.quote.price})" for o in priced if o.id != ctx.service_id and o.quote][:limit]
    return ("; products that can carry it: " + ", ".join(names)) if names else ""


def _required_quote(ctx: Context) -> Quote | None:
    r = ctx.required
    return r if isinstance(r, Quote) else None


@rule("P201", "postage-insufficient", severity="error", fixable=True, needs=PRICING)
def postage_insufficient(ctx: Context) -> Iterator[Hit]:
    """The postage paid is below the price for the parcel's chargeable weight.

    What it checks:
        Postage paid against the tariff price for the chargeable weight: the measured weight if
        given, else the declared gross weight (never less than net + packaging), else net +
        packaging, else the net weight; rounded and, where the product has one, compared with the
        volumetric weight, as the price list says.

    Why it matters:
        A short-paid parcel is returned to the sender ("insufficiently paid") or the addressee is
        asked to pay; either way it is late.

    Example:
        Small Packet USA Air, 520 g parcel, postage CAD 12.83.

    Corrected:
        ``"postage_paid": "18.82"`` (the 1.0 kg step): pay the CAD 5.99 due.

    Fix safety:
        Safe: the corrected label shows the full postage; the shipper pays the difference.

    References:
        The tariff file named in the report (price list, page).
    """
    q = _required_quote(ctx)
    if q is None or ctx.paid is None or not ctx.currency_ok:
        return
    required = q.price.amount
    if ctx.paid >= required:
        return
    short = required - ctx.paid
    basis_g, basis_name = ctx.basis  # type: ignore[misc]
    paid_step = ""
    net_g = ctx.net_g_known if ctx.label.items else None
    net_price = ctx.price(net_g) if net_g is not None else None
    cause = None
    if basis_name == "measured":
        evidence = f"the parcel weighed {ctx.kg(basis_g)} on the scale"
    elif basis_name == "declared gross":
        evidence = f"the declared gross weight is {ctx.kg(basis_g)}"
    else:
        evidence = f"the parcel weighs {ctx.kg(basis_g)} ({ctx.weight_story()})"
    if net_g is not None and net_price is not None and ctx.paid == net_price and basis_g > net_g:
        paid_step = f" (the price of the net weight {ctx.kg(net_g)} alone)"
        cause = "postage was computed on the net weight of the goods; the packaging was not counted"
    weight_note = ""
    if q.volumetric_g is not None and q.volumetric_g > q.rounded_g:
        weight_note = f" The volumetric weight {ctx.kg(q.volumetric_g)} is charged, being above the actual weight."
    yield Hit(
        message=(f"Postage is short by {ctx.money(short)}: {evidence}, which is priced at "
                 f"{ctx.money(required)} ({q.tariff.name}, {q.step_text}); {ctx.money(ctx.paid)} was paid"
                 f"{paid_step}.{weight_note}"),
        loc="postage_paid", seen=ctx.money(ctx.paid), expected=ctx.money(required),
        amounts={"required": f"{required:.2f}", "paid": f"{ctx.paid:.2f}", "shortfall": f"{short:.2f}",
                 "currency": q.price.currency},
        cause=cause,
        fix=Fix(f"pay the {ctx.money(short)} due; the corrected label shows postage {ctx.money(required)}",
                "safe", {"postage_paid": f"{required:.2f}"}),
    )


@columns(postage_insufficient)
def _postage_insufficient_columns(f: Facts) -> Iterator[Fires | Unsure]:
    def message(at):
        b = f.basis[at]
        measured, gross = f.basis_is("measured")[at], f.basis_is("declared gross")[at]
        evidence = f.cases(len(at),
                           (measured, lambda p: f.join("the parcel weighed ", f.kg(b[p]), " on the scale")),
                           (gross, lambda p: f.join("the declared gross weight is ", f.kg(b[p]))),
                           (~measured & ~gross, lambda p: f.join("the parcel weighs ", f.kg(b[p]), " (",
                                                                 f.weight_story(at[p]), ")")))
        alone = f.has_items[at] & f.net_priced[at] & (f.paid[at] == f.net_price[at]) & (b > f.net[at])
        paid_step = f.cases(len(at), (alone, lambda p: f.join(" (the price of the net weight ", f.kg(f.net[at[p]]),
                                                              " alone)")), (~alone, ""))
        charged = (f.volumetric[at] >= 0) & (f.volumetric[at] > f.rounded[at])
        note = f.cases(len(at), (charged, lambda p: f.join(" The volumetric weight ", f.kg(f.volumetric[at[p]]),
                                                           " is charged, being above the actual weight.")),
                       (~charged, ""))
        return f.join("Postage is short by ", f.money(at, f.required[at] - f.paid[at]), ": ", evidence,
                      ", which is priced at ", f.money(at, f.required[at]), " (", f.product(at), ", ",
                      f.step(at, f.required_step), "); ", f.money(at, f.paid[at]), " was paid", paid_step, ".", note)

    yield Fires(f.priced & f.has_paid & (f.paid < f.required), message)


@rule("P202", "postage-overpaid", severity="info", needs=PRICING)
def postage_overpaid(ctx: Context) -> Iterator[Hit]:
    """More postage was paid than the parcel needs.

    What it checks:
        Postage paid above the price for the chargeable weight.

    Why it matters:
        Nothing is returned for it, but the shipper can reclaim the difference or buy less next
        time; a clerk can offer the refund before being asked.

    Example:
        A 480 g Small Packet USA Air parcel with CAD 18.82 paid.

    Corrected:
        CAD 12.83 would have done: CAD 5.99 can be reclaimed.

    Fix safety:
        Display only: postage already bought is not changed on the label.

    References:
        The tariff file named in the report.
    """
    q = _required_quote(ctx)
    if q is None or ctx.paid is None or not ctx.currency_ok or ctx.paid <= q.price.amount:
        return
    over = ctx.paid - q.price.amount
    yield Hit(
        message=(f"{ctx.money(ctx.paid)} was paid; {ctx.money(q.price.amount)} is the price for "
                 f"{ctx.kg(q.chargeable_g)} ({q.tariff.name}, {q.step_text}). {ctx.money(over)} could be reclaimed."),
        loc="postage_paid", seen=ctx.money(ctx.paid), expected=ctx.money(q.price.amount),
        amounts={"required": f"{q.price.amount:.2f}", "paid": f"{ctx.paid:.2f}", "overpaid": f"{over:.2f}",
                 "currency": q.price.currency},
        fix=Fix(f"ask the operator for a refund of {ctx.money(over)}", "display"),
    )


@columns(postage_overpaid)
def _postage_overpaid_columns(f: Facts) -> Iterator[Fires | Unsure]:
    def message(at):
        return f.join(f.money(at, f.paid[at]), " was paid; ", f.money(at, f.required[at]), " is the price for ",
                      f.kg(f.chargeable[at]), " (", f.product(at), ", ", f.step(at, f.required_step), "). ",
                      f.money(at, f.paid[at] - f.required[at]), " could be reclaimed.")

    yield Fires(f.priced & f.has_paid & (f.paid > f.required), message)


def _refusal(ctx: Context, reason: str) -> NotPriceable | None:
    r = ctx.required
    return r if isinstance(r, NotPriceable) and r.reason == reason else None


@rule("P203", "over-weight-limit", severity="error", needs=PRICING)
def over_weight_limit(ctx: Context) -> Iterator[Hit]:
    """The parcel is heavier than the product accepts.

    What it checks:
        The parcel's weight (measured, declared gross or net + packaging) against the product's
        maximum weight and its last price step.

    Why it matters:
        An over-weight item is refused at acceptance or returned; no postage makes it acceptable.

    Example:
        A 2.1 kg parcel sent as Small Packet USA Air (2 kg maximum).

    Corrected:
        Split the contents into two parcels, or choose a product with a higher limit.

    Fix safety:
        Display only: the choice of product or packing is the shipper's.

    References:
        The tariff file's ``limits.max_weight`` and its source page.
    """
    e = _refusal(ctx, "over-weight-limit")
    if e is None:
        return
    yield Hit(message=f"{e.detail}.", loc="gross_weight",
              seen=ctx.kg(ctx.basis[0]) if ctx.basis else None,
              expected=f"at most {ctx.tariff.limits.text.get('max_weight', 'the last step')}" if ctx.tariff else None,
              fix=Fix("split the contents into two parcels or choose another product" + _alternatives(ctx), "display"))


@columns(over_weight_limit)
def _over_weight_limit_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Fires(f.over_weight_limit, lambda at: f.join(f.over_weight_detail(at), "."))


@rule("P204", "over-size-limit", severity="error", needs=PRICING)
def over_size_limit(ctx: Context) -> Iterator[Hit]:
    """The parcel is bigger than the product accepts.

    What it checks:
        Dimensions (longest side, length + width + height, length + girth) against the product's
        size limits.  Needs ``dimensions`` on the label.

    Why it matters:
        An over-size item is refused at acceptance or returned.

    Example:
        ``"dimensions": "65 x 20 x 10 cm"`` for Small Packet USA Air (longest side 60 cm).

    Corrected:
        A smaller box, or a product with larger limits.

    Fix safety:
        Display only.

    References:
        The tariff file's ``[limits]`` and its source.
    """
    e = _refusal(ctx, "over-size-limit")
    if e is None:
        return
    yield Hit(message=f"{e.detail}.", loc="dimensions",
              fix=Fix("use a smaller box or another product" + _alternatives(ctx), "display"))


@columns(over_size_limit)
def _over_size_limit_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


@rule("P205", "under-size-limit", severity="error", needs=PRICING)
def under_size_limit(ctx: Context) -> Iterator[Hit]:
    """The parcel is smaller than the product's minimum size.

    What it checks:
        The longest side and the width against the product's minimum dimensions.

    Why it matters:
        Items under the minimum size get lost in sorting machines and are refused.

    Example:
        ``"dimensions": "10 x 8 x 2 cm"`` for Warenpost International (minimum 14 x 9 cm).

    Corrected:
        A larger envelope or box (at least the minimum size).

    Fix safety:
        Display only.

    References:
        The tariff file's ``limits.min_longest_side`` / ``limits.min_second_side``.
    """
    e = _refusal(ctx, "under-size-limit")
    if e is None:
        return
    yield Hit(message=f"{e.detail}.", loc="dimensions", fix=Fix("use a larger envelope or box", "display"))


@columns(under_size_limit)
def _under_size_limit_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


@rule("P206", "destination-not-served", severity="error", needs=PRICING)
def destination_not_served(ctx: Context) -> Iterator[Hit]:
    """The product does not go to the destination country.

    What it checks:
        The destination against the product's country map or list of destinations.

    Why it matters:
        The item cannot be forwarded and comes back.

    Example:
        Tracked Packet International to Jamaica (not in its country list).

    Corrected:
        A product that serves the destination (Small Packet International Air serves Jamaica).

    Fix safety:
        Display only.

    References:
        The tariff file's ``[zones]`` and its source page.
    """
    e = _refusal(ctx, "destination-not-served")
    if e is None:
        return
    yield Hit(message=f"{e.detail}.", loc="destination", seen=ctx.label.destination,
              fix=Fix("choose a product that serves " + ctx.label.destination + _alternatives(ctx), "display"))


@columns(destination_not_served)
def _destination_not_served_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


@rule("P207", "no-tariff-in-force", severity="error", needs=("service",))
def no_tariff_in_force(ctx: Context) -> Iterator[Hit]:
    """postcheck has no price list of the product for the shipping date.

    What it checks:
        Whether any bundled or user tariff of the label's service is in force on ``ship_date``.

    Why it matters:
        Without the price list in force, postage cannot be checked; postcheck says so rather than
        price with the wrong year's table.

    Example:
        A Small Packet USA Air label dated 2020-01-15 (postcheck's table starts 2021-09-13).

    Corrected:
        Check the date, or add the price list for that date with ``--rates DIR``.

    Fix safety:
        Display only.

    References:
        ``postcheck rates list`` shows the dates of every table.
    """
    s = ctx.selection
    if not isinstance(s, NoTariffInForce):
        return
    yield Hit(message=f"{s}.", loc="ship_date", seen=ctx.date.isoformat(),
              fix=Fix("check the shipping date, or add the price list in force then with --rates DIR", "display"))


@columns(no_tariff_in_force)
def _no_tariff_in_force_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


@rule("P208", "zone-required", severity="error", needs=PRICING)
def zone_required(ctx: Context) -> Iterator[Hit]:
    """The product is priced by zone or rate code and the label gives none (or an unknown one).

    What it checks:
        For products whose zone is an input (Canada Post Regular Parcel rate codes, USPS Ground
        Advantage zones): ``zone`` present and one of the product's zones.

    Why it matters:
        The price depends on it; without it postage cannot be checked.

    Example:
        A Regular Parcel label with no ``zone``.

    Corrected:
        ``"zone": "A1"`` (the rate code from the operator's lookup for the two postal codes).

    Fix safety:
        Display only: the zone comes from the operator's own lookup.

    References:
        The tariff file's ``zones.names``.
    """
    r = ctx.required
    if isinstance(r, NotPriceable) and r.reason in ("zone-required", "zone-unknown"):
        yield Hit(message=f"{r.detail}.", loc="zone", seen=ctx.label.zone,
                  fix=Fix("look up the zone / rate code for the two postal codes with the operator", "display"))


@columns(zone_required)
def _zone_required_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


@rule("P209", "postage-missing", severity="error", fixable=True)
def postage_missing(ctx: Context) -> Iterator[Hit]:
    """The label does not say how much postage was paid.

    What it checks:
        ``postage_paid`` present (CN 23 box 9, "Postal charges/Fees").

    Why it matters:
        Postage cannot be checked, and the CN 23's postal charges box is required.

    Example:
        A label with no ``postage_paid``.

    Corrected:
        ``"postage_paid": "18.82"`` (the price for the parcel's weight).

    Fix safety:
        Safe when the price can be computed: the corrected label shows the postage due.

    References:
        UPU CN 23 box (9).
    """
    if ctx.paid is not None:
        return
    q = _required_quote(ctx)
    fix = (Fix(f"pay and declare {q.price} postage", "safe", {"postage_paid": f"{q.price.amount:.2f}"})
           if q is not None else Fix("state the postage paid", "display"))
    yield Hit(message="The label does not state the postage paid"
              + (f"; {q.price} is due for {ctx.kg(q.chargeable_g)}." if q else "."),
              loc="postage_paid", expected=str(q.price) if q else None,
              amounts={"required": f"{q.price.amount:.2f}", "currency": q.price.currency} if q else {},
              fix=fix)


@columns(postage_missing)
def _postage_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    def message(at):
        due = f.join("; ", f.money(at, f.required[at]), " is due for ", f.kg(f.chargeable[at]), ".")
        return f.join("The label does not state the postage paid", f.if_else(f.priced[at], due, "."))

    yield Fires(~f.has_paid, message)


@rule("P210", "postage-currency-mismatch", severity="error", needs=("service",))
def postage_currency_mismatch(ctx: Context) -> Iterator[Hit]:
    """The label's currency is not the currency of the product's price list.

    What it checks:
        ``currency`` equals the tariff's currency (postage is paid in the operator's currency).

    Why it matters:
        A postage amount in another currency cannot be compared with the price list.

    Example:
        A Canada Post label with ``"currency": "USD"``.

    Corrected:
        ``"currency": "CAD"`` and the postage in CAD.

    Fix safety:
        Display only: converting money needs a rate of exchange the shipper chooses.

    References:
        The tariff file's ``currency``.
    """
    t = ctx.tariff
    if t is None or ctx.currency_ok:
        return
    yield Hit(message=(f"The label is in {ctx.label.currency} but {t.name} is priced in {t.currency}; "
                       "postage cannot be checked."),
              loc="currency", seen=ctx.label.currency, expected=t.currency,
              fix=Fix(f"state the postage (and values) in {t.currency}", "display"))


@columns(postage_currency_mismatch)
def _postage_currency_mismatch_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


def _close_product(rates: Rates, service: str) -> tuple[str, str] | None:
    """``(id, name)`` of the priced product ``service`` looks like a typo of, if any."""
    norm = service.strip().lower().replace("-", " ").replace("_", " ")
    names: dict[str, tuple[str, str]] = {}
    for t in rates.latest():
        names[t.id.replace("_", " ")] = (t.id, t.name)
        names[t.name.lower()] = (t.id, t.name)
    close = difflib.get_close_matches(norm, list(names), n=1, cutoff=0.85)
    return names[close[0]] if close else None


@rule("P211", SERVICE_NOT_PRICED, severity="warning", since="0.2.0", needs=("service",))
def service_not_priced(ctx: Context) -> Iterator[Hit]:
    """postcheck has no tariff of the label's service, so the postage is not priced.

    What it checks:
        Whether the label's ``service`` is a product postcheck can price (``postcheck rates
        list``; a user tariff folder adds more).  The weight, customs and identifier rules run
        either way.

    Why it matters:
        The rest of the label can still be wrong (no gross weight, a vague description); but the
        postage paid is not compared with any price, and the report says so rather than pass it
        in silence.  A name one letter away from a priced product is most likely a typo.

    Example:
        ``"service": "DHL Express Worldwide"`` (no DHL Express price list in postcheck), or
        ``"service": "small_packet_usa_ai"``.

    Corrected:
        Check the postage with the operator, or add its price list with ``--rates DIR``; for the
        typo, ``"service": "small_packet_usa_air"``.

    Fix safety:
        Display only: which product was bought is the shipper's to say.

    References:
        ``postcheck rates list`` (products and price lists postcheck prices).
    """
    s = ctx.selection
    if not isinstance(s, UnknownService):
        return
    close = _close_product(ctx.rates, s.service)
    typo = f" It looks like {close[1]} ({close[0]}): did you mean that?" if close else ""
    yield Hit(message=(f"postcheck has no tariff of {s.service!r}, so the postage could not be priced; the weight, "
                       f"customs and tracking-number rules ran.{typo}"),
              loc="service", seen=s.service,
              expected=close[0] if close else "a product id from 'postcheck rates list'",
              cause="the operator's product is not among postcheck's price lists" if not close else
                    "the service name is misspelt",
              fix=Fix(f"correct the service (--set service={close[0]})" if close else
                      "check the postage with the operator, or add its price list with --rates DIR", "display"))


@columns(service_not_priced)
def _service_not_priced_columns(f: Facts) -> Iterator[Fires | Unsure]:
    """None of the rows the column forms see: the batch engine sends every row whose tariff, zone,
    size or currency it cannot settle over columns to check()."""
    yield from ()


def required_postage(ctx: Context) -> Decimal | None:
    q = _required_quote(ctx)
    return q.price.amount if q else None
