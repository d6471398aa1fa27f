"""Inputs and outputs: CSV chunking and row numbers as ``postcheck check`` gives them, odd CSV
(quoted line breaks, blank lines, ragged rows, BOM, Windows-1252), JSON Lines, Parquet."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from unittest import mock

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.batch.formats import _line_count, csv_chunks, parse_csv_chunk
from postcheck.batch import formats
from postcheck.batch import run as run_module
from postcheck.batch.run import can_fork, run_batch
from postcheck.errors import PostcheckError
from postcheck.inputs import read_labels

HEADER = ("parcel_id,service,origin,destination,ship_date,currency,form,category,postage_paid,gross_weight,"
          "item1_description,item1_net_weight,item1_value\n")
GOOD = "P{n},small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,340 g,Wool scarf,300 g,40.00\n"


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _expected_sources(path: Path) -> list[str]:
    return [li.source for li in read_labels(path)]


def test_row_numbers_match_check_on_odd_csv(tmp_path):
    text = (HEADER + GOOD.format(n=1)
            + 'P2,small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,340 g,"Wool\nscarf, grey",300 g,40.00\n'
            + "\n"  # a blank line still counts
            + GOOD.format(n=3)
            + "P4,small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,340 g,Mug,300 g,40.00,EXTRA\n"
            + "P5,small_packet_usa_air\n")  # short row: the other cells are blank
    p = tmp_path / "odd.csv"
    p.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = run_batch(p, out, chunk_size=100, jobs=1)
    got = _read_csv(out)
    assert [f"{p} row {r['row']}" for r in got] == _expected_sources(p)
    assert summary.read == 5 and summary.unreadable == 2
    assert "no more cells than the header has columns" in got[3]["error"]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_blank_lines_alone_keep_row_numbers(tmp_path, eol, where):
    """Blank lines with nothing else odd in the chunk: pyarrow skips them, its row count differs
    from the line count, and Python's csv numbers the rows as `check` does."""
    rows = [GOOD.format(n=n).replace("\n", eol) for n in range(1, 5)]
    at = {"start": 0, "middle": 2, "end": 4}[where]
    rows.insert(at, eol)
    p = tmp_path / "blank.csv"
    p.write_bytes((HEADER.replace("\n", eol) + "".join(rows)).encode())
    out = tmp_path / "blank_out.csv"
    summary = run_batch(p, out, jobs=1)
    got = _read_csv(out)
    assert [f"{p} row {r['row']}" for r in got] == _expected_sources(p)
    assert summary.read == 4 and summary.unreadable == 0


def test_one_column_csv_with_blank_line(tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("parcel_id\nP1\n\nP2\n", encoding="utf-8")
    out = tmp_path / "one_out.csv"
    run_batch(p, out, jobs=1)
    got = _read_csv(out)
    assert [r["parcel_id"] for r in got] == ["P1", "P2"]
    assert [f"{p} row {r['row']}" for r in got] == _expected_sources(p)


@pytest.mark.parametrize("chunk", [100, 1000])
def test_chunks_cut_on_records_only(tmp_path, chunk):
    lines = [HEADER]
    for n in range(1, 400):
        desc = f'"Mug, {n}\nline two"' if n % 7 == 0 else "Mug"
        lines.append(f"P{n},small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,340 g,{desc},300 g,40.00\n")
    p = tmp_path / "q.csv"
    p.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "q_out.csv"
    run_batch(p, out, chunk_size=chunk, jobs=1)
    got = _read_csv(out)
    assert [r["parcel_id"] for r in got] == [f"P{n}" for n in range(1, 400)]
    assert [f"{p} row {r['row']}" for r in got] == _expected_sources(p)


@pytest.mark.parametrize(("fmt", "encoding"), [("csv", "utf-8"), ("jsonl", "cp1252")])
def test_worker_processes_write_what_one_process_writes(tmp_path, fmt, encoding):
    """Two worker processes (forked on Linux, reading their chunks from the file themselves) give
    the bytes one process gives, chunk order and odd rows included, and start again as
    Windows-1252 when a late chunk is not UTF-8."""
    lines = [HEADER]
    for n in range(1, 400):
        desc = f'"Mug, {n}\nline two"' if n % 7 == 0 else 'Frame 5" wide' if n % 11 == 0 else "Mug"
        desc = "Caf\xe9 mug" if n == 350 else desc
        weight = "lots" if n % 13 == 0 else "300 g"
        lines.append(f"P{n},small_packet_usa_air,CA,US,2022-03-01,CAD,CN22,gift,12.83,340 g,{desc},{weight},40.00\n")
    p = tmp_path / "w.csv"
    p.write_bytes("".join(lines).encode(encoding))
    one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    s1 = run_batch(p, one, chunk_size=100, jobs=1)
    s2 = run_batch(p, two, chunk_size=100, jobs=2)
    assert one.read_bytes() == two.read_bytes()
    assert s1.to_dict() == s2.to_dict() and s1.read == 399 and s1.unreadable > 0


def test_bom_and_windows_1252(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD.format(n=1)).encode())
    run_batch(p, tmp_path / "bom_out.csv", jobs=1)
    assert _read_csv(tmp_path / "bom_out.csv")[0]["status"] == "ok"
    q = tmp_path / "latin.csv"
    q.write_bytes((HEADER + GOOD.format(n=1).replace("Wool scarf", "Caf\xe9 mug")).encode("cp1252"))
    s = run_batch(q, tmp_path / "latin_out.csv", jobs=1)
    assert s.read == 1 and "not UTF-8" in s.notes[0]


def test_jsonl_and_parquet_in_and_out(tmp_path):
    label = {"service": "small_packet_usa_air", "origin": "CA", "destination": "US", "ship_date": "2022-03-01",
             "currency": "CAD", "form": "CN22", "category": "gift", "postage_paid": "12.83",
             "packaging_weight": "40 g", "items": [{"description": "Wool scarf", "net_weight": "480 g", "value": "40"}]}
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps(label) + "\n\n" + "{not json\n" + json.dumps(label) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    s = run_batch(p, out, jobs=1)
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [g["row"] for g in got] == [1, 3, 4]
    assert got[0]["verdict"] == "Will be returned: short CAD 5.99" and got[0]["codes"][-1] == "P201"
    assert got[1]["status"] == "unreadable" and s.unreadable == 1

    csv_in = tmp_path / "in.csv"
    csv_in.write_text(HEADER + GOOD.format(n=1) + GOOD.format(n=2), encoding="utf-8")
    table = pacsv.read_csv(csv_in, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    pq.write_table(table, tmp_path / "in.parquet")  # typed columns: postage_paid as a float
    run_batch(tmp_path / "in.parquet", tmp_path / "out.parquet", jobs=1)
    res = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["row"] for r in res] == [1, 2] and res[0]["paid"] == "12.83" and res[0]["codes"] == []


@pytest.mark.parametrize("odd", ["categorical", "list"])
def test_parquet_columns_of_other_types(tmp_path, odd):
    """A Parquet file's categorical (dictionary) column reads as its values; a list column (which
    no label cell can be) sends its chunk to the per-row path; either way the results are those of
    the exact engine, and nothing crashes."""
    import pyarrow as pa

    csv_in = tmp_path / "in.csv"
    csv_in.write_text(HEADER + GOOD.format(n=1) + GOOD.format(n=2).replace("small_packet_usa_air", "nope"),
                      encoding="utf-8")
    table = pacsv.read_csv(csv_in, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    if odd == "categorical":
        table = table.set_column(table.schema.get_field_index("service"), "service",
                                 table["service"].combine_chunks().dictionary_encode())
    else:
        table = table.append_column("tags", pa.array([["a"], ["b", "c"]], pa.list_(pa.string())))
    pq.write_table(table, tmp_path / "in.parquet")
    outs = {}
    for engine in ("vector", "python"):
        outs[engine] = tmp_path / f"{engine}.csv"
        s = run_batch(tmp_path / "in.parquet", outs[engine], engine=engine, jobs=1)
        assert s.read == 2
    assert outs["vector"].read_bytes() == outs["python"].read_bytes()
    assert _read_csv(outs["vector"])[0]["status"] != "unreadable" or odd == "list"


def test_formula_cells_are_neutralised(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text(HEADER + GOOD.format(n=1).replace("P1,", "=HYPERLINK(1),", 1), encoding="utf-8")
    run_batch(p, tmp_path / "f_out.csv", jobs=1)
    assert _read_csv(tmp_path / "f_out.csv")[0]["parcel_id"] == "'=HYPERLINK(1)"


def test_empty_input_gives_header_only(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text(HEADER, encoding="utf-8")
    s = run_batch(p, tmp_path / "e_out.csv", jobs=1)
    assert s.read == 0 and (tmp_path / "e_out.csv").read_text().startswith('"row"')


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from('ab,"\n\r'), max_size=300), st.integers(1, 64), st.sampled_from([0, 10 ** 9]),
       st.sampled_from([3, 1 << 18]))
def test_csv_chunks_cut_outside_quotes(tmp_path_factory, body, block, few_regions, scan_block):
    """Chunks put the input back together; each ends after a line break outside quotes (or at
    the end); line counts are those of the chunk's text.  Quotes and line breaks are found a
    block at a time: blocks of 3 bytes put their edges everywhere."""
    with mock.patch.object(formats, "_FEW_REGIONS", few_regions), mock.patch.object(formats, "_SCAN_BLOCK", scan_block):
        _check_cut(tmp_path_factory, body, block)


def _check_cut(tmp_path_factory, body, block):
    p = tmp_path_factory.mktemp("cut") / "c.csv"
    p.write_bytes(b"h\n" + body.encode())
    pieces = list(csv_chunks(p, block_bytes=block))
    assert b"".join(c.data for c in pieces) == body.encode()
    lines = 1
    for c in pieces:
        data = c.data
        assert c.first == lines + 1 and c.lines == lines + _line_count(data)
        lines = c.lines
        if c is not pieces[-1]:
            # at a record's end (see test_chunks_read_as_pythons_csv): a line feed, or a lone
            # carriage return in a chunk with no line feed (lines that end in CR only)
            assert data.endswith(b"\n") or (b"\n" not in data and data.endswith(b"\r"))



_CELLS = ["x", '"a\nb"', '"q""z"', '"\n\n"', '5" wide', '"ab"c', '""', '"a,\nb"', 'y"y"', "", '"', "a\rb",
          '"\r\n"', "Mug"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_CELLS), st.sampled_from(_CELLS), st.sampled_from(["\n", "\r\n", "\r"])),
                min_size=1, max_size=25),
       st.sampled_from([8, 16, 40, 1000]), st.sampled_from([0, 10 ** 9]), st.sampled_from([3, 1 << 18]))
def test_chunks_read_as_pythons_csv(tmp_path_factory, records, block, few_regions, scan_block):
    """Cut into chunks and parsed (pyarrow or Python's csv), a file gives the records Python's
    csv gives for the whole file, whatever its quotes: stray quotes (``5" wide``), text after a
    closing quote, quoted line breaks, an unfinished quoted field at the end.  Both ways of
    finding line breaks inside quotes are used (region by region; every line break at once), and
    quotes and line breaks are found in blocks of 3 bytes as well as whole."""
    with mock.patch.object(formats, "_FEW_REGIONS", few_regions), mock.patch.object(formats, "_SCAN_BLOCK", scan_block):
        _check_read_as_pythons_csv(tmp_path_factory, records, block)


def _check_read_as_pythons_csv(tmp_path_factory, records, block):
    head = "h1,h2" + records[0][2]  # the header ends as the first record does: a file of CR lines has no LF
    text = head + "".join(a + "," + b + eol for a, b, eol in records)
    p = tmp_path_factory.mktemp("q") / "q.csv"
    p.write_bytes(text.encode())
    want = [r + [None] * (2 - len(r)) for r in csv.reader(io.StringIO(text[len(head):], newline="")) if r]
    got = []
    for c in csv_chunks(p, block_bytes=block):
        table, _, ragged = parse_csv_chunk(c)
        for i, row in enumerate(table.to_pylist()):
            r = ragged.get(i)
            got.append([r["h1"], r["h2"], *r[None]] if r is not None else [row["h1"], row["h2"]])
    assert got == want

# ---------------------------------------------------------------------------- rows with more cells

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "orders.csv"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
@pytest.mark.parametrize("engine", ["vector", "python"])
def test_row_with_extra_cells_is_unreadable_and_unpriced(tmp_path, encoding, engine):
    """A row with more cells than the header is unreadable, as `check` says, and like every other
    unreadable row has no postage, currency, findings or verdict (the vectorised path used to
    price the row as the table showed it, cut short)."""
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
    row3 = lines[2]
    short = row3.replace(",12.83,", ",1.00,")  # paid too little: P201 if the row were priced
    p = tmp_path / "lat.csv"
    p.write_bytes("\n".join([lines[0], row3, row3 + ",extra,café", short + ",extra,café"]).encode(encoding) + b"\n")
    out = tmp_path / "out.jsonl"
    s = run_batch(p, out, jobs=1, engine=engine)
    got = _jsonl(out)
    assert [g["row"] for g in got] == [2, 3, 4]
    assert got[0]["status"] == "ok" and got[0]["required"] == "18.82"
    for g in got[1:]:
        assert g["status"] == "unreadable"
        assert "no more cells than the header" in g["error"] and "café" in g["error"]
        assert (g["verdict"], g["required"], g["paid"], g["shortfall"], g["currency"]) == (None,) * 5
        assert g["codes"] == [] and g["messages"] == []
    assert (s.read, s.ok, s.unreadable, s.shortfall) == (3, 1, 2, {})
    assert bool(s.notes) == (encoding != "utf-8")


def test_extra_cells_that_are_not_utf8_lose_no_row_and_warn_nothing(tmp_path):
    """A ragged row whose bytes are not UTF-8 once made pyarrow's invalid-row handler fail
    ("Exception ignored ... UnicodeDecodeError"); every row must still come out, once."""
    import gc
    import sys

    caught = []
    hook, sys.unraisablehook = sys.unraisablehook, caught.append
    try:
        body = "".join(GOOD.format(n=n) for n in range(1, 50)).encode()
        extra = GOOD.format(n=50).rstrip("\n").encode() + b",x,caf\xe9\n"
        p = tmp_path / "mixed.csv"
        p.write_bytes(HEADER.encode() + body + extra + GOOD.format(n=51).encode())
        out = tmp_path / "mixed.csv.out.csv"
        s = run_batch(p, out, jobs=1)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert caught == []
    got = _read_csv(out)
    assert [r["parcel_id"] for r in got] == [f"P{n}" for n in range(1, 52)]
    assert s.read == 51 and s.unreadable == 1 and got[49]["status"] == "unreadable"
    assert got[49]["required"] == "" and got[49]["currency"] == ""


def test_ragged_row_that_mentions_utf8_is_still_read_as_utf8(tmp_path):
    """Whether a file is UTF-8 is decided by decoding it, not by the words of a parse error."""
    p = tmp_path / "u.csv"
    p.write_text(HEADER + GOOD.format(n=1).replace("Wool scarf", "Café mug")
                 + GOOD.format(n=2).rstrip("\n") + ",UTF8 utf8\n", encoding="utf-8")
    out = tmp_path / "u_out.csv"
    s = run_batch(p, out, jobs=1)
    assert s.notes == [] and s.read == 2 and s.unreadable == 1
    assert _read_csv(out)[1]["status"] == "unreadable"


_PARENT: list[int] = []
_REAL_PROCESS_CHUNK = run_module.process_chunk


def _linux() -> bool:
    """can_fork() for these tests: the threads an earlier test leaves behind (Dask's offload
    thread) sit idle, and the fork path is what is under test."""
    return sys.platform.startswith("linux")


def _dies_in_a_worker(chunk, opts, header, spill=None):
    """process_chunk, but a worker dies (as SIGKILL would: no clean-up) on a late chunk, right
    after leaving its results in a file.  At module level, so that it is sent to the forked
    workers by name."""
    if os.getpid() not in _PARENT and chunk.first > 1500:
        if spill:
            with open(spill, "wb") as f:
                f.write(b"half a chunk")
        os._exit(9)
    return _REAL_PROCESS_CHUNK(chunk, opts, header, spill)


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked on Linux only")
def test_a_worker_killed_mid_run_leaves_a_resumable_output(tmp_path, monkeypatch):
    """A worker that dies (killed, out of memory) stops the run with a message, not a traceback;
    --resume then finishes it, and the output equals an uninterrupted run."""
    lines = [HEADER] + [GOOD.format(n=n) for n in range(1, 3000)]  # the first chunk (64 KB) is checked before the fork
    p = tmp_path / "k.csv"
    p.write_text("".join(lines), encoding="utf-8")
    whole = tmp_path / "whole.csv"
    run_batch(p, whole, chunk_size=100, jobs=1)
    monkeypatch.setattr(run_module, "can_fork", _linux)
    _PARENT[:] = [os.getpid()]
    monkeypatch.setattr(run_module, "process_chunk", _dies_in_a_worker)
    out = tmp_path / "out.csv"
    with pytest.raises(PostcheckError, match="worker process ended abruptly.*--resume"):
        run_batch(p, out, chunk_size=100, jobs=2)
    assert not list(tmp_path.glob("*.chunk"))  # the dead worker's file is gone too
    monkeypatch.setattr(run_module, "process_chunk", _REAL_PROCESS_CHUNK)
    run_batch(p, out, chunk_size=100, jobs=2, resume=True)
    assert out.read_bytes() == whole.read_bytes()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["k.csv", "out.csv", "whole.csv"]


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked on Linux only")
def test_forked_workers_hand_over_results_in_files(tmp_path, monkeypatch):
    """Forked workers leave each chunk's results in a file beside the output, which the parent
    appends in order and deletes: the same bytes as results sent back through the pipe, in
    CSV and JSON Lines, and nothing left beside the output."""
    lines = [HEADER] + [GOOD.format(n=n) for n in range(1, 3000)]
    p = tmp_path / "k.csv"
    p.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(run_module, "can_fork", _linux)
    appended: list[str] = []
    real = run_module._append_file
    monkeypatch.setattr(run_module, "_append_file", lambda f, path, size: (appended.append(path), real(f, path, size)))
    for fmt in ("csv", "jsonl"):
        threads, forked = tmp_path / f"threads.{fmt}", tmp_path / f"forked.{fmt}"
        run_batch(p, threads, chunk_size=100, jobs=1)
        assert not appended
        run_batch(p, forked, chunk_size=100, jobs=2)
        assert len(appended) >= 3
        appended.clear()
        assert forked.read_bytes() == threads.read_bytes()
    assert not list(tmp_path.glob("*.chunk")) and not list(tmp_path.glob("*.part*"))


def test_no_fork_while_other_threads_run():
    """A process with other threads running (a web server calling run_batch) spawns its workers:
    a lock held by another thread at a fork would stay held in the child."""
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        t.join()
