"""Rules, one module per family: weight (W1xx), postage (P2xx), customs (C3xx), identifier (I4xx).

``rules()`` lists them; ``get_rule("packaging-not-counted")`` finds one; ``Selection`` applies
``--select`` / ``--ignore``.
"""

from postcheck.partial import FieldUnknown, PartialLabel
from postcheck.rules.context import DEFAULT_TOLERANCE, Context, Tolerance
from postcheck.rules.registry import DOC_SECTIONS, Hit, RuleInfo, Selection, get_rule, rule, rules

__all__ = ["rules", "get_rule", "rule", "Hit", "RuleInfo", "Selection", "Context", "Tolerance",
           "DEFAULT_TOLERANCE", "DOC_SECTIONS", "run_rules"]


#: Report order within a severity: weights explain postage, postage before paperwork.
_FAMILY_ORDER = {"W": 0, "P": 1, "C": 2, "I": 3}


def run_rules(ctx: Context, selection: Selection | None = None, *,
              skipped: dict[str, tuple[str, ...]] | None = None) -> list:
    """Every finding of every enabled rule: errors first, then weight, postage, customs and
    identifier rules, each by code.

    With ``skipped`` (a partial label), a rule that needs a field the label lacks does not run:
    ``skipped[code]`` gets the unknown fields it needs, those of its ``needs`` or, failing
    them, the one it tried to read."""
    from postcheck.report import SEVERITY_ORDER

    sel = selection or Selection()
    findings = []
    label = ctx.label
    for info in rules():
        if not sel.enabled(info):
            continue
        if skipped is None or not isinstance(label, PartialLabel):
            for hit in info.func(ctx):
                findings.append(info.finding(hit))
            continue
        lacking = [p for need in sorted(info.needs) for p in label.lacks(need)]
        if lacking:
            skipped[info.code] = tuple(dict.fromkeys(lacking))
            continue
        try:
            hits = list(info.func(ctx))
        except FieldUnknown as e:
            skipped[info.code] = tuple(label.lacks_like(e.field))
            continue
        findings.extend(info.finding(hit) for hit in hits)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], _FAMILY_ORDER[f.code[0]], f.code))
    return findings
