"""postcheck: check parcel postage and customs labels before drop-off, and explain returns.

>>> import postcheck
>>> report = postcheck.check(label_dict, measured_weight="520 g")   # doctest: +SKIP
>>> report.verdict                                                  # doctest: +SKIP
'Will be returned: short CAD 5.99'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["check", "check_partial", "apply_overrides", "check_many", "check_frame", "Label", "Item", "Report",
           "Finding", "Fix", "Rates", "Money",
           "PostcheckError", "InvalidLabel", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from postcheck.checker import check, check_partial
    from postcheck.overrides import apply_overrides
    from postcheck.errors import InvalidLabel, PostcheckError
    from postcheck.label import Item, Label
    from postcheck.money import Money
    from postcheck.report import Finding, Fix, Report
    from postcheck.tariffs import Rates

_LAZY = {
    "check": ("postcheck.checker", "check"),
    "check_partial": ("postcheck.checker", "check_partial"),
    "apply_overrides": ("postcheck.overrides", "apply_overrides"),
    "check_many": ("postcheck.batch", "check_many"),
    "check_frame": ("postcheck.batch", "check_frame"),
    "Label": ("postcheck.label", "Label"),
    "Item": ("postcheck.label", "Item"),
    "Report": ("postcheck.report", "Report"),
    "Finding": ("postcheck.report", "Finding"),
    "Fix": ("postcheck.report", "Fix"),
    "Rates": ("postcheck.tariffs", "Rates"),
    "Money": ("postcheck.money", "Money"),
    "PostcheckError": ("postcheck.errors", "PostcheckError"),
    "InvalidLabel": ("postcheck.errors", "InvalidLabel"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'postcheck' has no attribute {name!r}")
