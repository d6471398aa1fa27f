"""A product's price steps across its editions, drawn with reportlab's graphics as SVG.

Each edition is one line: the price of each weight step in one zone, drawn as steps ("up to and
including": flat to the bound, then up), so a reader sees both how prices rose from one edition
to the next and where within a table the steps jump.
"""

from __future__ import annotations

from decimal import Decimal

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from postcheck.errors import InvalidInput
from postcheck.tariffs.model import Tariff

__all__ = ["price_chart", "price_chart_svg"]

_COLOURS = (colors.HexColor("#1f77b4"), colors.HexColor("#d62728"), colors.HexColor("#2ca02c"),
            colors.HexColor("#9467bd"), colors.HexColor("#ff7f0e"), colors.HexColor("#8c564b"))


def _points(t: Tariff, zone: str) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    lower = 0.0
    for s in t.steps:
        price = float(s.prices[zone])
        upper = float(s.up_to_g / t.unit_g)
        pts += [(lower, price), (upper, price)]
        lower = upper
    return pts


def price_chart_svg(tables: list[Tariff], *, zone: str | None = None, title: str | None = None) -> str:
    """The SVG text of :func:`price_chart`."""
    return renderSVG.drawToString(price_chart(tables, zone=zone, title=title))


def price_chart(tables: list[Tariff], *, zone: str | None = None, title: str | None = None) -> Drawing:
    """A step chart of ``tables`` (editions of one product, oldest first) in ``zone`` (default:
    the first zone of the newest table)."""
    steps = [t for t in tables if t.steps]
    if not steps:
        raise InvalidInput("product", tables[0].id if tables else "", "a product priced by weight steps")
    z = zone or steps[-1].zone_names[0]
    usable = [t for t in steps if z in t.zone_names]
    if not usable:
        raise InvalidInput("zone", z, f"a zone of {steps[-1].id}: {', '.join(steps[-1].zone_names[:12])}")
    unit = usable[-1].weight_unit
    if any(t.weight_unit != unit for t in usable):
        raise InvalidInput("product", usable[-1].id, "editions with the same weight unit")
    w, h = 640, 400
    d = Drawing(w, h)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 60, 60, w - 230, h - 110
    plot.data = [_points(t, z) for t in usable]
    top = max(p for t in usable for p in (float(s.prices[z]) for s in t.steps))
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = float((Decimal(str(top)) * Decimal("1.1")).to_integral_value()) or 1.0
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(float(t.steps[-1].up_to_g / t.unit_g) for t in usable)
    plot.yValueAxis.labelTextFormat = "%0.2f"
    plot.xValueAxis.labelTextFormat = "%g"
    for i, t in enumerate(usable):
        plot.lines[i].strokeColor = _COLOURS[i % len(_COLOURS)]
        plot.lines[i].strokeWidth = 2
        if t.plan is not None and t.id != t.product:  # another plan than the product's default: dashed
            plot.lines[i].strokeDashArray = (6, 3)
    d.add(plot)
    legend = Legend()
    legend.x, legend.y = w - 160, h - 70
    legend.alignment = "right"
    legend.fontName, legend.fontSize = "Helvetica", 9
    legend.columnMaximum = len(usable)
    legend.colorNamePairs = [(_COLOURS[i % len(_COLOURS)], f"{t.date_label}" + (f" ({t.plan})" if t.plan else ""))
                             for i, t in enumerate(usable)]
    d.add(legend)
    main = next((t for t in reversed(usable) if t.id == t.product), usable[-1])
    head = title or f"{main.operator} {main.name}: price by weight, zone {z}"
    d.add(String(60, h - 30, head, fontName="Helvetica-Bold", fontSize=12))
    d.add(String(60 + plot.width / 2, 22, f"weight up to and including ({unit})", fontName="Helvetica",
                 fontSize=9, textAnchor="middle"))
    d.add(String(14, 60 + plot.height + 12, usable[-1].currency, fontName="Helvetica", fontSize=9))
    return d
