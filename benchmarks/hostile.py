"""Hostile inputs against the README's bounds (under 5 s and 500 MB a file): each case is built
in a temporary folder and run as a new ``postcheck`` process; prints its exit status, wall time,
peak memory (the process's maximum resident set) and the first line it wrote to stderr.

    python benchmarks/hostile.py            # every case
    python benchmarks/hostile.py keys wide  # the cases whose names contain these words
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
STORY = json.loads((HERE.parent / "examples" / "returned-parcel.json").read_text())
ORDERS = (HERE.parent / "examples" / "orders.csv").read_text().splitlines()
ENV = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _label(d: Path, name: str, text: str) -> list[str]:
    (d / name).write_text(text)
    return ["check", str(d / name)]


def _story_with(**changes: object) -> str:
    return json.dumps({**STORY, **changes})


def _orders_with(column: str, value: str) -> str:
    names = ORDERS[0].split(",")
    cells = ORDERS[1].split(",")
    cells[names.index(column)] = value
    return "\n".join([ORDERS[0], ",".join(cells), *ORDERS[2:]]) + "\n"


def _batch(d: Path, name: str, text: str) -> list[str]:
    (d / name).write_text(text, newline="")
    return ["batch", str(d / name), "-o", str(d / (name + ".out.csv")), "--force"]


CASES: dict[str, Callable[[Path], list[str]]] = {
    "check: packaging_weight 5e1000000 g": lambda d: _label(d, "w.json", _story_with(packaging_weight="5e1000000 g")),
    "check: quantity 1e999999999": lambda d: _label(
        d, "q.json", _story_with().replace('"quantity": 1,', '"quantity": 1e999999999,', 1)),
    "check: 200,000 unknown keys": lambda d: _label(
        d, "keys.json", _story_with(**{f"k{i}": 1 for i in range(200_000)})),
    "check: CSV header of 1,000,000 columns": lambda d: _label(
        d, "wide.csv", ",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2,3\n"),
    "batch: CSV header of 1,000,000 columns": lambda d: _batch(
        d, "wide.csv", ",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2,3\n"),
    "batch: a 20 MB cell": lambda d: _batch(d, "cell.csv", _orders_with("item1_description", "x" * 20_000_000)),
    "batch: weight 5e1000000 g": lambda d: _batch(d, "exp.csv", _orders_with("packaging_weight", "5e1000000 g")),
    "batch: quantity of 5,000 digits": lambda d: _batch(d, "digits.csv", _orders_with("item1_quantity", "9" * 5000)),
    "batch: lines ending in CR": lambda d: _batch(d, "cr.csv", "\r".join(ORDERS) + "\r"),
    "quote: --weight 5e1000000 g": lambda d: ["quote", "--from", "CA", "--to", "US", "--weight", "5e1000000 g"],
}


def _run(args: list[str]) -> tuple[int, float, float, str]:
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "postcheck", *args], env=ENV, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read() if p.stderr else b""
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    first = err.decode("utf-8", "replace").strip().splitlines()[:1]
    return code, wall, usage.ru_maxrss / 1024, first[0][:100] if first else ""


def main() -> None:
    words = sys.argv[1:]
    print(f"{'case':<42} {'exit':>4} {'wall s':>7} {'peak MB':>8}  stderr")
    for name, make in CASES.items():
        if words and not any(w in name for w in words):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            code, wall, mb, first = _run(make(Path(tmp)))
        flag = "  OVER BOUND" if wall > 5 or mb > 500 else ""
        print(f"{name:<42} {code:>4} {wall:>7.2f} {mb:>8.0f}  {first}{flag}")


if __name__ == "__main__":
    main()
