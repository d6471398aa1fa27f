"""Tariffs: versioned price lists in ``rates/``, their strict loader, selection by date and
pricing.  See ``docs/tariff-format.md``."""

from postcheck.tariffs.catalog import Rates, Selected, bundled_dir, check_examples, validate_dir
from postcheck.tariffs.model import Tariff, read_tariff
from postcheck.tariffs.pricing import Quote, chargeable_weight, price_parcel
from postcheck.tariffs.quote import Offer, quote

__all__ = ["Rates", "Selected", "Tariff", "Quote", "Offer", "quote", "price_parcel", "chargeable_weight",
           "read_tariff", "validate_dir", "check_examples", "bundled_dir"]
