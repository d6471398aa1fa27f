"""Identifier rules (I4xx): the tracking number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from postcheck.identifiers import s10_invalid_column, s10_message, s10_messages_column
from postcheck.report import Fix
from postcheck.rules.context import Context
from postcheck.rules.registry import Fires, Hit, Unsure, columns, rule

if TYPE_CHECKING:  # pragma: no cover
    from postcheck.batch.facts import Facts


@rule("I401", "tracking-number-invalid", severity="error")
def tracking_number_invalid(ctx: Context) -> Iterator[Hit]:
    """The tracking number is not a valid UPU S10 identifier.

    What it checks:
        An international item's ``tracking_number``: the S10 format (2 letters, 8 digits, a check
        digit, 2 letters), the check digit (weights 8 6 4 2 3 5 9 7, ``11 - sum mod 11``, 10 -> 0,
        11 -> 5), a service indicator the UPU assigns (J* and K* are reserved), and an ISO country
        code for the issuing operator.

    Why it matters:
        A mistyped or invented number cannot be scanned into the tracking system, and customs
        electronic advance data is keyed on it.

    Example:
        ``"tracking_number": "RB123456786US"`` (check digit should be 5).

    Corrected:
        ``"tracking_number": "RB123456785US"``, or the number printed by the operator.

    Fix safety:
        Display only: the number is the operator's; postcheck never invents one.

    References:
        UPU S10 standard; reference/upu_s10_service_indicators.csv and upu_s10_examples.csv.
    """
    tn = ctx.label.tracking_number
    if not tn or not ctx.label.is_international:
        return
    message = s10_message(tn)
    if message:
        yield Hit(message=message,
                  loc="tracking_number", seen=tn, expected="a UPU S10 identifier such as RB123456785CA",
                  fix=Fix("copy the tracking number exactly as the operator printed it", "display"))


@columns(tracking_number_invalid)
def _tracking_number_invalid_columns(f: Facts) -> Iterator[Fires | Unsure]:
    invalid = f.each(f.has_tracking & f.international, s10_invalid_column, f.tracking)
    yield Fires(invalid, lambda at: s10_messages_column(f.take(f.tracking, at)))
