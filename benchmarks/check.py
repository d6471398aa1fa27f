"""``postcheck.check()`` on one label, as a backend calls it: the README's example
(examples/returned-parcel.json, with and without the measured weight), given as a dict.

Prints the median CPU time of a call (target: 80 us or less), from ``--rounds`` rounds of
``--calls`` calls each, after a warm-up (tariffs loaded, caches filled); and, with ``--profile``,
where the time goes.

    python benchmarks/check.py
    python benchmarks/check.py --profile
    python benchmarks/check.py --src ../main/src   # another checkout, for a comparison under the same load
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# --src DIR measures another checkout's package (say, the main branch's) under the same load
_SRC = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else str(ROOT / "src")
sys.path.insert(0, _SRC)

import postcheck  # noqa: E402

LABEL = json.loads((ROOT / "examples" / "returned-parcel.json").read_text(encoding="utf-8"))
TARGET_US = 80


def per_call_us(calls: int, **kw: object) -> float:
    """CPU time of one call (process time: on a shared machine, wall time also counts the time
    other processes held the core)."""
    t0 = time.process_time()
    for _ in range(calls):
        postcheck.check(LABEL, **kw)
    return (time.process_time() - t0) / calls * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    ap.add_argument("--src", default=None, help="the package's source folder (default: this checkout's src)")
    a = ap.parse_args()
    cases = {"before drop-off": {}, "returned, weighed 520 g": {"measured_weight": "520 g"}}
    for kw in cases.values():
        per_call_us(200, **kw)  # warm-up
    for name, kw in cases.items():
        times = [per_call_us(a.calls, **kw) for _ in range(a.rounds)]
        med = statistics.median(times)
        print(f"check() {name}: median {med:.0f} us a label (min {min(times):.0f}, max {max(times):.0f}; "
              f"{a.rounds} rounds of {a.calls}); target <= {TARGET_US} us: {'met' if med <= TARGET_US else 'NOT met'}")
    if a.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        per_call_us(2000, measured_weight="520 g")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
