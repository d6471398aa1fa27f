"""Outputs of fix and notice: devices and pipes never replaced, write errors a message and
exit 2 with nothing left, one writer per output; hostile numbers inside a PDF's embedded label."""

from __future__ import annotations

import errno
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from postcheck import output
from postcheck.cli import cli
from postcheck.output import OutputError, OutputLock, check_output_path, write_atomic

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "returned-parcel.json"
SRC = ROOT / "src"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/full"), reason="needs /dev/full and root")
@pytest.mark.parametrize("command", ["fix", "notice"])
def test_fix_and_notice_write_devices_in_place(command):
    """Run as root, as CI does: ``-o /dev/null --force`` once replaced the device by a file."""
    before = set(os.listdir("/dev"))
    r = run(command, str(STORY), "-o", "/dev/null", "--force")
    assert r.exit_code in (0, 1), r.output
    assert Path("/dev/null").is_char_device()
    r = run(command, str(STORY), "-o", "/dev/full")
    assert r.exit_code == 2
    assert "/dev/full: cannot be written: the disk is full; nothing was left half-written" in r.output
    assert Path("/dev/full").is_char_device()
    assert set(os.listdir("/dev")) == before


def test_a_fifo_is_written_as_a_stream(tmp_path, fifo_reader):
    reader = fifo_reader(tmp_path / "label.json")
    write_atomic(reader.path, '{"a": 1}')
    assert reader.data() == b'{"a": 1}' and not reader.path.is_file()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["label.json"]


def test_sockets_are_refused(tmp_path):
    import socket

    path = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    try:
        with pytest.raises(OutputError, match="is a socket; postcheck writes regular files, character devices"):
            check_output_path(path, force=True)
    finally:
        s.close()


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "the disk is full"),
                                         (errno.EDQUOT, "the disk quota is exhausted"),
                                         (errno.EIO, "Input/output error")])
def test_a_failed_write_removes_its_temporary_file(tmp_path, monkeypatch, code, words):
    """Disk full in the middle of writing: the message names the output; no .part is left."""
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(output.os, "fsync", full)
    target = tmp_path / "corrected.pdf"
    with pytest.raises(OutputError, match=f"corrected.pdf: cannot be written: {words}"):
        write_atomic(target, b"%PDF-1.4 ...")
    monkeypatch.setattr(output.os, "fsync", real_fsync)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_fix_past_a_file_size_limit_as_a_real_process(tmp_path):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    out = tmp_path / "corrected.pdf"
    r = subprocess.run([sys.executable, "-m", "postcheck", "fix", str(STORY), "-o", str(out)], capture_output=True,
                       text=True, env=_env(), timeout=120, preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert f"{out}: cannot be written: the file is over the size this system allows" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_fix_refuses_an_output_another_run_writes(tmp_path):
    out = tmp_path / "corrected.pdf"
    with OutputLock(out):
        r = run("fix", str(STORY), "-o", str(out))
    assert r.exit_code == 2 and "is being written by another postcheck run" in r.output
    assert not out.exists()
    r = run("fix", str(STORY), "-o", str(out))
    assert r.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["corrected.pdf"]


@pytest.mark.slow
def test_two_fixes_at_once_leave_one_whole_file(tmp_path):
    """Two ``fix`` runs on one output (with --force): each either wrote the whole file or was
    refused; the file is a complete PDF; nothing is left beside it."""
    out = tmp_path / "corrected.pdf"
    cmd = [sys.executable, "-m", "postcheck", "fix", str(STORY), "-o", str(out), "--force"]
    procs = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(code == 0 or (code == 2 and "is being written by another postcheck run" in err)
               for code, err in results), results
    assert out.read_bytes().startswith(b"%PDF") and out.read_bytes().rstrip().endswith(b"%%EOF")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["corrected.pdf"]


# -- hostile numbers in a PDF's embedded label

def _pdf_with_embedded(text: str) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(288, 432)
    w.add_attachment("postcheck-label.json", text.encode())
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("old, new, field", [
    ('"quantity": 1,', '"quantity": 1e999999999,', "items[0].quantity"),
    ('"packaging_weight": "40 g"', '"packaging_weight": "5e1000000 g"', "packaging_weight"),
    ('"postage_paid": "12.83"', '"postage_paid": 1e5000', "postage_paid"),
], ids=["quantity", "weight", "amount"])
@pytest.mark.parametrize("command", ["check", "fix", "notice"])
def test_an_embedded_label_with_huge_numbers_is_refused_quickly(tmp_path, old, new, field, command):
    text = STORY.read_text().replace(old, new, 1)
    assert new in text
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(_pdf_with_embedded(text))
    args = [command, str(pdf)] + ([] if command == "check" else ["-o", str(tmp_path / "out.pdf")])
    t0 = time.perf_counter()
    r = run(*args)
    assert time.perf_counter() - t0 < 5
    assert r.exit_code == 2, r.output
    assert field in r.output and "internal error" not in r.output


@pytest.mark.parametrize("weight", ["5e1000000 g", "1e999999999 kg", "1" * 60 + " g", "٥٠٠ g"])
def test_quote_refuses_huge_or_foreign_weights(weight):
    r = run("quote", "--from", "CA", "--to", "US", "--weight", weight, "--date", "2022-03-01")
    assert r.exit_code == 2 and "--weight" in r.output and "internal error" not in r.output


def test_check_refuses_a_label_file_of_an_empty_list_as_json_too(tmp_path):
    p = tmp_path / "labels.json"
    p.write_text(json.dumps([]))
    r = run("check", str(p), "--format", "json")
    assert r.exit_code == 2 and "holds no label to check" in r.output


def test_a_file_that_is_not_a_lock_is_never_taken_for_one(tmp_path):
    """``out.pdf.lock`` that a user wrote, or a link from that name to another file: refused,
    both left as they were."""
    out = tmp_path / "out.pdf"
    lock = tmp_path / "out.pdf.lock"
    lock.write_text("my notes about the lock on the shed\n")
    r = run("fix", str(STORY), "-o", str(out))
    assert r.exit_code == 2 and "out.pdf.lock exists and is not a postcheck lock" in r.output
    assert lock.read_text() == "my notes about the lock on the shed\n" and not out.exists()
    lock.unlink()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    lock.symlink_to(precious)
    r = run("fix", str(STORY), "-o", str(out))
    assert r.exit_code == 2 and "cannot create its lock" in r.output
    assert precious.read_text() == "keep me" and lock.is_symlink()


def test_a_stale_lock_of_a_dead_run_is_taken_over(tmp_path):
    out = tmp_path / "out.pdf"
    (tmp_path / "out.pdf.lock").write_text("999999\n")  # a run killed with SIGKILL left it
    r = run("fix", str(STORY), "-o", str(out))
    assert r.exit_code == 0
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.pdf"]


@pytest.mark.parametrize("command", ["fix", "batch"])
def test_a_symbolic_link_is_followed_never_replaced(tmp_path, command):
    """``-o link`` writes the file the link names; the link stays a link (``/dev/stdout`` is one:
    replacing it, as root, put a regular file in /dev)."""
    target = tmp_path / "real.out"
    target.write_bytes(b"old")
    link = tmp_path / "link.out"
    link.symlink_to(target)
    src = ROOT / "examples" / ("orders.csv" if command == "batch" else "returned-parcel.json")
    extra = ["--format", "csv"] if command == "batch" else []
    r = run(command, str(src), "-o", str(link), "--force", *extra)
    assert r.exit_code in (0, 1, 2) and "internal error" not in r.output, r.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != b"old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["link.out", "real.out"]
