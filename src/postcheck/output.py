"""Safe outputs: written to a temporary file beside the target and renamed into place, never
over an input file, and over an existing file only when asked (``--force``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from postcheck.errors import FileProblem

__all__ = ["OutputError", "check_output_path", "write_atomic"]


class OutputError(FileProblem, OSError):
    """An output that postcheck refuses to write (it exists, it is an input, no permission)."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output_path(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                      force: bool = False) -> Path:
    """Refuse an output that is one of the inputs, or that exists (unless ``force``)."""
    out = Path(path)
    for i in inputs:
        if i is not None and _same(out, Path(i)):
            raise OutputError(str(out), "is an input file; postcheck never overwrites its input "
                                        "(choose another output name)")
    if out.exists() and not force:
        raise OutputError(str(out), "exists; use --force to replace it")
    if out.exists() and out.is_dir():
        raise OutputError(str(out), "is a folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(str(out), f"folder {parent} does not exist")
    return out


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, inputs: Iterable[str | os.PathLike[str]] = (),
                 force: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    out = check_output_path(path, inputs=inputs, force=force)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=str(out.parent or "."))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return out
