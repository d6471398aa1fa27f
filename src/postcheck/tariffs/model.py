"""The in-memory form of one tariff file, and its strict reader.

See ``docs/tariff-format.md`` for the file format.  Every value is checked here; a problem is a
:class:`~postcheck.errors.TariffFileError` naming the file and the key.  Weights are held as
exact Decimal grams and lengths as Decimal millimetres (see :mod:`postcheck.units`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from postcheck.bounds import MAX_DIGITS, ascii_number, bounded, int_bounded, shown
from postcheck.errors import TariffFileError, UnitError
from postcheck.money import cents, is_currency
from postcheck.units import GRAMS_PER, MM_PER, parse_dimensions, parse_length, parse_weight

__all__ = ["Tariff", "Step", "Limits", "Volumetric", "Surcharge", "Example", "Source",
           "SdrTable", "read_tariff", "read_sdr", "parse_tariff"]

#: A price: ASCII digits, under 10^12 (the bound of any amount, :mod:`postcheck.money`), at most
#: four places.  An unbounded one passed validation and then failed the arithmetic of a check.
_PRICE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,4})?$")
#: A volume such as "1728 in^3" (bounded as a price is).
_VOLUME = re.compile(r"^\s*([0-9]{1,12}(?:\.[0-9]{1,6})?)\s*([a-z]+)\s*(?:\^3|³)\s*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Source:
    document: str
    pages: str
    reference: str | None = None
    url: str | None = None
    undated: bool = False
    retrieved: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """A weight step "up to and including" ``up_to_g`` grams, one price per zone."""

    up_to: Decimal  # in the file's weight unit, as written
    up_to_g: Decimal
    prices: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class Beyond:
    increment_g: Decimal
    increment: Decimal
    prices: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class Formula:
    per_piece: Decimal
    per_unit: Decimal


@dataclass(frozen=True, slots=True)
class Limits:
    max_weight_g: Decimal | None = None
    max_longest_side_mm: Decimal | None = None
    max_sum_of_sides_mm: Decimal | None = None
    max_length_plus_girth_mm: Decimal | None = None
    min_longest_side_mm: Decimal | None = None
    min_second_side_mm: Decimal | None = None
    text: dict[str, str] = field(default_factory=dict)  # as written, for messages

    @property
    def has_size_rules(self) -> bool:
        return any(v is not None for v in (self.max_longest_side_mm, self.max_sum_of_sides_mm,
                                            self.max_length_plus_girth_mm, self.min_longest_side_mm,
                                            self.min_second_side_mm))


@dataclass(frozen=True, slots=True)
class Oversize:
    length_plus_girth_over_mm: Decimal
    text: str
    prices: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class Volumetric:
    applies_over_volume: Decimal  # in length_unit^3
    divisor: Decimal
    length_unit: str
    weight_unit: str
    dimension_rounding: str  # nearest | up | none
    result_rounding_g: Decimal | None
    text: str


@dataclass(frozen=True, slots=True)
class Surcharge:
    name: str
    condition: str  # longest_side_over | volume_over
    threshold: Decimal  # mm, or mm^3
    threshold_text: str
    prices: dict[str, Decimal] | None
    amount: Decimal | None
    up_to: Decimal | None = None  # mm: applies only up to and including this longest side

    def applies(self, dims_mm: tuple[Decimal, Decimal, Decimal]) -> bool:
        """Whether the parcel of these sizes (longest first) pays this surcharge."""
        a, b, c = dims_mm
        value = a if self.condition == "longest_side_over" else a * b * c
        return value > self.threshold and (self.up_to is None or value <= self.up_to)

    def for_zone(self, zone: str) -> Decimal:
        if self.amount is not None:
            return self.amount
        assert self.prices is not None
        return self.prices[zone]


@dataclass(frozen=True, slots=True)
class Example:
    weight: str
    destination: str
    zone: str | None
    dimensions: str | None
    date: dt.date | None
    price: Decimal | None
    refused: str | None


@dataclass(frozen=True)
class Tariff:
    """One published price list of one product."""

    path: str
    id: str
    operator: str
    name: str
    aliases: tuple[str, ...]
    currency: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    origins: frozenset[str]
    customs_form: str
    notes: tuple[str, ...]
    source: Source
    weight_unit: str
    unit_g: Decimal
    rounding_g: Decimal | None
    rounding_text: str
    zones_by: str
    zone_names: tuple[str, ...]
    countries: dict[str, str]
    destinations: frozenset[str]
    steps: tuple[Step, ...]
    beyond: Beyond | None
    formula: Formula | None
    limits: Limits
    oversize: Oversize | None
    volumetric: Volumetric | None
    surcharges: tuple[Surcharge, ...]
    examples: tuple[Example, ...]
    #: The product this table prices, shared by its price plans (``tracked_packet_usa`` for
    #: ``tracked_packet_usa_small_business``); the id itself when the file does not say.
    product: str = ""
    #: The price plan (``counter``, ``small_business``, ``retail``, ``commercial``), if the
    #: operator sells the product at more than one price.
    plan: str | None = None

    @property
    def undated(self) -> bool:
        return self.source.undated

    @property
    def date_label(self) -> str:
        return self.effective_from.isoformat() if self.effective_from else "undated"

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description (for ``rates list`` and reports)."""
        return {
            "id": self.id,
            "name": self.name,
            "operator": self.operator,
            "product": self.product,
            "plan": self.plan,
            "currency": self.currency,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_until": self.effective_until.isoformat() if self.effective_until else None,
            "undated": self.undated,
            "origins": sorted(self.origins),
            "customs_form": self.customs_form,
            "zones_by": self.zones_by,
            "source": {"document": self.source.document, "pages": self.source.pages,
                       **({"url": self.source.url} if self.source.url else {}),
                       **({"retrieved": self.source.retrieved} if self.source.retrieved else {})},
            "file": self.path,
        }


@dataclass(frozen=True)
class SdrTable:
    path: str
    effective_from: dt.date
    per_sdr: dict[str, Decimal]
    source: Source


# ---------------------------------------------------------------------------- reading

class _Reader:
    """Walks a parsed TOML document, refusing unknown keys and bad values."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._zone_sets: dict[tuple[str, ...], frozenset[str]] = {}

    def fail(self, key: str, problem: str) -> TariffFileError:
        return TariffFileError(self.path, key, problem)

    def table(self, doc: Any, key: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        for k in doc:
            if k not in allowed:
                raise self.fail(f"{key}.{k}" if key else k, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in sorted(required):
            if k not in doc:
                raise self.fail(f"{key}.{k}" if key else k, "missing required key")
        return doc

    def string(self, value: Any, key: str, *, nonempty: bool = True) -> str:
        if not isinstance(value, str) or (nonempty and not value.strip()):
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        return value

    def price(self, value: Any, key: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str) or not _PRICE.match(value.strip()):
            raise self.fail(key, f"expected a price as a decimal string such as \"12.83\", got {value!r}")
        return Decimal(value.strip())

    def decimal(self, value: Any, key: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or \
                (isinstance(value, str) and (len(value) > 64 or not ascii_number(value))):
            raise self.fail(key, f"expected a decimal string, got {shown(value)}")
        if isinstance(value, int) and not int_bounded(value):
            raise self.fail(key, f"expected a decimal under 10^{MAX_DIGITS}, got {shown(value)}")
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(key, f"expected a decimal string, got {value!r}") from None
        if not bounded(d):
            raise self.fail(key, f"expected a decimal of at most {MAX_DIGITS} digits, got {shown(value)}")
        if not d.is_finite() or d <= 0:
            raise self.fail(key, f"expected a positive decimal, got {value!r}")
        return d

    def weight(self, value: Any, key: str) -> Decimal:
        try:
            g = parse_weight(value, field=key)
        except UnitError as e:
            raise self.fail(key, e.expected + f", got {value!r}") from None
        if g <= 0:
            raise self.fail(key, "expected a positive weight")
        return g

    def length(self, value: Any, key: str) -> Decimal:
        try:
            mm = parse_length(value, field=key)
        except UnitError as e:
            raise self.fail(key, e.expected + f", got {value!r}") from None
        if mm <= 0:
            raise self.fail(key, "expected a positive length")
        return mm

    def date(self, value: Any, key: str) -> dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.fail(key, f"expected a TOML date such as 2021-09-13, got {value!r}")
        return value

    def country(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _COUNTRY.match(value):
            raise self.fail(key, f"expected an ISO 3166-1 alpha-2 code, got {value!r}")
        return value

    def zone_prices(self, value: Any, key: str, zones: tuple[str, ...]) -> dict[str, Decimal]:
        if not isinstance(value, dict):
            raise self.fail(key, "expected a table of zone = price")
        known = self._zone_sets.get(zones)
        if known is None:
            known = self._zone_sets[zones] = frozenset(zones)
        out: dict[str, Decimal] = {}
        price = _PRICE.match
        for z, p in value.items():
            if z not in known:
                raise self.fail(f"{key}.{z}", f"unknown zone (zones: {', '.join(zones)})")
            if type(p) is str and price(p):  # the common case, without the checks' overhead
                out[z] = Decimal(p)
            else:
                out[z] = self.price(p, f"{key}.{z}")
        if len(out) != len(known):
            missing = [z for z in zones if z not in out]
            raise self.fail(key, f"no price for zone(s) {', '.join(missing)}")
        return out


_TOP = {"format", "id", "operator", "name", "product", "plan", "aliases", "currency", "effective_from",
        "effective_until", "origins", "customs_form", "notes", "source", "weight", "zones", "steps",
        "beyond", "formula", "limits", "oversize", "volumetric", "surcharges", "examples"}
_TOP_REQUIRED = {"format", "id", "operator", "name", "currency", "origins", "customs_form",
                 "source", "weight", "zones", "examples"}


def _load_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        data = path.read_bytes()
    except OSError as e:
        raise TariffFileError(str(path), "", f"cannot read: {e.strerror or e}") from None
    if len(data) > 5_000_000:
        raise TariffFileError(str(path), "", "file larger than 5 MB; not a tariff file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TariffFileError(str(path), "", f"not UTF-8 text (byte {e.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib reports duplicate keys as "Cannot overwrite a value (at line N, column M)":
        # name the key written on that line
        raise TariffFileError(str(path), _key_on_line(text, str(e)), f"invalid TOML: {e}") from None
    except RecursionError:
        raise TariffFileError(str(path), "", "invalid TOML: nested too deeply") from None
    except ValueError as e:  # tomllib's int() of an integer past 4,300 digits
        raise TariffFileError(str(path), "", f"invalid TOML: {e}") from None


def _key_on_line(text: str, message: str) -> str:
    """The key a TOML error points at (``'A'`` in "Duplicate ... key 'A'", else the key written
    on the line the error names), or ``""``."""
    m = re.search(r"key '([^']+)'", message)
    if m:
        return m.group(1)
    m = re.search(r"at line (\d+)", message)
    lines = text.splitlines()
    if m and 0 < int(m.group(1)) <= len(lines):
        k = re.match(r"^\s*(?:\[+\s*([^\]]+?)\s*\]+|([A-Za-z0-9_\-.\"' ]+?)\s*=)", lines[int(m.group(1)) - 1])
        if k:
            return (k.group(1) or k.group(2)).strip()
    return ""


def read_tariff(path: Path | str) -> Tariff:
    """Read and validate one tariff file."""
    path = Path(path)
    return parse_tariff(_load_toml(path), str(path))


def parse_tariff(doc: dict[str, Any], path: str) -> Tariff:
    r = _Reader(path)
    r.table(doc, "", _TOP, _TOP_REQUIRED)
    if doc["format"] != 1 or isinstance(doc["format"], bool):
        raise r.fail("format", f"expected 1, got {shown(doc['format'])}")
    tid = r.string(doc["id"], "id")
    if not _ID.match(tid):
        raise r.fail("id", f"expected lower-case letters, digits, '_', '-', '.', got {tid!r}")
    operator = r.string(doc["operator"], "operator")
    name = r.string(doc["name"], "name")
    aliases = doc.get("aliases", [])
    if not isinstance(aliases, list):
        raise r.fail("aliases", "expected a list of strings")
    aliases = tuple(r.string(a, f"aliases[{i}]") for i, a in enumerate(aliases))
    product = r.string(doc["product"], "product") if "product" in doc else tid
    if not _ID.match(product):
        raise r.fail("product", f"expected lower-case letters, digits, '_', '-', '.', got {product!r}")
    plan = r.string(doc["plan"], "plan") if "plan" in doc else None
    if plan is not None and not _ID.match(plan):
        raise r.fail("plan", f"expected lower-case letters, digits, '_', such as \"small_business\", got {plan!r}")
    currency = doc["currency"]
    if not is_currency(currency):
        raise r.fail("currency", f"expected an ISO 4217 code such as \"CAD\", got {currency!r}")

    s = r.table(doc["source"], "source", {"document", "pages", "reference", "url", "undated", "retrieved"},
                {"document", "pages"})
    undated = s.get("undated", False)
    if not isinstance(undated, bool):
        raise r.fail("source.undated", "expected true or false")
    source = Source(
        document=r.string(s["document"], "source.document"),
        pages=r.string(s["pages"], "source.pages"),
        reference=r.string(s["reference"], "source.reference") if "reference" in s else None,
        url=r.string(s["url"], "source.url") if "url" in s else None,
        undated=undated,
        retrieved=r.string(s["retrieved"], "source.retrieved") if "retrieved" in s else None,
    )
    if "effective_from" in doc:
        eff_from: dt.date | None = r.date(doc["effective_from"], "effective_from")
        if undated:
            raise r.fail("effective_from", "an undated source (source.undated = true) has no effective_from")
    elif undated:
        eff_from = None
    else:
        raise r.fail("effective_from", "missing required key (or set source.undated = true)")
    eff_until = r.date(doc["effective_until"], "effective_until") if "effective_until" in doc else None
    if eff_until is not None and eff_from is not None and eff_until < eff_from:
        raise r.fail("effective_until", "is before effective_from")

    origins = doc["origins"]
    if not isinstance(origins, list) or not origins:
        raise r.fail("origins", "expected a non-empty list of ISO country codes")
    origins_set = frozenset(r.country(o, f"origins[{i}]") for i, o in enumerate(origins))
    form = doc["customs_form"]
    if form not in ("none", "CN22", "CN23"):
        raise r.fail("customs_form", f"expected \"none\", \"CN22\" or \"CN23\", got {form!r}")
    notes = doc.get("notes", [])
    if not isinstance(notes, list):
        raise r.fail("notes", "expected a list of strings")
    notes_t = tuple(r.string(n, f"notes[{i}]") for i, n in enumerate(notes))

    w = r.table(doc["weight"], "weight", {"unit", "rounding"}, {"unit", "rounding"})
    unit = w["unit"]
    if unit not in GRAMS_PER:
        raise r.fail("weight.unit", f"expected one of {', '.join(GRAMS_PER)}, got {unit!r}")
    unit_g = GRAMS_PER[unit]
    rounding = w["rounding"]
    rounding_g = None if rounding == "none" else r.weight(rounding, "weight.rounding")

    z = r.table(doc["zones"], "zones", {"by", "names", "countries", "destinations"}, {"by", "names"})
    by = z["by"]
    if by not in ("country", "input", "world"):
        raise r.fail("zones.by", f"expected \"country\", \"input\" or \"world\", got {by!r}")
    names = z["names"]
    if not isinstance(names, list) or not names:
        raise r.fail("zones.names", "expected a non-empty list of zone names")
    zone_names = tuple(r.string(n, f"zones.names[{i}]") for i, n in enumerate(names))
    if len(set(zone_names)) != len(zone_names):
        raise r.fail("zones.names", "a zone is listed twice")
    countries: dict[str, str] = {}
    destinations: frozenset[str] = frozenset()
    if by == "country":
        if "countries" not in z:
            raise r.fail("zones.countries", "missing required key (zones.by = \"country\")")
        if "destinations" in z:
            raise r.fail("zones.destinations", "only with zones.by = \"input\"")
        if not isinstance(z["countries"], dict):
            raise r.fail("zones.countries", "expected a table of country = zone")
        for c, zn in z["countries"].items():
            r.country(c, f"zones.countries.{c}")
            if zn not in zone_names:
                raise r.fail(f"zones.countries.{c}", f"zone {zn!r} is not in zones.names")
            countries[c] = zn
        destinations = frozenset(countries)
    elif by == "input":
        if "countries" in z:
            raise r.fail("zones.countries", "only with zones.by = \"country\"")
        if "destinations" not in z or not isinstance(z["destinations"], list) or not z["destinations"]:
            raise r.fail("zones.destinations", "expected a non-empty list of countries (zones.by = \"input\")")
        destinations = frozenset(r.country(c, f"zones.destinations[{i}]") for i, c in enumerate(z["destinations"]))
    else:
        for k in ("countries", "destinations"):
            if k in z:
                raise r.fail(f"zones.{k}", "not with zones.by = \"world\"")
        if len(zone_names) != 1:
            raise r.fail("zones.names", "zones.by = \"world\" has exactly one zone")

    steps: list[Step] = []
    beyond = None
    formula = None
    if "steps" in doc and "formula" in doc:
        raise r.fail("formula", "give either [[steps]] or [formula], not both")
    if "steps" in doc:
        raw = doc["steps"]
        if not isinstance(raw, list) or not raw:
            raise r.fail("steps", "expected a list of [[steps]] tables")
        prev = Decimal(0)
        for i, st in enumerate(raw):
            key = f"steps[{i}]"
            r.table(st, key, {"up_to", "prices"}, {"up_to", "prices"})
            up = r.decimal(st["up_to"], f"{key}.up_to")
            if up <= prev:
                what = "overlaps the step before it" if up < prev else "repeats the step before it"
                raise r.fail(f"{key}.up_to", f"{up} {unit} {what} (steps must strictly increase)")
            prev = up
            steps.append(Step(up, up * unit_g, r.zone_prices(st["prices"], f"{key}.prices", zone_names)))
        if "beyond" in doc:
            b = r.table(doc["beyond"], "beyond", {"increment", "prices"}, {"increment", "prices"})
            inc = r.decimal(b["increment"], "beyond.increment")
            beyond = Beyond(inc * unit_g, inc, r.zone_prices(b["prices"], "beyond.prices", zone_names))
    elif "formula" in doc:
        f = r.table(doc["formula"], "formula", {"per_piece", "per_unit"}, {"per_piece", "per_unit"})
        formula = Formula(r.price(f["per_piece"], "formula.per_piece"), r.price(f["per_unit"], "formula.per_unit"))
        if "beyond" in doc:
            raise r.fail("beyond", "only with [[steps]]")
    else:
        raise r.fail("steps", "missing: give [[steps]] or [formula]")

    limits = Limits()
    if "limits" in doc:
        lk = {"max_weight", "max_longest_side", "max_sum_of_sides", "max_length_plus_girth",
              "min_longest_side", "min_second_side"}
        lt = r.table(doc["limits"], "limits", lk, set())
        limits = Limits(
            max_weight_g=r.weight(lt["max_weight"], "limits.max_weight") if "max_weight" in lt else None,
            **{f"{k}_mm": (r.length(lt[k], f"limits.{k}") if k in lt else None)
               for k in sorted(lk - {"max_weight"})},
            text={k: str(v) for k, v in lt.items()},
        )
    if formula is not None and limits.max_weight_g is None:
        raise r.fail("limits.max_weight", "a [formula] tariff needs limits.max_weight")

    oversize = None
    if "oversize" in doc:
        o = r.table(doc["oversize"], "oversize", {"length_plus_girth_over", "prices"},
                    {"length_plus_girth_over", "prices"})
        oversize = Oversize(r.length(o["length_plus_girth_over"], "oversize.length_plus_girth_over"),
                            str(o["length_plus_girth_over"]),
                            r.zone_prices(o["prices"], "oversize.prices", zone_names))

    volumetric = None
    if "volumetric" in doc:
        v = r.table(doc["volumetric"], "volumetric",
                    {"applies_over_volume", "divisor", "length_unit", "weight_unit", "dimension_rounding",
                     "result_rounding"},
                    {"divisor", "length_unit", "weight_unit", "dimension_rounding", "result_rounding"})
        lu = v["length_unit"]
        if lu not in MM_PER:
            raise r.fail("volumetric.length_unit", f"expected one of {', '.join(MM_PER)}, got {lu!r}")
        wu = v["weight_unit"]
        if wu not in GRAMS_PER:
            raise r.fail("volumetric.weight_unit", f"expected one of {', '.join(GRAMS_PER)}, got {wu!r}")
        dr = v["dimension_rounding"]
        if dr not in ("nearest", "up", "none"):
            raise r.fail("volumetric.dimension_rounding", f"expected nearest, up or none, got {dr!r}")
        over = Decimal(0)
        if "applies_over_volume" in v:
            text = v["applies_over_volume"]
            m = _VOLUME.match(str(text)[:80])
            if not m or m.group(2) != lu:
                raise r.fail("volumetric.applies_over_volume",
                             f"expected a volume in {lu}^3 such as \"1728 {lu}^3\", got {text!r}")
            over = Decimal(m.group(1))
        rr = v["result_rounding"]
        volumetric = Volumetric(
            applies_over_volume=over,
            divisor=r.decimal(v["divisor"], "volumetric.divisor"),
            length_unit=lu, weight_unit=wu, dimension_rounding=dr,
            result_rounding_g=None if rr == "none" else r.weight(rr, "volumetric.result_rounding"),
            text=f"L x W x H / {v['divisor']} ({lu}, {wu})"
                 + (f" over {v['applies_over_volume']}" if "applies_over_volume" in v else ""),
        )

    surcharges: list[Surcharge] = []
    for i, sc in enumerate(doc.get("surcharges", []) if isinstance(doc.get("surcharges", []), list) else [None]):
        key = f"surcharges[{i}]"
        r.table(sc, key, {"name", "longest_side_over", "longest_side_up_to", "volume_over", "prices", "amount"},
                {"name"})
        conds = [k for k in ("longest_side_over", "volume_over") if k in sc]
        if len(conds) != 1:
            raise r.fail(key, "give exactly one of longest_side_over, volume_over")
        if ("prices" in sc) == ("amount" in sc):
            raise r.fail(key, "give exactly one of prices, amount")
        cond = conds[0]
        up_to = None
        if "longest_side_up_to" in sc:
            if cond != "longest_side_over":
                raise r.fail(f"{key}.longest_side_up_to", "only with longest_side_over")
            up_to = r.length(sc["longest_side_up_to"], f"{key}.longest_side_up_to")
        if cond == "longest_side_over":
            thr = r.length(sc[cond], f"{key}.{cond}")
            if up_to is not None and up_to <= thr:
                raise r.fail(f"{key}.longest_side_up_to", "is not above longest_side_over")
        else:
            m = _VOLUME.match(str(sc[cond])[:80])
            if not m or m.group(2) not in MM_PER:
                raise r.fail(f"{key}.{cond}", f"expected a volume such as \"3456 in^3\", got {sc[cond]!r}")
            thr = Decimal(m.group(1)) * MM_PER[m.group(2)] ** 3
        surcharges.append(Surcharge(
            name=r.string(sc["name"], f"{key}.name"), condition=cond, threshold=thr,
            threshold_text=str(sc[cond]),
            prices=r.zone_prices(sc["prices"], f"{key}.prices", zone_names) if "prices" in sc else None,
            amount=r.price(sc["amount"], f"{key}.amount") if "amount" in sc else None,
            up_to=up_to,
        ))

    examples: list[Example] = []
    raw_ex = doc["examples"]
    if not isinstance(raw_ex, list) or not raw_ex:
        raise r.fail("examples", "expected at least one [[examples]] (parcel in, price out)")
    for i, ex in enumerate(raw_ex):
        key = f"examples[{i}]"
        r.table(ex, key, {"weight", "destination", "zone", "dimensions", "date", "price", "refused"},
                {"weight", "destination"})
        if ("price" in ex) == ("refused" in ex):
            raise r.fail(key, "give exactly one of price, refused")
        r.weight(ex["weight"], f"{key}.weight")
        if "dimensions" in ex:
            try:
                parse_dimensions(ex["dimensions"], field=f"{key}.dimensions")
            except UnitError as e:
                raise r.fail(f"{key}.dimensions", str(e)) from None
        refused = ex.get("refused")
        if refused is not None and refused not in ("over-weight-limit", "over-size-limit", "under-size-limit",
                                                   "destination-not-served", "zone-required", "zone-unknown"):
            raise r.fail(f"{key}.refused", f"unknown reason {refused!r}")
        examples.append(Example(
            weight=ex["weight"], destination=r.country(ex["destination"], f"{key}.destination"),
            zone=r.string(ex["zone"], f"{key}.zone") if "zone" in ex else None,
            dimensions=ex.get("dimensions"),
            date=r.date(ex["date"], f"{key}.date") if "date" in ex else None,
            price=r.price(ex["price"], f"{key}.price") if "price" in ex else None,
            refused=refused,
        ))

    return Tariff(
        path=path, id=tid, operator=operator, name=name, aliases=aliases, currency=currency,
        effective_from=eff_from, effective_until=eff_until, origins=origins_set, customs_form=form,
        notes=notes_t, source=source, weight_unit=unit, unit_g=unit_g, rounding_g=rounding_g,
        rounding_text=str(rounding), zones_by=by, zone_names=zone_names, countries=countries,
        destinations=destinations, steps=tuple(steps), beyond=beyond, formula=formula, limits=limits,
        oversize=oversize, volumetric=volumetric, surcharges=tuple(surcharges), examples=tuple(examples),
        product=product, plan=plan,
    )


def read_sdr(path: Path | str) -> SdrTable:
    """Read one SDR rate file (``rates/sdr/<date>.toml``)."""
    path = Path(path)
    doc = _load_toml(path)
    r = _Reader(str(path))
    r.table(doc, "", {"format", "kind", "effective_from", "source", "per_sdr", "examples"},
            {"format", "kind", "effective_from", "source", "per_sdr", "examples"})
    if doc["format"] != 1:
        raise r.fail("format", f"expected 1, got {shown(doc['format'])}")
    if doc["kind"] != "sdr":
        raise r.fail("kind", f"expected \"sdr\", got {doc['kind']!r}")
    s = r.table(doc["source"], "source", {"document", "pages", "reference", "url", "retrieved"},
                {"document", "pages"})
    per = doc["per_sdr"]
    if not isinstance(per, dict) or not per:
        raise r.fail("per_sdr", "expected a table of currency = units per SDR")
    rates: dict[str, Decimal] = {}
    for cur, val in per.items():
        if not is_currency(cur):
            raise r.fail(f"per_sdr.{cur}", "not an ISO 4217 currency code")
        rates[cur] = r.decimal(val, f"per_sdr.{cur}")
    # worked examples: "<sdr> SDR is <value> <currency>", rounded half-up to the cent
    raw_ex = doc["examples"]
    if not isinstance(raw_ex, list) or not raw_ex:
        raise r.fail("examples", "expected at least one [[examples]] (SDR in, amount out)")
    for i, ex in enumerate(raw_ex):
        key = f"examples[{i}]"
        r.table(ex, key, {"sdr", "currency", "value"}, {"sdr", "currency", "value"})
        if ex["currency"] not in rates:
            raise r.fail(f"{key}.currency", f"no rate for {ex['currency']!r} in per_sdr")
        got = cents(r.decimal(ex["sdr"], f"{key}.sdr") * rates[ex["currency"]])
        want = r.price(ex["value"], f"{key}.value")
        if got != want:
            raise r.fail(key, f"expected {want}, {ex['sdr']} SDR x {rates[ex['currency']]} gives {got}")
    return SdrTable(str(path), r.date(doc["effective_from"], "effective_from"), rates,
                    Source(document=r.string(s["document"], "source.document"),
                           pages=r.string(s["pages"], "source.pages"),
                           reference=s.get("reference"), url=s.get("url"), retrieved=s.get("retrieved")))
