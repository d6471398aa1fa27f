"""Quote a parcel with every product that could carry it, cheapest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from postcheck.errors import NoTariffInForce, NotPriceable
from postcheck.tariffs.catalog import Rates
from postcheck.tariffs.pricing import Quote, price_parcel
from postcheck.units import format_weight

__all__ = ["Offer", "quote"]


@dataclass(frozen=True)
class Offer:
    """One product's answer: a priced :class:`Quote`, or the reason it cannot carry the parcel."""

    id: str
    name: str
    operator: str
    quote: Quote | None = None
    reason: str | None = None  # rule name, e.g. over-weight-limit
    detail: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name, "operator": self.operator}
        if self.quote is not None:
            q = self.quote
            t = q.tariff
            d.update({
                "price": q.price.text, "currency": q.price.currency, "zone": q.zone,
                "chargeable_weight": format_weight(q.chargeable_g),
                "chargeable_weight_g": f"{q.chargeable_g.normalize():f}",
                "volumetric_weight": format_weight(q.volumetric_g) if q.volumetric_g is not None else None,
                "step": q.step_text,
                "surcharges": [{"name": n, "amount": f"{a:.2f}"} for n, a in q.surcharges],
                "tariff": {"file": t.path, "effective_from": t.date_label, "plan": t.plan,
                           "source": f"{t.source.document}, p. {t.source.pages}"},
            })
        else:
            d.update({"reason": self.reason, "detail": self.detail})
        if self.warnings:
            d["warnings"] = list(self.warnings)
        return d


def quote(rates: Rates, *, origin: str, destination: str, weight_g: Decimal, date: dt.date,
          dims_mm: tuple[Decimal, Decimal, Decimal] | None = None, zone: str | None = None,
          include_other_origins: bool = False, plan: str | None = None) -> tuple[list[Offer], list[Offer]]:
    """``(priced offers cheapest first, refusals)`` for every product shipping from ``origin``.

    A product sold at several price plans is quoted once, at ``plan`` when it has that plan
    (``small_business``), else at its default plan (the table whose id is the product's).
    ``plan="all"`` quotes every plan."""
    priced: list[Offer] = []
    refused: list[Offer] = []
    for pid in rates.ids():
        tables = rates.tables(pid)
        head = tables[0]
        if plan != "all" and pid != rates.plan_of(head.product, plan):
            continue
        if origin not in head.origins and not include_other_origins:
            continue
        if origin not in head.origins:
            refused.append(Offer(pid, head.name, head.operator, reason="origin-not-served",
                                 detail=f"{head.name} ships only from {', '.join(sorted(head.origins))}"))
            continue
        try:
            sel = rates.select(pid, date)
        except NoTariffInForce as e:
            refused.append(Offer(pid, head.name, head.operator, reason="no-tariff-in-force", detail=str(e)))
            continue
        t = sel.tariff
        try:
            q = price_parcel(t, weight_g=weight_g, destination=destination, zone=zone, dims_mm=dims_mm)
        except NotPriceable as e:
            refused.append(Offer(pid, t.name, t.operator, reason=e.reason, detail=e.detail, warnings=sel.warnings))
            continue
        priced.append(Offer(pid, t.name, t.operator, quote=q, warnings=sel.warnings))
    priced.sort(key=lambda o: (o.quote.price.currency, o.quote.price.amount, o.name))  # type: ignore[union-attr]
    return priced, refused
