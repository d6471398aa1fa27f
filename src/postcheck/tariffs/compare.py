"""What changed between two editions of a price list, price by price.

``postcheck rates diff A B`` names each side as a tariff file, a tariff folder (every product in
it) or ``ID@DATE`` (the table of a product in force on a date, bundled or from ``--rates``).
Products are matched by id; within a product, steps by their weight bound and zones by name.

>>> import datetime as dt
>>> from postcheck.tariffs import Rates
>>> rates = Rates.load(env=False)
>>> a = rates.select("tracked_packet_usa", dt.date(2020, 3, 1)).tariff
>>> b = rates.select("tracked_packet_usa", dt.date(2022, 3, 1)).tariff
>>> d = diff_tables(a, b)
>>> d.changes[2].text()
'up to 0.5 kg  US  18.57 -> 18.97  +2.15%'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from postcheck.errors import InvalidInput
from postcheck.tariffs.catalog import Rates, load_layer
from postcheck.tariffs.model import Tariff, read_tariff
from postcheck.tariffs.pricing import unit_text as _unit_text

__all__ = ["PriceChange", "TableDiff", "diff_tables", "diff_editions", "editions"]


@dataclass(frozen=True)
class PriceChange:
    """One price of one step and zone: before and after (``None`` where a side has none)."""

    step: str
    zone: str
    old: Decimal | None
    new: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        if self.old is None or self.new is None or self.old == 0:
            return None
        return ((self.new - self.old) / self.old * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def text(self) -> str:
        old = "-" if self.old is None else f"{self.old:.2f}"
        new = "-" if self.new is None else f"{self.new:.2f}"
        pct = self.percent
        tail = "" if pct is None else f"  {pct:+.2f}%"
        if self.old is None:
            tail = "  (new)"
        elif self.new is None:
            tail = "  (gone)"
        return f"{self.step}  {self.zone}  {old} -> {new}{tail}"


@dataclass
class TableDiff:
    """The differences between two tables of one product."""

    id: str
    old: Tariff
    new: Tariff
    changes: list[PriceChange] = field(default_factory=list)  # every price, changed or not
    countries: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (country, old, new)
    other: list[str] = field(default_factory=list)  # currency, limits, steps' unit ...

    @property
    def changed(self) -> list[PriceChange]:
        return [c for c in self.changes if c.old != c.new]


def _steps(t: Tariff) -> dict[Decimal, tuple[str, dict[str, Decimal]]]:
    out = {s.up_to_g: (f"up to {_unit_text(s.up_to_g, t)}", dict(s.prices)) for s in t.steps}
    if t.beyond is not None:
        out[Decimal(-1)] = (f"each further {_unit_text(t.beyond.increment_g, t)}", dict(t.beyond.prices))
    return out


def diff_tables(old: Tariff, new: Tariff) -> TableDiff:
    """Price by price, what changed from ``old`` to ``new`` (two tables of one product)."""
    d = TableDiff(new.id, old, new)
    if old.currency != new.currency:
        d.other.append(f"currency {old.currency} -> {new.currency}")
    if old.formula or new.formula:
        if old.formula != new.formula:
            d.other.append(f"formula {old.formula} -> {new.formula}")
    a, b = _steps(old), _steps(new)
    zones = list(dict.fromkeys([*old.zone_names, *new.zone_names]))
    for bound in sorted(set(a) | set(b), key=lambda g: (g < 0, g)):
        label = (b.get(bound) or a[bound])[0]
        pa, pb = (a.get(bound) or ("", {}))[1], (b.get(bound) or ("", {}))[1]
        for z in zones:
            if z in pa or z in pb:
                d.changes.append(PriceChange(label, z, pa.get(z), pb.get(z)))
    for c in sorted(set(old.countries) | set(new.countries)):
        if old.countries.get(c) != new.countries.get(c):
            d.countries.append((c, old.countries.get(c), new.countries.get(c)))
    if old.limits.text != new.limits.text:
        d.other.append(f"limits {old.limits.text or 'none'} -> {new.limits.text or 'none'}")
    return d


def editions(spec: str, rates: Rates) -> list[Tariff]:
    """The tables one side of a diff names: a tariff file, a folder, or ``ID@DATE``."""
    path = Path(spec)
    if path.is_file():
        return [read_tariff(path)]
    if path.is_dir():
        return list(load_layer(path).all_tariffs())
    if "@" in spec:
        pid, _, day = spec.partition("@")
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("edition", spec, "ID@YYYY-MM-DD, a tariff file or a folder") from None
        return [rates.select(pid, date).tariff]
    raise InvalidInput("edition", spec, "ID@YYYY-MM-DD (e.g. tracked_packet_usa@2020-03-01), a tariff file "
                                        "or a folder")


def diff_editions(a: list[Tariff], b: list[Tariff]) -> list[TableDiff]:
    """One :class:`TableDiff` per product id on both sides (a side with one table of one
    product is matched with the other side's table of the same product whatever its id)."""
    if len(a) == 1 and len(b) == 1:
        return [diff_tables(a[0], b[0])]
    by_id = {t.id: t for t in a}
    return [diff_tables(by_id[t.id], t) for t in b if t.id in by_id]
