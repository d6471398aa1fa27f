"""Hostile CSV batches: broken quoting, wrong encodings, bad decimals.  Rows in = rows out (as
Python's csv module counts records), exit 0/1/2, never a traceback, never an input overwritten."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.cli import cli

pytestmark = pytest.mark.slow

HEADER = ["parcel_id", "service", "origin", "destination", "ship_date", "currency", "postage_paid", "form",
          "category", "packaging_weight", "gross_weight", "item1_description", "item1_net_weight", "item1_value"]
GOOD = ["1", "small_packet_usa_air", "CA", "US", "2022-03-01", "CAD", "12.83", "CN23", "gift", "40 g", "",
        "Wool scarf", "480 g", "40.00"]
cells = st.one_of(st.sampled_from(GOOD), st.text(max_size=12),
                  st.sampled_from(['"', '"a,b', "=HYPERLINK(1)", "+1", "@x", "1,5 kg", "12,83", "0,480 kg",
                                   "1.2.3 g", "-1", "NaN", "é", "\x00", "500.001 g", "1e9 kg", "  ", "abc g",
                                   # numbers of any size, digits other than 0-9, a cell past csv's limit
                                   "5e1000000 g", "1e999999999", "9" * 5000, "1e-999999999 g", "1000000000 g",
                                   "４０ g", "٣", "१२.८३", "x" * 200_000]))


def _records(text: str) -> int | None:
    try:
        return sum(1 for r in csv.reader(io.StringIO(text, newline="")) if r) - 1
    except csv.Error:
        return None


# each example runs a whole batch (about 0.3 s): 60 in the quick profile, 1,000 in release
@settings(max_examples=60 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else 1000, deadline=None)
@given(st.lists(st.lists(cells, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]), st.booleans(), st.sampled_from(["python", "auto"]),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_batch_rows_in_equal_rows_out(tmp_path_factory, rows, encoding, raw_quotes, engine, eol):
    d = tmp_path_factory.mktemp("batch")
    if raw_quotes:  # write cells as they are: quotes may be unbalanced
        text = ",".join(HEADER) + eol + "".join(",".join(r) + eol for r in rows)
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator=eol)
        w.writerow(HEADER)
        w.writerows(rows)
        text = buf.getvalue()
    src = d / "in.csv"
    src.write_bytes(text.encode(encoding, errors="replace"))
    before = src.read_bytes()
    out = d / "out.jsonl"
    r = CliRunner().invoke(cli, ["batch", str(src), "-o", str(out), "--engine", engine])
    assert r.exit_code in (0, 1, 2), r.output
    assert "Traceback" not in r.output and "internal error" not in r.output
    assert src.read_bytes() == before
    expected = _records(src.read_bytes().decode(encoding))
    if expected is not None:  # Python's csv module reads it: every record has its result
        assert out.exists(), r.output
        got = [json.loads(x) for x in out.read_text().splitlines() if x.strip()]
        assert len(got) == expected


def test_formula_cells_are_neutralised_in_csv_output(tmp_path):
    src = tmp_path / "in.csv"
    row = list(GOOD)
    row[0] = "=HYPERLINK(\"http://x\")"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerow(row)
    src.write_text(buf.getvalue())
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(cli, ["batch", str(src), "-o", str(out)])
    assert r.exit_code in (0, 1), r.output
    for rec in csv.reader(io.StringIO(out.read_text())):
        for cell in rec:
            assert not cell.startswith(("=", "+", "@")), cell


def test_batch_never_writes_over_its_input(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(",".join(HEADER) + "\n" + ",".join(GOOD) + "\n")
    before = src.read_bytes()
    r = CliRunner().invoke(cli, ["batch", str(src), "-o", str(src), "--force"])
    assert r.exit_code == 2 and "input" in r.output
    assert src.read_bytes() == before
