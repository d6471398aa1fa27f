"""Rules, one module per family: weight (W1xx), postage (P2xx), customs (C3xx), identifier (I4xx).

``rules()`` lists them; ``get_rule("packaging-not-counted")`` finds one; ``Selection`` applies
``--select`` / ``--ignore``.
"""

from postcheck.report import Finding
from postcheck.rules.context import DEFAULT_TOLERANCE, Context, Tolerance
from postcheck.rules.registry import (DOC_SECTIONS, FAMILY_ORDER, Fires, Hit, RuleInfo, Selection, Unsure, columns,
                                      get_rule, report_order, rule, rules)

__all__ = ["rules", "get_rule", "rule", "columns", "Fires", "Unsure", "Hit", "RuleInfo", "Selection", "Context",
           "Tolerance", "DEFAULT_TOLERANCE", "DOC_SECTIONS", "FAMILY_ORDER", "report_order", "run_rules"]


def run_rules(ctx: Context, selection: Selection | None = None) -> list[Finding]:
    """Every finding of every enabled rule: errors first, then weight, postage, customs and
    identifier rules, each by code (:func:`report_order`)."""
    return [info.finding(hit) for info in (selection or Selection()).enabled_rules() for hit in info.func(ctx)]
