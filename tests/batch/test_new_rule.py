"""A rule added to the registry shows in batch results on every engine: with a column form the
vectorised engine decides it over columns; without one, it sends the rows to check().

The rule here exists only for these tests (``C390``, on every item of documents) and is taken
out of the registry afterwards.  Its source is executed with ``exec`` so that Dask's worker
processes can register it too (``client.run(exec, ...)``)."""

from __future__ import annotations

import csv

import numpy as np
import pyarrow as pa
import pytest

from postcheck.batch.engine import Engine
from postcheck.batch.run import run_batch
from postcheck.rules.registry import REGISTRY, unregister
from postcheck.tariffs import Rates

CODE = "C390"
MESSAGE = "Test-only rule: the item is documents."
RULE_SOURCE = f'''
from postcheck.report import Hit
from postcheck.rules.registry import REGISTRY, Fires, columns, rule

if "{CODE}" not in REGISTRY:
    @rule("{CODE}", "documents-test-only", severity="error")
    def documents_test_only(ctx):
        """Fires on every item of documents (a rule for tests only).

        What it checks:
            ``category`` is ``documents``.

        Why it matters:
            It shows that a new rule reaches every batch engine.

        Example:
            ``"category": "documents"``.

        Corrected:
            ``"category": "gift"``.

        Fix safety:
            Display only.

        References:
            None: a test rule.
        """
        if ctx.label.category == "documents":
            yield Hit(message="{MESSAGE}", loc="category")

    if WITH_COLUMNS:
        @columns(documents_test_only)
        def _documents_test_only_columns(f):
            yield Fires(f.category_is("documents"), "{MESSAGE}")
'''
REMOVE_SOURCE = f'''
from postcheck.rules.registry import REGISTRY, unregister

if "{CODE}" in REGISTRY:
    unregister("{CODE}")
'''


def _install(with_columns: bool) -> None:
    exec(RULE_SOURCE, {"WITH_COLUMNS": with_columns})


@pytest.fixture(params=[True, False], ids=["with-column-form", "without-column-form"])
def new_rule(request):
    _install(request.param)
    yield request.param
    unregister(CODE)


def _documents_rows(path) -> list[int]:
    with open(path, newline="", encoding="utf-8") as f:
        return [i for i, row in enumerate(csv.DictReader(f), start=2) if row["category"] == "documents"]


def _results(path, vector: bool):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in rows[0]})
    eng = Engine(Rates.load(bundled=True, env=False), vector=vector)
    res = eng.check_table(table, rows=np.arange(2, 2 + table.num_rows), source="orders.csv")
    return res, res.table().to_pylist()


def test_a_new_rule_shows_on_the_vector_and_the_python_engine(new_rule, sample_csv):
    documents = _documents_rows(sample_csv)
    assert documents  # the generated parcels include items of documents
    fast, a = _results(sample_csv, vector=True)
    slow, b = _results(sample_csv, vector=False)
    assert a == b
    flagged = [r["row"] for r in a if CODE in r["codes"]]
    readable = {r["row"] for r in a if r["status"] != "unreadable"}
    assert flagged == [r for r in documents if r in readable]
    for r in a:
        if CODE in r["codes"]:
            assert r["messages"][r["codes"].index(CODE)] == MESSAGE
            assert r["status"] == "error"
    if new_rule:  # decided over columns: the per-row path takes only the rows it took before
        assert fast.fallback < len(a) // 4
    else:  # no column form: every readable row goes to check() (the unreadable need no rule)
        assert fast.fallback == len(readable)


def test_a_new_rule_shows_in_postcheck_batch_output(new_rule, sample_csv, tmp_path):
    vector, python = tmp_path / "vector.csv", tmp_path / "python.csv"
    run_batch(sample_csv, vector, engine="vector", jobs=1, chunk_size=500)
    run_batch(sample_csv, python, engine="python", jobs=1, chunk_size=500)
    assert vector.read_bytes() == python.read_bytes()
    assert vector.read_text(encoding="utf-8").count(MESSAGE) == len(
        [r for r in _results(sample_csv, vector=False)[1] if CODE in r["codes"]])


@pytest.mark.slow
def test_a_new_rule_shows_on_the_dask_engine(sample_csv, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        _install(True)
        client.run(exec, RULE_SOURCE, {"WITH_COLUMNS": True})
        assert all(client.run(lambda: CODE in REGISTRY).values())
        vector, dask = tmp_path / "vector.csv", tmp_path / "dask.csv"
        run_batch(sample_csv, vector, engine="vector", jobs=1, chunk_size=500)
        run_batch(sample_csv, dask, engine="dask", dask_client=client, jobs=2, chunk_size=500)
        assert dask.read_bytes() == vector.read_bytes()
        assert MESSAGE in dask.read_text(encoding="utf-8")
    finally:
        client.run(exec, REMOVE_SOURCE, {})
        if CODE in REGISTRY:
            unregister(CODE)
        client.close()
        cluster.close()
