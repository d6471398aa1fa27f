"""The tariffs postcheck knows: bundled tables plus users' folders, selected by date.

A :class:`Rates` is a stack of *layers*: the bundled ``rates/`` folder first, then each user
folder (``--rates DIR`` or ``POSTCHECK_RATES``).  Each layer is validated whole; a folder with
one bad file is refused whole and never half-loaded.  On a given date a user layer's table
takes precedence over a bundled one (negotiated or newer prices), and the bundled tables keep
working when a user's folder is refused.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from postcheck.errors import NoTariffInForce, NotPriceable, TariffFileError, UnknownService
from postcheck.tariffs.model import SdrTable, Tariff, _load_toml, parse_tariff, read_sdr
from postcheck.tariffs.pricing import price_parcel
from postcheck.units import parse_dimensions, parse_weight

__all__ = ["Rates", "Layer", "Selected", "bundled_dir", "load_layer", "validate_dir", "check_examples",
           "STALE_AFTER_DAYS", "ENV_VAR"]

#: A table with no end date is flagged as possibly out of date this long after it started.
STALE_AFTER_DAYS = 400
ENV_VAR = "POSTCHECK_RATES"
#: The plan a product is quoted at when none is named and no table's id is the product's own.
DEFAULT_PLANS = ("counter", "retail")
_MAX_FILES = 2000


def bundled_dir() -> Path:
    """The ``rates/`` folder shipped inside the package (or the checkout's, in development)."""
    here = Path(__file__).resolve().parent.parent
    inside = here / "rates"
    if inside.is_dir():
        return inside
    return here.parent.parent / "rates"


@dataclass(frozen=True)
class Selected:
    """The table in force for a product on a date, and what the user should know about it."""

    tariff: Tariff
    date: dt.date
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Layer:
    root: str
    products: dict[str, tuple[Tariff, ...]]  # id -> tables sorted by effective_from
    sdr: tuple[SdrTable, ...]
    bundled: bool

    def all_tariffs(self) -> Iterator[Tariff]:
        for tables in self.products.values():
            yield from tables


def _toml_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise TariffFileError(str(root), "", "not a folder")
    files = sorted(p for p in root.rglob("*.toml") if p.is_file())
    if len(files) > _MAX_FILES:
        raise TariffFileError(str(root), "", f"more than {_MAX_FILES} .toml files; is this a tariff folder?")
    return files


def _read_layer_files(root: Path, bundled: bool = False
                      ) -> tuple[list[Tariff], list[SdrTable], list[TariffFileError]]:
    """Parse every file; bundled tables are named ``rates/<operator>/...`` in reports, wherever
    the package is installed."""
    tariffs: list[Tariff] = []
    sdrs: list[SdrTable] = []
    errors: list[TariffFileError] = []
    for path in _toml_files(root):
        try:
            doc = _load_toml(path)
            if isinstance(doc, dict) and doc.get("kind") == "sdr":
                sdrs.append(read_sdr(path))
            else:
                shown = f"rates/{path.relative_to(root).as_posix()}" if bundled else str(path)
                tariffs.append(parse_tariff(doc, shown))
        except TariffFileError as e:
            errors.append(e)
    return tariffs, sdrs, errors


def _cross_check(tariffs: list[Tariff], sdrs: list[SdrTable]) -> tuple[dict[str, tuple[Tariff, ...]],
                                                                         list[TariffFileError]]:
    errors: list[TariffFileError] = []
    by_id: dict[str, list[Tariff]] = {}
    for t in tariffs:
        by_id.setdefault(t.id, []).append(t)
    products: dict[str, tuple[Tariff, ...]] = {}
    for pid, tables in by_id.items():
        undated = [t for t in tables if t.effective_from is None]
        dated = sorted((t for t in tables if t.effective_from is not None),
                       key=lambda t: t.effective_from or dt.date.min)
        if undated and (dated or len(undated) > 1):
            other = (dated + undated[1:])[0]
            errors.append(TariffFileError(undated[0].path, "source.undated",
                                          f"product {pid} has an undated table and another table ({other.path}); "
                                          "their validity would overlap"))
            continue
        bad = False
        for a, b in zip(dated, dated[1:]):
            assert a.effective_from and b.effective_from
            if a.effective_from == b.effective_from or (a.effective_until and a.effective_until >= b.effective_from):
                errors.append(TariffFileError(b.path, "effective_from",
                                              f"validity overlaps {a.path} (product {pid}: "
                                              f"{a.effective_from}..{a.effective_until or 'open'} and "
                                              f"{b.effective_from}..{b.effective_until or 'open'})"))
                bad = True
        for a in tables[1:]:
            if a.currency != tables[0].currency:
                errors.append(TariffFileError(a.path, "currency",
                                              f"{a.currency} differs from {tables[0].path} ({tables[0].currency})"))
                bad = True
        if not bad:
            products[pid] = tuple(undated or dated)
    # names and aliases must point at one product only
    seen: dict[str, str] = {}
    for pid, tabs in products.items():
        for t in tabs:
            for key in {_norm(t.id), _norm(t.name), *(_norm(a) for a in t.aliases)}:
                if seen.setdefault(key, pid) != pid:
                    errors.append(TariffFileError(t.path, "aliases",
                                                  f"name {key!r} is used by products {seen[key]} and {pid}"))
    dates: dict[dt.date, str] = {}
    for s in sdrs:
        if s.effective_from in dates:
            errors.append(TariffFileError(s.path, "effective_from",
                                          f"two SDR tables for {s.effective_from} ({dates[s.effective_from]})"))
        dates[s.effective_from] = s.path
    return products, errors


def validate_dir(root: Path | str, *, examples: bool = True) -> list[TariffFileError]:
    """Every problem in a tariff folder (empty list = valid).  Runs the worked examples too."""
    root = Path(root)
    try:
        tariffs, sdrs, errors = _read_layer_files(root)
    except TariffFileError as e:
        return [e]
    _, cross = _cross_check(tariffs, sdrs)
    errors.extend(cross)
    if examples:
        for t in tariffs:
            errors.extend(check_examples(t))
    if not tariffs and not sdrs and not errors:
        errors.append(TariffFileError(str(root), "", "no .toml tariff files found"))
    return errors


def load_layer(root: Path | str, *, bundled: bool = False) -> Layer:
    """Read and validate a folder; raise the first :class:`TariffFileError` if any file is bad.

    A user's folder is validated exactly as ``postcheck rates validate`` does, worked examples
    included: a table that does not price its own examples is refused.  (The bundled tables'
    examples are checked by the test suite instead, to keep start-up fast.)"""
    root = Path(root)
    tariffs, sdrs, errors = _read_layer_files(root, bundled)
    products, cross = _cross_check(tariffs, sdrs)
    errors.extend(cross)
    if not bundled and not errors:
        for t in tariffs:
            errors.extend(check_examples(t))
    if errors:
        first = errors[0]
        if len(errors) > 1:
            raise TariffFileError(first.path, first.key, f"{first.problem} (and {len(errors) - 1} more "
                                                         f"problem(s) in {root}; run 'postcheck rates validate {root}')")
        raise first
    if not tariffs and not sdrs:
        raise TariffFileError(str(root), "", "no .toml tariff files found")
    return Layer(str(root), products, tuple(sorted(sdrs, key=lambda s: s.effective_from)), bundled)


def check_examples(t: Tariff) -> list[TariffFileError]:
    """Price every worked example of a table; each mismatch is an error naming the example."""
    errors = []
    for i, ex in enumerate(t.examples):
        key = f"examples[{i}]"
        try:
            dims = parse_dimensions(ex.dimensions) if ex.dimensions else None
            q = price_parcel(t, weight_g=parse_weight(ex.weight), destination=ex.destination, zone=ex.zone,
                             dims_mm=dims)
            if ex.price is None:
                errors.append(TariffFileError(t.path, key, f"expected refusal {ex.refused}, got a price of "
                                                           f"{q.price.amount}"))
            elif q.price.amount != ex.price:
                errors.append(TariffFileError(t.path, key, f"expected {ex.price}, priced {q.price.amount} "
                                                           f"({ex.weight} to {ex.destination})"))
        except NotPriceable as e:
            if ex.refused != e.reason:
                errors.append(TariffFileError(t.path, key, f"expected {ex.price or ex.refused}, got refusal "
                                                           f"{e.reason}: {e.detail}"))
        except Exception as e:  # a worked example that cannot even be read
            errors.append(TariffFileError(t.path, key, f"cannot price the example: {e}"))
    return errors


@lru_cache(maxsize=8)
def _cached_layer(root: str, bundled: bool, stamp: float) -> Layer:
    return load_layer(root, bundled=bundled)


def _layer(root: Path, bundled: bool) -> Layer:
    try:
        stamp = max((p.stat().st_mtime for p in root.rglob("*.toml")), default=0.0)
    except OSError:
        stamp = 0.0
    return _cached_layer(str(root), bundled, stamp)


class Rates:
    """The tariffs in use: bundled tables plus users' folders.

    >>> rates = Rates.load()
    >>> rates.select("small_packet_usa_air", dt.date(2022, 3, 1)).tariff.name
    'Small Packet USA Air'
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers: tuple[Layer, ...] = tuple(layers)
        self._names: dict[str, str] = {}
        for layer in self.layers:
            for pid, tables in layer.products.items():
                for t in tables:
                    for key in (t.id, t.name, *t.aliases):
                        self._names.setdefault(_norm(key), pid)
        for layer in self.layers:  # ids always win over another product's alias
            for pid in layer.products:
                self._names[_norm(pid)] = pid

    @classmethod
    def load(cls, extra: Iterable[str | os.PathLike[str]] = (), *, bundled: bool = True,
             env: bool = True) -> "Rates":
        """Bundled tables, then folders from ``POSTCHECK_RATES`` (os.pathsep-separated), then
        ``extra``.  Raises :class:`TariffFileError` if a user folder is invalid."""
        layers = []
        if bundled:
            layers.append(_layer(bundled_dir(), True))
        dirs: list[str] = []
        if env and os.environ.get(ENV_VAR):
            dirs.extend(d for d in os.environ[ENV_VAR].split(os.pathsep) if d)
        dirs.extend(str(d) for d in extra)
        for d in dirs:
            layers.append(_layer(Path(d), False))
        return cls(layers)

    # -- products

    def ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for layer in self.layers:
            for pid in layer.products:
                seen.setdefault(pid)
        return list(seen)

    def resolve(self, service: str) -> str:
        """The product id for an id, a product name or an alias (case and spacing ignored)."""
        if isinstance(service, str):
            pid = self._names.get(_norm(service))
            if pid is not None:
                return pid
        raise UnknownService(str(service), tuple(self.ids()))

    def tables(self, service: str) -> list[Tariff]:
        """Every table of a product, user layers first, each sorted by date."""
        pid = self.resolve(service)
        out: list[Tariff] = []
        for layer in reversed(self.layers):  # user layers first
            out.extend(layer.products.get(pid, ()))
        return out

    def latest(self) -> list[Tariff]:
        """The newest table of every product (for listings)."""
        out = []
        for pid in self.ids():
            tables = self.tables(pid)
            out.append(max(tables, key=lambda t: (t.effective_from or dt.date.min)))
        return out

    def all_tariffs(self) -> Iterator[Tariff]:
        for layer in self.layers:
            yield from layer.all_tariffs()

    # -- price plans

    def plans(self, service: str) -> dict[str, str]:
        """``{plan: product id}`` for every price plan of the product ``service`` belongs to
        (``{"counter": "tracked_packet_usa", "small_business": "tracked_packet_usa_small_business"}``);
        a product without plans gives ``{}``.  Worked out once per product: the layers are fixed
        when the Rates is made, and check() asks for every label that is short."""
        pid = self.resolve(service)
        memo: dict[str, dict[str, str]] = self.__dict__.setdefault("_plans", {})
        if pid not in memo:
            product = self.tables(pid)[0].product
            out: dict[str, str] = {}
            for other in self.ids():
                head = self.tables(other)[0]
                if head.product == product and head.plan is not None:
                    out.setdefault(head.plan, other)
            memo[pid] = out
        return dict(memo[pid])

    def plan_of(self, product: str, plan: str | None) -> str:
        """The id of ``product``'s table series at ``plan`` (``product`` may also be one of its
        ids); its default (the id equal to the product's, else its counter or retail plan) when
        ``plan`` is ``None`` or the product has no such plan."""
        members = [pid for pid in self.ids() if self.tables(pid)[0].product == product]
        if not members:  # a product id given for the product (fcpis_retail for fcpis)
            product = self.tables(product)[0].product
            members = [pid for pid in self.ids() if self.tables(pid)[0].product == product]
        by_plan = {self.tables(pid)[0].plan: pid for pid in reversed(members)}
        if plan is not None and plan in by_plan:
            return by_plan[plan]
        if product in members:
            return product
        return next((by_plan[p] for p in DEFAULT_PLANS if p in by_plan), members[0])

    # -- selection by date

    def select(self, service: str, date: dt.date) -> Selected:
        """The table of ``service`` in force on ``date``.  Raises :class:`NoTariffInForce`."""
        pid = self.resolve(service)
        firsts: list[dt.date] = []
        lasts: list[dt.date] = []
        gaps: list[tuple[dt.date, dt.date]] = []
        for layer in reversed(self.layers):
            tables = layer.products.get(pid)
            if not tables:
                continue
            for i, t in enumerate(tables):
                if t.effective_from is None:  # undated source: in force on any date
                    return Selected(t, date, (f"the source of {t.name} is undated ({t.source.document}"
                                              + (f", read {t.source.retrieved}" if t.source.retrieved else "")
                                              + "); verify its prices with the operator",))
                nxt = tables[i + 1].effective_from if i + 1 < len(tables) else None
                until = t.effective_until or (nxt - dt.timedelta(days=1) if nxt else None)
                if t.effective_from <= date and (until is None or date <= until):
                    warnings: tuple[str, ...] = ()
                    if until is None and (date - t.effective_from).days > STALE_AFTER_DAYS:
                        warnings = (f"the newest price list of {t.name} postcheck has is dated "
                                    f"{t.effective_from.isoformat()}; it may be out of date for "
                                    f"{date.isoformat()} (add newer prices with --rates DIR)",)
                    return Selected(t, date, warnings)
            firsts.append(tables[0].effective_from)  # type: ignore[arg-type]
            last = tables[-1]
            lasts.append(last.effective_until or last.effective_from)  # type: ignore[arg-type]
            for a, b in zip(tables, tables[1:]):
                if a.effective_until and b.effective_from and a.effective_until < date < b.effective_from:
                    gaps.append((a.effective_until, b.effective_from))
        if gaps:
            ended, starts = max(gaps)
            raise NoTariffInForce(pid, date, min(firsts), ended, starts)
        raise NoTariffInForce(pid, date, min(firsts) if firsts else None, max(lasts) if lasts else None)

    # -- SDR

    def sdr_rate(self, currency: str, date: dt.date) -> tuple[Decimal, SdrTable, str | None] | None:
        """Units of ``currency`` per SDR on ``date``: the newest table on or before the date, or
        the earliest table with a note when the date is older than every table.  ``None`` when
        no table has the currency."""
        tables = sorted((s for layer in self.layers for s in layer.sdr if currency in s.per_sdr),
                        key=lambda s: s.effective_from)
        if not tables:
            return None
        before = [s for s in tables if s.effective_from <= date]
        if before:
            s = before[-1]
            note = None
            if (date - s.effective_from).days > STALE_AFTER_DAYS:
                note = f"SDR rate of {s.effective_from.isoformat()} used for {date.isoformat()} (newest available)"
            return s.per_sdr[currency], s, note
        s = tables[0]
        return s.per_sdr[currency], s, (f"no SDR rate on or before {date.isoformat()}; used the earliest "
                                        f"available ({s.effective_from.isoformat()})")


def _norm(text: str) -> str:
    return " ".join(str(text).lower().replace("-", " ").replace("_", " ").split())
