"""Weight rules (W1xx): net, packaging, gross and measured weights."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Iterator

from postcheck.report import Fix
from postcheck.rules.context import Context
from postcheck.rules.registry import Fires, Hit, Unsure, columns, rule
from postcheck.tariffs.pricing import Quote
from postcheck.units import format_weight

if TYPE_CHECKING:  # pragma: no cover
    from postcheck.batch.facts import Facts


def _g(grams: Decimal) -> str:
    return f"{grams.normalize():f} g" if grams == grams.to_integral_value() else format_weight(grams, "g")


def gross_fix(ctx: Context) -> Fix:
    """The best-founded gross weight: the measured weight, else net + packaging, else advice
    (worked out once per label: W101, W102 and W103 all offer it)."""
    fix = ctx.memo.get("gross_fix")
    if fix is None:
        fix = ctx.memo["gross_fix"] = _gross_fix(ctx)
    return fix


def _gross_fix(ctx: Context) -> Fix:
    if ctx.measured_g is not None:
        return Fix(f"declare the measured weight {ctx.kg(ctx.measured_g)} as the total gross weight (box 4)",
                   "safe", {"gross_weight": _g(ctx.measured_g)})
    if ctx.expected_gross_g is not None:
        return Fix(f"declare {ctx.kg(ctx.expected_gross_g)} as the total gross weight (box 4): "
                   f"{ctx.weight_story()}", "safe", {"gross_weight": _g(ctx.expected_gross_g)})
    return Fix("weigh the packed parcel (goods and packaging) and declare that as the total gross weight "
               "(box 4)", "display")


@rule("W101", "gross-weight-missing", severity="error", fixable=True)
def gross_weight_missing(ctx: Context) -> Iterator[Hit]:
    """The customs declaration gives no total gross weight.

    What it checks:
        A label with a CN 22 or CN 23 whose total gross weight (CN 23 box 4, CN 22 box 6) is empty.

    Why it matters:
        Customs and the sorting centre compare the declared gross weight, packaging included, with
        the scale.  Label tools that only ask for each item's net weight leave box 4 empty, so the
        packaging is never counted, and postage bought for the net weight falls short when the
        parcel is weighed.

    Example:
        ``{"form": "CN23", "items": [{"net_weight": "300 g"}, {"net_weight": "180 g"}],
        "packaging_weight": "40 g"}`` with no ``gross_weight``.

    Corrected:
        ``"gross_weight": "520 g"`` (480 g of goods plus the 40 g mailer, or the weight on the scale).

    Fix safety:
        Safe when the measured weight or the packaging weight is known (the gross weight is then a
        fact); otherwise advice only: weigh the packed parcel.

    References:
        UPU CN 23 box (4) "Total gross weight" and CN 22 box (6) "Total weight"
        (reference/upu_cn22_cn23_fields.csv).
    """
    label = ctx.label
    if label.form is None or label.gross_weight is not None:
        return
    evidence = ""
    if ctx.measured_g is not None:
        evidence = f" The parcel weighed {ctx.kg(ctx.measured_g)} on the scale"
        if ctx.expected_gross_g is not None:
            evidence += f" ({ctx.weight_story()})"
        evidence += "."
    elif ctx.expected_gross_g is not None:
        evidence = f" With the packaging the parcel weighs {ctx.kg(ctx.expected_gross_g)} ({ctx.weight_story()})."
    yield Hit(
        message=(f"The {label.form[:2]} {label.form[2:]} gives no total gross weight; only the goods' net "
                 f"weights ({ctx.kg(ctx.net_g)}) are declared, so the packaging is not counted.{evidence}"),
        loc="gross_weight",
        seen="no gross weight",
        expected=(ctx.kg(ctx.measured_g) if ctx.measured_g is not None else
                  ctx.kg(ctx.expected_gross_g) if ctx.expected_gross_g is not None else
                  "the weight of the packed parcel"),
        cause="the label tool has no field for the gross weight and filled in net weights only",
        fix=gross_fix(ctx),
    )


@columns(gross_weight_missing)
def _gross_weight_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
    def message(at):
        e, w = f.has_expected[at], f.has_measured[at]
        evidence = f.cases(
            len(at),
            (w & e, lambda p: f.join(" The parcel weighed ", f.kg(f.measured[at[p]]), " on the scale (",
                                     f.weight_story(at[p]), ").")),
            (w & ~e, lambda p: f.join(" The parcel weighed ", f.kg(f.measured[at[p]]), " on the scale.")),
            (~w & e, lambda p: f.join(" With the packaging the parcel weighs ", f.kg(f.expected[at[p]]), " (",
                                      f.weight_story(at[p]), ").")),
            (~w & ~e, ""))
        return f.join("The ", f.if_else(f.is_cn22[at], "CN 22", "CN 23"), " gives no total gross weight; only the "
                      "goods' net weights (", f.kg(f.net[at]), ") are declared, so the packaging is not counted.",
                      evidence)

    yield Fires(f.has_form & ~f.has_gross, message)


@rule("W102", "gross-below-net", severity="error", fixable=True)
def gross_below_net(ctx: Context) -> Iterator[Hit]:
    """The declared gross weight is less than the goods' net weight.

    What it checks:
        Total gross weight (box 4) below the sum of the lines' net weights (box 3).

    Why it matters:
        A packed parcel can never weigh less than its contents; customs treat the declaration as
        wrong and the postage bought for the lower weight is short.

    Example:
        Items of 300 g and 180 g with ``"gross_weight": "400 g"``.

    Corrected:
        ``"gross_weight": "520 g"`` (net 480 g plus 40 g packaging, or the weighed parcel).

    Fix safety:
        Safe when the measured or packaging weight is known; advice only otherwise.

    References:
        UPU CN 23 box (4): total gross weight, including packaging, is at least the sum of box (3).
    """
    g = ctx.gross_g
    if g is None or not ctx.label.items or g >= ctx.net_g:
        return
    yield Hit(
        message=(f"The declared gross weight {ctx.kg(g)} is less than the goods' net weight "
                 f"{ctx.kg(ctx.net_g)}; a packed parcel always weighs at least its contents."),
        loc="gross_weight", seen=ctx.kg(g),
        expected=f"at least {ctx.kg(ctx.expected_gross_g or ctx.net_g)}",
        cause="the gross weight was typed from another parcel or the packaging was subtracted twice",
        fix=gross_fix(ctx),
    )


@columns(gross_below_net)
def _gross_below_net_columns(f: Facts) -> Iterator[Fires | Unsure]:
    yield Unsure(f.has_gross & f.has_items & (f.gross < f.net))


@rule("W103", "packaging-not-counted", severity="error", fixable=True)
def packaging_not_counted(ctx: Context) -> Iterator[Hit]:
    """The packaging is left out of the weight that was declared or paid for.

    What it checks:
        (a) the declared gross weight equals the goods' net weight although a parcel always has
        packaging (its weight known or not); or (b) the postage paid is exactly the price of the
        goods' net weight but not of the parcel's real weight (net + packaging, declared gross, or
        measured).

    Why it matters:
        This is the commonest reason a parcel comes back "insufficiently paid": 480 g of goods in
        a 40 g mailer weigh 520 g and cross from the 0.5 kg step into the 1.0 kg step.

    Example:
        Net 300 g + 180 g, packaging 40 g, postage CAD 12.83 (the 0.5 kg price of Small Packet USA
        Air) and no gross weight.

    Corrected:
        ``"gross_weight": "520 g"`` and postage CAD 18.82 (the 1.0 kg step).

    Fix safety:
        Safe: the gross weight becomes net + packaging (or the measured weight); the postage due
        is fixed by ``postage-insufficient``.

    References:
        UPU CN 23 boxes (3) and (4); the operator's price list prices the whole item as weighed.
    """
    label = ctx.label
    if not label.items:
        return
    g = ctx.gross_g
    if g is not None and g == ctx.net_g and (ctx.packaging_g is None or ctx.packaging_g > 0):
        extra = (f"; with the {ctx.kg(ctx.packaging_g)} packaging it is {ctx.kg(ctx.net_g + ctx.packaging_g)}"
                 if ctx.packaging_g else "")
        yield Hit(
            message=(f"The declared gross weight {ctx.kg(g)} is exactly the goods' net weight: the "
                     f"packaging is not counted{extra}."),
            loc="gross_weight", seen=ctx.kg(g),
            expected=ctx.kg(ctx.expected_gross_g) if ctx.expected_gross_g is not None else "net weight plus packaging",
            cause="the gross weight was copied from the sum of the net weights",
            fix=gross_fix(ctx),
        )
        return
    # (b) postage paid matches the net-weight price but not the real weight's price
    basis = ctx.basis
    if (ctx.tariff is None or basis is None or ctx.paid is None or not ctx.currency_ok
            or basis[0] <= ctx.net_g):
        return
    net_price = ctx.price(ctx.net_g)
    real = ctx.required
    if net_price is None or not isinstance(real, Quote):
        return
    if ctx.paid == net_price and real.price.amount > net_price:
        net_q = ctx.quote(ctx.net_g)
        assert isinstance(net_q, Quote)
        yield Hit(
            message=(f"The postage paid, {ctx.money(ctx.paid)}, is the price of the goods' net weight "
                     f"{ctx.kg(ctx.net_g)} ({net_q.step_text}); the parcel as "
                     f"{'weighed' if basis[1] == 'measured' else 'packed'} is {ctx.kg(basis[0])} "
                     f"({real.step_text}, {ctx.money(real.price.amount)})."),
            loc="postage_paid", seen=ctx.money(ctx.paid), expected=ctx.money(real.price.amount),
            amounts={"price_of_net_weight": f"{net_price:.2f}", "required": f"{real.price.amount:.2f}",
                     "currency": real.price.currency},
            cause="postage was computed on the net weight of the goods, without the packaging",
            fix=gross_fix(ctx) if label.form is not None and (g is None or g < basis[0]) else None,
        )


@columns(packaging_not_counted)
def _packaging_not_counted_columns(f: Facts) -> Iterator[Fires | Unsure]:
    copied = f.has_items & f.has_gross & (f.gross == f.net) & (~f.has_packaging | (f.packaging > 0))

    def copied_message(at):
        extra = f.if_else(f.has_packaging[at] & (f.packaging[at] != 0),
                          f.join("; with the ", f.kg(f.packaging[at]), " packaging it is ", f.kg(f.expected[at])), "")
        return f.join("The declared gross weight ", f.kg(f.gross[at]), " is exactly the goods' net weight: the "
                      "packaging is not counted", extra, ".")

    yield Fires(copied, copied_message)
    paid_for_net = (~copied & f.has_items & f.has_basis & f.has_paid & (f.basis > f.net) & f.net_priced & f.priced
                    & (f.paid == f.net_price) & (f.required > f.net_price))

    def paid_message(at):
        return f.join("The postage paid, ", f.money(at, f.paid[at]), ", is the price of the goods' net weight ",
                      f.kg(f.net[at]), " (", f.step(at, f.net_step), "); the parcel as ",
                      f.if_else(f.basis_is("measured")[at], "weighed", "packed"), " is ", f.kg(f.basis[at]), " (",
                      f.step(at, f.required_step), ", ", f.money(at, f.required[at]), ").")

    yield Fires(paid_for_net, paid_message)


@rule("W104", "measured-weight-mismatch", severity="error", fixable=True)
def measured_weight_mismatch(ctx: Context) -> Iterator[Hit]:
    """The weighed parcel differs from the declared gross weight by more than the tolerance.

    What it checks:
        With a measured weight (``--measured`` or ``measured_weight``) and a declared gross weight:
        ``|measured - declared| > tolerance`` (default 10 g; ``--tolerance "5 g"`` or ``"2%"``).
        The tolerance used is stated in every report.

    Why it matters:
        The sorting centre prices and declares what the scale says.  A heavier parcel is short
        paid; a lighter one was overpaid and its customs declaration is still wrong.

    Example:
        ``"gross_weight": "480 g"`` and the clerk's scale reads 520 g.

    Corrected:
        ``"gross_weight": "520 g"``.

    Fix safety:
        Safe: the measured weight is the evidence.

    References:
        UPU CN 23 box (4); the operator's weighing at acceptance.
    """
    m, g = ctx.measured_g, ctx.gross_g
    if m is None or g is None:
        return
    allowed = ctx.tolerance.allowed(g)
    diff = m - g
    if abs(diff) <= allowed:
        return
    direction = "more" if diff > 0 else "less"
    yield Hit(
        message=(f"The parcel weighs {ctx.kg(m)} on the scale, {format_weight(abs(diff), 'g')} {direction} "
                 f"than the declared gross weight {ctx.kg(g)} (tolerance {ctx.tolerance})."),
        loc="gross_weight", seen=ctx.kg(g), expected=ctx.kg(m),
        amounts={"difference_g": f"{diff.normalize():f}", "tolerance_g": f"{allowed.normalize():f}"},
        cause=("the packaging was not counted" if ctx.gross_g == ctx.net_g and diff > 0 else
               "the parcel was weighed before packing, or the contents changed after labelling"),
        fix=Fix(f"declare the measured weight {ctx.kg(m)} as the total gross weight", "safe",
                {"gross_weight": _g(m)}),
    )


@columns(measured_weight_mismatch)
def _measured_weight_mismatch_columns(f: Facts) -> Iterator[Fires | Unsure]:
    def message(at):
        diff = f.measured[at] - f.gross[at]
        return f.join("The parcel weighs ", f.kg(f.measured[at]), " on the scale, ", f.grams(abs(diff)), " ",
                      f.if_else(diff > 0, "more", "less"), " than the declared gross weight ", f.kg(f.gross[at]),
                      f" (tolerance {f.tolerance}).")

    yield Fires(f.has_measured & f.has_gross & (abs(f.measured - f.gross) > f.tolerance_pg), message)
