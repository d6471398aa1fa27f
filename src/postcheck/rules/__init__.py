"""Rules, one module per family: weight (W1xx), postage (P2xx), customs (C3xx), identifier (I4xx).

``rules()`` lists them; ``get_rule("packaging-not-counted")`` finds one; ``Selection`` applies
``--select`` / ``--ignore``.
"""

from postcheck.partial import FieldUnknown, PartialLabel
from postcheck.report import Finding
from postcheck.rules.context import DEFAULT_TOLERANCE, Context, Tolerance
from postcheck.rules.registry import (DOC_SECTIONS, FAMILY_ORDER, Fires, Hit, RuleInfo, Selection, Unsure, columns,
                                      get_rule, report_order, rule, rules)

__all__ = ["rules", "get_rule", "rule", "columns", "Fires", "Unsure", "Hit", "RuleInfo", "Selection", "Context",
           "Tolerance", "DEFAULT_TOLERANCE", "DOC_SECTIONS", "FAMILY_ORDER", "report_order", "run_rules"]


def run_rules(ctx: Context, selection: Selection | None = None, *,
              skipped: dict[str, tuple[str, ...]] | None = None) -> list[Finding]:
    """Every finding of every enabled rule: errors first, then weight, postage, customs and
    identifier rules, each by code (:func:`report_order`).

    With ``skipped`` (a partial label), a rule that needs a field the label lacks does not run:
    ``skipped[code]`` gets the unknown fields it needs, those of its ``needs`` or, failing
    them, the one it tried to read."""
    enabled = (selection or Selection()).enabled_rules()
    label = ctx.label
    if skipped is None or not isinstance(label, PartialLabel):
        return [info.finding(hit) for info in enabled for hit in info.func(ctx)]
    findings: list[Finding] = []
    for info in enabled:
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
    return findings
