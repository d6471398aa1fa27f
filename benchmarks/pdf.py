"""Median time to read and to write a 1-page label PDF (the story label, corrected).

    PYTHONPATH=src python benchmarks/pdf.py [--runs 500]

Reading is timed for each path: the embedded label (what postcheck's own PDFs use), the
hidden form fields (embedded label stripped) and the text layer (both stripped), plus the
French text-layer label of the story as the online tool printed it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pdf"))


def median_ms(fn, runs: int) -> float:
    for _ in range(max(50, runs // 5)):  # warm up: imports, font metrics, profiles, captions, CPU clock
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=500)
    runs = ap.parse_args().runs

    from postcheck.fix import apply_fixes
    from postcheck.label import label_from_json
    from postcheck.pdf.read import read_pdf
    from postcheck.pdf.write import write_cn23

    label = apply_fixes(label_from_json((ROOT / "examples" / "returned-parcel.json").read_text())).label
    data = write_cn23(label)
    rows = [
        ("write CN 23 (4x6, embedded JSON + hidden fields)", lambda: write_cn23(label)),
        ("write CN 23 (A4)", lambda: write_cn23(label, page_size="A4")),
        ("read postcheck PDF (embedded JSON)", lambda: read_pdf(data=data)),
        ("read postcheck PDF (form fields only)", lambda: read_pdf(data=data, use_embedded=False)),
        ("read postcheck PDF (text layer only)", lambda: read_pdf(data=data, use_embedded=False, use_form=False)),
    ]
    try:
        from pdf_samples import story_pdf

        story = story_pdf()
        rows.append(("read French online-tool label (text layer)", lambda: read_pdf(data=story)))
    except ImportError:
        pass
    # real carrier labels, where the corpus is on disk (../shared/real-labels); a page's time is
    # the document's time over the pages read (identical copies are dropped, not read twice)
    corpus = ROOT.parent / "shared" / "real-labels"
    real = []
    for name in ("usps-ground-advantage-4x6.pdf", "fedex-intl-label.pdf", "canadapost-expedited.pdf",
                 "dhl-express-commercial-invoice.pdf", "colissimo-cn23-guadeloupe.pdf"):
        if (corpus / name).exists():
            blob = (corpus / name).read_bytes()
            real.append((f"read real label {name} (text layer)", (lambda b=blob: read_pdf(data=b))))
    print(f"median of {runs} runs, 1-page label ({len(data)} bytes)")
    for name, fn in rows:
        print(f"  {name:<50} {median_ms(fn, runs):7.2f} ms")
    for name, fn in real:
        print(f"  {name:<70} {median_ms(fn, max(runs // 10, 20)):7.2f} ms")


if __name__ == "__main__":
    main()
