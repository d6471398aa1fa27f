"""Project settings: ``postcheck.toml`` or ``[tool.postcheck]`` in ``pyproject.toml``.

Looked for in the current folder and its parents (the nearest wins).  Keys: ``select``,
``ignore`` (lists of rule codes, prefixes or names), ``tolerance`` (``"10 g"``, ``"2%"``) and
``rates`` (tariff folders, relative to the settings file) and a ``limits`` table
(see :mod:`postcheck.limits`).  The command line beats the file: a
``--select`` given there replaces the file's ``select``, and so on.

```toml
[tool.postcheck]
ignore = ["P202"]          # we never reclaim overpaid postage
tolerance = "5 g"
rates = ["negotiated-rates"]
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from postcheck.errors import TariffFileError

__all__ = ["Settings", "find_settings"]

_KEYS = {"select", "ignore", "tolerance", "rates", "limits", "price_plan"}


@dataclass(frozen=True)
class Settings:
    path: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    tolerance: str | None = None
    rates: tuple[str, ...] = field(default=())
    limits: dict[str, int] = field(default_factory=dict)
    #: The price plan the shipper pays (``small_business``) for products sold at several.
    price_plan: str | None = None

    def apply_limits(self) -> None:
        """Put the file's ``limits`` in force for this process."""
        if self.limits:
            from postcheck.errors import InvalidInput
            from postcheck.limits import configure

            try:
                configure(**self.limits)
            except InvalidInput as e:
                raise TariffFileError(str(self.path), e.field, f"{e.expected}, got {e.value!r}") from None


def _read(path: Path, table: dict, prefix: str) -> Settings:
    def fail(key: str, problem: str) -> TariffFileError:
        return TariffFileError(str(path), f"{prefix}{key}", problem)

    for k in table:
        if k not in _KEYS:
            raise fail(k, f"unknown setting (known: {', '.join(sorted(_KEYS))})")

    def strings(key: str) -> tuple[str, ...]:
        v = table.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise fail(key, "expected a list of strings")
        return tuple(v)

    tol = table.get("tolerance")
    if tol is not None and not isinstance(tol, str):
        raise fail("tolerance", 'expected a string such as "10 g" or "2%"')
    rates = tuple(str((path.parent / r).resolve()) for r in strings("rates"))
    limits = table.get("limits", {})
    if not isinstance(limits, dict):
        raise fail("limits", "expected a table of limit = whole number")
    plan = table.get("price_plan")
    if plan is not None and not isinstance(plan, str):
        raise fail("price_plan", 'expected a string such as "small_business"')
    return Settings(str(path), strings("select"), strings("ignore"), tol, rates, dict(limits), plan)


def find_settings(start: Path | None = None) -> Settings:
    """The nearest settings file from ``start`` (default: the current folder) upwards."""
    import tomllib

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "postcheck.toml"
        if own.is_file():
            try:
                return _read(own, tomllib.loads(own.read_text(encoding="utf-8")), "")
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise TariffFileError(str(own), "", f"invalid TOML: {e}") from None
        py = folder / "pyproject.toml"
        if py.is_file():
            try:
                doc = tomllib.loads(py.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue  # not ours to judge
            tool = doc.get("tool", {}).get("postcheck") if isinstance(doc.get("tool"), dict) else None
            if isinstance(tool, dict):
                return _read(py, tool, "tool.postcheck.")
    return Settings()
