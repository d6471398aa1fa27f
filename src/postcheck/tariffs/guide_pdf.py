"""The text of an operator's price guide, page by page, read with pypdfium2.

Two views of a page, because the guides were typeset differently over the years:

- :meth:`Guide.lines`: the page's text in content order, one line per printed line.  Rows of a
  table set as text ("0.5 1.1 26.85 26.98 ...") come out whole; this is what most tables are
  read from.
- :meth:`Guide.rows`: runs of text grouped by their height on the page and sorted left to right
  (as pdfplumber cuts words into lines).  The 2020 and early 2021 guides set a table's weight
  labels ("Over 250 g up to 500 g") apart from its prices in the content; only their positions
  put them back on one row.

pypdfium2 reads a 50-page guide in under half a second (pypdf's ``extract_text`` took 4-13 s
for the same guides), so the importer stays well inside its time budget.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

import pypdfium2 as pdfium

from postcheck.errors import GuideError

__all__ = ["Guide"]

_MAX_PAGES = 400


class Guide:
    """An open price guide.  Raises :class:`~postcheck.errors.GuideError` if the file is not a
    readable PDF."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._doc = pdfium.PdfDocument(self.path)
        except (pdfium.PdfiumError, OSError, ValueError) as e:
            raise GuideError(self.path, f"not a readable PDF ({e})") from None
        n = len(self._doc)
        if n > _MAX_PAGES:
            raise GuideError(self.path, f"{n} pages; a price guide has at most {_MAX_PAGES}")
        self.page_count = n
        self._text: dict[int, str] = {}
        self._rows: dict[int, list[str]] = {}

    def close(self) -> None:
        self._doc.close()

    def __enter__(self) -> "Guide":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def text(self, number: int) -> str:
        """Page ``number`` (1-based) as plain text."""
        hit = self._text.get(number)
        if hit is None:
            try:
                tp = self._doc[number - 1].get_textpage()
                hit = tp.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            except pdfium.PdfiumError as e:
                raise GuideError(self.path, f"page {number} cannot be read ({e}); is the file cut short?") from None
            self._text[number] = hit
        return hit

    def lines(self, number: int) -> list[str]:
        """Page ``number``'s lines in content order, spaces collapsed."""
        return [_clean(s) for s in self.text(number).split("\n") if s.strip()]

    def rows(self, number: int) -> list[str]:
        """Page ``number``'s text runs grouped into rows by position, top to bottom."""
        hit = self._rows.get(number)
        if hit is None:
            try:
                hit = self._rows[number] = _rows(self._doc[number - 1])
            except pdfium.PdfiumError as e:
                raise GuideError(self.path, f"page {number} cannot be read ({e}); is the file cut short?") from None
        return hit

    @cached_property
    def first_pages_text(self) -> str:
        """The text of the first three pages (what recognises a document)."""
        return "\n".join(self.text(i) for i in range(1, min(3, self.page_count) + 1))


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()


def _rows(page: object) -> list[str]:
    tp = page.get_textpage()  # type: ignore[attr-defined]
    runs = []
    for i in range(tp.count_rects()):
        left, bottom, right, top = tp.get_rect(i)
        s = _clean(tp.get_text_bounded(left, bottom, right, top))
        if s:
            runs.append(((bottom + top) / 2, left, right, top - bottom, s))
    runs.sort(key=lambda r: (-r[0], r[1]))
    grouped: list[tuple[float, list[tuple[float, float, str]]]] = []
    for y, left, right, height, s in runs:
        if grouped and abs(grouped[-1][0] - y) <= max(2.0, height * 0.35):
            grouped[-1][1].append((left, right, s))
        else:
            grouped.append((y, [(left, right, s)]))
    out = []
    for _y, items in grouped:
        items.sort()
        text = items[0][2]
        for (_l0, r0, _s0), (l1, _r1, s1) in zip(items, items[1:]):
            text += ("" if l1 - r0 < 0.5 else " ") + s1
        out.append(_clean(text))
    return out
