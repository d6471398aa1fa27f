"""``postcheck batch`` through click's CliRunner (fast) and once as a real subprocess (slow),
plus ``--resume`` after the process is killed with SIGKILL (slow)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from postcheck.cli import cli

import parcels

SRC = Path(__file__).resolve().parents[2] / "src"
HEADER = ("parcel_id,service,origin,destination,ship_date,currency,form,category,postage_paid,gross_weight,"
          "item1_description,item1_net_weight,item1_value\n")
OK_ROW = "P1,small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,340 g,Wool scarf,300 g,40.00\n"
SHORT_ROW = "P2,small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,520 g,Wool scarf,480 g,40.00\n"
BAD_ROW = "P3,small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,520 cm,Wool scarf,480 g,40.00\n"


def _run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, Path]:
    p = tmp_path / "in.csv"
    p.write_text(HEADER + text, encoding="utf-8")
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(cli, ["batch", str(p), "-o", str(out), "--jobs", "1", *args])
    return r.exit_code, r.output, out


@pytest.mark.parametrize("rows, status", [(OK_ROW, 0), (OK_ROW + SHORT_ROW, 1), (OK_ROW + SHORT_ROW + BAD_ROW, 2)])
def test_exit_status(tmp_path, rows, status):
    code, output, out = _run(tmp_path, rows)
    assert code == status, output
    assert out.exists() and len(list(csv.DictReader(out.open()))) == rows.count("\n")


def test_summary_and_no_progress_bar_when_piped(tmp_path):
    code, output, _ = _run(tmp_path, OK_ROW + SHORT_ROW + BAD_ROW)
    assert "parcels read: 3" in output and "OK: 1" in output and "with errors: 1" in output
    assert "unreadable: 1" in output and "total shortfall: CAD 5.99" in output
    assert "Checking" not in output


def test_refuses_to_overwrite_unless_forced(tmp_path):
    _run(tmp_path, OK_ROW)
    code, output, _ = _run(tmp_path, OK_ROW)
    assert code == 2 and "exists; use --force" in output
    code, _, _ = _run(tmp_path, OK_ROW, "--force")
    assert code == 0
    p = tmp_path / "in.csv"
    r = CliRunner().invoke(cli, ["batch", str(p), "-o", str(p), "--force"])
    assert r.exit_code == 2 and "is an input file" in r.output


def test_output_format_by_extension_or_option(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text(HEADER + OK_ROW, encoding="utf-8")
    for name, args in (("o.jsonl", []), ("o.parquet", []), ("o.data", ["--format", "jsonl"])):
        r = CliRunner().invoke(cli, ["batch", str(p), "-o", str(tmp_path / name), "--jobs", "1", *args])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "o.data").read_text().startswith("{")
    assert (tmp_path / "o.parquet").read_bytes()[:4] == b"PAR1"


def test_python_and_vector_engines_agree(tmp_path, sample_csv):
    outs = []
    for engine in ("vector", "python"):
        out = tmp_path / f"{engine}.csv"
        r = CliRunner().invoke(cli, ["batch", str(sample_csv), "-o", str(out), "--engine", engine,
                                     "--chunk-size", "500"])
        assert r.exit_code == 2, r.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_items_file(tmp_path):
    p = tmp_path / "parcels.csv"
    p.write_text("parcel_id,service,origin,destination,ship_date,currency,form,category,postage_paid,"
                 "packaging_weight\nA,small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,40 g\n",
                 encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text("parcel_id,description,net_weight,value\nA,Wool scarf,300 g,25\nA,Linen towel,180 g,10\n",
                     encoding="utf-8")
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(cli, ["batch", str(p), "--items", str(items), "-o", str(out)])
    assert r.exit_code == 1, r.output
    row = next(csv.DictReader(out.open()))
    assert row["verdict"] == "Will be returned: short CAD 5.99"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.mark.slow
def test_real_subprocess(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text(HEADER + OK_ROW + SHORT_ROW, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "postcheck", "batch", str(p), "-o", str(tmp_path / "o.csv")],
                       capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 1, r.stderr
    assert "parcels read: 2" in r.stdout and r.stderr == ""
    # the program ends at once after a batch (os._exit): the summary is still complete, the
    # output in place and nothing left beside it
    assert r.stdout.rstrip().endswith("total shortfall: CAD 5.99")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.csv", "o.csv"]
    assert len((tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()) == 3


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path):
    src = parcels.write_csv(tmp_path / "big.csv", 60_000, seed=5)
    whole = tmp_path / "whole.csv"
    args = [sys.executable, "-m", "postcheck", "batch", str(src), "--chunk-size", "2000", "--jobs", "1"]
    subprocess.run(args + ["-o", str(whole)], env=_env(), timeout=600, capture_output=True)
    out = tmp_path / "out.csv"
    journal = tmp_path / "out.csv.part.json"
    proc = subprocess.Popen(args + ["-o", str(out)], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not journal.exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and journal.exists()
    part = (tmp_path / "out.csv.part").read_bytes()
    r = subprocess.run(args + ["-o", str(out), "--resume"], env=_env(), timeout=600, capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert out.read_bytes() == whole.read_bytes()
    assert "parcels read: 60000" in r.stdout
    assert len(part) < len(whole.read_bytes())  # it really was interrupted


def _check_codes(path: Path, option: str, value: str) -> list[list[str]]:
    """Finding codes per readable row as ``postcheck.check`` gives them with the option (the reference)."""
    from postcheck.checker import check
    from postcheck.errors import PostcheckError
    from postcheck.rows import label_from_row

    kw = {"tolerance": value} if option == "--tolerance" else {option[2:]: value.split(",")}
    out = []
    for row in csv.DictReader(path.open(encoding="utf-8", newline="")):
        try:
            out.append([f.code for f in check(label_from_row(row, source="x"), **kw).findings])
        except PostcheckError:
            continue
    return out


@pytest.mark.parametrize("args", [("--select", "P201"), ("--ignore", "P2,W1"), ("--tolerance", "2%")])
def test_select_ignore_tolerance_like_check(tmp_path, sample_csv, args):
    rows = sample_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    p = tmp_path / "some.csv"
    p.write_text("".join(rows[:300]), encoding="utf-8")
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(cli, ["batch", str(p), "-o", str(out), *args])
    assert r.exit_code in (1, 2), r.output
    got = [row["codes"].split() for row in csv.DictReader(out.open(encoding="utf-8")) if row["status"] != "unreadable"]
    assert got == _check_codes(p, *args)
    if args[0] == "--select":
        assert {c for codes in got for c in codes} == {"P201"}


def test_settings_file_is_honoured(tmp_path, monkeypatch):
    (tmp_path / "postcheck.toml").write_text('ignore = ["P2", "W1"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, output, out = _run(tmp_path, OK_ROW + SHORT_ROW)
    assert code == 0, output
    assert [r["codes"] for r in csv.DictReader(out.open())] == ["", ""]
    code, output, out = _run(tmp_path, OK_ROW + SHORT_ROW, "--ignore", "C3", "--force")  # command line wins
    assert code == 1, output


def test_bad_selection_or_tolerance_is_a_usage_error(tmp_path):
    assert _run(tmp_path, OK_ROW, "--select", "Z999")[0] == 2
    assert _run(tmp_path, OK_ROW, "--tolerance", "lots", "--force")[0] == 2
