"""Safe outputs: written to a temporary file beside the target and renamed into place, never
over an input file, and over an existing file only when asked (``--force``).

* **One writer per output.**  A run holds ``OUTPUT.lock`` beside the output (an advisory
  ``flock``, released by the kernel if the process dies) while it writes; a second run on the
  same output is refused with a message naming the lock, so two runs never mix their rows.
* **Devices and pipes** (``/dev/null``, ``/dev/stdout``, a FIFO) are written by opening them:
  they are never replaced by a rename (which, run as root, would put a regular file where the
  device was), need no ``--force`` (nothing stored there is replaced), and get no lock or
  temporary file beside them.  A block device, a socket or anything else that is not a regular
  file is refused.
* **Symbolic links** are followed: the file a link names is written (as a shell's ``>`` does),
  never the link replaced by a file (``/dev/stdout`` is such a link).
* **Write errors** (disk full, quota, a file-size limit) are an :class:`OutputError` naming the
  output, and nothing half-written is left behind.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterable

from postcheck.errors import FileProblem

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock (documented)
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutputError", "OutputLock", "check_output_path", "write_atomic", "is_stream", "write_error",
           "output_target"]


class OutputError(FileProblem, OSError):
    """An output that postcheck refuses to write (it exists, it is an input, no permission)."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def is_stream(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a character device or a FIFO: written by opening it, in place."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def output_target(path: str | os.PathLike[str]) -> Path:
    """The path to write for an output: a symbolic link's target (followed to its end), unless
    the output is a stream, which is opened as given."""
    p = Path(path)
    if p.is_symlink() and not is_stream(p):
        return Path(os.path.realpath(p))
    return p


def write_error(path: str | os.PathLike[str], e: OSError) -> OutputError:
    """The :class:`OutputError` for a failed write: what happened, in words."""
    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exhausted",
           errno.EFBIG: "the file is over the size this system allows"}.get(e.errno or 0,
                                                                            e.strerror or str(e))
    return OutputError(str(path), f"cannot be written: {why}; nothing was left half-written")


def check_output_path(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = (),
                      force: bool = False) -> Path:
    """Refuse an output that is one of the inputs, or that exists (unless ``force``), or that is
    neither a regular file nor a stream (:func:`is_stream`)."""
    out = Path(path)
    for i in inputs:
        if i is not None and _same(out, Path(i)):
            raise OutputError(str(out), "is an input file; postcheck never overwrites its input "
                                        "(choose another output name)")
    try:
        mode = os.stat(out).st_mode
    except OSError:
        mode = None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise OutputError(str(out), "is a folder")
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            return out  # written in place: nothing stored there is replaced
        if not stat.S_ISREG(mode):
            kind = "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else \
                "not a regular file"
            raise OutputError(str(out), f"is {kind}; postcheck writes regular files, character devices "
                                        "and pipes only")
        if not force:
            raise OutputError(str(out), "exists; use --force to replace it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(str(out), f"folder {parent} does not exist")
    return out


class OutputLock:
    """``OUTPUT.lock`` held while a run writes ``OUTPUT`` (a context manager).

    The lock is an ``flock`` on the file, so a run that is killed releases it; the file is
    removed by the run that held it.  A run that took the lock on a file the previous holder had
    just removed takes it again on the new one.  A stream output (:func:`is_stream`) takes no
    lock, and neither does a system without ``fcntl``."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        self.output = Path(output)
        self.path = self.output.with_name(self.output.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> "OutputLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def acquire(self) -> None:
        if fcntl is None or is_stream(self.output):
            return
        while True:
            try:
                # never through a symbolic link, never a file that is not a lock of ours
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except OSError as e:
                raise OutputError(str(self.output), f"cannot create its lock {self.path}: "
                                                    f"{e.strerror or e}") from None
            if not _is_lock_file(fd):
                os.close(fd)
                raise OutputError(str(self.output), f"{self.path} exists and is not a postcheck lock; "
                                                    "move it away or choose another output")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = _read_pid(fd)
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    who = f"process {holder}" if holder else "another process"
                    raise OutputError(str(self.output), f"is being written by another postcheck run ({who}, "
                                                        f"lock {self.path}); wait for it to end or choose "
                                                        "another output") from None
                raise OutputError(str(self.output), f"cannot lock {self.path}: {e.strerror or e}") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except OSError:
                same = False
            if same:
                break
            os.close(fd)  # the holder before removed that file as we opened it: again
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # still holding it: no other run can have it
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def _is_lock_file(fd: int) -> bool:
    """A regular file that is empty or holds a process id: what a lock of ours holds."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > 32:
        return False
    return st.st_size == 0 or bool(_read_pid(fd))


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *,
                 inputs: Iterable[str | os.PathLike[str] | None] = (), force: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename (a stream: by
    opening it), holding the output's lock."""
    out = check_output_path(output_target(path), inputs=inputs, force=force)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if is_stream(out):
        try:
            with open(out, "wb") as f:
                f.write(raw)
        except OSError as e:
            raise write_error(out, e) from None
        return out
    with OutputLock(out):
        check_output_path(out, inputs=inputs, force=force)  # again, now that no other run writes it
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=str(out.parent or "."))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out)
        except BaseException as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(e, OSError) and not isinstance(e, OutputError):
                raise write_error(out, e) from None
            raise
    return out
