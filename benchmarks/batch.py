"""Benchmark ``postcheck batch`` against its floor and its baseline.

Generates N realistic parcels (seeded; every bundled product, step edges, ~3 % unreadable rows,
~10 % with a planted problem; see parcels.py), then times in one run:

* ``postcheck batch`` end to end, as a new process (peak memory from the child's rusage);
* reading the same CSV with pyarrow alone (``pyarrow.csv.read_csv``, default options): the floor
  no checker can beat;
* ``postcheck.check()`` looped over a sample of the rows (label_from_row + check per row).

    python benchmarks/batch.py 1000000            # prints parcels/s, ratios, peak memory
    python benchmarks/batch.py 5000000 --no-loop  # memory at a larger N
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(HERE))

import parcels  # noqa: E402


def time_batch(src: Path, out: Path, extra: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS of the batch process tree in MB, exit status)."""
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "postcheck", "batch", str(src), "-o", str(out), "--force", *extra],
                       env=env, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if r.returncode not in (0, 1, 2):
        sys.exit(f"postcheck batch failed ({r.returncode}): {r.stderr}")
    # ru_maxrss of children is the largest single process (parent or a worker), in KB on Linux
    return secs, max(peak, before) / 1024, r.returncode


def time_pyarrow(src: Path) -> float:
    import pyarrow.csv as pacsv

    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        pacsv.read_csv(src)
        best = min(best, time.perf_counter() - t0)
    return best


def time_loop(src: Path, sample: int) -> tuple[float, int]:
    import csv

    from postcheck.checker import check, default_rates
    from postcheck.errors import PostcheckError
    from postcheck.rows import label_from_row

    rates = default_rates()
    with src.open(newline="", encoding="utf-8") as f:
        rows = [r for _, r in zip(range(sample), csv.DictReader(f))]
    t0 = time.perf_counter()
    for n, row in enumerate(rows, start=2):
        try:
            check(label_from_row(row, source=f"row {n}"), rates=rates, source=f"row {n}")
        except PostcheckError:
            pass
    return time.perf_counter() - t0, len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample", type=int, default=5000, help="rows for the per-row check() loop")
    ap.add_argument("--no-loop", action="store_true", help="skip the per-row loop")
    ap.add_argument("--dir", default=None, help="where to write the CSV (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated CSV and the output")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the batch this many times and report the median (timings on shared machines are noisy)")
    ap.add_argument("batch_args", nargs="*", help="extra arguments for postcheck batch (after --)")
    a = ap.parse_args()
    tmp = Path(a.dir or tempfile.mkdtemp(prefix="postcheck-bench-"))
    src = tmp / f"parcels-{a.n}-{a.seed}.csv"
    if not src.exists():
        t0 = time.perf_counter()
        parcels.write_csv(src, a.n, seed=a.seed)
        print(f"generated {a.n} parcels ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    out = tmp / "results.csv"
    runs = [time_batch(src, out, a.batch_args) for _ in range(max(a.repeat, 1))]
    secs = sorted(r[0] for r in runs)[len(runs) // 2]
    peak, status = max(r[1] for r in runs), runs[-1][2]
    if len(runs) > 1:
        print("batch runs: " + ", ".join(f"{r[0]:.2f} s" for r in runs) + " (median used)")
    pa_secs = time_pyarrow(src)
    print(f"cores: {os.cpu_count()}")
    print(f"postcheck batch:   {secs:8.2f} s  {a.n / secs:12,.0f} parcels/s  peak RSS {peak:,.0f} MB  exit {status}")
    print(f"pyarrow read_csv:  {pa_secs:8.2f} s  {a.n / pa_secs:12,.0f} rows/s")
    print(f"ratio batch / pyarrow read: {secs / pa_secs:.2f}x (target <= 3x)")
    if not a.no_loop:
        loop_secs, k = time_loop(src, a.sample)
        rate = k / loop_secs
        print(f"check() per row:   {loop_secs:8.2f} s for {k} rows  {rate:12,.0f} parcels/s")
        print(f"ratio batch / per-row loop throughput: {a.n / secs / rate:.0f}x (target >= 100x)")
    if not a.keep:
        out.unlink(missing_ok=True)
        if a.dir is None:
            src.unlink(missing_ok=True)
            tmp.rmdir()


if __name__ == "__main__":
    main()
