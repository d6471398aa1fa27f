"""Findings, the report for one label, the verdict, and the emitters (text, JSON, CSV).

A :class:`Finding` is data, shaped like pydantic's error records: code, name, severity, message,
location (``items[2].net_weight``), the value seen and the value expected, amounts, the likely
cause, and an optional :class:`Fix` with a safety level.  A :class:`Report` holds every finding
for one label plus the postage summary and the tariff used.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Literal

from postcheck.money import cents

__all__ = ["Finding", "Hit", "Fix", "Report", "Postage", "TariffRef", "Need", "Severity", "SEVERITY_ORDER",
           "to_text", "to_json", "to_csv_rows", "CSV_FIELDS", "neutralise_cell"]

#: The finding of a label whose service postcheck has no tariff of (rule P211): its verdict
#: says the postage was not checked.
SERVICE_NOT_PRICED = "service-not-priced"

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
Safety = Literal["safe", "unsafe", "display"]


@dataclass(frozen=True)
class Fix:
    """What to change on the label.  ``edits`` maps a field path to its new JSON value;
    ``safety``: *safe* (applied by ``postcheck fix``), *unsafe* (only with ``--unsafe-fixes``),
    *display* (advice only: something a person must do, such as weighing the parcel)."""

    description: str
    safety: Safety
    edits: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "safety": self.safety, "edits": dict(self.edits)}


@dataclass(frozen=True)
class Hit:
    """What a rule found, in its own words; the registry adds code, name and severity."""

    message: str
    loc: str | None = None
    seen: str | None = None
    expected: str | None = None
    amounts: dict[str, str] = field(default_factory=dict)
    cause: str | None = None
    fix: Fix | None = None


@dataclass(frozen=True, kw_only=True)
class Finding(Hit):
    """A :class:`Hit` stamped with its rule's code, name and severity."""

    code: str
    name: str
    severity: Severity

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "name": self.name, "severity": self.severity,
                             "message": self.message, "loc": self.loc}
        if self.seen is not None:
            d["seen"] = self.seen
        if self.expected is not None:
            d["expected"] = self.expected
        if self.amounts:
            d["amounts"] = dict(self.amounts)
        if self.cause:
            d["cause"] = self.cause
        d["fix"] = self.fix.to_dict() if self.fix else None
        return d


@dataclass(frozen=True)
class Postage:
    """Required versus paid, for the chargeable weight postcheck priced."""

    currency: str
    required: Decimal | None
    paid: Decimal | None
    chargeable_weight: str | None  # "0.520 kg"
    basis: str | None  # which weight was priced: measured / declared gross / net + packaging / net

    @property
    def shortfall(self) -> Decimal | None:
        if self.required is None or self.paid is None:
            return None
        return max(self.required - self.paid, Decimal(0))

    @property
    def overpaid(self) -> Decimal | None:
        if self.required is None or self.paid is None:
            return None
        return max(self.paid - self.required, Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        def s(v: Decimal | None) -> str | None:
            return None if v is None else f"{cents(v)}"

        return {"required": s(self.required), "paid": s(self.paid), "shortfall": s(self.shortfall),
                "currency": self.currency, "chargeable_weight": self.chargeable_weight, "basis": self.basis}


@dataclass(frozen=True)
class TariffRef:
    id: str
    name: str
    operator: str
    file: str
    effective_from: str
    source: str
    zone: str | None
    step: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "operator": self.operator, "file": self.file,
                "effective_from": self.effective_from, "source": self.source, "zone": self.zone,
                "step": self.step}


#: What each family of rules is for (code letter -> purpose), as a partial report asks for the
#: fields it needs: "to price the postage postcheck needs: service".
PURPOSES = {"W": "check the weights", "P": "price the postage", "C": "check the customs declaration",
            "I": "check the tracking number"}


@dataclass(frozen=True)
class Need:
    """A field a partial label lacks: what it is needed for, the rules it keeps from running,
    and where the reader looked for it (when known)."""

    field: str  # "service", "items[0].net_weight"
    purposes: tuple[str, ...]  # "price the postage", "check the customs declaration"
    rules: tuple[str, ...] = ()
    looked: str | None = None

    @property
    def hint(self) -> str:
        """How to supply it on the command line."""
        return f"--set {self.field}=..."

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "for": list(self.purposes), "rules": list(self.rules), "looked": self.looked,
                "set": self.hint}


@dataclass(frozen=True)
class Report:
    """Everything postcheck found on one label."""

    findings: tuple[Finding, ...]
    postage: Postage | None
    tariff: TariffRef | None
    date: str
    date_defaulted: bool = False
    notes: tuple[str, ...] = ()
    tolerance: str | None = None
    source: str | None = None  # file (and row) the label came from
    parcel_id: str | None = None
    #: Fields a partial label lacks, with what for (empty for a complete label).
    needs: tuple[Need, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def incomplete(self) -> bool:
        """Some rules could not run: the label lacks fields they need (see ``needs``)."""
        return bool(self.needs)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.needs

    @property
    def exit_code(self) -> int:
        """0 ready, 1 an error-level finding, 2 incomplete (fields missing)."""
        if self.needs:
            return 2
        return 0 if self.ok else 1

    @property
    def verdict(self) -> str:
        if self.needs:
            wanted = f"Incomplete: postcheck needs {', '.join(n.field for n in self.needs)}"
            if self.errors:
                names = ", ".join(dict.fromkeys(f.name for f in self.errors))
                return f"Not ready to drop off: {names}; {wanted[0].lower()}{wanted[1:]}"
            return wanted
        if self.ok:
            if any(f.name == SERVICE_NOT_PRICED for f in self.findings):
                return "No error found; the postage was not checked (no tariff of the service)"
            return "OK to drop off"
        short = self.postage.shortfall if self.postage else None
        if short:
            return f"Will be returned: short {self.postage.currency} {cents(short)}"  # type: ignore[union-attr]
        names = ", ".join(dict.fromkeys(f.name for f in self.errors))
        return f"Not ready to drop off: {names}"

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def names(self) -> list[str]:
        return [f.name for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"verdict": self.verdict, "ok": self.ok}
        if self.parcel_id is not None:
            d["parcel_id"] = self.parcel_id
        if self.source is not None:
            d["source"] = self.source
        d.update({
            "findings": [f.to_dict() for f in self.findings],
            "postage": self.postage.to_dict() if self.postage else None,
            "tariff": self.tariff.to_dict() if self.tariff else None,
            "date": self.date,
            "date_defaulted": self.date_defaulted,
            "tolerance": self.tolerance,
            "notes": list(self.notes),
        })
        if self.needs:
            d["incomplete"] = True
            d["needs"] = [n.to_dict() for n in self.needs]
        return d


# ---------------------------------------------------------------------------- emitters

def to_json(reports: list[Report] | Report, *, indent: int | None = 2) -> str:
    """One report as an object; several as a list."""
    if isinstance(reports, Report):
        return json.dumps(reports.to_dict(), indent=indent, ensure_ascii=False)
    return json.dumps([r.to_dict() for r in reports], indent=indent, ensure_ascii=False)


def _wrap(text: str, indent: str, width: int = 92) -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def to_text(report: Report, *, color: bool = False) -> str:
    """A report for people: each finding with what, why, how much and what to do."""
    def style(s: str, fg: str | None = None, bold: bool = False) -> str:
        if not color:
            return s
        import click

        return click.style(s, fg=fg, bold=bold)

    out: list[str] = []
    head = report.source or "label"
    if report.parcel_id:
        head += f" (parcel {report.parcel_id})"
    out.append(style(head, bold=True))
    t = report.tariff
    if t is not None:
        out.append(f"  Priced with: {t.operator} {t.name} ({t.id}), price list of {t.effective_from}"
                   + (f", zone {t.zone}" if t.zone else "") + f" - {t.source}")
    out.append(f"  Shipping date: {report.date}"
               + (" (not given: today's date was used)" if report.date_defaulted else ""))
    for n in report.notes:
        out.append(_wrap("Note: " + n, "  "))
    out.append("")
    colors = {"error": "red", "warning": "yellow", "info": "blue"}
    for f in report.findings:
        out.append(style(f"{f.severity.upper():7} {f.code} {f.name}", fg=colors[f.severity], bold=True)
                   + (f"  [{f.loc}]" if f.loc else ""))
        out.append(_wrap(f.message, "        "))
        if f.seen is not None or f.expected is not None:
            parts = []
            if f.seen is not None:
                parts.append(f"found {f.seen}")
            if f.expected is not None:
                parts.append(f"expected {f.expected}")
            out.append(_wrap("; ".join(parts), "        "))
        if f.amounts:
            cur = f.amounts.get("currency", "")
            nums = ", ".join(f"{k.replace('_', ' ')} {cur + ' ' if cur else ''}{v}" for k, v in f.amounts.items()
                             if k != "currency" and not k.endswith("_g"))
            out.append(_wrap("Amounts: " + nums, "        "))
        if f.cause:
            out.append(_wrap("Likely cause: " + f.cause, "        "))
        if f.fix:
            tag = {"safe": "Fix", "unsafe": "Fix (unsafe: applied only with --unsafe-fixes)",
                   "display": "To do"}[f.fix.safety]
            out.append(_wrap(f"{tag}: {f.fix.description}", "        "))
        out.append("")
    if not report.findings:
        out.append("  No problems found in what could be checked." if report.needs else "  No problems found.")
        out.append("")
    if report.needs:
        out.extend(needs_text(report.needs))
        out.append("")
    p = report.postage
    if p is not None and p.required is not None:
        line = f"  Postage: required {p.currency} {cents(p.required)}"
        if p.paid is not None:
            line += f", paid {p.currency} {cents(p.paid)}"
            if p.shortfall:
                line += f", short {p.currency} {cents(p.shortfall)}"
            elif p.overpaid:
                line += f", overpaid {p.currency} {cents(p.overpaid)}"
        if p.chargeable_weight:
            line += f" (chargeable weight {p.chargeable_weight}, {p.basis})"
        out.append(line)
    if report.tolerance:
        out.append(f"  Weight tolerance: {report.tolerance}")
    verdict = report.verdict
    out.append(style(f"Verdict: {verdict}", fg="green" if report.ok else "red", bold=True))
    return "\n".join(out) + "\n"


def needs_text(needs: Iterable[Need]) -> list[str]:
    """"To price the postage postcheck needs: service (--set service=...)", one line per purpose,
    then where the reader looked for each field."""
    needs = list(needs)
    by_purpose: dict[str, list[Need]] = {p: [] for p in PURPOSES.values()}
    for n in needs:
        for p in n.purposes:
            by_purpose.setdefault(p, []).append(n)
    skipped = len({r for n in needs for r in n.rules})
    out = [f"  Incomplete label: {skipped} rule{'s' if skipped != 1 else ''} could not run."]
    for purpose, group in by_purpose.items():
        if not group:
            continue
        fields = ", ".join(f"{n.field} ({n.hint})" for n in group)
        out.append(f"  To {purpose} postcheck needs: {fields}")  # unwrapped: the hints stay whole
    for n in needs:
        if n.looked:
            out.append(_wrap(f"{n.field}: not found; looked for {n.looked}", "    "))
    return out


CSV_FIELDS = ["parcel_id", "source", "verdict", "ok", "code", "name", "severity", "message", "loc", "seen",
              "expected", "required", "paid", "shortfall", "currency", "fix"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Make a cell safe for spreadsheets: text that starts with ``= + - @`` (or a tab/CR) would
    be run as a formula, so it gets a leading apostrophe.  Plain negative numbers are kept."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            Decimal(value)
            return value
        except Exception:
            return "'" + value
    return value


def to_csv_rows(report: Report) -> list[dict[str, Any]]:
    """One row per finding (one row with empty code when the label is clean)."""
    p = report.postage
    base = {"parcel_id": report.parcel_id or "", "source": report.source or "", "verdict": report.verdict,
            "ok": "true" if report.ok else "false",
            "required": f"{cents(p.required)}" if p and p.required is not None else "",
            "paid": f"{cents(p.paid)}" if p and p.paid is not None else "",
            "shortfall": f"{cents(p.shortfall)}" if p and p.shortfall is not None else "",
            "currency": p.currency if p else ""}
    rows = []
    for f in report.findings or [None]:
        row = dict(base)
        if f is not None:
            row.update({"code": f.code, "name": f.name, "severity": f.severity, "message": f.message,
                        "loc": f.loc or "", "seen": f.seen or "", "expected": f.expected or "",
                        "fix": f.fix.description if f.fix else ""})
        rows.append({k: neutralise_cell(row.get(k, "")) for k in CSV_FIELDS})
    return rows


def unreadable_row(source: str, message: str, parcel_id: str | None = None) -> dict[str, Any]:
    """The CSV row for a record that could not be read (so rows in = rows out)."""
    row = {k: "" for k in CSV_FIELDS}
    row.update({"parcel_id": parcel_id or "", "source": source, "verdict": "Unreadable", "ok": "false",
                "message": message})
    return {k: neutralise_cell(v) for k, v in row.items()}


def to_csv(reports: list[Report], unreadable: Iterable[tuple[str, str]] = ()) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in reports:
        w.writerows(to_csv_rows(r))
    for source, message in unreadable:
        w.writerow(unreadable_row(source, message))
    return buf.getvalue()
