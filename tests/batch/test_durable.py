"""How a batch run writes its output: chunk files from the workers appended whole; the journal
written only after the bytes it counts are on disk, in order, on the writer's thread until the
workers are forked and on a thread of its own after."""

from __future__ import annotations

import json
import os

import pytest

from postcheck.batch import run as R


def test_commits_in_order_and_close_waits(tmp_path, monkeypatch):
    part, journal = tmp_path / "o.csv.part", tmp_path / "o.csv.part.json"
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(R.os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_size), real_fsync(fd)))
    with open(part, "wb") as f:
        d = R._Durable(f, journal)
        d.commit({"output_bytes": 0}, background=False)  # before the fork: here, at once
        assert json.loads(journal.read_text()) == {"output_bytes": 0} and d.thread is None
        for _ in range(1, 30):
            f.write(b"x" * 1000)
            f.flush()
            d.commit({"output_bytes": f.tell()}, background=True)
        d.close(failing=False)
    assert json.loads(journal.read_text()) == {"output_bytes": 29_000}
    assert d.thread is None
    # every journal was written after an fsync that covered its bytes
    assert synced == sorted(synced) and synced[-1] == 29_000


def test_a_failed_fsync_stops_the_run(tmp_path, monkeypatch):
    def broken(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(R.os, "fsync", broken)
    with open(tmp_path / "p", "wb") as f:
        d = R._Durable(f, tmp_path / "j")
        d.commit({"output_bytes": 1}, background=True)
        with pytest.raises(OSError, match="Input/output"):
            d.close(failing=False)
    assert not (tmp_path / "j").exists()
    with open(tmp_path / "p", "wb") as f:  # a run already failing keeps its own error
        d = R._Durable(f, tmp_path / "j")
        d.commit({"output_bytes": 1}, background=True)
        d.close(failing=True)


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_appending_a_workers_file(tmp_path, monkeypatch, kernel_copy):
    """A worker's chunk file is appended whole (in the kernel, or by reading it where
    copy_file_range is refused), then deleted; the part file's position follows."""
    if not kernel_copy:
        def refused(*a, **k):
            raise OSError(18, "Invalid cross-device link")

        monkeypatch.setattr(R.os, "copy_file_range", refused, raising=False)
    chunk = tmp_path / "o.csv.part.utf-8-1.chunk"
    body = b"".join(b"row %d,\xc3\xa9\n" % i for i in range(200_000))
    chunk.write_bytes(body)
    with open(tmp_path / "o.csv.part", "wb") as f:
        f.write(b"header\n")
        R._append_file(f, str(chunk), len(body))
        assert f.tell() == 7 + len(body)
        f.write(b"tail\n")
    assert (tmp_path / "o.csv.part").read_bytes() == b"header\n" + body + b"tail\n"
    assert not chunk.exists()
