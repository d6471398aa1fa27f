"""Batches of hostile input: every line ending, rows with cells of any size, on both engines;
every row comes out once, and what ``check`` says of it."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.batch.run import run_batch
from postcheck.inputs import read_labels

ROOT = Path(__file__).resolve().parents[2]
ORDERS = (ROOT / "examples" / "orders.csv").read_text(encoding="utf-8").splitlines()
HEADER, ROWS = ORDERS[0], ORDERS[1:]


def _results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _check_sources(path: Path) -> list[tuple[str, bool]]:
    """What ``postcheck check`` reads from the file: each label's source, and whether it read."""
    return [(li.source, li.label is not None) for li in read_labels(path)]


@settings(max_examples=40, deadline=None)
@given(eols=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(ROWS) * 8 + 1, max_size=len(ROWS) * 8 + 1),
       uniform=st.sampled_from([None, "\n", "\r\n", "\r"]), engine=st.sampled_from(["vector", "python"]),
       final_eol=st.booleans())
def test_every_line_ending_reads_as_check_reads_it(tmp_path_factory, eols, uniform, engine, final_eol):
    """LF, CRLF, CR alone, or any mixture: the batch has every row that ``check`` reads, with
    the same row numbers and the same unreadable rows (chunks of about 100 rows are cut from
    40 rows' worth of 1 KB blocks, so cuts fall between every kind of line ending)."""
    lines = [HEADER] + ROWS * 8
    if uniform:
        eols = [uniform] * len(lines)
    text = "".join(line + eol for line, eol in zip(lines, eols))
    if not final_eol:
        text = text.rstrip("\r\n")
    d = tmp_path_factory.mktemp("eol")
    p = d / "orders.csv"
    p.write_bytes(text.encode())
    out = d / "out.csv"
    summary = run_batch(p, out, engine=engine, chunk_size=100, jobs=1)
    want = _check_sources(p)
    got = _results(out)
    assert [f"{p} row {r['row']}" for r in got] == [s for s, _ in want]
    assert [r["status"] != "unreadable" for r in got] == [ok for _, ok in want]
    assert summary.read == len(want) == len(ROWS) * 8


def _with_cell(column: str, value: str) -> str:
    names = HEADER.split(",")
    cells = ROWS[0].split(",")
    cells[names.index(column)] = value
    return "\n".join([HEADER, ROWS[1], ",".join(cells), *ROWS[2:]]) + "\n"


@pytest.mark.parametrize("engine", ["vector", "python"])
@pytest.mark.parametrize("column, value, reason", [
    ("packaging_weight", "5e1000000 g", "packaging_weight: a weight under 1000000000 g"),
    ("gross_weight", "9" * 5000, "gross_weight: a weight such as"),
    ("postage_paid", "9" * 5000, "postage_paid: an amount such as"),
    ("item1_quantity", "9" * 5000, "item1_quantity: a whole number of pieces"),
    ("item1_quantity", "1e999999999", "item1_quantity: a whole number"),
    ("item1_net_weight", "٤٠ g", "item1_net_weight: a weight written with the digits 0-9"),
    ("zone", "9" * 5000, "zone: String should have at most 20 characters"),
    ("item1_description", "x" * 20_000_000, "item1_description: a cell under 10000 characters"),
], ids=["exp", "weight-digits", "amount-digits", "quantity-digits", "quantity-exp", "arabic-indic",
        "zone-digits", "cell-20MB"])
def test_one_bad_row_is_a_result_row(tmp_path, engine, column, value, reason):
    """Whatever is in one row, the others are checked: that row is "unreadable" with its row
    number and the field, the run exits 2 (some rows unreadable), nothing is left beside the
    output."""
    p = tmp_path / "orders.csv"
    p.write_text(_with_cell(column, value), encoding="utf-8")
    out = tmp_path / "out.csv"
    t0 = time.perf_counter()
    summary = run_batch(p, out, engine=engine, chunk_size=100, jobs=1)
    assert time.perf_counter() - t0 < 5
    got = _results(out)
    assert len(got) == len(ROWS) == summary.read
    bad = [r for r in got if r["row"] == "3"]
    assert bad[0]["status"] == "unreadable"
    assert bad[0]["error"].startswith(f"{p} row 3: ") and reason in bad[0]["error"]
    assert [r["status"] for r in got if r["row"] != "3"] == [r["status"] for r in _results(_plain_run(tmp_path, engine))
                                                            if r["row"] != "3"]
    assert summary.exit_code == 2
    assert sorted(x.name for x in tmp_path.iterdir()) == ["orders.csv", "out.csv", "plain.csv", "plain_out.csv"]


def _plain_run(tmp_path: Path, engine: str) -> Path:
    p = tmp_path / "plain.csv"
    p.write_text("\n".join([HEADER, ROWS[1], ROWS[0], *ROWS[2:]]) + "\n", encoding="utf-8")
    out = tmp_path / "plain_out.csv"
    run_batch(p, out, engine=engine, chunk_size=100, jobs=1, force=True)
    return out


@pytest.mark.parametrize("engine", ["vector", "python"])
@pytest.mark.parametrize("column, first", [
    ("postage_paid", 1e308), ("postage_paid", float("inf")), ("item1_quantity", 2 ** 63 - 1),
    ("item1_quantity", 1e300), ("packaging_weight", "5e1000000 g"), ("packaging_weight", "٤٠ g"),
], ids=["float-1e308", "float-inf", "int64-max", "float-quantity", "exp-text", "arabic-indic"])
def test_typed_parquet_cells_of_any_size_are_row_errors(tmp_path, engine, column, first):
    import pyarrow as pa
    import pyarrow.parquet as pq

    with (ROOT / "examples" / "orders.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    rest = {"postage_paid": 12.83, "item1_quantity": 1 if isinstance(first, int) else 1.0}.get(column, "40 g")
    cols[column] = [first] + [rest] * (len(rows) - 1)
    p = tmp_path / "orders.parquet"
    pq.write_table(pa.table(cols), p)
    out = tmp_path / "out.csv"
    summary = run_batch(p, out, engine=engine, jobs=1)
    got = _results(out)
    assert summary.read == len(got) == len(rows)
    assert got[0]["status"] == "unreadable" and column in got[0]["error"]
    assert got[0]["error"].startswith(f"{p} row 1: ")


def test_a_parquet_file_damaged_past_its_first_rows_stops_with_a_message(tmp_path):
    """The rows before the damage are not worth a half-written output: exit 2 naming the file
    and where, nothing left beside the output."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from postcheck.errors import LabelReadError

    p = tmp_path / "in.parquet"
    pq.write_table(pa.table({"parcel_id": [str(i) for i in range(50_000)], "service": ["x"] * 50_000}), p,
                   row_group_size=10_000)
    data = bytearray(p.read_bytes())
    n = len(data)
    data[n // 3:n // 2] = b"\0" * (n // 2 - n // 3)
    p.write_bytes(bytes(data))
    out = tmp_path / "out.csv"
    with pytest.raises(LabelReadError, match=r"in.parquet: Parquet rows after row \d+ cannot be read"):
        run_batch(p, out, chunk_size=10_000, jobs=1)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.parquet"]


_LABEL_LINE = __import__("json").dumps(__import__("json").loads((ROOT / "examples" / "returned-parcel.json").read_text()))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([_LABEL_LINE, "{bad", "", "  ", "[]"]),
                          st.sampled_from(["\n", "\r\n", "\r", "\x85", "\u2028", "\x0c", "\x1e"])),
                min_size=1, max_size=12),
       st.booleans())
def test_json_lines_are_numbered_as_check_numbers_them(tmp_path_factory, lines, bom):
    """JSON Lines with any line break ``str.splitlines`` knows, mixed: the batch has a result
    for every label ``check`` reads, on the same line number."""
    text = ("\ufeff" if bom else "") + "".join(a + eol for a, eol in lines)
    d = tmp_path_factory.mktemp("jsonl")
    p = d / "labels.jsonl"
    p.write_bytes(text.encode("utf-8"))
    out = d / "out.csv"
    try:
        want = _check_sources(p)
    except Exception:  # noqa: BLE001 - check refuses a file with no label at all
        want = []
    summary = run_batch(p, out, jobs=1)
    got = _results(out)
    assert [f"{p} line {r['row']}" for r in got] == [s for s, _ in want]
    assert [r["status"] != "unreadable" for r in got] == [ok for _, ok in want]
    assert summary.read == len(want)


@pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"])
def test_json_lines_of_cr_only_are_read_a_piece_at_a_time(tmp_path, monkeypatch, eol):
    """Lines that end in CR alone are cut after a CR once a piece is full (pieces of 4 KB here,
    so cuts fall everywhere, a CRLF never split): the lines are those read whole."""
    from postcheck.batch import formats

    lines = [(_LABEL_LINE if i % 3 else "{bad") for i in range(40)]
    p = tmp_path / "labels.jsonl"
    p.write_bytes(eol.join(lines).encode() + eol.encode())
    whole = list(formats.jsonl_chunks(p, lines_per_chunk=7))
    monkeypatch.setattr(formats, "_PIECE", 4096)
    pieces = list(formats.jsonl_chunks(p, lines_per_chunk=7))
    assert [x for c in pieces for x in c.data] == [x for c in whole for x in c.data]
    assert [n for c in pieces for n, _ in c.data] == list(range(1, 41))
    assert (pieces[-1].end, pieces[-1].lines) == (whole[-1].end, whole[-1].lines) == (p.stat().st_size, 40)
    size = p.stat().st_size
    for c in pieces[:-1]:  # every chunk ends after a line break, where a resumed run starts
        assert c.end < size and p.read_bytes()[c.end - 1:c.end] in (b"\r", b"\n")
    if eol == "\r":  # read whole, the file is one line of 40 labels; in pieces, a chunk every few
        assert len(whole) == 1 and len(pieces) > 1
