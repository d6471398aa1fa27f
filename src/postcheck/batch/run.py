"""Run a batch: read chunks, check them in worker processes (or on Dask), write results in input
order, one chunk at a time.

The output is written to ``OUTPUT.part`` and renamed into place at the end; beside it,
``OUTPUT.part.json`` (the journal) records after every complete chunk how far the input was
read, how many bytes of output are good and the running summary.  A run that is killed leaves a
consistent prefix, and ``--resume`` truncates the part file to the journal's length and carries
on after the last complete chunk, so the final output has every input row exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import sys
import threading
from collections import deque
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Callable, Iterator

from postcheck.errors import LabelReadError, PostcheckError
from postcheck.output import OutputError, OutputLock, check_output_path, is_stream, output_target, write_error

__all__ = ["BatchOptions", "Summary", "Spilled", "RowsLost", "run_batch", "process_chunk", "ENGINES", "keep_freed_memory", "no_cycle_collection"]

ENGINES = ("auto", "python", "vector", "dask")
_JOURNAL_VERSION = 1


@dataclass(frozen=True)
class BatchOptions:
    """What a run needs to know, in a form that travels to worker processes."""

    source: str  # the input's name in messages ("orders.csv")
    out_format: str
    vector: bool = True
    rates_dirs: tuple[str, ...] = ()
    as_of: dt.date | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    tolerance: str | None = None


@dataclass
class Summary:
    """Counts over a whole run (and over one chunk)."""

    read: int = 0
    ok: int = 0
    errors: int = 0
    unreadable: int = 0
    fallback: int = 0
    shortfall: dict[str, Decimal] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Records the input readers found; ``read`` counts the result rows written for them, and
    #: every run checks that the two agree.
    input_rows: int = 0

    def add(self, other: "Summary") -> None:
        self.read += other.read
        self.input_rows += other.input_rows
        self.ok += other.ok
        self.errors += other.errors
        self.unreadable += other.unreadable
        self.fallback += other.fallback
        for c, v in other.shortfall.items():
            self.shortfall[c] = self.shortfall.get(c, Decimal(0)) + v

    @property
    def exit_code(self) -> int:
        """0 every parcel OK, 1 some parcel has an error-level finding, 2 some rows unreadable."""
        return 2 if self.unreadable else 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "ok": self.ok, "errors": self.errors, "unreadable": self.unreadable,
                "fallback": self.fallback, "shortfall": {c: f"{v:.2f}" for c, v in sorted(self.shortfall.items())},
                "notes": list(self.notes), "input_rows": self.input_rows}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Summary":
        return cls(d["read"], d["ok"], d["errors"], d["unreadable"], d.get("fallback", 0),
                   {c: Decimal(v) for c, v in d["shortfall"].items()}, list(d.get("notes", [])),
                   d.get("input_rows", d["read"]))

    def text(self) -> str:
        lines = [f"parcels read: {self.read}", f"OK: {self.ok}", f"with errors: {self.errors}",
                 f"unreadable: {self.unreadable}"]
        if self.shortfall:
            lines.append("total shortfall: " + ", ".join(f"{c} {v:.2f}" for c, v in sorted(self.shortfall.items())))
        else:
            lines.append("total shortfall: none")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# ---------------------------------------------------------------------------- in a worker

_ENGINES: dict[tuple, Any] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(opts: BatchOptions) -> Any:
    """The process's engine for these options (one, shared by the checking threads)."""
    key = (opts.rates_dirs, opts.as_of, opts.vector, opts.select, opts.ignore, opts.tolerance)
    eng = _ENGINES.get(key)
    if eng is None:
        with _ENGINES_LOCK:
            eng = _ENGINES.get(key)
            if eng is None:
                from postcheck.batch.engine import Engine
                from postcheck.tariffs import Rates

                eng = _ENGINES[key] = Engine(Rates.load(list(opts.rates_dirs)), as_of=opts.as_of,
                                             vector=opts.vector, select=opts.select, ignore=opts.ignore,
                                             tolerance=opts.tolerance)
    return eng


def _start_engine(opts: BatchOptions) -> None:
    """Build the engine (tariffs, imports) on a thread of its own while the first chunks are
    read and parsed; a failure is left for the checking threads to meet (and report)."""

    def build() -> None:
        try:
            _engine(opts)
        except Exception:  # noqa: BLE001 - raised again, properly, where a chunk needs the engine
            pass

    threading.Thread(target=build, name="postcheck-engine", daemon=True).start()


@dataclass(frozen=True)
class Spilled:
    """A chunk's encoded results left by a worker process in a file beside the output (``path``,
    ``size`` bytes), for the parent to append: cheaper than sending them through a pipe."""

    path: str
    size: int


def process_chunk(chunk: Any, opts: BatchOptions, header: bool, spill: str | None = None
                  ) -> tuple[bytes | Spilled, Summary]:
    """Parse, check and encode one chunk (runs in a worker process or on a Dask worker).  With
    ``spill``, the encoded results are written to that (new) file and a :class:`Spilled` comes
    back in their place."""
    from postcheck.batch.formats import encode_results, parse_csv_chunk

    if chunk.kind == "csv":
        chunk = chunk.with_data()
        try:
            table, numbers, raw = parse_csv_chunk(chunk)  # before the engine: parsing overlaps its start-up
        except LabelReadError as e:
            raise LabelReadError(opts.source, e.problem) from None
        rows_in = len(numbers)
        eng = _engine(opts)
        res = eng.check_table(table, rows=numbers, source=opts.source, unit="row", raw=raw)
    elif chunk.kind == "table":
        import numpy as np

        t = chunk.data
        rows_in = t.num_rows
        eng = _engine(opts)
        res = eng.check_table(t, rows=np.arange(chunk.first, chunk.first + t.num_rows, dtype=np.int64),
                              source=opts.source, unit="row")
    else:
        res = _check_jsonl(_engine(opts), chunk.data, opts.source)
        rows_in = len(res.row)
    table = res.table()
    data = encode_results(table, opts.out_format, header=header)
    summary = _summarise(res)
    summary.read, summary.input_rows = table.num_rows, rows_in
    if spill is None:
        return data, summary
    with open(spill, "xb") as f:
        f.write(data)
    return Spilled(spill, len(data)), summary


def _check_jsonl(eng: Any, lines: list[tuple[int, bytes]], source: str) -> Any:
    """JSON Lines, line by line, exactly as ``postcheck check`` reads them."""
    import numpy as np
    import pyarrow as pa

    from postcheck.batch.engine import Results
    from postcheck.errors import InvalidLabel
    from postcheck.label import label_from_json

    labels: list[tuple[int, str]] = []
    for ln, raw in lines:
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff") if ln == 1 else \
            raw.decode("utf-8", errors="replace")
        # str.splitlines, as `check` splits the file, may see more than one line here
        for k, part in enumerate(text.splitlines()):
            if part.strip():
                labels.append((ln + k, part))
    n = len(labels)
    res = Results(np.array([ln for ln, _ in labels], dtype=np.int64), pa.nulls(n, pa.string()))
    for i, (ln, text) in enumerate(labels):
        src = f"{source} line {ln}"
        try:
            lab = label_from_json(text, source=src)
        except InvalidLabel as e:
            res.store(i, "unreadable", None, str(e))
            continue
        res.store(i, *next(iter(eng.check_labels([lab], [src]))))
    res.fallback = n
    return res


def _summarise(res: Any) -> Summary:
    ok, errors, unreadable = res.counts()
    return Summary(read=len(res.row), ok=ok, errors=errors, unreadable=unreadable, fallback=res.fallback,
                   shortfall=res.shortfall_by_currency())


# ---------------------------------------------------------------------------- in the parent

def can_fork() -> bool:
    """Worker processes can be forked from this one: Linux, and no other Python thread running
    (a thread holding a lock at the fork would leave it held in the child for ever; a backend
    calling ``run_batch`` from a threaded server gets spawned workers).  Forked workers start at
    once, with this process's engine (imports, tariffs) already loaded."""
    import multiprocessing as mp

    return (sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()
            and threading.active_count() == 1)


class _Pool:
    """Ordered map over chunks, a bounded number in flight (flat memory).

    Worker processes are forked where possible, after the engine is built here, so they share it
    and start at once; they then read their CSV chunks from the input file themselves
    (``reads_files``), and only byte positions cross to them."""

    def __init__(self, jobs: int, dask_client: Any = None, opts: BatchOptions | None = None) -> None:
        self.jobs = jobs
        self.client = dask_client
        self.executor = None
        self.reads_files = False
        self.forked = False  # the worker processes exist (forked at the first submit)
        if dask_client is None and jobs > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            if can_fork():
                if opts is not None:
                    _engine(opts)  # before the fork: the workers inherit it
                self.executor = ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork"))
                self.reads_files = True
            else:
                self.executor = ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn"))

    def map(self, fn: Callable[..., Any], items: Iterator[tuple]) -> Iterator[Any]:
        if self.client is None and self.executor is None:
            yield from _read_ahead(fn, items)
            return
        window: deque[Any] = deque()
        limit = self.jobs + 1
        if self.reads_files:
            # The first chunk (a small one) is checked here, before the workers are forked at the
            # first submit: they inherit the engine's memo of cell values warm, instead of each
            # reading the same few thousand distinct values through the label model again.
            first = next(items, None)
            if first is None:
                return
            yield fn(*first)
        for args in items:
            if self.client is not None:
                window.append(self.client.submit(fn, *args, pure=False))
            else:
                window.append(self.executor.submit(fn, *args))
                self.forked = True
            if len(window) >= limit:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)


def _threads() -> int:
    """Threads that check chunks in this process: one per core, at most four
    (``POSTCHECK_BATCH_THREADS`` overrides)."""
    given = os.environ.get("POSTCHECK_BATCH_THREADS", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    return max(1, min(os.cpu_count() or 1, 4))


def _read_ahead(fn: Callable[..., Any], items: Iterator[tuple], threads: int | None = None) -> Iterator[Any]:
    """``fn`` over ``items`` on a few threads of this process, results in input order.

    Each chunk is parsed, checked and encoded by one thread; pyarrow and numpy release the GIL
    for their work, so two chunks are checked at once on two cores.  This thread cuts the input
    into chunks and writes the results; at most ``threads + 1`` chunks are in flight, so memory
    stays flat."""
    from concurrent.futures import ThreadPoolExecutor

    threads = threads or _threads()
    ex = ThreadPoolExecutor(threads, thread_name_prefix="postcheck-check")
    window: deque[Any] = deque()
    try:
        for args in items:
            window.append(ex.submit(fn, *args))
            if len(window) > threads:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        for f in window:
            f.cancel()
        ex.shutdown(wait=True)


def _journal_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _write_journal(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, path)


class _Durable:
    """Makes each chunk's results durable, then records that in the journal: ``fsync`` on the
    part file, and only after it the journal, so the journal never claims bytes a crash could
    lose.  Once no fork is still to come, this is done on a thread of its own, one step behind
    the writer (an fsync of 11 MB waits for the disk: measured 0.1-0.3 s of a 1M-row run's wall
    time when done in line)."""

    def __init__(self, f: Any, journal: Path | None) -> None:
        self.f = f
        self.journal = journal
        self.thread: Any = None
        self.pending: Any = None

    def commit(self, state: dict[str, Any], background: bool) -> None:
        if background and self.thread is None:
            from concurrent.futures import ThreadPoolExecutor

            self.thread = ThreadPoolExecutor(1, thread_name_prefix="postcheck-sync")
        if self.thread is None:
            self._sync(state)
            return
        if self.pending is not None and self.pending.done():
            self.pending.result()  # an fsync that failed stops the run here
        self.pending = self.thread.submit(self._sync, state)  # runs in order, after the ones before

    def _sync(self, state: dict[str, Any]) -> None:
        os.fsync(self.f.fileno())
        _write_journal(self.journal, state)

    def close(self, failing: bool) -> None:
        """Wait for the last commit (its error is raised, unless the run is failing already)."""
        if self.thread is None:
            return
        try:
            if self.pending is not None:
                self.pending.result()
        except Exception:
            if not failing:
                raise
        finally:
            self.thread.shutdown(wait=True)
            self.thread = None


def _spill_path(part: Path, tag: str, k: int) -> str:
    return str(part.with_name(f"{part.name}.{tag}-{k}.chunk"))


def _remove_spills(part: Path) -> None:
    """Chunk files a worker left beside the output (a run that failed or was killed)."""
    for p in part.parent.glob(f"{glob_escape(part.name)}.*.chunk"):
        try:
            p.unlink()
        except OSError:
            pass


def _append_file(f: Any, path: str, size: int) -> None:
    """Append ``size`` bytes of the file ``path`` to ``f`` inside the kernel (no copy through
    this process), then delete it."""
    f.flush()
    with open(path, "rb") as src:
        left = size
        try:
            while left > 0:
                done = os.copy_file_range(src.fileno(), f.fileno(), left)
                if done == 0:
                    break
                left -= done
        except (AttributeError, OSError):  # no copy_file_range here (or not between these files)
            src.seek(size - left)
            f.seek(0, os.SEEK_END)
            shutil.copyfileobj(src, f, 1 << 20)
            left = 0
        if left:
            raise OSError(f"{path}: {left} bytes short")
    f.seek(0, os.SEEK_END)  # the file object's idea of its position follows the copy
    os.unlink(path)


def _fingerprint(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def arrow_without_pandas() -> None:
    """Keep pyarrow from importing pandas (a quarter of a second) in a process that never uses it
    (``postcheck batch`` without Dask).

    The first time pyarrow builds an array it imports pandas, only to ask whether the input is a
    pandas object.  With ``pandas`` briefly unimportable, that first question is answered "no
    pandas" and pyarrow does not ask again; anything that really needs pandas later (``to_pandas``,
    ``from_pandas``) still imports it, since those calls retry the import."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    class _NoPandas:
        @staticmethod
        def find_spec(name: str, path: Any = None, target: Any = None) -> None:
            if name == "pandas":
                raise ImportError("pandas is not needed here")
            return None

    finder = _NoPandas()
    sys.meta_path.insert(0, finder)  # type: ignore[arg-type]
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(finder)  # type: ignore[arg-type]


def keep_freed_memory() -> None:
    """Have glibc keep freed memory for reuse instead of handing it back to the system at once
    (``postcheck batch`` only: a process-wide setting).

    Checking a chunk makes thousands of column-sized temporary arrays.  By default glibc maps each
    large block afresh and unmaps it when freed, so every array is faulted in page by page: about
    a fifth of a batch's CPU time went to the kernel.  With blocks up to 64 MB taken from the heap
    and up to 512 MB of free heap kept, the same run spends half as long in the kernel (measured:
    system time 1.21 s -> 0.57 s, 1M rows); peak memory is unchanged, since the same memory is
    reused.  Not glibc (macOS, musl): nothing to do."""
    import ctypes

    try:
        # the program's own symbols, libc's among them: no ``ctypes.util.find_library``, which runs
        # ``ldconfig -p`` in a child process to find the library's name
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 64 << 20)
    mallopt(m_trim_threshold, 512 << 20)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector off while a ``postcheck batch`` runs (on again after).

    The engine's memo tables grow to hundreds of thousands of small objects (one per distinct
    cell value), and checking a chunk allocates millions of short-lived ones, so the collector
    keeps walking the memo for nothing: a batch makes no reference cycles of its own (reference
    counting frees its arrays and lists).  Measured, 1M rows, means of 3 alternating runs: wall
    2.99 s -> 2.68 s; peak memory at 3M rows 790 MB -> 778 MB (flat)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_batch(input_path: str | Path, output_path: str | Path, *, in_format: str | None = None,
              out_format: str | None = None, engine: str = "auto", jobs: int | None = None,
              chunk_size: int | None = None, force: bool = False, resume: bool = False,
              rates_dirs: tuple[str, ...] = (), as_of: dt.date | None = None, items_path: str | None = None,
              progress: Callable[[int], None] | None = None, dask_client: Any = None,
              scheduler: str | None = None, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
              tolerance: str | None = None) -> Summary:
    """Check every row of ``input_path`` and write one result per row to ``output_path``.

    ``chunk_size`` is in rows (about; CSV chunks are cut by bytes).  ``progress`` is called with
    the input bytes (or rows) read so far.  ``select``, ``ignore`` and ``tolerance`` are those of
    :func:`postcheck.check`; with any of them the rows are checked on the exact per-row path."""
    from postcheck.batch.formats import INPUT_FORMATS, OUTPUT_FORMATS, format_of

    inp, out = Path(input_path), output_target(output_path)
    if not inp.exists():
        raise LabelReadError(str(inp), "no such file")
    if inp.is_dir():
        raise LabelReadError(str(inp), "is a folder, not a batch file")
    fin = format_of(inp, in_format)
    fout = format_of(out, out_format)
    if fin not in INPUT_FORMATS:
        raise LabelReadError(str(inp), f"unknown input format {fin!r}")
    if fout not in OUTPUT_FORMATS:
        raise OutputError(str(out), f"unknown output format {fout!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    inputs = [inp] + ([Path(items_path)] if items_path else [])
    check_output_path(out, inputs=inputs, force=force)
    stream = is_stream(out)
    if stream and (resume or fout == "parquet"):
        raise OutputError(str(out), "is a device or a pipe: written as a stream, in CSV or JSON Lines, "
                                    "without --resume")
    if resume and fout == "parquet":
        raise OutputError(str(out), "--resume writes CSV or JSON Lines; a Parquet file is only valid once "
                                    "complete (write CSV, then convert)")
    exact_only = bool(select or ignore or tolerance is not None)  # the vector rules assume the defaults
    opts = BatchOptions(source=str(inp), out_format=fout, vector=engine != "python" and not exact_only, rates_dirs=tuple(rates_dirs),
                        as_of=as_of, select=tuple(select), ignore=tuple(ignore), tolerance=tolerance)
    # one run at a time on an output (its lock is held until the output is in place); then the
    # output is looked at again, as another run may have finished it meanwhile
    with OutputLock(out):
        check_output_path(out, inputs=inputs, force=force)
        part = out if stream else out.with_name(out.name + ".part")
        journal = None if stream else _journal_path(part)
        try:
            if items_path is not None:
                summary = _run_with_items(inp, part, fin, fout, opts, items_path)
            else:
                summary = _run(inp, part, journal, fin, fout, opts, engine, jobs, chunk_size, resume, progress,
                               dask_client, scheduler)
        except OSError as e:
            if not _write_failed(e):
                raise
            if not stream:  # a disk that is full stays full with a .part beside the output
                _remove_partial(part, journal)
            raise write_error(out, e) from None
        except LabelReadError:
            if not stream:  # the input cannot be read on: nothing to resume
                _remove_partial(part, journal)
            raise
        _check_counts(summary, out, part, fout, stream)
        if not stream:
            check_output_path(out, inputs=[inp], force=force)
            os.replace(part, out)
            if journal is not None:
                try:
                    journal.unlink()
                except OSError:
                    pass
    return summary


def _run(inp: Path, part: Path, journal: Path | None, fin: str, fout: str, opts: BatchOptions, engine: str,
         jobs: int | None, chunk_size: int | None, resume: bool, progress: Callable[[int], None] | None,
         dask_client: Any, scheduler: str | None) -> Summary:
    """The run itself, its output's lock held: the results in ``part`` (the output itself when
    it is a stream, with no ``journal``)."""
    state: dict[str, Any] | None = None
    if resume and journal is not None and journal.exists() and part.exists():
        state = json.loads(journal.read_text(encoding="utf-8"))
        if state.get("version") != _JOURNAL_VERSION or state.get("input") != _fingerprint(inp) \
                or state.get("out_format") != fout:
            raise OutputError(str(part.with_name(part.name.removesuffix(".part"))),
                              "the unfinished run was for another input or format; start again without --resume")
    if jobs is None:
        # one worker process per core (at most two) where they can be forked; elsewhere the vector
        # engine runs on threads of this process (spawned workers cost more in start-up than they
        # gain on two cores)
        jobs = min(2, os.cpu_count() or 1) if not opts.vector or engine == "dask" or can_fork() else 1
    rows_hint = chunk_size or 100_000
    summary = Summary()
    encoding = "utf-8"
    start: dict[str, Any] = {}
    if state is not None:
        summary = Summary.from_dict(state["summary"])
        encoding = state["encoding"]
        start = state["position"]
    client = dask_client
    own_cluster = None
    if engine == "dask" and client is None:
        client, own_cluster = _dask_client(scheduler, jobs)
    if journal is not None:
        _remove_spills(part)  # left by a run that was killed
    pool = _Pool(jobs, client, opts)
    if pool.client is None and pool.executor is None:
        _start_engine(opts)  # tariffs load while the first chunks are read and parsed
    try:
        while True:
            try:
                _stream(inp, part, journal, fin, fout, opts, pool, summary, start, encoding, rows_hint, progress,
                        resume_bytes=state["output_bytes"] if state else None)
                break
            except BrokenExecutor:
                resumable = fout != "parquet" and journal is not None and journal.exists()
                raise PostcheckError(
                    "a worker process ended abruptly (killed, or out of memory?)"
                    + (f"; the results so far are kept in {part}: run the same command with --resume to carry on"
                       if resumable else "")) from None
            except _Reencode:
                # not UTF-8: read the whole file again as Windows-1252 (or Latin-1), as `check` does
                encoding = _legacy_encoding(inp)
                summary = Summary(notes=[f"{inp} is not UTF-8; read as {'Windows-1252' if encoding == 'cp1252' else 'Latin-1'}"])
                start, state = {}, None
    finally:
        pool.close()
        if journal is not None:
            _remove_spills(part)  # after the workers have stopped
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    return summary


class RowsLost(RuntimeError):
    """A run wrote another number of results than it read rows: a bug in postcheck, never the
    input's fault, so not a :class:`PostcheckError` (the command line reports it as an internal
    error, exit 3, and no summary is printed)."""


#: Errors of a write that more space, quota or a larger file limit would have let through.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def _write_failed(e: OSError) -> bool:
    """``e`` is a failed write (disk full ...), from Python or from pyarrow (whose I/O errors
    carry the system's message, not its number)."""
    if isinstance(e, OutputError):
        return False
    if e.errno in _WRITE_ERRNOS:
        return True
    return e.errno is None and any(os.strerror(n) in str(e) for n in _WRITE_ERRNOS)


def _remove_partial(part: Path, journal: Path | None) -> None:
    for p in (part, journal):
        if p is not None:
            try:
                p.unlink()
            except OSError:
                pass
    _remove_spills(part)


def _check_counts(summary: Summary, out: Path, part: Path, fout: str, stream: bool) -> None:
    """Rows in = rows out, at the end of every run: the records the readers found, the result
    rows encoded for them, and (Parquet) the rows the finished file holds.  A mismatch is a bug
    or an output changed under the run: the output is not put in place, and the run fails."""
    rows_out = summary.read
    if fout == "parquet" and not stream:
        import pyarrow.parquet as pq

        rows_out = pq.read_metadata(str(part)).num_rows
    if rows_out != summary.input_rows or summary.read != summary.input_rows:
        if not stream:
            _remove_partial(part, _journal_path(part))
        raise RowsLost(f"{out}: {summary.input_rows} rows were read but {rows_out} results written; "
                       "the output was not kept")


class _Reencode(Exception):
    pass


def _legacy_encoding(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(16 << 20), b""):
                block.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _chunks(inp: Path, fin: str, start: dict[str, Any], encoding: str, rows_hint: int,
            by_position: bool = False, parts: int = 1) -> Iterator[Any]:
    from postcheck.batch.formats import NotUtf8, csv_chunks, csv_header, jsonl_chunks, parquet_chunks

    if fin == "csv":
        try:
            names, first, lines = csv_header(inp, encoding)
        except NotUtf8:
            raise _Reencode() from None
        pos = start.get("offset", first)
        ln = start.get("lines", lines)
        block = max(rows_hint * 200, 1 << 16)
        # a small first chunk (about 3,000 rows): the engine's memo tables fill with the common
        # values before the workers are forked, and the other core waits less for that (measured,
        # 1M rows: workers start 0.1 s sooner than with 12,000 rows; each then reads some 70 more
        # distinct values through the label model, a few milliseconds)
        yield from csv_chunks(inp, block_bytes=block, start=pos, lines=ln, encoding=encoding, names=names,
                              first_bytes=max(block // 32, 1 << 16), by_position=by_position, parts=parts)
    elif fin == "jsonl":
        yield from jsonl_chunks(inp, lines_per_chunk=max(rows_hint // 4, 100), start=start.get("offset", 0),
                                lines=start.get("lines", 0))
    else:
        yield from parquet_chunks(inp, rows_per_chunk=rows_hint, start=start.get("offset", 0))


def _stream(inp: Path, part: Path, journal: Path | None, fin: str, fout: str, opts: BatchOptions, pool: _Pool,
            summary: Summary, start: dict[str, Any], encoding: str, rows_hint: int,
            progress: Callable[[int], None] | None, resume_bytes: int | None) -> None:
    from postcheck.batch.formats import NotUtf8, write_parquet_part

    if resume_bytes is not None:
        f = open(part, "r+b")
        f.truncate(resume_bytes)
        f.seek(resume_bytes)
        header_done = True
    else:
        f = open(part, "wb")
        header_done = False
    pq_writer = None
    fingerprint = _fingerprint(inp)  # the input as this run reads it, in every journal entry
    durable = _Durable(f, journal)
    failing = True
    try:
        if fout == "parquet":
            import pyarrow.parquet as pq

            from postcheck.batch.engine import RESULT_SCHEMA

            pq_writer = pq.ParquetWriter(f, RESULT_SCHEMA)
        chunks = _chunks(inp, fin, start, encoding, rows_hint, by_position=pool.reads_files, parts=pool.jobs)
        first = [not header_done]

        # forked workers leave their CSV or JSON Lines results in files beside the output (not
        # the first chunk: the parent checks that one itself)
        spill = pool.reads_files and fout != "parquet" and journal is not None  # not beside a device

        def args() -> Iterator[tuple]:
            for k, c in enumerate(chunks):
                positions.append((c.end, c.lines))
                header = first[0]
                first[0] = False
                # CSV chunks come by position when workers read files
                # (named by encoding too: a pass read again as Windows-1252 has names of its own)
                yield (c, opts, header, _spill_path(part, encoding, k) if spill and k else None)

        positions: deque[tuple[int, int]] = deque()
        try:
            for data, chunk_summary in pool.map(process_chunk, args()):
                end, lines = positions.popleft()
                if pq_writer is not None:
                    write_parquet_part(pq_writer, data)
                elif isinstance(data, Spilled):
                    _append_file(f, data.path, data.size)
                else:
                    f.write(data)
                    f.flush()
                summary.add(chunk_summary)
                if chunk_summary.read != chunk_summary.input_rows:
                    raise RowsLost(f"{opts.source}: {chunk_summary.input_rows} rows read but "
                                   f"{chunk_summary.read} results made for them")
                if pq_writer is None and journal is not None:
                    # no thread of ours may run while the workers are forked (at the first submit,
                    # after the first chunk): until then the commit is done here
                    durable.commit({"version": _JOURNAL_VERSION, "input": fingerprint,
                                    "out_format": fout, "encoding": encoding,
                                    "position": {"offset": end, "lines": lines},
                                    "output_bytes": f.tell(), "summary": summary.to_dict()},
                                   background=pool.forked or not pool.reads_files)
                if progress is not None:
                    progress(end)
        except NotUtf8:
            raise _Reencode() from None
        if fout == "csv" and first[0] and resume_bytes is None:
            f.write(_empty_csv_header())  # no rows at all: still a CSV with its header
        if pq_writer is not None:
            pq_writer.close()
            pq_writer = None
        failing = False
    finally:
        try:
            durable.close(failing)
        finally:
            if pq_writer is not None:
                pq_writer.close()
            f.close()


def _empty_csv_header() -> bytes:
    from postcheck.batch.engine import RESULT_SCHEMA

    return (",".join(f'"{n}"' for n in RESULT_SCHEMA.names) + "\n").encode()


def _run_with_items(inp: Path, part: Path, fin: str, fout: str, opts: BatchOptions, items_path: str) -> Summary:
    """CSV with a second file of contents lines keyed by parcel_id: checked row by row (exact)."""
    import numpy as np

    from postcheck.batch.formats import csv_chunks, encode_results, parse_csv_chunk, write_parquet_part
    from postcheck.rows import group_items, read_csv_rows

    if fin != "csv":
        raise LabelReadError(str(inp), "--items goes with a CSV input")
    item_rows, _ = read_csv_rows(items_path)
    items = group_items(item_rows, str(items_path))
    eng = _engine(opts)
    summary = Summary()
    with open(part, "wb") as f:
        pq_writer = None
        if fout == "parquet":
            import pyarrow.parquet as pq

            from postcheck.batch.engine import RESULT_SCHEMA

            pq_writer = pq.ParquetWriter(f, RESULT_SCHEMA)
        header = True
        try:
            for c in csv_chunks(inp, block_bytes=8 << 20):
                try:
                    table, numbers, raw = parse_csv_chunk(c)
                except LabelReadError as e:
                    raise LabelReadError(opts.source, e.problem) from None
                res = eng.check_table(table, rows=np.asarray(numbers), source=opts.source, items=items, raw=raw)
                t = res.table()
                data = encode_results(t, fout, header=header)
                if pq_writer is not None:
                    write_parquet_part(pq_writer, data)
                else:
                    f.write(data)
                header = False
                chunk = _summarise(res)
                chunk.read, chunk.input_rows = t.num_rows, len(numbers)
                summary.add(chunk)
            if fout == "csv" and header:
                f.write(_empty_csv_header())
        finally:
            if pq_writer is not None:
                pq_writer.close()
    return summary


def _dask_client(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise PostcheckError("--engine dask needs Dask: pip install 'postcheck[dask]'") from None
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
