"""One writer per output, as real processes: runs started together on one output never mix
their rows; the second says so and exits 2; a killed run's lock goes with it; the output holds
each input row exactly once; write errors leave nothing half-written."""

from __future__ import annotations

import csv
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import parcels
from postcheck.batch import run as run_module
from postcheck.batch.run import RowsLost, Summary, run_batch
from postcheck.output import OutputError, OutputLock

SRC = Path(__file__).resolve().parents[2] / "src"
ORDERS = Path(__file__).resolve().parents[2] / "examples" / "orders.csv"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _batch(*args: str) -> list[str]:
    return [sys.executable, "-m", "postcheck", "batch", *args]


def _rows(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return [r["row"] for r in csv.DictReader(f)]


@pytest.mark.slow
def test_a_held_lock_refuses_a_second_run(tmp_path):
    """While one run holds the output's lock, another on that output exits 2 naming the lock
    and the holder, and touches nothing; once it is released, the output is written."""
    out = tmp_path / "out.csv"
    with OutputLock(out) as lock:
        r = subprocess.run(_batch(str(ORDERS), "-o", str(out)), capture_output=True, text=True, env=_env(),
                           timeout=120)
        assert r.returncode == 2
        assert f"out.csv: is being written by another postcheck run (process {os.getpid()}, lock {lock.path})" \
            in r.stderr
        assert r.stdout == "" and sorted(x.name for x in tmp_path.iterdir()) == ["out.csv.lock"]
    assert not lock.path.exists()
    r = subprocess.run(_batch(str(ORDERS), "-o", str(out)), capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 2 and "parcels read: 5" in r.stdout  # exit 2: one row of the example is unreadable
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.csv"]


def test_the_lock_is_refused_in_process_too(tmp_path):
    out = tmp_path / "o.csv"
    with OutputLock(out):
        with pytest.raises(OutputError, match="is being written by another postcheck run"):
            run_batch(ORDERS, out, jobs=1)
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True])
def test_three_runs_at_once_on_one_output(tmp_path, force):
    """Three ``postcheck batch big.csv -o out.csv`` started together: whatever the timing, the
    output holds each of the 40,000 input rows exactly once, every run either finished with
    its summary or exited 2 saying another run writes the output, and nothing is left beside
    the output."""
    src = parcels.write_csv(tmp_path / "big.csv", 40_000, seed=7)
    out = tmp_path / "out.csv"
    extra = ["--force"] if force else []
    procs = [subprocess.Popen(_batch(str(src), "-o", str(out), "--chunk-size", "2000", *extra), env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]
    finished = [r for r in results if "parcels read: 40000" in r[1]]
    refused = [r for r in results if "is being written by another postcheck run" in r[2]]
    assert finished and len(finished) + len(refused) == 3, results
    assert all(code == 2 and stdout == "" for code, stdout, _ in refused)
    rows = _rows(out)
    assert len(rows) == 40_000 and len(set(rows)) == 40_000
    assert sorted(x.name for x in tmp_path.iterdir()) == ["big.csv", "out.csv"]


@pytest.mark.slow
def test_a_killed_run_leaves_no_lock_held(tmp_path):
    """SIGKILL: the kernel drops the lock with the process; the next run (here --resume) takes
    it and finishes the output with each row once."""
    src = parcels.write_csv(tmp_path / "big.csv", 40_000, seed=5)
    out = tmp_path / "out.csv"
    journal = tmp_path / "out.csv.part.json"
    args = _batch(str(src), "-o", str(out), "--chunk-size", "2000", "--jobs", "1")
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not journal.exists() and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = subprocess.run(args + ["--resume"], env=_env(), timeout=600, capture_output=True, text=True)
    assert "parcels read: 40000" in r.stdout, r.stderr
    rows = _rows(out)
    assert len(rows) == 40_000 and len(set(rows)) == 40_000
    assert sorted(x.name for x in tmp_path.iterdir()) == ["big.csv", "out.csv"]


def _limit_file_size(limit: int):
    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing
    return set_limit


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_a_write_that_fails_leaves_nothing_behind(tmp_path, suffix):
    """A file-size limit makes the output's writes fail as a full disk does: a message naming
    the output, exit 2, no .part, journal, chunk or lock file left (a .part keeps a disk full)."""
    src = parcels.write_csv(tmp_path / "big.csv", 20_000, seed=3)
    before = sorted(x.name for x in tmp_path.iterdir())
    out = tmp_path / f"out.{suffix}"
    r = subprocess.run(_batch(str(src), "-o", str(out), "--chunk-size", "2000"), env=_env(), timeout=600,
                       capture_output=True, text=True, preexec_fn=_limit_file_size(src.stat().st_size // 8))
    assert r.returncode == 2, r.stderr
    assert f"postcheck: error: {out}: cannot be written: the file is over the size this system allows" in r.stderr
    assert "internal error" not in r.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == before


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/full"), reason="needs /dev/full (and root, "
                    "as CI runs, to show the device is not replaced)")
def test_batch_into_devices(tmp_path):
    """/dev/null is written in place and stays a device; /dev/full is a full disk: a message and
    exit 2; a block device is refused.  Nothing is created beside them."""
    before = set(os.listdir("/dev"))
    r = subprocess.run(_batch(str(ORDERS), "-o", "/dev/null", "--force"), capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert "parcels read: 5" in r.stdout and os.path.exists("/dev/null")
    assert not Path("/dev/null").is_file()
    r = subprocess.run(_batch(str(ORDERS), "-o", "/dev/full"), capture_output=True, text=True, env=_env(),
                       timeout=120)
    assert r.returncode == 2 and "/dev/full: cannot be written: the disk is full" in r.stderr
    r = subprocess.run(_batch(str(ORDERS), "-o", "/dev/null", "--resume"), capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert r.returncode == 2 and "is a device or a pipe" in r.stderr
    assert set(os.listdir("/dev")) == before


def test_batch_into_a_fifo(tmp_path, fifo_reader):
    """A named pipe is written as a stream: the reader gets every result row."""
    reader = fifo_reader(tmp_path / "results.csv")
    summary = run_batch(ORDERS, reader.path, jobs=1)
    text = reader.data().decode()
    assert summary.read == 5
    assert text.startswith('"row"') and len(list(csv.DictReader(text.splitlines()))) == 5
    assert sorted(x.name for x in tmp_path.iterdir()) == ["results.csv"]


def test_rows_in_must_equal_rows_out(tmp_path, monkeypatch):
    """A chunk whose results are short of its rows stops the run loudly (an internal error, exit
    3): no summary, no output."""
    real = run_module.process_chunk

    def loses_a_row(chunk, opts, header, spill=None):
        data, summary = real(chunk, opts, header, spill)
        return data, Summary(**{**summary.__dict__, "read": summary.read - 1})

    monkeypatch.setattr(run_module, "process_chunk", loses_a_row)
    out = tmp_path / "out.csv"
    with pytest.raises(RowsLost, match="5 rows read but 4 results made for them"):
        run_batch(ORDERS, out, jobs=1)
    assert not out.exists()
    from click.testing import CliRunner

    from postcheck.cli import cli

    r = CliRunner().invoke(cli, ["batch", str(ORDERS), "-o", str(out), "--jobs", "1", "--force"])
    assert r.exit_code == 3 and "internal error: RowsLost" in r.output and "parcels read" not in r.output
