"""``postcheck batch`` on an install without numpy and pyarrow: the per-row engine, a one-line
hint, and the same output bytes as the column engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from postcheck.batch.run import run_batch

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# numpy and pyarrow made unimportable, as on a plain 'pip install postcheck'
WITHOUT_EXTRAS = ("import sys; sys.modules['numpy'] = None; sys.modules['pyarrow'] = None; "
                  "from postcheck.cli import run; sys.argv = ['postcheck', *sys.argv[1:]]; run()")


def _plain_batch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, "batch", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_batch_without_numpy_writes_the_same_bytes(tmp_path, fmt):
    inp = ROOT / "examples" / "orders.csv"
    vector, plain = tmp_path / f"vector.{fmt}", tmp_path / f"plain.{fmt}"
    summary = run_batch(inp, vector, engine="vector", jobs=1)
    done = _plain_batch(str(inp), "-o", str(plain))
    assert done.returncode == summary.exit_code == 2  # orders.csv has an unreadable row
    assert plain.read_bytes() == vector.read_bytes()
    hint = [line for line in done.stderr.splitlines() if "postcheck[fast]" in line]
    assert len(hint) == 1
    assert done.stdout.strip() == summary.text()


def test_batch_without_numpy_on_generated_parcels(tmp_path, sample_csv):
    vector, plain = tmp_path / "vector.csv", tmp_path / "plain.csv"
    run_batch(sample_csv, vector, engine="vector", jobs=1, chunk_size=500)
    done = _plain_batch(str(sample_csv), "-o", str(plain))
    assert done.returncode in (1, 2), done.stderr
    assert plain.read_bytes() == vector.read_bytes()


def test_batch_without_numpy_refuses_parquet_and_the_vector_engine(tmp_path):
    inp = ROOT / "examples" / "orders.csv"
    done = _plain_batch(str(inp), "-o", str(tmp_path / "out.parquet"))
    assert done.returncode == 2 and "pip install 'postcheck[fast]'" in done.stderr
    assert not (tmp_path / "out.parquet").exists()
    done = _plain_batch(str(inp), "-o", str(tmp_path / "out.csv"), "--engine", "vector")
    assert done.returncode == 2 and "postcheck[fast]" in done.stderr
