"""The command line, through click's CliRunner, and once as a real process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from postcheck.cli import cli

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "returned-parcel.json"
FIXTURE_RATES = ROOT / "tests" / "fixtures" / "rates"


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_quote_the_story_parcel():
    r = run("quote", "--from", "CA", "--to", "US", "--weight", "520g", "--date", "2022-03-01")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert "Small Packet USA Air" in lines[1] and "CAD 18.82" in lines[1]
    assert "Tracked Packet USA" in lines[2] and "CAD 21.91" in lines[2]


def test_quote_json_and_the_480_g_parcel():
    r = run("quote", "--from", "CA", "--to", "US", "--weight", "480g", "--date", "2022-03-01", "--format", "json")
    doc = json.loads(r.output)
    first = doc["offers"][0]
    assert (first["id"], first["price"], first["currency"]) == ("small_packet_usa_air", "12.83", "CAD")
    assert not doc["date_defaulted"]
    assert {u["reason"] for u in doc["unavailable"]} >= {"destination-not-served"}


def test_quote_usps_and_tracked_packet_japan():
    r = run("quote", "--from", "US", "--to", "CA", "--weight", "1 lb 4 oz", "--date", "2025-11-01", "--format", "json")
    offers = {o["id"]: o["price"] for o in json.loads(r.output)["offers"]}
    assert offers["fcpis_retail"] == "26.00"
    r = run("quote", "--from", "CA", "--to", "JP", "--weight", "200g", "--date", "2022-03-01", "--format", "json")
    offers = {o["id"]: (o["price"], o["zone"]) for o in json.loads(r.output)["offers"]}
    assert offers["tracked_packet_international"] == ("43.51", "4")


def test_quote_says_why_a_product_cannot_carry_the_parcel():
    r = run("quote", "--from", "CA", "--to", "US", "--weight", "2.5 kg", "--date", "2022-03-01")
    assert r.exit_code == 1
    assert "No product can carry this parcel" in r.output
    assert "over-weight-limit" in r.output
    r = run("quote", "--from", "CA", "--to", "US", "--weight", "500 g", "--dims", "65 x 20 x 10 cm",
            "--date", "2022-03-01")
    assert "over-size-limit" in r.output


def test_quote_without_date_says_today():
    r = run("quote", "--from", "CA", "--to", "US", "--weight", "520g")
    assert "no --date given" in r.output


@pytest.mark.parametrize("args,message", [
    (["--weight", "abc"], "--weight"),
    (["--weight", "25 cm"], "not a length"),
    (["--weight", "-5 g"], "not negative"),
])
def test_quote_bad_weight_exits_2(args, message):
    r = CliRunner().invoke(cli, ["quote", "--from", "CA", "--to", "US", *args])
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output


def test_check_story_exits_1_with_the_three_findings():
    r = run("check", str(STORY), "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert [f["name"] for f in doc["findings"]] == ["gross-weight-missing", "packaging-not-counted",
                                                    "postage-insufficient"]
    assert doc["postage"] == {"required": "18.82", "paid": "12.83", "shortfall": "5.99", "currency": "CAD",
                              "chargeable_weight": "0.520 kg", "basis": "net + packaging"}
    assert doc["verdict"] == "Will be returned: short CAD 5.99"
    assert doc["tariff"]["effective_from"] == "2021-09-13"


def test_check_text_report_reads_like_a_clerk(tmp_path):
    r = run("check", str(STORY), "--measured", "520 g")
    assert r.exit_code == 1
    out = r.output
    for needle in ("gross-weight-missing", "W101", "0.520 kg", "CAD 5.99", "Likely cause", "Fix:",
                   "Small Packet USA Air", "2021-09-13", "Weight tolerance: 10 g",
                   "Verdict: Will be returned: short CAD 5.99"):
        assert needle in out, needle


def test_check_corrected_label_exits_0(tmp_path):
    lab = json.loads(STORY.read_text())
    lab.update(gross_weight="520 g", postage_paid="18.82")
    p = tmp_path / "ok.json"
    p.write_text(json.dumps(lab))
    r = run("check", str(p))
    assert r.exit_code == 0, r.output
    assert "Verdict: OK to drop off" in r.output


@pytest.mark.parametrize("content,needle", [
    ("{not json", "valid JSON"),
    # a label lacking fields is checked as far as it goes, and exits 2 saying what it needs
    ('{"service": "small_packet_usa_air"}', "postcheck needs: origin (--set origin=...)"),
    ('{"service": "small_packet_usa_air", "origin": "Canada", "destination": "US", "currency": "CAD"}',
     "origin: an ISO 3166-1 alpha-2 country code"),
])
def test_check_unreadable_input_exits_2_without_traceback(tmp_path, content, needle):
    p = tmp_path / "bad.json"
    p.write_text(content)
    r = CliRunner().invoke(cli, ["check", str(p)])
    assert r.exit_code == 2
    assert needle in r.output
    assert "Traceback" not in r.output


def test_check_names_the_bad_field(tmp_path):
    lab = json.loads(STORY.read_text())
    lab["items"][1]["net_weight"] = "abc"
    lab["postage_paid"] = -3
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(lab))
    r = CliRunner().invoke(cli, ["check", str(p)])
    assert r.exit_code == 2
    assert "items[1].net_weight" in r.output and "postage_paid" in r.output


def test_check_csv_rows(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_text(
        "parcel_id,service,origin,destination,ship_date,currency,postage_paid,form,category,packaging_weight,"
        "item1_description,item1_net_weight,item1_value\n"
        "A1,small_packet_usa_air,CA,US,2022-03-01,CAD,12.83,CN23,gift,40 g,Wool scarf,480 g,40.00\n"
        "A2,small_packet_usa_air,CA,US,2022-03-01,CAD,18.82,CN23,gift,40 g,Wool scarf,abc,40.00\n",
        encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(p), "--format", "jsonl"])
    assert r.exit_code == 2  # one unreadable row; the other is still checked
    lines = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert lines[0]["parcel_id"] == "A1" and lines[0]["postage"]["shortfall"] == "5.99"
    assert "item1_net_weight" in lines[1]["unreadable"] and "row 3" in lines[1]["source"]


def test_select_ignore_on_the_command_line():
    r = run("check", str(STORY), "--select", "W", "--ignore", "packaging-not-counted", "--format", "json")
    assert [f["name"] for f in json.loads(r.output)["findings"]] == ["gross-weight-missing"]
    r = CliRunner().invoke(cli, ["check", str(STORY), "--select", "nonsense-rule"])
    assert r.exit_code == 2


def test_rules_and_rule():
    r = run("rules", "--format", "json")
    doc = json.loads(r.output)
    assert {"code": "W103", "name": "packaging-not-counted"}.items() <= next(
        d for d in doc if d["code"] == "W103").items()
    r = run("rule", "packaging-not-counted")
    for section in ("What it checks:", "Why it matters:", "Example:", "Corrected:", "Fix safety:", "References:"):
        assert section in r.output
    assert CliRunner().invoke(cli, ["rule", "no-such-rule"]).exit_code == 2


def test_schema_is_json_schema_of_the_label():
    doc = json.loads(run("schema").output)
    assert doc["title"] == "postcheck label"
    assert {"service", "items", "gross_weight", "postage_paid"} <= set(doc["properties"])


def test_rates_list_json_has_the_fields_labels_use():
    doc = json.loads(run("rates", "list", "--format", "json").output)
    ids = {d["id"] for d in doc}
    assert {"small_packet_usa_air", "tracked_packet_usa", "tracked_packet_international", "regular_parcel",
            "fcpis_retail", "fcpis_commercial", "ground_advantage_retail", "ground_advantage_commercial"} <= ids
    for d in doc:
        assert {"id", "name", "operator", "currency", "effective_from"} <= set(d)


def test_rates_show_and_validate(tmp_path):
    r = run("rates", "show", "small_packet_usa_air")
    assert "12.83" in r.output and "2021-09-13" in r.output
    assert run("rates", "validate", str(FIXTURE_RATES)).exit_code == 0
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURE_RATES, bad)
    f = next(bad.rglob("2024-01-01.toml"))
    f.write_text(f.read_text().replace('up_to = "500"', 'up_to = "90"'))
    r = CliRunner().invoke(cli, ["rates", "validate", str(bad)])
    assert r.exit_code == 2
    assert "2024-01-01.toml" in r.output and "steps[1].up_to" in r.output


def test_user_rates_folder_is_added_and_a_bad_one_refused(tmp_path):
    r = run("quote", "--from", "FR", "--to", "DE", "--weight", "500 g", "--date", "2024-06-01",
            "--rates", str(FIXTURE_RATES), "--format", "json")
    assert json.loads(r.output)["offers"][0]["price"] == "3.00"
    r = run("quote", "--from", "FR", "--to", "DE", "--weight", "500 g", "--date", "2024-06-01", "--format", "json",
            env={"POSTCHECK_RATES": str(FIXTURE_RATES)})
    assert json.loads(r.output)["offers"][0]["id"] == "demo_parcel"
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURE_RATES, bad)
    f = next(bad.rglob("2024-01-01.toml"))
    f.write_text(f.read_text().replace('"3.00"', '3.00'))
    r = CliRunner().invoke(cli, ["quote", "--from", "CA", "--to", "US", "--weight", "500 g", "--rates", str(bad)])
    assert r.exit_code == 2 and "2024-01-01.toml" in r.output


@pytest.mark.slow
def test_real_process_exit_codes_and_no_traceback(tmp_path):
    import os

    import postcheck

    cmd = [sys.executable, "-m", "postcheck"]
    # run the same postcheck this test imported (installed, or src/ in development)
    env = dict(os.environ, PYTHONPATH=str(Path(postcheck.__file__).resolve().parents[1]))
    p = subprocess.run([*cmd, "check", str(STORY)], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                       env=env)
    assert p.returncode == 1 and "short CAD 5.99" in p.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"service": "small_packet_usa_air", "items": [{"net_weight": "abc"}]}')
    p = subprocess.run([*cmd, "check", str(bad)], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                       env=env)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "items[0].net_weight" in p.stderr


def test_settings_file_and_command_line_precedence(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.postcheck]\nignore = ["W1"]\ntolerance = "5 g"\n')
    monkeypatch.chdir(tmp_path)
    r = run("check", str(STORY), "--format", "json")
    assert [f["name"] for f in json.loads(r.output)["findings"]] == ["postage-insufficient"]
    r = run("check", str(STORY), "--format", "json", "--ignore", "P", "--measured", "520 g")
    doc = json.loads(r.output)
    assert [f["name"] for f in doc["findings"]] == ["gross-weight-missing", "packaging-not-counted"]
    assert doc["tolerance"] == "5 g"
    (tmp_path / "postcheck.toml").write_text('ignor = ["W1"]\n')
    r = CliRunner().invoke(cli, ["check", str(STORY)])
    assert r.exit_code == 2 and "postcheck.toml" in r.output and "ignor" in r.output
