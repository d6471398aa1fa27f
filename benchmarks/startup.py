"""Startup: ``postcheck check`` on one JSON label as a new process, against
``python -c "import pydantic"`` (target: within 5x).  Prints the imports that dominate
(``python -X importtime``) so slow modules can be found.

    python benchmarks/startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "returned-parcel.json"
ENV = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def best_of(cmd: list[str], n: int = 7) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=ENV, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    label = str(EXAMPLE)
    base = best_of([sys.executable, "-c", "import pydantic"])
    chk = best_of([sys.executable, "-m", "postcheck", "check", label])
    ver = best_of([sys.executable, "-m", "postcheck", "--version"])
    print(f'python -c "import pydantic": {base * 1000:7.0f} ms')
    print(f"postcheck --version:         {ver * 1000:7.0f} ms")
    print(f"postcheck check label.json:  {chk * 1000:7.0f} ms  ({chk / base:.1f}x, target <= 5x)")
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "imports.txt"
        with log.open("w") as f:
            subprocess.run([sys.executable, "-X", "importtime", "-m", "postcheck", "check", label], env=ENV,
                           stderr=f, stdout=subprocess.DEVNULL)
        rows = []
        for line in log.read_text().splitlines():
            # "import time:  self [us] | cumulative | imported package", nesting shown by indentation
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            self_us, cum_us, name = line.split(":", 1)[1].split("|")
            depth = (len(name) - len(name.lstrip())) // 2
            rows.append((int(cum_us), depth, name.strip()))
    print("imports that dominate (cumulative ms; depth 0 and 1):")
    for cum, depth, name in sorted((r for r in rows if r[1] <= 1), reverse=True)[:12]:
        print(f"  {cum / 1000:7.1f}  {'  ' * depth}{name}")


if __name__ == "__main__":
    main()
