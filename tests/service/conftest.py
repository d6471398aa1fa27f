from __future__ import annotations

import copy
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

LABEL = {"service": "small_packet_usa_air", "origin": "CA", "destination": "US", "ship_date": "2022-03-01",
         "currency": "CAD", "postage_paid": "12.83", "form": "CN23", "category": "gift",
         "packaging_weight": "40 g", "tracking_number": "RB123456785CA",
         "items": [{"description": "Wool scarf", "net_weight": "480 g", "value": "40"}]}


@pytest.fixture
def label():
    return copy.deepcopy(LABEL)


@pytest.fixture
def client():
    from fastapi.testclient import TestClient

    from postcheck.service.app import ServiceSettings, create_app

    with TestClient(create_app(ServiceSettings(use_store=False))) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "postcheck", "serve", "--port", str(port), *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if p.poll() is not None:
            raise AssertionError(p.stderr.read().decode() if p.stderr else "server exited")
        try:
            if httpx.get(url + "/v1/rules", timeout=1).status_code == 200:
                return p, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    p.kill()
    raise AssertionError("server did not start")
