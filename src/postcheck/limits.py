"""Limits on what postcheck reads, so hostile input stays bounded in time and memory.

Defaults are documented in the README.  Change them in the settings file
(``[tool.postcheck.limits]`` in ``pyproject.toml``, or ``[limits]`` in ``postcheck.toml``) or
with environment variables ``POSTCHECK_LIMIT_<NAME>`` (e.g. ``POSTCHECK_LIMIT_PDF_PAGES=50``).
The settings file beats the environment, and both beat the defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from postcheck.errors import InvalidInput

__all__ = ["Limits", "current", "configure", "DEFAULTS", "CSV_FIELD_LIMIT"]

#: Characters Python's csv module reads in one field.  Its default (131,072) refuses a longer
#: field by stopping the whole file; postcheck reads it and refuses the cell, one row at a time,
#: with the column named (a cell holds at most 10,000 characters; a text field ``text_chars``).
CSV_FIELD_LIMIT = 1 << 30


@dataclass(frozen=True)
class Limits:
    label_file_mb: int = 50  # a JSON / CSV label file for `check` (batches stream: no limit)
    pdf_file_mb: int = 20  # a label PDF
    pdf_pages: int = 2000  # page-tree entries a PDF may declare
    pdf_text_pages: int = 10  # pages whose text layer is searched for captions
    items: int = 1000  # contents lines per label
    text_chars: int = 500  # characters in one text field (description, explanation, ...)


DEFAULTS = Limits()
_current: Limits | None = None


def _from_env(base: Limits) -> Limits:
    changes = {}
    for f in fields(Limits):
        raw = os.environ.get(f"POSTCHECK_LIMIT_{f.name.upper()}")
        if raw is None:
            continue
        name = f"POSTCHECK_LIMIT_{f.name.upper()}"
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(name, raw, "a whole number") from None
        if value < 1:
            raise InvalidInput(name, raw, "a whole number of 1 or more")
        changes[f.name] = value
    return replace(base, **changes)


def current() -> Limits:
    """The limits in force (defaults, then environment, then :func:`configure`)."""
    global _current
    if _current is None:
        _current = _from_env(DEFAULTS)
    return _current


def configure(**values: int) -> Limits:
    """Override limits for this process (the settings file does this); unknown names raise."""
    global _current
    known = {f.name for f in fields(Limits)}
    for k, v in values.items():
        if k not in known:
            raise InvalidInput(f"limits.{k}", v, f"a known limit ({', '.join(sorted(known))})")
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InvalidInput(f"limits.{k}", v, "a whole number of 1 or more")
    _current = replace(current(), **values)
    return _current


def reset() -> None:
    """Back to defaults + environment (tests)."""
    global _current
    _current = None
