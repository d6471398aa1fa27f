"""Exceptions raised by postcheck.

Exceptions are for misuse and unreadable input only; a problem found *on a label* is a
:class:`postcheck.report.Finding`, never an exception.  Every exception derives from
:class:`PostcheckError` and from the matching builtin, keeps typed attributes, builds its
message from them, and pickles (``__reduce__`` passes the attributes back).
"""

from __future__ import annotations

import datetime as _dt

from postcheck.bounds import shown


class PostcheckError(Exception):
    """Root of every exception postcheck raises on purpose."""

    def __reduce__(self):  # pickle with the typed attributes, not the message
        return (self.__class__, self._args)

    def __init__(self, *args: object) -> None:
        self._args = args
        super().__init__(self._message())

    def _message(self) -> str:  # pragma: no cover - overridden
        return " ".join(str(a) for a in self._args)


class InvalidInput(PostcheckError, ValueError):
    """A value cannot be read: names the field (dotted path) and what was expected.

    ``source`` names the file (and row) when known.
    """

    def __init__(self, field: str, value: object, expected: str, source: str | None = None) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self.source = source
        super().__init__(field, value, expected, source)

    def _message(self) -> str:
        where = f"{self.source}: " if self.source else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.expected}, got {shown(self.value)}"


class UnitError(InvalidInput):
    """A weight or length that cannot be read, or is of the wrong kind."""


class DataFileError(PostcheckError, ValueError):
    """A data file postcheck reads (tariff, settings, PDF profile, caption set) breaks its
    format: names the file and the key."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(self.path, key, problem)

    def _message(self) -> str:
        key = f" [{self.key}]" if self.key else ""
        return f"{self.path}{key}: {self.problem}"


class TariffFileError(DataFileError):
    """A tariff file (or a settings file) breaks the format: names the file and the key."""


class UnknownService(PostcheckError, LookupError):
    """No bundled or user tariff has this product id or name."""

    def __init__(self, service: str, known: tuple[str, ...] = ()) -> None:
        self.service = service
        self.known = tuple(known)
        super().__init__(service, self.known)

    def _message(self) -> str:
        hint = f"; known services: {', '.join(self.known)}" if self.known else ""
        return f"unknown service {self.service!r}{hint}"


class NoTariffInForce(PostcheckError, LookupError):
    """No price list of the product is in force on the date asked for."""

    def __init__(self, service: str, date: _dt.date, first: _dt.date | None = None,
                 last: _dt.date | None = None, next_from: _dt.date | None = None) -> None:
        self.service = service
        self.date = date
        self.first = first
        self.last = last
        #: set when the date falls between two tables: the later one starts then
        self.next_from = next_from
        super().__init__(service, date, first, last, next_from)

    def _message(self) -> str:
        msg = f"no price list of {self.service} is in force on {self.date.isoformat()}"
        if self.next_from is not None and self.last is not None:
            msg += (f": the table before it ends {self.last.isoformat()} and the next starts "
                    f"{self.next_from.isoformat()}; no price list for the dates between is known")
        elif self.first is not None and self.date < self.first:
            msg += f": the earliest table starts {self.first.isoformat()}"
        elif self.last is not None:
            msg += f": the known tables end {self.last.isoformat()}"
        return msg


class NotPriceable(PostcheckError, ValueError):
    """The product cannot carry this parcel (too heavy, too big, not served...).

    ``reason`` is the kebab-case rule name (``over-weight-limit``, ``over-size-limit``,
    ``under-size-limit``, ``destination-not-served``, ``zone-required``).
    """

    def __init__(self, service: str, reason: str, detail: str) -> None:
        self.service = service
        self.reason = reason
        self.detail = detail
        super().__init__(service, reason, detail)

    def _message(self) -> str:
        return f"{self.service}: {self.detail}"


class FileProblem(PostcheckError):
    """A file that cannot be read or written as a whole: names the path and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(self.path, problem)

    def _message(self) -> str:
        return f"{self.path}: {self.problem}"


class LabelReadError(FileProblem, ValueError):
    """A label file (JSON, CSV, PDF) cannot be read at all."""


class GuideError(FileProblem, ValueError):
    """A price guide that cannot be imported: not a PDF, a document postcheck does not know,
    or a table that does not read as the guide's own layout says it should."""


class InvalidLabel(PostcheckError, ValueError):
    """A label that cannot be read into the label model.

    ``problems`` is a tuple of ``(field path, value, what was expected)``; the message lists them
    all so a user can fix the file in one go.
    """

    def __init__(self, source: str, problems: tuple[tuple[str, object, str], ...]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(source, self.problems)

    def _message(self) -> str:
        lines = []
        for loc, value, expected in self.problems[:20]:
            got = f", got {shown(value, 60)}" if value is not _MISSING else ""
            lines.append(f"  {loc or '(label)'}: {expected}{got}")
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        n = len(self.problems)
        return f"{self.source}: {n} problem{'s' if n != 1 else ''} reading the label:\n" + "\n".join(lines) + more


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self):
        return (_missing, ())


def _missing() -> "_Missing":
    return _MISSING


_MISSING = _Missing()
MISSING = _MISSING
