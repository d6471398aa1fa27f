"""The journal of a batch run is written only after the bytes it counts are on disk, in order,
on the writer's thread until the workers are forked and on a thread of its own after."""

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
        for k in range(1, 30):
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
