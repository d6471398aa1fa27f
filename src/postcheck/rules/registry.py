"""The rule registry: one decorator registers a rule with its code, name and metadata.

A rule is a small function ``rule(ctx) -> Iterable[Hit]``; the registry stamps each hit with
the rule's code, name and severity to make a :class:`~postcheck.report.Finding`.  Codes are a
family letter and three digits (``W101``); names are kebab-case and name the problem.  Both are
unique and never reused (a test checks it).

A rule may also have a *column form*, registered with :func:`columns` beside the rule: the same
rule over a whole chunk of rows at once, for the batch engine (:mod:`postcheck.batch.engine`).
It reads the chunk's per-row facts (:class:`postcheck.batch.facts.Facts`) and yields
:class:`Fires` (the rows the rule fires on and its message for them) and :class:`Unsure` (rows it
cannot decide over columns, which go to :func:`postcheck.check` one by one).  A rule without a
column form sends every row to ``check()``: slower, never wrong.  The engine's set of rules, their
order and which of them make a row an error are derived from this registry.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable

from postcheck.partial import REQUIRED
from postcheck.report import SEVERITY_ORDER, Finding, Hit, Severity

if TYPE_CHECKING:  # pragma: no cover
    from postcheck.rules.context import Context

__all__ = ["RuleInfo", "Hit", "rule", "columns", "unregister", "Fires", "Unsure", "ColumnForm", "REGISTRY", "rules",
           "get_rule", "Selection", "DOC_SECTIONS", "FAMILY_ORDER", "report_order"]

FAMILIES = {"W": "weight", "P": "postage", "C": "customs", "I": "identifier"}
#: Report order within a severity: weights explain postage, postage before paperwork.
FAMILY_ORDER = {"W": 0, "P": 1, "C": 2, "I": 3}
#: Sections every rule docstring has, in this order (``postcheck rule NAME`` prints them).
DOC_SECTIONS = ("What it checks", "Why it matters", "Example", "Corrected", "Fix safety", "References")


@dataclass(frozen=True)
class Fires:
    """Column form: the rule fires on ``rows`` (a boolean array over the chunk) with ``message``,
    one fixed text or ``message(positions)`` giving the texts for those rows' positions (an
    array of as many strings).  ``line`` orders the findings of a rule that fires once per
    contents line (0 for the first line's column group)."""

    rows: Any
    message: "str | Callable[[Any], Any]"
    line: int = 0


@dataclass(frozen=True)
class Unsure:
    """Column form: ``rows`` (a boolean array) the column form cannot decide; each goes to
    :func:`postcheck.check`."""

    rows: Any


#: A rule's column form: the chunk's facts in, what the rule finds out.
ColumnForm = Callable[[Any], Iterable["Fires | Unsure"]]


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    fixable: bool
    since: str
    func: Callable[["Context"], Iterable[Hit]]
    #: Label fields declared with ``needs=`` (see :attr:`needs`).
    declared_needs: frozenset[str] = frozenset()

    @cached_property
    def needs(self) -> frozenset[str]:
        """Label fields the rule cannot run without (``service``, ``items[].net_weight``): those
        declared with ``needs=`` and those derived from the ``ctx.label.<field>`` reads in its
        body.  A check of a partial label skips the rule when one is unknown.  Derived on first
        use, so a check of complete labels never parses the rules' source."""
        return self.declared_needs | derive_needs(self.func)

    #: the rule over a chunk of rows (see :func:`columns`); None: the batch engine asks check()
    columns: ColumnForm | None = None

    @property
    def family(self) -> str:
        return FAMILIES[self.code[0]]

    @property
    def summary(self) -> str:
        return (inspect.getdoc(self.func) or "").split("\n", 1)[0]

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""

    def sections(self) -> dict[str, str]:
        """The docstring's sections (heading -> text)."""
        out: dict[str, str] = {}
        current = None
        for line in self.doc.splitlines():
            m = re.match(r"^([A-Z][a-z ]+):\s*$", line)
            if m and m.group(1) in DOC_SECTIONS:
                current = m.group(1)
                out[current] = ""
            elif current:
                out[current] += line + "\n"
        return {k: v.strip() for k, v in out.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "family": self.family, "severity": self.severity,
                "fixable": self.fixable, "since": self.since, "summary": self.summary}

    def finding(self, hit: Hit) -> Finding:
        return Finding(code=self.code, name=self.name, severity=self.severity,
                       **{f: getattr(hit, f) for f in _HIT_FIELDS})


_HIT_FIELDS = tuple(f.name for f in fields(Hit))
REGISTRY: dict[str, RuleInfo] = {}
#: Bumped whenever REGISTRY changes, so what is worked out from it can tell when to work it out again.
_changes = [0]
_CODE = re.compile(r"^[WPCI]\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


#: What reading a derived value of the label needs (Label properties).
_DERIVED_NEEDS = {"is_international": ("origin", "destination"), "net_weight_g": ("items[].net_weight",),
                  "items_value": ("items[].value",)}


def derive_needs(func: Callable[..., Any]) -> frozenset[str]:
    """The required label fields a rule reads directly: ``ctx.label.<field>`` (or through a
    local ``label = ctx.label``), and the label's derived values.  A field read further away
    (inside the context's weights and prices) is found when the rule runs: reading an unknown
    field raises :class:`~postcheck.partial.FieldUnknown` and the rule is skipped."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    out: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        base = node.value
        on_label = ((isinstance(base, ast.Attribute) and base.attr == "label"
                     and isinstance(base.value, ast.Name) and base.value.id == "ctx")
                    or (isinstance(base, ast.Name) and base.id == "label"))
        if not on_label:
            continue
        if node.attr in REQUIRED:
            out.add(node.attr)
        out.update(_DERIVED_NEEDS.get(node.attr, ()))
    return frozenset(out)


def rule(code: str, name: str, *, severity: Severity, fixable: bool = False, since: str = "0.1.0",
         needs: Iterable[str] = ()):
    """Register a rule function under ``code`` and ``name``; ``needs`` adds label fields the rule
    cannot run without to those derived from its body (:func:`derive_needs`)."""
    if not _CODE.match(code):
        raise ValueError(f"rule code {code!r} must be a family letter (W, P, C, I) and three digits")
    if not _NAME.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")

    def wrap(func: Callable[["Context"], Iterable[Hit]]) -> Callable[["Context"], Iterable[Hit]]:
        for other in REGISTRY.values():
            if other.code == code or other.name == name:
                raise ValueError(f"rule {code} {name} collides with {other.code} {other.name}")
        REGISTRY[code] = RuleInfo(code, name, severity, fixable, since, func, declared_needs=frozenset(needs))
        _changes[0] += 1
        return func

    return wrap


def columns(rule_func: Callable[..., Any]) -> Callable[[ColumnForm], ColumnForm]:
    """Register the decorated function as the column form of ``rule_func`` (a function registered
    with :func:`rule`), written beside it in the rule's module::

        @columns(gross_weight_missing)
        def _gross_weight_missing_columns(f: Facts) -> Iterator[Fires | Unsure]:
            yield Fires(f.has_form & ~f.has_gross, lambda at: f.join("The ", ...))

    The column form must say, for every row, what the rule says (or send the row to check() with
    :class:`Unsure`); the batch property tests compare the two on generated labels."""

    def wrap(func: ColumnForm) -> ColumnForm:
        for code, info in REGISTRY.items():
            if info.func is rule_func:
                if info.columns is not None:
                    raise ValueError(f"rule {code} {info.name} already has a column form")
                REGISTRY[code] = replace(info, columns=func)
                _changes[0] += 1
                return func
        raise ValueError(f"{getattr(rule_func, '__name__', rule_func)!r} is not a registered rule")

    return wrap


def unregister(code: str) -> RuleInfo:
    """Take a rule out of the registry (a test's own rule, once the test is done)."""
    info = REGISTRY.pop(code)
    _changes[0] += 1
    return info


def report_order(info: RuleInfo) -> tuple[int, int, str]:
    """The order findings are reported in: errors first, then weight, postage, customs and
    identifier rules, each by code."""
    return SEVERITY_ORDER[info.severity], FAMILY_ORDER[info.code[0]], info.code


def rules() -> list[RuleInfo]:
    """Every rule, by code."""
    _load_all()
    return [REGISTRY[c] for c in sorted(REGISTRY)]


def get_rule(key: str) -> RuleInfo | None:
    """A rule by code (``W101``) or name (``packaging-not-counted``)."""
    _load_all()
    k = key.strip()
    if k.upper() in REGISTRY:
        return REGISTRY[k.upper()]
    for r in REGISTRY.values():
        if r.name == k.lower():
            return r
    return None


def _load_all() -> None:
    from postcheck.rules import customs, identifier, postage, weight  # noqa: F401  (registers)


class Selection:
    """Which rules run: ``select`` and ``ignore`` lists of codes, code prefixes or names.

    As in flake8 and ruff, the most specific selector wins (a full code or a name beats a
    prefix; a longer prefix beats a shorter one); on a tie, ignore beats select.  ``ALL``
    selects everything.  An unknown selector is an error, so a typo never silently disables
    nothing.
    """

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> None:
        _load_all()
        self.select = [s.strip() for s in (select or ["ALL"]) if s.strip()]
        self.ignore = [s.strip() for s in (ignore or []) if s.strip()]
        for s in self.select + self.ignore:
            if self._specificity(s, None) is None:
                raise ValueError(f"unknown rule selector {s!r}: give a code (W101), a prefix (W, W1) "
                                 f"or a name (packaging-not-counted); 'postcheck rules' lists them")
        self._enabled: tuple[int, tuple[RuleInfo, ...]] | None = None

    @staticmethod
    def _specificity(selector: str, info: RuleInfo | None) -> int | None:
        s = selector.strip()
        if s.upper() == "ALL":
            return 0
        if _NAME.match(s.lower()) and not re.match(r"^[a-z]\d*$", s.lower()):
            matches = [r for r in REGISTRY.values() if r.name == s.lower()]
            if not matches:
                return None
            return 100 if info is None or info.name == s.lower() else -1
        up = s.upper()
        if not re.match(r"^[WPCI]\d{0,3}$", up):
            return None
        if info is None:
            return len(up) if any(c.startswith(up) for c in REGISTRY) else None
        return len(up) if info.code.startswith(up) else -1

    def enabled_rules(self) -> tuple[RuleInfo, ...]:
        """The enabled rules in report order (:func:`report_order`), worked out once."""
        if self._enabled is None or self._enabled[0] != _changes[0]:
            on = tuple(sorted((r for r in rules() if self.enabled(r)), key=report_order))
            self._enabled = (_changes[0], on)
        return self._enabled[1]

    def enabled(self, info: RuleInfo) -> bool:
        def best(selectors: list[str]) -> int:
            scores = [self._specificity(s, info) for s in selectors]
            return max((x for x in scores if x is not None), default=-1)

        best_sel, best_ign = best(self.select), best(self.ignore)
        if best_sel < 0:
            return False
        return best_sel > best_ign
