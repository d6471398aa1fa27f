"""Importing a price guide: seconds per guide for ``import_guide`` (target: 10 s a guide), and
what reading every page's text costs with pypdfium2 against pypdf (why pypdfium2 is used).

    python benchmarks/guides.py [GUIDE.pdf ...]   # default: ../shared/reference/price-guides/*.pdf
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from postcheck.errors import GuideError
from postcheck.tariffs.guides import import_guide

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "price-guides"


def main(paths: list[Path]) -> None:
    print(f"{'guide':<50} {'import s':>9} {'files':>6} {'pypdfium2 all pages s':>22} {'pypdf all pages s':>18}")
    for p in paths:
        t0 = time.perf_counter()
        try:
            n = len(import_guide(p).tariffs)
        except GuideError as e:
            n = f"refused ({e.problem[:30]}...)"
        t_import = time.perf_counter() - t0
        import pypdfium2

        t0 = time.perf_counter()
        doc = pypdfium2.PdfDocument(str(p))
        for i in range(len(doc)):
            doc[i].get_textpage().get_text_range()
        t_pdfium = time.perf_counter() - t0
        import logging

        import pypdf

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        t0 = time.perf_counter()
        for page in pypdf.PdfReader(str(p)).pages:
            page.extract_text()
        t_pypdf = time.perf_counter() - t0
        print(f"{p.name:<50} {t_import:>9.2f} {n!s:>6} {t_pdfium:>22.2f} {t_pypdf:>18.2f}")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]] or sorted(DEFAULT.glob("*.pdf")))
