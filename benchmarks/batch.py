"""Benchmark ``postcheck batch`` against its floor and its baseline.

Generates N realistic parcels (seeded; every bundled product, step edges, ~3 % unreadable rows,
~10 % with a planted problem; see parcels.py), then times in one run:

* ``postcheck batch`` end to end, as a new process; peak memory in one more run (the sum over its
  processes of their proportional set sizes, sampled every 20 ms, which slows that run);
* reading the same CSV with pyarrow alone (``pyarrow.csv.read_csv``, default options): the floor
  no checker can beat;
* ``postcheck.check()`` looped over a sample of the rows (label_from_row + check per row).

With ``--repeat K`` the three are measured in K rounds, one after another within each round, and
each ratio is the median of its K per-round ratios: on a shared machine whose speed drifts by
30-50 % from minute to minute, a ratio is only fair between figures taken under the same load.
The median times of each measure are printed too.

    python benchmarks/batch.py 1000000 --repeat 5  # prints parcels/s, ratios, peak memory
    python benchmarks/batch.py 5000000 --no-loop   # memory at a larger N
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
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


def _tree_memory_kb(root: int) -> int:
    """Memory of ``root`` and all its descendants (KB, from /proc): each process's proportional
    set size (Pss: a page shared by the parent and its forked workers counts once in all), or
    its resident set size where the kernel gives no Pss."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _process_kb(pid)
        todo.extend(kids.get(pid, []))
    return total


def _process_kb(pid: int) -> int:
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def time_batch(src: Path, out: Path, extra: list[str], poll: bool = True) -> tuple[float, float, int, float]:
    """(seconds, peak memory of the batch's processes in MB, exit status, CPU seconds).

    With ``poll`` the peak is the largest sum over the process tree (parent and workers) of their
    proportional set sizes, seen by polling /proc every 20 ms; reading them walks the processes'
    page tables and slows the batch by 15-20 %, so the timed runs do not poll (peak: NaN).  Not
    the children's rusage peak: a child counts as resident what it shared with this process
    between fork and exec, and this process has just read the whole CSV with pyarrow."""
    import threading

    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "postcheck", "batch", str(src), "-o", str(out), "--force", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree = [0]
    polling = poll and os.path.isdir("/proc")

    def watch() -> None:
        while proc.poll() is None:
            try:
                peak_tree[0] = max(peak_tree[0], _tree_memory_kb(proc.pid))
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    if polling:
        watcher.start()
    _, stderr = proc.communicate()
    secs = time.perf_counter() - t0
    if polling:
        watcher.join()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if proc.returncode not in (0, 1, 2):
        sys.exit(f"postcheck batch failed ({proc.returncode}): {stderr}")
    return secs, peak_tree[0] / 1024 if polling else float("nan"), proc.returncode, cpu


def time_pyarrow(src: Path) -> float:
    """pyarrow's read, warm: imported, the file in the page cache, its memory pool holding the
    memory of the previous read (so this figure is pyarrow's best, not a cold start)."""
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    pacsv.read_csv(src)
    return time.perf_counter() - t0


def settle() -> None:
    """A pause between measures, so that none starts while the machine still clears up after
    the one before (measured: a batch run right after a pyarrow read was 9 % slower)."""
    time.sleep(0.5)


def loop_rows(src: Path, sample: int) -> list[dict[str, str]]:
    import csv

    with src.open(newline="", encoding="utf-8") as f:
        return [r for _, r in zip(range(sample), csv.DictReader(f))]


def time_loop(rows: list[dict[str, str]]) -> tuple[float, int]:
    from postcheck.checker import check, default_rates
    from postcheck.errors import PostcheckError
    from postcheck.rows import label_from_row

    rates = default_rates()
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
                    help="measure in this many rounds and report medians (timings on shared machines are noisy)")
    ap.add_argument("batch_args", nargs="*", help="extra arguments for postcheck batch (after --)")
    a = ap.parse_args()
    tmp = Path(a.dir or tempfile.mkdtemp(prefix="postcheck-bench-"))
    src = tmp / f"parcels-{a.n}-{a.seed}.csv"
    if not src.exists():
        t0 = time.perf_counter()
        parcels.write_csv(src, a.n, seed=a.seed)
        print(f"generated {a.n} parcels ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    out = tmp / "results.csv"
    k = max(a.repeat, 1)
    # each round loops over rows of its own (no round finds what an earlier one left in caches);
    # imports and tariffs load once, on 200 other rows, outside the timings
    rows = [] if a.no_loop else loop_rows(src, a.sample * k + 200)
    if rows:
        time_loop(rows[-200:])
    time_pyarrow(src)  # the file into the page cache, pyarrow imported
    rounds = []
    for i in range(k):
        pa_secs = time_pyarrow(src)
        settle()
        secs, _, status, cpu = time_batch(src, out, a.batch_args, poll=False)
        settle()
        loop = time_loop(rows[i * a.sample:(i + 1) * a.sample]) if rows else None
        settle()
        rounds.append((secs, 0.0, status, cpu, pa_secs, loop))
    peak = time_batch(src, out, a.batch_args, poll=True)[1]  # one more run, for memory only
    med = statistics.median
    secs = med(r[0] for r in rounds)
    status = rounds[-1][2]
    pa_secs = med(r[4] for r in rounds)
    print(f"cores: {os.cpu_count()}; rounds: {len(rounds)} (medians shown)")
    if len(rounds) > 1:
        print("batch runs: " + ", ".join(f"{r[0]:.2f} s" for r in rounds)
              + "; pyarrow reads: " + ", ".join(f"{r[4]:.2f} s" for r in rounds))
    print(f"postcheck batch:   {secs:8.2f} s  {a.n / secs:12,.0f} parcels/s  "
          f"peak memory (PSS, all processes) {peak:,.0f} MB  "
          f"CPU {med(r[3] for r in rounds):.2f} s  exit {status}")
    print(f"pyarrow read_csv:  {pa_secs:8.2f} s  {a.n / pa_secs:12,.0f} rows/s")
    print(f"ratio batch / pyarrow read: {med(r[0] / r[4] for r in rounds):.2f}x (target <= 3x; "
          f"per-round ratios: {', '.join(f'{r[0] / r[4]:.2f}' for r in rounds)})")
    if rows:
        rate = med(r[5][1] / r[5][0] for r in rounds)
        print(f"check() per row:   {med(r[5][0] for r in rounds):8.2f} s for {a.sample} rows  {rate:12,.0f} parcels/s")
        ratios = [a.n / r[0] / (r[5][1] / r[5][0]) for r in rounds]
        print(f"ratio batch / per-row loop throughput: {med(ratios):.0f}x (target >= 100x; "
              f"per-round: {', '.join(f'{x:.0f}' for x in ratios)})")
    if not a.keep:
        out.unlink(missing_ok=True)
        if a.dir is None:
            src.unlink(missing_ok=True)
            tmp.rmdir()


if __name__ == "__main__":
    main()
