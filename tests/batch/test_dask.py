"""The same batch on a local Dask cluster of two worker processes gives identical results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_check_dask_equals_check_frame(client, sample_csv):
    import pandas as pd

    from postcheck.batch import check_dask, check_frame

    frame = pd.read_csv(sample_csv, dtype=str, keep_default_na=False)
    expected = check_frame(frame, source="orders")
    ddf = dd.from_pandas(frame, npartitions=4)
    got = check_dask(ddf, source="orders").compute()
    assert got.reset_index(drop=True).to_dict("records") == expected.reset_index(drop=True).to_dict("records")


def test_cli_engine_dask_equals_vector(client, sample_csv, tmp_path):
    from postcheck.batch.run import run_batch

    a, b = tmp_path / "vector.csv", tmp_path / "dask.csv"
    run_batch(sample_csv, a, engine="vector", jobs=1, chunk_size=500)
    s = run_batch(sample_csv, b, engine="dask", dask_client=client, jobs=2, chunk_size=500)
    assert a.read_bytes() == b.read_bytes()
    assert s.read == 2000
