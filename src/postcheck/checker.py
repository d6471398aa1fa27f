"""The checker: ``postcheck.check()``, the library entry point an e-commerce backend calls."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Iterable, Mapping

from postcheck.errors import InvalidLabel, UnitError, UnknownService
from postcheck.label import Label, label_from_dict
from postcheck.report import Postage, Report, TariffRef
from postcheck.rules import Context, Selection, Tolerance, run_rules, DEFAULT_TOLERANCE
from postcheck.tariffs.catalog import Rates, Selected
from postcheck.tariffs.pricing import Quote
from postcheck.units import format_weight, parse_weight

__all__ = ["check", "default_rates"]

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
    if plan is not None:
        plans = rates.plans(service_id)
        if plans and plan not in plans:
            raise InvalidLabel(src, (("plan", plan, f"a price plan of {service_id}: {', '.join(plans)}"),))
        service_id = plans.get(plan, service_id)
    try:
        selection = _selection(tuple(select or ()), tuple(ignore or ()))
    except ValueError as e:
        raise InvalidLabel(src, (("select", list(select or []) + list(ignore or []), str(e)),)) from None
    ctx = Context(label, rates=rates, date=date, service_id=service_id, measured_g=measured, tolerance=tol)
    findings = run_rules(ctx, selection)
    notes: list[str] = []
    if plan is None and any(f.name == "postage-insufficient" for f in findings):
        matched = _other_plan_paid(ctx, label, rates, date, measured, tol, selection)
        if matched is not None:
            ctx, findings, note = matched
            notes.append(note)

    tariff_ref = None
    sel = ctx.selection
    req = ctx.required
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

        lim = cn22_limit(ctx)
        if lim:
            notes.append(f"CN 22 ceiling: {lim[1]}")
    postage = None
    if isinstance(req, Quote) and ctx.currency_ok:
        postage = Postage(currency=req.price.currency, required=req.price.amount, paid=label.postage_paid,
                          chargeable_weight=format_weight(req.chargeable_g), basis=ctx.basis[1] if ctx.basis else None)
    elif ctx.tariff is not None:
        postage = Postage(currency=label.currency, required=None, paid=label.postage_paid, chargeable_weight=None,
                          basis=ctx.basis[1] if ctx.basis else None)
    tol_text = str(tol) if ctx.measured_g is not None else None
    return Report(findings=tuple(findings), postage=postage, tariff=tariff_ref, date=date.isoformat(),
                  date_defaulted=defaulted, notes=tuple(notes), tolerance=tol_text, source=source, parcel_id=parcel_id)
