"""The HTTP API in-process (TestClient): same answers as the command line, one error shape."""

from __future__ import annotations

import json
import subprocess
import sys

from postcheck.report import to_json


def test_check_answers_what_the_cli_prints(client, label, tmp_path):
    path = tmp_path / "label.json"
    path.write_text(json.dumps(label))
    cli = subprocess.run([sys.executable, "-m", "postcheck", "check", str(path), "--format", "json",
                          "--measured", "520 g"], capture_output=True, text=True)
    r = client.post("/v1/check", json={"label": label, "measured_weight": "520 g"})
    assert r.status_code == 200
    got, want = r.json(), json.loads(cli.stdout)
    want.pop("source", None)
    got.pop("source", None)
    assert got == want
    assert got["ok"] is False and "short CAD 5.99" in got["verdict"]


def test_check_same_as_library(client, label):
    from postcheck.checker import check_partial

    r = client.post("/v1/check", json={"label": label})
    assert r.json() == json.loads(to_json(check_partial(label, source="<request>")))


def test_upload_json_and_pdf(client, label):
    r = client.post("/v1/check", files={"file": ("l.json", json.dumps(label).encode(), "application/json")})
    assert r.status_code == 200 and "short" in r.json()["verdict"]
    pdf = client.post("/v1/fix", json={"label": label, "unsafe_fixes": True})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    r = client.post("/v1/check", files={"file": ("fixed.pdf", pdf.content, "application/pdf")})
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True
    ex = client.post("/v1/extract", files={"file": ("fixed.pdf", pdf.content, "application/pdf")})
    assert ex.status_code == 200 and ex.json()["complete"] is True


def test_unreadable_label_is_422_with_field_value_expected(client, label):
    label["ship_date"] = "yesterday"
    r = client.post("/v1/check", json={"label": label})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["problems"] == [{"field": "ship_date", "value": "yesterday", "expected": "a date such as 2022-03-01"}]
    assert "ship_date" in err["unreadable"]


def test_bad_upload_and_bad_request_same_shape(client):
    r = client.post("/v1/check", files={"file": ("l.json", b"{nope", "application/json")})
    assert r.status_code == 422 and r.json()["error"]["source"] == "l.json"
    r = client.post("/v1/check", json={"label": {}, "measured_weight": 5, "bogus": 1})
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["error"]["problems"]}
    assert {"measured_weight", "bogus"} <= fields


def test_partial_label_is_200_with_needs(client, label):
    del label["service"]
    r = client.post("/v1/check", json={"label": label})
    assert r.status_code == 200
    assert "postcheck needs service" in r.json()["verdict"]


def test_limits_413(client, label, monkeypatch):
    from postcheck import limits

    monkeypatch.setenv("POSTCHECK_LIMIT_ITEMS", "2")
    limits.reset()
    try:
        label["items"] = label["items"] * 3
        r = client.post("/v1/check", json={"label": label})
        assert r.status_code == 413
        assert r.json()["error"]["problems"][0]["field"] == "items"
        monkeypatch.setenv("POSTCHECK_LIMIT_LABEL_FILE_MB", "1")
        monkeypatch.setenv("POSTCHECK_LIMIT_PDF_FILE_MB", "1")
        limits.reset()
        r = client.post("/v1/check", content=b"x" * (2 << 20), headers={"content-type": "application/json"})
        assert r.status_code == 413
    finally:
        monkeypatch.delenv("POSTCHECK_LIMIT_ITEMS")
        limits.reset()


def test_record_needs_a_token(client, label):
    r = client.post("/v1/check", json={"label": label, "record": True})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/parcels/RB123456785CA").status_code == 401


def test_stateless_dossier_is_503(client):
    r = client.get("/v1/parcels/RB123456785CA", headers={"Authorization": "Bearer x"})
    assert r.status_code == 503 and r.json()["error"]["message"]


def test_quote_rules_rates_schema(client):
    r = client.post("/v1/quote", json={"origin": "CA", "destination": "US", "weight": "520 g", "date": "2022-03-01"})
    assert r.status_code == 200 and r.json()["offers"]
    assert client.post("/v1/quote", json={"origin": "XX", "destination": "US", "weight": "520 g"}).status_code == 422
    bad = client.post("/v1/quote", json={"origin": "CA", "destination": "US", "weight": "heavy"})
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "weight"
    rules = client.get("/v1/rules").json()
    assert client.get(f"/v1/rules/{rules[0]['code']}").json()["code"] == rules[0]["code"]
    assert client.get("/v1/rules/nope").status_code == 404
    rates = client.get("/v1/rates").json()
    assert client.get(f"/v1/rates/{rates[0]['id']}").status_code == 200
    assert client.get("/v1/rates/nope").status_code == 404
    assert "properties" in client.get("/v1/schema").json()


def test_openapi_has_the_label_model(client):
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "Label" in schemas and "ErrorBody" in schemas and "CheckRequest" in schemas
    assert schemas["CheckRequest"]["properties"]["label"]["allOf"][0]["$ref"] == "#/components/schemas/Label"
    assert "/v1/check" in doc["paths"] and "/v1/parcels/{tracking_number}" in doc["paths"]


def test_notice_and_fix_json(client, label):
    r = client.post("/v1/notice", json={"label": label, "measured_weight": "520 g", "lang": "fr"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.post("/v1/fix", json={"label": label, "format": "json", "unsafe_fixes": True})
    assert r.status_code == 200 and json.loads(r.content)["service"] == "small_packet_usa_air"
    del label["currency"]
    r = client.post("/v1/fix", json={"label": label})
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "currency"


def test_batch_rows_in_rows_out(client, label, tmp_path):
    import time

    rows = "\n".join(json.dumps({**label, "tracking_number": f"RB{i:09d}CA"}) for i in range(5)) + "\n{broken\n"
    r = client.post("/v1/batch?format=jsonl", files={"file": ("in.jsonl", rows.encode(), "application/x-ndjson")})
    assert r.status_code == 202
    job = r.json()["id"]
    for _ in range(300):
        st = client.get(f"/v1/batch/{job}").json()
        if st["state"] != "running":
            break
        time.sleep(0.1)
    assert st["state"] == "done", st
    out = client.get(f"/v1/batch/{job}/result").text.splitlines()
    assert len(out) == 6
