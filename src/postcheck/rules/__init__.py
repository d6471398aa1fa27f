"""Rules, one module per family: weight (W1xx), postage (P2xx), customs (C3xx), identifier (I4xx).

``rules()`` lists them; ``get_rule("packaging-not-counted")`` finds one; ``Selection`` applies
``--select`` / ``--ignore``.
"""

from postcheck.rules.context import DEFAULT_TOLERANCE, Context, Tolerance
from postcheck.rules.registry import DOC_SECTIONS, Hit, RuleInfo, Selection, get_rule, rule, rules

__all__ = ["rules", "get_rule", "rule", "Hit", "RuleInfo", "Selection", "Context", "Tolerance",
           "DEFAULT_TOLERANCE", "DOC_SECTIONS", "run_rules"]


#: Report order within a severity: weights explain postage, postage before paperwork.
_FAMILY_ORDER = {"W": 0, "P": 1, "C": 2, "I": 3}


def run_rules(ctx: Context, selection: Selection | None = None) -> list:
    """Every finding of every enabled rule: errors first, then weight, postage, customs and
    identifier rules, each by code."""
    from postcheck.report import SEVERITY_ORDER

    sel = selection or Selection()
    findings = []
    for info in rules():
        if not sel.enabled(info):
            continue
        for hit in info.func(ctx):
            findings.append(info.finding(hit))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], _FAMILY_ORDER[f.code[0]], f.code))
    return findings
