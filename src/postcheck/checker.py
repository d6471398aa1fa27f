"""The checker: ``postcheck.check()``, the library entry point an e-commerce backend calls, and
``postcheck.check_partial()`` for a label as read, which may lack fields or name a service
postcheck has no tariff for."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from postcheck.errors import InvalidLabel, NotPriceable, UnitError, UnknownService
from postcheck.label import Label, label_from_dict
from postcheck.partial import FieldUnknown, PartialLabel, partial_label
from postcheck.report import PURPOSES, Need, Postage, Report, TariffRef
from postcheck.rules import Context, Selection, Tolerance, run_rules, DEFAULT_TOLERANCE
from postcheck.tariffs.catalog import Rates, Selected
from postcheck.tariffs.pricing import Quote
from postcheck.units import format_weight, parse_weight

__all__ = ["check", "check_partial", "default_rates"]

_DEFAULT: Rates | None = None


@lru_cache(maxsize=64)
def _selection(select: tuple[str, ...], ignore: tuple[str, ...]) -> Selection:
    """Selections are built once per distinct --select/--ignore, not once per label."""
    return Selection(select or None, ignore)


def default_rates() -> Rates:
    """Bundled tables plus ``POSTCHECK_RATES`` folders (loaded once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Rates.load()
    return _DEFAULT


def _other_plan_paid(ctx: Context, label: Label, rates: Rates, date: dt.date, measured: Any, tol: Tolerance,
                     selection: Selection) -> tuple[Context, list, str] | None:
    """The label checked again with the price plan whose price for this parcel and date is
    exactly the postage paid (a small business paying Small Business prices), or ``None``."""
    if ctx.service_id is None:
        return None
    for plan, pid in rates.plans(ctx.service_id).items():
        if pid == ctx.service_id:
            continue
        other = Context(label, rates=rates, date=date, service_id=pid, measured_g=measured, tolerance=tol)
        q = other.required
        if isinstance(q, Quote) and label.postage_paid is not None and q.price.amount == label.postage_paid:
            t = q.tariff
            here = ctx.tariff
            note = (f"the postage paid, {q.price}, is the {plan.replace('_', ' ')} price of {t.name} for this "
                    f"parcel on {date.isoformat()} (price list of {t.date_label}); priced with that plan"
                    + (f" rather than {here.plan.replace('_', ' ')} prices" if here is not None and here.plan else "")
                    + f". Name the plan (service {pid}, or --plan {plan}) to say so.")
            return other, run_rules(other, selection), note
    return None


def check(label: Label | Mapping[str, Any], *, measured_weight: Any = None, rates: Rates | None = None,
          as_of: dt.date | None = None, select: Iterable[str] | None = None,
          ignore: Iterable[str] | None = None, tolerance: Tolerance | str | None = None,
          source: str | None = None, parcel_id: str | None = None, plan: str | None = None) -> Report:
    """Check one label; return a :class:`~postcheck.report.Report` with every finding.

    ``label`` is a :class:`~postcheck.label.Label` or a mapping in the label's JSON shape.
    ``measured_weight`` is the weight on the scale ("520 g", a pint quantity ...).  ``as_of``
    replaces the label's ``ship_date`` as the pricing date.  ``plan`` names the price plan the
    shipper pays (``small_business``) for a product sold at several; without one, a label whose
    postage is exactly another plan's price for the parcel and date is priced with that plan
    (the report's notes say so) instead of being called short.  Raises
    :class:`~postcheck.errors.InvalidLabel` for a label that cannot be read (including an
    unknown service), never for a label that is merely wrong.

    >>> report = check({"service": "small_packet_usa_air", "origin": "CA", "destination": "US",
    ...                 "ship_date": "2022-03-01", "currency": "CAD", "postage_paid": "12.83",
    ...                 "form": "CN23", "category": "gift", "packaging_weight": "40 g",
    ...                 "items": [{"description": "Wool scarf", "net_weight": "480 g", "value": "40"}]})
    >>> report.verdict
    'Will be returned: short CAD 5.99'
    """
    src = source or "<label>"
    if not isinstance(label, Label):
        label = label_from_dict(dict(label) if isinstance(label, Mapping) else label, source=src)
    rates = rates or default_rates()
    try:
        service_id = rates.resolve(label.service)
    except UnknownService as e:
        known = ", ".join(e.known[:20])
        raise InvalidLabel(src, (("service", label.service,
                                  f"a product id from 'postcheck rates list' ({known})"),)) from None
    return _check(label, service_id, None, rates=rates, measured_weight=measured_weight, as_of=as_of,
                  select=select, ignore=ignore, tolerance=tolerance, src=src, source=source, parcel_id=parcel_id,
                  plan=plan)


def check_partial(label: Label | PartialLabel | Mapping[str, Any], *, missing: Mapping[str, str] | None = None,
                  measured_weight: Any = None, rates: Rates | None = None, as_of: dt.date | None = None,
                  select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                  tolerance: Tolerance | str | None = None, source: str | None = None,
                  parcel_id: str | None = None, plan: str | None = None) -> Report:
    """Check a label as it was read, which may be incomplete: every rule that can run does.

    ``label`` is a mapping in the label's JSON shape whose required fields may be absent (or a
    :class:`~postcheck.label.Label` or :class:`~postcheck.partial.PartialLabel`); ``missing`` maps a
    field path to where the reader looked
    for it.  A rule that needs a field the label lacks is skipped, and the report's ``needs``
    say which fields would let it run (``report.incomplete`` is then true; the command line
    exits 2).  A service postcheck has no tariff for is not an error: the postage is not priced
    (finding ``service-not-priced``) and the weight, customs and identifier rules run.  A value
    that is there but cannot be read still raises :class:`~postcheck.errors.InvalidLabel`.  For
    a complete label of a priced service the report is the one :func:`check` gives.

    >>> report = check_partial({"origin": "CA", "ship_date": "2022-03-01", "currency": "CAD",
    ...                         "form": "CN23", "category": "gift", "postage_paid": "12.83",
    ...                         "gross_weight": "520 g",
    ...                         "items": [{"description": "Wool scarf", "net_weight": "480 g", "value": "40"}]},
    ...                        missing={"destination": "the addressee's country line"})
    >>> report.verdict
    'Incomplete: postcheck needs service, destination'
    >>> [(n.field, n.looked) for n in report.needs]
    [('service', None), ('destination', "the addressee's country line")]
    """
    src = source or "<label>"
    lab = label if isinstance(label, (Label, PartialLabel)) else partial_label(label, missing=missing, source=src)
    rates = rates or default_rates()
    service_id, unpriced = None, None
    if not (isinstance(lab, PartialLabel) and "service" in lab.unknown):
        try:
            service_id = rates.resolve(lab.service)
        except UnknownService as e:
            unpriced = e
    return _check(lab, service_id, unpriced, rates=rates, measured_weight=measured_weight, as_of=as_of,
                  select=select, ignore=ignore, tolerance=tolerance, src=src, source=source, parcel_id=parcel_id,
                  plan=plan)


def _needs(label: PartialLabel, skipped: Mapping[str, tuple[str, ...]]) -> tuple[Need, ...]:
    """The unknown fields that kept rules from running, in the label's field order, each with
    what it is for and where the reader looked."""
    purposes: dict[str, list[str]] = {}
    rules: dict[str, list[str]] = {}
    for code in sorted(skipped, key=lambda c: ("WPCI".index(c[0]), c)):
        for path in skipped[code]:
            for_ = purposes.setdefault(path, [])
            if PURPOSES[code[0]] not in for_:
                for_.append(PURPOSES[code[0]])
            rules.setdefault(path, []).append(code)
    order = list(Label.model_fields)

    def key(path: str) -> tuple[int, int, str]:
        top, _, rest = path.partition("[")
        index = int(rest.split("]")[0]) if rest else -1
        return (order.index(top) if top in order else len(order), index, path)

    out = []
    for path in sorted(purposes, key=key):
        looked = label.missing.get(path) or label.missing.get(_generic(path))
        out.append(Need(field=path, purposes=tuple(purposes[path]), looked=looked, rules=tuple(rules[path])))
    return tuple(out)


def _generic(path: str) -> str:
    """``items[2].net_weight`` -> ``items.net_weight`` (how a reader may name where it looked)."""
    if path.startswith("items[") and "]." in path:
        return "items." + path.split("].", 1)[1]
    return path


def _check(label: Label | PartialLabel, service_id: str | None, unpriced: UnknownService | None, *,
           rates: Rates, measured_weight: Any, as_of: dt.date | None, select: Iterable[str] | None,
           ignore: Iterable[str] | None, tolerance: Tolerance | str | None, src: str, source: str | None,
           parcel_id: str | None, plan: str | None = None) -> Report:
    measured = None
    if measured_weight is not None:
        try:
            measured = parse_weight(measured_weight, field="measured_weight")
        except UnitError as e:
            raise InvalidLabel(src, (("measured_weight", measured_weight, e.expected),)) from None
    if isinstance(tolerance, str):
        try:
            tol = Tolerance.parse(tolerance)
        except (ValueError, UnitError) as e:
            raise InvalidLabel(src, (("tolerance", tolerance, str(e)),)) from None
    else:
        tol = tolerance or DEFAULT_TOLERANCE
    date = as_of or label.ship_date
    defaulted = date is None
    if date is None:
        date = dt.date.today()
    if plan is not None and service_id is not None:
        plans = rates.plans(service_id)
        if plans and plan not in plans:
            raise InvalidLabel(src, (("plan", plan, f"a price plan of {service_id}: {', '.join(plans)}"),))
        service_id = plans.get(plan, service_id)
    ctx = Context(label, rates=rates, date=date, service_id=service_id, measured_g=measured, tolerance=tol,
                  unpriced=unpriced)
    try:
        selection = _selection(tuple(select or ()), tuple(ignore or ()))
    except ValueError as e:
        raise InvalidLabel(src, (("select", list(select or []) + list(ignore or []), str(e)),)) from None
    needs: tuple[Need, ...] = ()
    notes: list[str] = []
    if isinstance(label, PartialLabel):
        skipped: dict[str, tuple[str, ...]] = {}
        findings = run_rules(ctx, selection, skipped=skipped)
        needs = _needs(label, skipped)
    else:
        findings = run_rules(ctx, selection)
        if plan is None and service_id is not None and any(f.name == "postage-insufficient" for f in findings):
            matched = _other_plan_paid(ctx, label, rates, date, measured, tol, selection)
            if matched is not None:
                ctx, findings, note = matched
                notes.append(note)

    tariff_ref = None
    sel = _known(lambda: ctx.selection)
    req = _known(lambda: ctx.required)
    if isinstance(sel, Selected):
        t = sel.tariff
        notes.extend(sel.warnings)
        q = req if isinstance(req, Quote) else None
        tariff_ref = TariffRef(id=t.id, name=t.name, operator=t.operator, file=t.path, effective_from=t.date_label,
                               source=f"{t.source.document}, p. {t.source.pages}",
                               zone=(q.zone if q and t.zones_by != "world" and q.zone != label.destination
                                     else None),
                               step=q.step_text if q else None)
    cn = next((f for f in findings if f.name in ("wrong-customs-form", "customs-form-missing")), None)
    if cn is not None:
        from postcheck.rules.customs import cn22_limit

        lim = _known(lambda: cn22_limit(ctx))
        if lim:
            notes.append(f"CN 22 ceiling: {lim[1]}")
    postage = _known(lambda: _postage(ctx, req))
    tol_text = str(tol) if ctx.measured_g is not None else None
    return Report(findings=tuple(findings), postage=postage, tariff=tariff_ref, date=date.isoformat(),
                  date_defaulted=defaulted, notes=tuple(notes), tolerance=tol_text, source=source, parcel_id=parcel_id,
                  needs=needs)


def _known(value: Callable[[], Any]) -> Any:
    """``value()``, or None when it needs a field a partial label does not have."""
    try:
        return value()
    except FieldUnknown:
        return None


def _postage(ctx: Context, req: Quote | NotPriceable | None) -> Postage | None:
    label = ctx.label
    if isinstance(req, Quote) and ctx.currency_ok:
        return Postage(currency=req.price.currency, required=req.price.amount, paid=label.postage_paid,
                       chargeable_weight=format_weight(req.chargeable_g), basis=ctx.basis[1] if ctx.basis else None)
    if ctx.tariff is not None:
        return Postage(currency=label.currency, required=None, paid=label.postage_paid, chargeable_weight=None,
                       basis=ctx.basis[1] if ctx.basis else None)
    return None
