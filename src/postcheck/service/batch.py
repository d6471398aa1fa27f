"""``/v1/batch``: an uploaded file checked by ``postcheck batch`` (the same runner, rows in = rows
out) in a child process; the job id gives its progress and then its result."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, UploadFile
from fastapi.responses import FileResponse

__all__ = ["batch_router"]

_MEDIA = {"csv": "text/csv", "jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}


class _Job:
    def __init__(self, job_id: str, folder: Path, out_format: str) -> None:
        self.id, self.folder, self.format = job_id, folder, out_format
        self.state = "running"
        self.message = ""
        self.rows_in: int | None = None
        self.output = folder / f"result.{out_format}"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "state": self.state, "format": self.format}
        if self.message:
            d["message"] = self.message
        if self.state == "done":
            d["result"] = f"/v1/batch/{self.id}/result"
        return d


def batch_router(state: Any) -> APIRouter:
    from postcheck.service.app import ApiError

    r = APIRouter()
    jobs: dict[str, _Job] = state.jobs

    @r.post("/batch", status_code=202, summary="Upload a CSV / JSON Lines / Parquet file of labels: a job id back")
    async def batch_start(file: UploadFile, format: str = "jsonl") -> Any:
        if format not in _MEDIA:
            raise ApiError(422, "unknown result format", [("format", format, "csv, jsonl or parquet")])
        suffix = Path(file.filename or "labels.csv").suffix.lower()
        if suffix not in (".csv", ".jsonl", ".parquet"):
            raise ApiError(422, "the batch file must be .csv, .jsonl or .parquet",
                           [("file", file.filename, "a name ending .csv, .jsonl or .parquet")])
        folder = Path(tempfile.mkdtemp(prefix="postcheck-batch-"))
        src = folder / f"input{suffix}"
        with open(src, "wb") as f:
            while chunk := await file.read(1 << 20):
                f.write(chunk)
        job = _Job(uuid.uuid4().hex, folder, format)
        jobs[job.id] = job
        threading.Thread(target=_run, args=(job, src, state.settings.rates_dirs), daemon=True).start()
        return job.to_dict()

    @r.get("/batch/{job_id}", summary="A batch job's progress")
    def batch_status(job_id: str) -> Any:
        return _job(job_id).to_dict()

    @r.get("/batch/{job_id}/result", summary="A finished batch's result (one row per input row)",
           response_class=FileResponse)
    def batch_result(job_id: str) -> Any:
        job = _job(job_id)
        if job.state != "done":
            raise ApiError(409, f"the job is {job.state}", [("job", job.state, "done")])
        return FileResponse(job.output, media_type=_MEDIA[job.format], filename=f"postcheck-{job.id}.{job.format}")

    def _job(job_id: str) -> _Job:
        job = jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"no batch job {job_id!r}", [("job_id", job_id, "an id from POST /v1/batch")])
        return job

    return r


def _run(job: _Job, src: Path, rates_dirs: tuple[str, ...]) -> None:
    cmd = [sys.executable, "-m", "postcheck", "batch", str(src), "-o", str(job.output), "--format", job.format]
    for d in rates_dirs:
        cmd += ["--rates", d]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        job.state, job.message = "failed", str(e)
        return
    text = (p.stderr or p.stdout).strip().replace(str(src), "the upload")
    if p.returncode in (0, 1, 2) and job.output.exists():  # 1: findings, 2: unreadable rows (in the result)
        job.state, job.message = "done", text.splitlines()[-1] if text else ""
    else:
        job.state, job.message = "failed", text[-2000:]
        shutil.rmtree(job.folder / "tmp", ignore_errors=True)
