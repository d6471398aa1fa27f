"""Output paths of every kind, for every command that writes: an output is written whole or
refused with a message (exit 2); an input, a folder, a device or a pipe is never replaced by a
file, and nothing is left beside the output."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from postcheck.cli import cli
from postcheck.output import OutputLock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STORY = (ROOT / "examples" / "returned-parcel.json").read_text()
ORDERS = (ROOT / "examples" / "orders.csv").read_text()

KINDS = ["missing", "file", "folder", "input", "symlink-to-input", "fifo", "locked", "missing-folder"]


def _make(d: Path, kind: str, name: str, src: Path) -> Path:
    out = d / name
    if kind == "file":
        out.write_bytes(b"old")
    elif kind == "folder":
        out.mkdir()
    elif kind == "input":
        return src
    elif kind == "symlink-to-input":
        out.symlink_to(src)
    elif kind == "fifo":
        os.mkfifo(out)
    elif kind == "missing-folder":
        return d / "no-such-folder" / name
    return out


def _drain(fifo: Path) -> threading.Thread:
    t = threading.Thread(target=lambda: fifo.read_bytes(), daemon=True)
    t.start()
    return t


# each example runs a command (about 0.3 s): 60 in the quick profile, 1,000 in release
@settings(max_examples=60 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else 1000, deadline=None)
@given(kind=st.sampled_from(KINDS), force=st.booleans(),
       command=st.sampled_from(["fix", "notice", "batch-csv", "batch-jsonl", "batch-parquet"]))
def test_any_output_path(tmp_path_factory, kind, force, command):
    d = tmp_path_factory.mktemp("out")
    batch = command.startswith("batch")
    src = d / ("orders.csv" if batch else "label.json")
    src.write_text(ORDERS if batch else STORY)
    before = src.read_bytes()
    suffix = command.split("-")[1] if batch else "pdf"
    out = _make(d, kind if kind != "locked" else "missing", f"out.{suffix}", src)
    args = (["batch", str(src), "-o", str(out), "--jobs", "1"] if batch else [command, str(src), "-o", str(out)])
    if force:
        args.append("--force")
    reader = _drain(out) if kind == "fifo" and not (batch and suffix == "parquet") else None
    lock = OutputLock(out) if kind == "locked" else None
    if lock:
        lock.acquire()
    try:
        r = CliRunner().invoke(cli, args)
    finally:
        if lock:
            lock.release()
    if reader is not None and reader.is_alive():
        try:  # the command never opened the pipe: let the reader end
            os.close(os.open(out, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    if reader is not None:
        reader.join(10)
    assert "internal error" not in r.output and "Traceback" not in r.output, r.output
    assert src.read_bytes() == before  # never an input overwritten
    wrote = r.exit_code in (0, 1) or (batch and "parcels read" in r.output)
    if kind in ("input", "symlink-to-input", "folder", "locked", "missing-folder") or \
            (kind == "file" and not force) or (kind == "fifo" and batch and suffix == "parquet"):
        assert not wrote and r.exit_code == 2, r.output
    else:
        assert wrote, r.output
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(out).st_mode)
    if kind == "folder":
        assert out.is_dir()
    # nothing beside the output: no .part, journal, lock or chunk file
    left = sorted(p.name for p in d.iterdir())
    assert all(not n.endswith((".part", ".json.tmp", ".lock", ".chunk")) and ".part" not in n for n in left), left
