"""Words with their positions: a PDF page's text layer as cells and lines (pypdfium2).

pdfium gives every glyph with its box, its baseline origin and its angle.  Glyphs are grouped by
the direction they are written in (0, 90, 180 or 270 degrees, whatever the page's own rotation),
turned upright, and cut into **lines** (one baseline) and **cells** (runs of words closer than
about one character's height: the gap a table's columns or a caption and its value leave).
Coordinates are in points, upright in the cell's own frame: ``x`` grows to the right and ``y``
downwards, so sorting by ``(y, x)`` is reading order.

Pages whose cells are all the same as an earlier page's (the four copies a customs form prints)
are read once: :func:`read_cells` reports which pages were dropped.

Why pdfium: it gives every glyph's box and angle, handles rotated text and broken cross-reference
tables, and renders pages for OCR too.  On the real-label corpus's 23 text pages (one run, machine
under load) these cells took 74 ms a page, pypdf's text visitor 125 ms (whole drawing operations
without glyph boxes: a caption and its value drawn at once cannot be cut apart), pdfplumber's
words 315 ms.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Cell", "Line", "Page", "read_cells", "MAX_CHARS"]

#: Glyphs read per document at most: a label has a few thousand.
MAX_CHARS = 400_000

#: A gap wider than this many times the font size between two glyphs on one baseline starts a new
#: cell; wider than SPACE_GAP it is a space between words.
CELL_GAP = 0.9
SPACE_GAP = 0.2


@dataclass
class Cell:
    """A run of words on one baseline, in its frame's upright coordinates (points)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    page: int  # 1-based, of the document as printed
    frame: int = 0  # quarter turns the text is written at (0 upright, 1 rotated 90 degrees ...)
    line: int = 0  # index of its line in Page.lines

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    cells: list[Cell]
    frame: int
    top: float
    bottom: float

    @property
    def text(self) -> str:
        return "  ".join(c.text for c in self.cells)


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    images: int = 0  # image objects on the page (a scan has one and no text)

    @property
    def cells(self) -> list[Cell]:
        return [c for ln in self.lines for c in ln.cells]


@dataclass
class _Glyph:
    ch: str
    x0: float
    x1: float
    top: float
    bottom: float
    base: float
    size: float
    frame: int
    font: float = 0.0  # the font size pdfium reports (grouping rows by size class)


def _frame(angle: float) -> int:
    return int(round(angle / (math.pi / 2))) % 4


def _frame_of(a: float, b: float) -> int:
    """Quarter turns, clockwise as pdfium counts them, of a glyph whose matrix starts ``a b``."""
    if abs(a) >= abs(b):
        return 0 if a >= 0 else 2
    return 3 if b > 0 else 1


def _upright(frame: int, x: float, y: float, w: float, h: float) -> tuple[float, float]:
    """PDF user-space point (y up) -> the frame's upright point (x right, y down)."""
    if frame == 0:
        return x, h - y
    # pdfium measures angles clockwise
    if frame == 1:  # turned a quarter clockwise: reads downwards
        return h - y, w - x
    if frame == 2:
        return w - x, y
    return y, x  # a quarter anticlockwise: reads upwards


def _glyphs(textpage: Any, raw: Any, w: float, h: float, budget: list[int]) -> list[_Glyph]:
    tp = textpage.raw
    n = raw.FPDFText_CountChars(tp)
    if n > budget[0]:
        raise OverflowError("more text than a label has")
    budget[0] -= n
    out: list[_Glyph] = []
    ox, oy = ctypes.c_double(), ctypes.c_double()
    rect = raw.FS_RECTF()
    matrix = raw.FS_MATRIX()
    seen: dict[tuple[str, int, int], list[float]] = {}
    units = (ctypes.c_ushort * (n + 1))()
    raw.FPDFText_GetText(tp, 0, n, units)  # every character's code at once: one call, not n
    for i in range(n):
        code = units[i]
        if code < 32 and code not in (9, 10, 13):
            continue
        if 0xFFF0 <= code or 0xD800 <= code <= 0xDFFF or code == 0xAD:
            continue
        ch = chr(code)
        raw.FPDFText_GetCharOrigin(tp, i, ox, oy)
        if ch.isspace():
            if out and code not in (10, 13):  # a space (printed or pdfium's): a word break
                fr = _frame(raw.FPDFText_GetCharAngle(tp, i))
                bx, base = _upright(fr, ox.value, oy.value, w, h)
                out.append(_Glyph(" ", bx, bx, base, base, base, 0.0, fr))
            continue
        raw.FPDFText_GetLooseCharBox(tp, i, rect)
        # the size as drawn: the font size times the text matrix's vertical scale (pdfium reports
        # 25 pt for text a matrix draws at 7 pt, and 1 pt for text drawn at 5 pt)
        raw.FPDFText_GetMatrix(tp, i, matrix)
        fr = _frame_of(matrix.a, matrix.b)
        font = raw.FPDFText_GetFontSize(tp, i) * math.hypot(matrix.c, matrix.d)
        size = font if font > 0.5 else (abs(rect.top - rect.bottom) / 1.15 or 1.0)
        xa, ya = _upright(fr, rect.left, rect.bottom, w, h)
        xb, yb = _upright(fr, rect.right, rect.top, w, h)
        _bx, base = _upright(fr, ox.value, oy.value, w, h)
        x0, x1 = min(xa, xb), max(xa, xb)
        # the same glyph drawn twice, exactly or a little offset (fake bold)
        key = (ch, round(base), fr)
        near = seen.setdefault(key, [])
        if any(abs(x - x0) < min(0.5 * (x1 - x0), 0.3 * size) for x in near):
            continue
        near.append(x0)
        out.append(_Glyph(ch, x0, x1, min(ya, yb), max(ya, yb), base, float(size), fr, float(font)))
    return out


def _apart(row: list[_Glyph]) -> list[list[_Glyph]]:
    """Two texts printed over each other on one baseline ("JEFF FUQUA BLVD" and a name under it):
    a glyph that starts well inside the one before it belongs to the other text."""
    row = sorted(row, key=lambda g: g.x0)
    kept: list[_Glyph] = []
    other: list[_Glyph] = []
    for g in row:
        last = next((k for k in reversed(kept) if k.ch != " "), None)
        if g.ch != " " and last is not None and g.x0 < last.x1 - 0.3 * max(min(g.size, last.size), 1.0):
            other.append(g)
        else:
            kept.append(g)
    if not other or len(other) < 2:
        return [row]
    return [kept] + _apart(other)


def _lines(glyphs: list[_Glyph], page: int) -> list[Line]:
    lines: list[Line] = []
    for fr in sorted({g.frame for g in glyphs}):
        gs = sorted((g for g in glyphs if g.frame == fr), key=lambda g: (g.base, g.x0))
        rows: list[list[_Glyph]] = []
        open_rows: list[list[_Glyph]] = []  # rows whose baseline is still near: one per size class
        for g in gs:
            open_rows = [r for r in open_rows if abs(g.base - r[-1].base) <= max(0.25 * g.size, 0.8)]
            # glyphs of very different sizes on one baseline (an overprinted MUSTER) are apart
            row = next((r for r in open_rows if g.ch == " " or r[-1].font == 0 or g.font == 0 or
                        0.6 <= g.font / max(r[-1].font, 0.1) <= 1.6), None)
            if row is None:
                row = [g]
                rows.append(row)
                open_rows.append(row)
            else:
                row.append(g)
        rows = [part for row in rows for part in _apart(row)]
        # glyphs of one baseline sorted left to right, then cut into words and cells
        for row in rows:
            row.sort(key=lambda g: (g.x0, g.ch != " "))
            spaces = [g.x0 for g in row if g.ch == " "]
            row = [g for g in row if g.ch != " "]
            if not row:
                continue
            cells: list[Cell] = []
            text: list[str] = []
            start = prev = row[0]
            top, bottom, size = start.top, start.bottom, start.size
            si = 0
            for g in row:
                if g is not start:
                    gap = g.x0 - prev.x1
                    unit = max(min(g.size, prev.size), 1.0)
                    while si < len(spaces) and spaces[si] < prev.x1 - 0.01:
                        si += 1
                    spaced = si < len(spaces) and spaces[si] <= g.x0 + 0.01
                    if gap > CELL_GAP * unit:
                        cells.append(Cell("".join(text), start.x0, prev.x1, top, bottom, size, page, fr))
                        text, start = [], g
                        top, bottom, size = g.top, g.bottom, g.size
                    elif spaced or gap > SPACE_GAP * unit:
                        text.append(" ")
                text.append(g.ch)
                top, bottom, size = min(top, g.top), max(bottom, g.bottom), max(size, g.size)
                prev = g
            cells.append(Cell("".join(text), start.x0, prev.x1, top, bottom, size, page, fr))
            lines.append(Line(cells, fr, min(c.top for c in cells), max(c.bottom for c in cells)))
    lines.sort(key=lambda ln: (ln.frame, ln.bottom, ln.cells[0].x0))
    for i, ln in enumerate(lines):
        for c in ln.cells:
            c.line = i
    return lines


def read_cells(data: bytes, *, max_pages: int) -> tuple[list[Page], list[int], int]:
    """``(pages, duplicate page numbers, page count)`` of a PDF's text layer.

    Raises ``OverflowError`` for a document with far more text than a label, and whatever
    pdfium raises for a file it cannot open (the caller turns both into a message).
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(data)
    try:
        count = len(pdf)
        pages: list[Page] = []
        dupes: list[int] = []
        seen: dict[tuple[str, ...], int] = {}
        budget = [MAX_CHARS]
        for i in range(min(count, max_pages)):
            page = pdf[i]
            try:
                w, h = page.get_size()
                tp = page.get_textpage()
                try:
                    glyphs = _glyphs(tp, raw, w, h, budget)
                finally:
                    tp.close()
                images = sum(1 for _ in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
            finally:
                page.close()
            lines = _lines(glyphs, i + 1)
            key = tuple(ln.text for ln in lines)
            if key and key in seen:
                dupes.append(i + 1)
                continue
            seen[key] = i + 1
            pages.append(Page(i + 1, w, h, lines, images))
        return pages, dupes, count
    finally:
        pdf.close()
