"""check / fix / notice with --set, a partial label's check, services without a tariff, and
the messages of issue 12: through CliRunner, and once as a real process."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from postcheck.cli import cli

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "returned-parcel.json"
STORY_DOC = json.loads(STORY.read_text("utf-8"))


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def partial(tmp_path) -> Path:
    """The story label as a reader that found neither the service nor the destination gives it."""
    doc = copy.deepcopy(STORY_DOC)
    del doc["service"], doc["destination"]
    p = tmp_path / "partial.json"
    p.write_text(json.dumps(doc), "utf-8")
    return p


def test_check_of_a_partial_label_prints_what_it_found_and_what_it_needs(partial):
    r = run("check", partial)
    assert r.exit_code == 2
    assert "ERROR   W101 gross-weight-missing" in r.stdout
    assert "To price the postage postcheck needs: service (--set service=...), destination (--set destination=...)" \
        in r.stdout
    assert "Verdict: Not ready to drop off: gross-weight-missing; incomplete: postcheck needs service, destination" \
        in r.stdout


def test_check_of_a_partial_label_as_json(partial):
    r = run("check", partial, "--format", "json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["incomplete"] is True and doc["ok"] is False
    assert [n["field"] for n in doc["needs"]] == ["service", "destination"]
    assert [f["code"] for f in doc["findings"]] == ["W101"]


def test_set_supplies_the_missing_fields(partial):
    r = run("check", partial, "--set", "service=small_packet_usa_air", "--set", "destination=US")
    assert r.exit_code == 1
    assert "Verdict: Will be returned: short CAD 5.99" in r.stdout
    assert "Incomplete" not in r.stdout
    # the same output as the complete label, but for the file name
    full = run("check", STORY)
    assert r.stdout.replace(str(partial), "X") == full.stdout.replace(str(STORY), "X")


def test_set_corrects_a_field_of_a_json_label():
    r = run("check", STORY, "--set", "gross_weight=520 g", "--set", "postage_paid=18.82")
    assert r.exit_code == 0 and "Verdict: OK to drop off" in r.stdout
    r = run("check", STORY, "--set", "items[0].net_weight=200 g", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["postage"]["required"] == "12.83"  # 380 g + 40 g: the 0.5 kg step


def test_set_on_a_one_row_csv(tmp_path):
    csv = tmp_path / "one.csv"
    csv.write_text("service,origin,currency,postage_paid,form,category,packaging_weight,gross_weight,"
                   "item1_description,item1_net_weight,item1_value\n"
                   "small_packet_usa_air,CA,CAD,18.82,CN22,gift,40 g,520 g,Wool scarf,480 g,40.00\n", "utf-8")
    r = run("check", csv)
    assert r.exit_code == 2 and "destination (--set destination=...)" in r.stdout
    r = run("check", csv, "--set", "destination=US", "--set", "ship_date=2022-03-01")
    assert r.exit_code == 0, r.output
    assert "required CAD 18.82, paid CAD 18.82" in r.stdout


def test_set_refuses_a_file_of_several_labels(tmp_path):
    many = tmp_path / "many.json"
    many.write_text(json.dumps([STORY_DOC, STORY_DOC]), "utf-8")
    r = run("check", many, "--set", "destination=US")
    assert r.exit_code == 2 and "applies to one label" in r.output


def test_set_on_a_pdf_label(tmp_path):
    pdf = tmp_path / "label.pdf"
    assert run("fix", STORY, "-o", pdf).exit_code == 0
    assert run("check", pdf).exit_code == 0
    r = run("check", pdf, "--set", "postage_paid=12.83")
    assert r.exit_code == 1 and "short CAD 5.99" in r.stdout
    r = run("check", pdf, "--set", "service=DHL Express Worldwide", "--format", "json")
    assert r.exit_code == 0
    assert [f["code"] for f in json.loads(r.stdout)["findings"]] == ["P211"]


@pytest.mark.parametrize("option,message", [
    ("destinaton=US", "destinaton: a label field (did you mean 'destination'?)"),
    ("destination=XX", "destination: an ISO 3166-1 alpha-2 country code"),
    ("items[0].net_weight=25 cm", "items[0].net_weight: a weight (g, kg, oz, lb), not a length"),
    ("items[7].net_weight=25 g", "items[7].net_weight: a contents line that exists"),
    ("gross_weight", "FIELD=VALUE"),
])
def test_a_bad_set_is_refused_naming_the_field(option, message):
    for command in (["check", STORY], ["fix", STORY, "-o", "never.pdf"], ["notice", STORY, "-o", "never.pdf"]):
        r = run(*command, "--set", option)
        assert r.exit_code == 2, command
        assert message in r.output, (command, r.output)
    assert not Path("never.pdf").exists()


def test_a_service_without_a_tariff_is_a_finding_not_an_unreadable_label():
    r = run("check", STORY, "--set", "service=Royal Mail International Standard")
    assert r.exit_code == 1  # W101 is still an error: the weight rules ran
    out = " ".join(r.stdout.split())
    assert "WARNING P211 service-not-priced" in out and "could not be priced" in out
    assert "ERROR W101 gross-weight-missing" in out
    r = run("check", STORY, "--set", "service=small_packet_usa_ai", "--set", "gross_weight=520 g")
    assert r.exit_code == 0
    out = " ".join(r.stdout.split())
    assert "did you mean that?" in out and "--set service=small_packet_usa_air" in out


def test_check_json_on_an_unreadable_file_prints_a_json_error(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 cut short")
    r = run("check", bad, "--format", "json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["source"] == str(bad) and "truncated" in doc["unreadable"]
    r = run("check", tmp_path / "absent.json", "--format", "json")
    assert r.exit_code == 2 and "no such file" in json.loads(r.stdout)["unreadable"]


def test_check_takes_a_profile(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "pdf"))
    from pdf_samples import filled_form

    form = tmp_path / "form.pdf"
    form.write_bytes(filled_form())
    profile = ROOT / "src" / "postcheck" / "pdf" / "profiles" / "generic-cn23.toml"
    r = run("check", form, "--profile", profile)
    assert r.exit_code in (0, 1), r.output
    assert "Priced with: Canada Post Small Packet USA Air" in r.stdout


def test_fix_names_the_file(partial, tmp_path):
    r = run("fix", partial, "-o", tmp_path / "c.pdf")
    assert r.exit_code == 2
    assert f"{partial}: 2 problems reading the label" in r.output and "<label>" not in r.output


def test_fix_of_a_service_without_a_tariff_fixes_the_rest(tmp_path):
    out = tmp_path / "c.json"
    r = run("fix", STORY, "--set", "service=DHL Express Worldwide", "-o", out)
    assert r.exit_code == 0, r.output
    assert "gross_weight: (empty) -> 520 g" in r.output and "postage_paid" not in r.output
    assert json.loads(out.read_text("utf-8"))["service"] == "DHL Express Worldwide"


def test_fix_and_notice_of_a_partial_label_ask_for_the_fields(partial, tmp_path):
    for command in ("fix", "notice"):
        r = run(command, partial, "-o", tmp_path / f"{command}.pdf")
        assert r.exit_code == 2
        assert "destination: required field is missing (give it with --set destination=...)" in r.output
        assert "service: required field is missing (give it with --set service=...)" in r.output
        r = run(command, partial, "-o", tmp_path / f"{command}.pdf", "--set", "service=small_packet_usa_air",
                "--set", "destination=US")
        assert r.exit_code in (0, 1), r.output
        assert (tmp_path / f"{command}.pdf").exists()


@pytest.mark.slow
def test_set_as_a_subprocess(partial):
    p = subprocess.run([sys.executable, "-m", "postcheck", "check", str(partial), "--format", "json",
                        "--set", "service=small_packet_usa_air", "--set", "destination=US"],
                       capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["verdict"] == "Will be returned: short CAD 5.99"
    p = subprocess.run([sys.executable, "-m", "postcheck", "check", str(partial)],
                       capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert p.returncode == 2 and "postcheck needs: service (--set service=...)" in p.stdout
