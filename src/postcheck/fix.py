"""Apply the fixes that findings carry and return the corrected label.

Safe fixes are applied by default (gross weight from net + packaging or the measured weight,
postage due, CN 23 above the CN 22 ceiling, total value); unsafe ones only when asked; advice
("display") never changes the label.  Fixing is repeated until the label stops changing,
because one fix can call for another (a higher gross weight raises the postage due).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from postcheck.checker import check_partial
from postcheck.label import Label, label_from_dict
from postcheck.report import Finding, Report
from postcheck.tariffs.catalog import Rates

__all__ = ["FixResult", "Change", "apply_fixes"]

_PATH = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


@dataclass(frozen=True)
class Change:
    """One field changed by a fix: where, from what, to what, and which rule asked for it."""

    loc: str
    before: Any
    after: Any
    code: str
    name: str
    description: str

    def __str__(self) -> str:
        before = "(empty)" if self.before is None else self.before
        return f"{self.loc}: {before} -> {self.after}  [{self.code} {self.name}: {self.description}]"


@dataclass
class FixResult:
    label: Label
    report: Report  # the check of the corrected label
    changes: list[Change] = field(default_factory=list)
    not_applied: list[Finding] = field(default_factory=list)  # unsafe (without --unsafe-fixes) or advice

    @property
    def ok(self) -> bool:
        return self.report.ok


def _get(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for name, idx in _PATH.findall(path):
        cur = cur.get(name) if isinstance(cur, dict) else None
        if idx and isinstance(cur, list):
            cur = cur[int(idx)] if int(idx) < len(cur) else None
    return cur


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = _PATH.findall(path)
    cur: Any = doc
    for i, (name, idx) in enumerate(parts):
        last = i == len(parts) - 1
        if idx:
            cur = cur[name][int(idx)]
            if last:
                raise ValueError(f"cannot replace a whole list entry at {path}")
        elif last:
            cur[name] = value
        else:
            cur = cur.setdefault(name, {})


def apply_fixes(label: Label, *, measured_weight: Any = None, rates: Rates | None = None,
                as_of: dt.date | None = None, unsafe: bool = False, max_rounds: int = 5,
                source: str | None = None) -> FixResult:
    """Fix ``label``; the result's ``report`` is the check of the corrected label (with the
    measured weight, if one was given).  ``source`` names the label's file in messages.  A
    service postcheck has no tariff of is fixed as far as it goes: the weights and the customs
    declaration, not the postage (the report says so, ``service-not-priced``)."""
    doc = copy.deepcopy(label.to_dict())
    changes: list[Change] = []
    allowed = {"safe", "unsafe"} if unsafe else {"safe"}
    report = check_partial(label, measured_weight=measured_weight, rates=rates, as_of=as_of, source=source)
    current = label
    for _ in range(max_rounds):
        changed = False
        for f in report.findings:
            if f.fix is None or f.fix.safety not in allowed:
                continue
            for loc, value in f.fix.edits.items():
                before = _get(doc, loc)
                if before == value:
                    continue
                _set(doc, loc, value)
                changes.append(Change(loc, before, value, f.code, f.name, f.fix.description))
                changed = True
        if not changed:
            break
        corrected = f"{source} (corrected)" if source else "corrected label"
        current = label_from_dict(doc, source=corrected)
        report = check_partial(current, measured_weight=measured_weight, rates=rates, as_of=as_of, source=source)
    not_applied = [f for f in report.findings if f.fix is not None and f.fix.safety not in allowed]
    # the corrected label drops the measured weight: its gross weight now states it
    if current.measured_weight is not None and current.gross_weight is not None:
        current = current.model_copy(update={"measured_weight": None})
    return FixResult(current, report, changes, not_applied)
