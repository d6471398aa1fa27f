"""The typeface of every PDF postcheck writes: DejaVu Sans, regular and bold, embedded as a
subset.  It covers Latin, Greek and Cyrillic (addressees' names are not all Latin) and the
arrows and signs the notice prints; the built-in Helvetica covers only Windows-1252.

A character the font has no glyph for is printed as its code point, ``[U+4E2D]``: visibly not
the character, and enough to tell which one it was.  The label embedded in the PDF keeps every
character exactly.  The font files and their licence (Bitstream Vera; DejaVu's changes are in
the public domain) are in ``postcheck/pdf/fonts/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["FONT", "FONT_BOLD", "FONTS_DIR", "font", "printable", "covered"]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "PostcheckSans"
FONT_BOLD = "PostcheckSans-Bold"
_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Register the fonts with reportlab (once) and return the code points both faces draw."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    faces = []
    for name, file in _FILES.items():
        f = TTFont(name, str(FONTS_DIR / file))
        pdfmetrics.registerFont(f)
        # the Basic Multilingual Plane only: reportlab's ToUnicode map writes a character past
        # U+FFFF as a bare code (<1F600>, not a UTF-16 pair), so readers could not copy it
        faces.append(frozenset(cp for cp in f.face.charToGlyph if cp <= 0xFFFF))
    return faces[0] & faces[1]


def font(bold: bool = False) -> str:
    """The registered font name to ``setFont`` / ``stringWidth`` with."""
    covered()
    return FONT_BOLD if bold else FONT


def printable(text: Any) -> str:
    """``text`` on one line, each character the font lacks shown as ``[U+XXXX]``.

    >>> printable("Ηλίας → Москва")
    'Ηλίας → Москва'
    >>> printable("王")
    '[U+738B]'
    """
    cps = covered()
    s = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return "".join(ch if ord(ch) in cps else f"[U+{ord(ch):04X}]" for ch in s)
