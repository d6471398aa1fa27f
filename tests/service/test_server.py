"""A real uvicorn server on loopback: requests, and the reliability cases (with the dossier store)."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import sqlite3

import httpx
import pytest

from .conftest import LABEL, start_server

pytestmark = pytest.mark.slow


def test_real_server_checks():
    p, url = start_server("--stateless")
    try:
        r = httpx.post(url + "/v1/check", json={"label": LABEL}, timeout=10)
        assert r.status_code == 200 and "short" in r.json()["verdict"]
    finally:
        p.terminate()
        p.wait(10)


def _store(tmp_path):
    pytest.importorskip("postcheck.dossier")
    from postcheck.dossier import open_store

    url = f"sqlite:///{tmp_path / 'd.db'}"
    store = open_store(url)
    token = store.create_token("counter", "clerk-1")
    store.close()
    return url, token


def test_sigkill_mid_recorded_checks_loses_nothing_acknowledged(tmp_path):
    url, token = _store(tmp_path)
    p, base = start_server("--db", url)
    acked: set[str] = set()
    sent: set[str] = set()

    def one(i: int) -> None:
        key = f"k{i}"
        sent.add(key)
        r = httpx.post(base + "/v1/check", json={"label": {**LABEL, "tracking_number": f"RB{i:09d}CA"},
                                                 "record": True},
                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}, timeout=10)
        if r.status_code == 200:
            acked.add(key)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        futs = [ex.submit(one, i) for i in range(200)]
        while len(acked) < 20:
            pass
        os.kill(p.pid, signal.SIGKILL)
        for f in futs:
            try:
                f.result()
            except httpx.HTTPError:
                pass
    p.wait(10)
    from postcheck.dossier import open_store

    store = open_store(url)
    try:
        keys = []
        for i in range(200):
            for e in store.history(f"RB{i:09d}CA"):
                keys.append(e.idempotency_key)
                assert e.report is not None and e.data["tracking_number"] == f"RB{i:09d}CA"  # whole, not half
        assert acked <= set(keys)
        assert len(keys) == len(set(keys))
    finally:
        store.close()
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_two_writers_same_parcel_keep_both(tmp_path):
    url, token = _store(tmp_path)
    p, base = start_server("--db", url, "--workers", "2")
    try:
        def note(i: int) -> int:
            return httpx.post(base + "/v1/parcels/RB123456785CA/events", json={"kind": "note", "data": {"n": i}},
                              headers={"Authorization": f"Bearer {token}"}, timeout=20).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(note, range(40)))
        assert codes == [201] * 40
        evs = httpx.get(base + "/v1/parcels/RB123456785CA", headers={"Authorization": f"Bearer {token}"}).json()
        assert sorted(e["data"]["n"] for e in evs["events"]) == list(range(40))
    finally:
        p.terminate()
        p.wait(10)


def test_database_gone_then_back(tmp_path):
    url, token = _store(tmp_path)
    dbfile = tmp_path / "d.db"
    p, base = start_server("--db", url)
    h = {"Authorization": f"Bearer {token}"}
    try:
        assert httpx.get(base + "/v1/parcels/X", headers=h).status_code == 200
        os.chmod(tmp_path, 0o500)
        moved = tmp_path.parent / (tmp_path.name + "-away")
        os.chmod(tmp_path, 0o700)
        os.rename(tmp_path, moved)
        try:
            r = httpx.post(base + "/v1/parcels/X/events", json={"kind": "note", "data": {}}, headers=h)
            assert r.status_code in (503, 401), r.text
            if r.status_code == 503:
                assert "database" in r.json()["error"]["message"]
        finally:
            os.rename(moved, tmp_path)
        assert dbfile.exists()
        r = httpx.post(base + "/v1/parcels/X/events", json={"kind": "note", "data": {}}, headers=h)
        assert r.status_code == 201
    finally:
        p.terminate()
        p.wait(10)
