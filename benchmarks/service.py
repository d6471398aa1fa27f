"""Throughput and latency of ``postcheck serve``'s ``POST /v1/check`` (figures printed, not asserted).

    .venv/bin/python benchmarks/service.py [--requests 400] [--seconds-per-run N]

Starts real uvicorn servers on loopback (1 worker, then 2 workers; and 1 worker recording to a
SQLite dossier when the store is installed), drives each with an ``httpx.AsyncClient`` at 1, 8
and 32 concurrent requests, and compares with in-process ``postcheck.check()`` on the same labels.
Targets (issue 17): per-worker throughput >= 60 % of in-process check(); p99 <= 50 ms at 32
concurrent; 2 workers >= 1.7x one; recording to SQLite costs <= 20 % of throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

LABEL = {"service": "small_packet_usa_air", "origin": "CA", "destination": "US", "ship_date": "2022-03-01",
         "currency": "CAD", "postage_paid": "12.83", "form": "CN23", "category": "gift",
         "packaging_weight": "40 g", "tracking_number": "RB123456785CA",
         "items": [{"description": "Wool scarf", "net_weight": "480 g", "value": "40"}]}


def labels(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        d = dict(LABEL)
        d["items"] = [{"description": "Wool scarf", "net_weight": f"{300 + i % 200} g", "value": str(10 + i % 50)}]
        d["tracking_number"] = f"RB{i:09d}CA"
        out.append(d)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workers: int, db: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "postcheck", "serve", "--port", str(port), "--workers", str(workers)]
    cmd += ["--db", db] if db else ["--stateless"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/v1/rules", timeout=1).status_code == 200:
                return p, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    p.kill()
    raise SystemExit("the server did not start")


async def drive(url: str, docs: list[dict[str, Any]], concurrency: int, token: str | None) -> tuple[float, list[float]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    lat: list[float] = []
    queue = list(enumerate(docs))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        for d in docs[:concurrency]:  # warm the connections and the server
            await client.post("/v1/check", json={"label": d})

        async def worker() -> None:
            while queue:
                i, d = queue.pop()
                body: dict[str, Any] = {"label": d, "measured_weight": "520 g"}
                if token:
                    body["record"] = True
                t = time.perf_counter()
                r = await client.post("/v1/check", json=body, headers={**headers, "Idempotency-Key": f"b{i}"})
                lat.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise SystemExit(f"HTTP {r.status_code}: {r.text[:300]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return len(docs) / wall, lat


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000


def in_process(docs: list[dict[str, Any]]) -> float:
    from postcheck.checker import check_partial, default_rates
    from postcheck.report import to_json

    rates = default_rates()
    for d in docs[:20]:
        check_partial(d, rates=rates, measured_weight="520 g")
    t0 = time.perf_counter()
    for d in docs:
        to_json(check_partial(d, rates=rates, measured_weight="520 g"))
    return len(docs) / (time.perf_counter() - t0)


def run_server(name: str, workers: int, db: str | None, docs: list[dict[str, Any]], token: str | None,
               levels: tuple[int, ...]) -> dict[int, float]:
    p, url = start(workers, db)
    out = {}
    try:
        for c in levels:
            rps, lat = asyncio.run(drive(url, docs, c, token))
            out[c] = rps
            print(f"{name:<28} c={c:<3} {rps:8.1f} req/s   p50 {pct(lat, 50):6.1f} ms   p99 {pct(lat, 99):6.1f} ms")
    finally:
        p.terminate()
        p.wait(10)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    docs = labels(args.requests)
    print(f"{args.requests} labels per run, {os.cpu_count()} CPUs on this machine (shared: figures are noisy)")
    ip = in_process(docs)
    print(f"{'in-process check_partial+JSON':<28}       {ip:8.1f} labels/s")
    one = run_server("serve, 1 worker", 1, None, docs, None, (1, 8, 32))
    two = run_server("serve, 2 workers", 2, None, docs, None, (32,))
    best1 = max(one.values())
    print(f"per-worker / in-process: {best1 / ip:.0%} (target >= 60%)")
    print(f"2 workers / 1 at c=32:   {two[32] / one[32]:.2f}x (target >= 1.7x)")
    try:
        import postcheck.dossier  # noqa: F401
    except ImportError:
        print("recording: the dossier store (postcheck.dossier) is not installed here; not measured")
        return
    from postcheck.dossier import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = open_store(db)
        token = store.create_token("counter", "bench")
        store.close()
        rec = run_server("serve, 1 worker, record", 1, db, docs, token, (8, 32))
        print(f"recording cost at c=32:  {1 - rec[32] / one[32]:.0%} of throughput (target <= 20%)")


if __name__ == "__main__":
    main()
