"""The ``postcheck`` command line.

Exit status: 0 clean, 1 a finding at error level (or a parcel no product can carry), 2 a usage
or input error (unreadable file, unknown service, bad tariff folder), 3 an internal error.
Heavy modules (pint, pypdf, reportlab) are imported only by the commands that need them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any, Callable, Iterable

import click

from postcheck import __version__
from postcheck.bounds import shown
from postcheck.errors import PostcheckError

EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class InputProblem(click.ClickException):
    """A PostcheckError surfaced to the user: message, exit status 2, no traceback."""

    exit_code = EXIT_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"postcheck: error: {self.format_message()}", err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PostcheckError as e:
            raise InputProblem(str(e)) from None
        except BrokenPipeError:  # output piped into head & co.: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:  # never a traceback for the user
            if os.environ.get("POSTCHECK_DEBUG"):
                raise
            click.echo(f"postcheck: internal error: {type(e).__name__}: {e}\n"
                       "This is a bug in postcheck; rerun with POSTCHECK_DEBUG=1 for details.", err=True)
            ctx.exit(EXIT_INTERNAL)


def _color(ctx: click.Context | None = None) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def rates_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--rates", "rates_dirs", multiple=True, type=click.Path(file_okay=False),
                        help="Add a tariff folder (negotiated or newer prices); repeatable. "
                             "Also POSTCHECK_RATES (os.pathsep-separated).")(f)


def load_rates(dirs: Iterable[str]):
    from postcheck.tariffs import Rates

    return Rates.load(list(dirs))


def parse_date_option(value: str | None, what: str = "--date") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"expected a date such as 2022-03-01, got {shown(value)}", param_hint=what) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="postcheck")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Check parcel postage and customs labels before drop-off, and explain why a parcel came back.

    \b
    postcheck quote --from CA --to US --weight 520g --date 2022-03-01
    postcheck check label.json [--measured 520g]
    postcheck fix label.json -o corrected.pdf
    postcheck rules | postcheck rule packaging-not-counted
    """
    if ctx.resilient_parsing:
        return
    from postcheck.config import find_settings
    from postcheck.limits import current, reset

    reset()
    current()  # environment limits: a bad POSTCHECK_LIMIT_* is an input error, exit 2
    settings = find_settings()
    settings.apply_limits()
    ctx.obj = settings


# ---------------------------------------------------------------------------- quote

@cli.command()
@click.option("--from", "origin", required=True, metavar="CC", help="Origin country (ISO 3166-1 alpha-2).")
@click.option("--to", "destination", required=True, metavar="CC", help="Destination country (ISO alpha-2).")
@click.option("--weight", required=True, help='Parcel weight: "520 g", "0,52 kg", "1 lb 2 oz".')
@click.option("--dims", "--dimensions", "dims", help='Dimensions, e.g. "25 x 18 x 4 cm".')
@click.option("--zone", help="Zone / rate code / price group, for products priced by one "
                             "(Regular Parcel rate code, USPS Ground Advantage zone).")
@click.option("--date", "date_text", help="Shipping date (YYYY-MM-DD); default today.")
@click.option("--all", "show_all", is_flag=True, help="Also list products from other origins.")
@click.option("--plan", help="Price plan the shipper pays (counter, small_business; 'all' for every plan); "
                             "default: each product's default plan (Canada Post: counter).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@rates_option
def quote(origin: str, destination: str, weight: str, dims: str | None, zone: str | None, date_text: str | None,
          show_all: bool, plan: str | None, fmt: str, rates_dirs: tuple[str, ...]) -> None:
    """Price a parcel with every product that can carry it, cheapest first, and say why the
    others cannot."""
    from postcheck.errors import UnitError
    from postcheck.label import is_country
    from postcheck.tariffs.quote import quote as do_quote
    from postcheck.units import format_weight, parse_dimensions, parse_weight

    o, d = origin.strip().upper(), destination.strip().upper()
    for code, opt in ((o, "--from"), (d, "--to")):
        if not is_country(code):
            raise click.BadParameter(f"expected an ISO 3166-1 alpha-2 country code such as CA, got {code!r}",
                                     param_hint=opt)
    try:
        grams = parse_weight(weight, field="--weight")
        dims_mm = parse_dimensions(dims, field="--dims") if dims else None
    except UnitError as e:
        raise click.BadParameter(f"{e.expected}, got {e.value!r}", param_hint=e.field) from None
    date = parse_date_option(date_text)
    defaulted = date is None
    date = date or dt.date.today()
    rates = load_rates(rates_dirs)
    priced, refused = do_quote(rates, origin=o, destination=d, weight_g=grams, date=date, dims_mm=dims_mm,
                               zone=zone, include_other_origins=show_all, plan=plan)
    if fmt == "json":
        click.echo(json.dumps({"origin": o, "destination": d, "weight": format_weight(grams),
                               "weight_g": f"{grams.normalize():f}", "date": date.isoformat(),
                               "date_defaulted": defaulted,
                               "offers": [x.to_dict() for x in priced],
                               "unavailable": [x.to_dict() for x in refused]}, indent=2, ensure_ascii=False))
    else:
        color = _color()
        head = f"{format_weight(grams)} from {o} to {d} on {date.isoformat()}"
        if defaulted:
            head += " (no --date given: today's prices)"
        click.echo(click.style(head, bold=True) if color else head)
        if not priced:
            click.echo("  No product can carry this parcel.")
        width = max((len(x.name) for x in priced), default=0)
        for x in priced:
            q = x.quote
            assert q is not None
            extra = f"  chargeable {format_weight(q.chargeable_g)}, {q.step_text}"
            if q.zone and q.tariff.zones_by != "world" and q.zone != d:
                extra += f", zone {q.zone}"
            if q.volumetric_g is not None and q.volumetric_g > q.rounded_g:
                extra += " (volumetric weight)"
            for name, amount in q.surcharges:
                extra += f", + {amount:.2f} {name}"
            line = f"  {x.name:<{width}}  {q.price}{extra}  [{x.id}, prices of {q.tariff.date_label}]"
            click.echo(line)
            for w in x.warnings:
                click.echo(f"      note: {w}")
        if refused:
            click.echo("Cannot carry it:")
            for x in refused:
                click.echo(f"  {x.name}: {x.detail} [{x.reason}]")
    if not priced:
        sys.exit(EXIT_FINDINGS)


# ---------------------------------------------------------------------------- check

def _common_check_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--measured", help='Weight measured on the scale, e.g. "520 g".')(f)
    f = click.option("--tolerance", default=None,
                     help='Allowed difference between measured and declared weight: "10 g" (default), "2%", '
                          'or "10 g, 2%" (the larger).')(f)
    f = click.option("--date", "date_text", help="Price as of this date instead of the label's ship_date.")(f)
    f = click.option("--select", multiple=True, help="Only these rules (code, prefix or name); repeatable "
                                                     "or comma-separated.")(f)
    f = click.option("--ignore", multiple=True, help="Skip these rules (code, prefix or name).")(f)
    f = click.option("--items", "items_path", type=click.Path(dir_okay=False),
                     help="CSV of contents lines keyed by parcel_id (for CSV labels).")(f)
    f = rates_option(f)
    f = set_option(f)
    return f


def set_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--set FIELD=VALUE`` (repeatable), for check, fix and notice."""
    return click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
                        help="Supply or correct a field of the label before it is checked: destination=US, "
                             "service=small_packet_usa_air, \"items[0].net_weight=300 g\", addressee.country=FR; "
                             "repeatable; an empty VALUE removes the field.")(f)


def check_sets(sets: Iterable[str]) -> list[str]:
    """The ``--set`` values, each path and value checked before any file is read (exit 2)."""
    from postcheck.errors import InvalidInput
    from postcheck.overrides import validate_overrides

    out = list(sets)
    try:
        validate_overrides(out)
    except InvalidInput as e:
        raise click.BadParameter(str(e).removeprefix("--set "), param_hint="--set") from None
    return out


def _split(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def run_checks(label_path: str, *, measured: str | None, tolerance: str | None, date_text: str | None,
               select: Iterable[str], ignore: Iterable[str], items_path: str | None, rates_dirs: Iterable[str],
               sets: Iterable[str] = (), profiles: Iterable[str] = (), plan: str | None = None):
    """Check every label in a file: ``(reports, unreadable [(source, message)])``.  A label that
    lacks fields is checked as far as it goes (its report says what it needs); a file that
    cannot be read at all is one unreadable entry."""
    from postcheck.checker import check_partial
    from postcheck.config import Settings, find_settings
    from postcheck.errors import InvalidLabel, LabelReadError
    from postcheck.inputs import read_labels
    from postcheck.rules import Selection

    obj = click.get_current_context().find_root().obj
    settings = obj if isinstance(obj, Settings) else find_settings()
    sel, ign = _split(select), _split(ignore)
    # the command line beats the settings file, option by option
    sel = sel or list(settings.select)
    ign = ign or list(settings.ignore)
    tolerance = tolerance or settings.tolerance
    plan = plan or settings.price_plan
    rates_dirs = [*settings.rates, *rates_dirs]
    try:
        Selection(sel or None, ign)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--select/--ignore") from None
    sets = check_sets(sets)
    rates = load_rates(rates_dirs)
    as_of = parse_date_option(date_text)
    reports = []
    bad: list[tuple[str, str]] = []
    try:
        labels = list(read_labels(label_path, items_path=items_path, sets=sets, partial=True, profiles=profiles))
    except (LabelReadError, InvalidLabel) as e:
        return [], [(label_path, str(e))]
    if sets and len(labels) > 1:
        raise click.BadParameter(f"applies to one label; {label_path} holds {len(labels)} (give the field a "
                                 "column or a key in the file instead)", param_hint="--set")
    for li in labels:
        if li.label is None:
            bad.append((li.source, str(li.error)))
            continue
        try:
            reports.append(check_partial(li.label, measured_weight=measured, rates=rates, as_of=as_of,
                                         select=sel or None, ignore=ign, tolerance=tolerance, source=li.source,
                                         parcel_id=li.parcel_id, plan=plan))
        except PostcheckError as e:
            bad.append((li.source, str(e)))
    return reports, bad


@cli.command()
@click.argument("label_path", metavar="LABEL", type=click.Path(dir_okay=False))
@_common_check_options
@click.option("--profile", "profiles", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Mapping profile (TOML) for a fillable PDF form; repeatable. Also POSTCHECK_PDF_PROFILES (folders).")
@click.option("--plan", help="Price plan the shipper pays (counter, small_business) for products sold at "
                             "several; also price_plan in the settings.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "csv"]), default="text",
              show_default=True)
def check(label_path: str, measured: str | None, tolerance: str | None, date_text: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], items_path: str | None, rates_dirs: tuple[str, ...],
          sets: tuple[str, ...], profiles: tuple[str, ...], plan: str | None, fmt: str) -> None:
    """Check a label (JSON, JSON Lines, CSV or PDF): what is wrong, why, how much, and the fix.

    A label that lacks required fields is checked as far as it goes, and the report says which
    fields the other rules need (give them with --set).  Exit status 0 when no finding is an
    error, 1 when one is, 2 when the label cannot be read or is incomplete.
    """
    from postcheck.report import to_csv, to_json, to_text

    reports, bad = run_checks(label_path, measured=measured, tolerance=tolerance, date_text=date_text,
                              select=select, ignore=ignore, items_path=items_path, rates_dirs=rates_dirs,
                              sets=sets, profiles=profiles, plan=plan)
    if fmt == "json":
        if len(reports) == 1 and not bad:
            click.echo(to_json(reports[0]))
        elif len(bad) == 1 and not reports:
            s, m = bad[0]
            click.echo(json.dumps({"source": s, "unreadable": m}, indent=2, ensure_ascii=False))
        else:
            doc = [r.to_dict() for r in reports] + [{"source": s, "unreadable": m} for s, m in bad]
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    elif fmt == "jsonl":
        for r in reports:
            click.echo(json.dumps(r.to_dict(), ensure_ascii=False))
        for s, m in bad:
            click.echo(json.dumps({"source": s, "unreadable": m}, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(to_csv(reports, bad), nl=False)
    else:
        color = _color()
        for i, r in enumerate(reports):
            if i:
                click.echo("")
            click.echo(to_text(r, color=color), nl=False)
    for s, m in bad:
        click.echo(f"postcheck: error: {m}" if m.startswith(s) else f"postcheck: error: {s}: {m}", err=True)
    if bad or any(r.incomplete for r in reports):
        sys.exit(EXIT_INPUT)
    if any(not r.ok for r in reports):
        sys.exit(EXIT_FINDINGS)


# ---------------------------------------------------------------------------- rules

@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List every rule: code, name, severity, whether it can fix."""
    from postcheck.rules import rules

    infos = rules()
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in infos], indent=2))
        return
    for r in infos:
        fix = "fix" if r.fixable else "   "
        click.echo(f"{r.code}  {r.name:<28} {r.severity:<8} {fix}  {r.summary}")


@cli.command("rule")
@click.argument("name")
def rule_cmd(name: str) -> None:
    """Explain one rule (by code or name): what it checks, why, examples, fix safety, references."""
    from postcheck.rules import get_rule

    r = get_rule(name)
    if r is None:
        raise click.BadParameter(f"no rule {name!r}; 'postcheck rules' lists them", param_hint="NAME")
    click.echo(f"{r.name} ({r.code})")
    click.echo(f"Family: {r.family}. Default severity: {r.severity}. "
               f"Fix: {'yes' if r.fixable else 'advice only'}. Since {r.since}.")
    if r.needs:  # what a partial label must give for the rule to run
        click.echo(f"Needs: {', '.join(sorted(r.needs))}.")
    click.echo("")
    click.echo(r.doc)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a label."""
    from postcheck.label import label_schema

    click.echo(json.dumps(label_schema(), indent=2))


# ---------------------------------------------------------------------------- rates

@cli.group("rates", cls=_Group)
def rates_group() -> None:
    """Tariff tables: list, show, validate, import a price guide, diff editions, chart them."""


@rates_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@rates_option
def rates_list(fmt: str, rates_dirs: tuple[str, ...]) -> None:
    """Every product postcheck can price, with its price lists' dates and sources."""
    rates = load_rates(rates_dirs)
    tables = [t for pid in rates.ids() for t in rates.tables(pid)]
    if fmt == "json":
        click.echo(json.dumps([t.summary() for t in tables], indent=2, ensure_ascii=False))
        return
    for t in tables:
        until = f" until {t.effective_until.isoformat()}" if t.effective_until else ""
        plan = f", plan {t.plan}" if t.plan else ""
        click.echo(f"{t.id:<36} {t.operator:<14} {t.name}  [{t.currency}, from {t.date_label}{until}{plan}]")
        click.echo(f"{'':<36} source: {t.source.document}, p. {t.source.pages}")


@rates_group.command("show")
@click.argument("product")
@click.option("--date", "date_text", help="Show the table in force on this date (default: every table).")
@rates_option
def rates_show(product: str, date_text: str | None, rates_dirs: tuple[str, ...]) -> None:
    """Show a product's price list: steps, zones, limits, rules, source and notes."""
    rates = load_rates(rates_dirs)
    date = parse_date_option(date_text)
    tables = [rates.select(product, date).tariff] if date else rates.tables(product)
    for t in tables:
        click.echo(f"{t.name} ({t.id}) - {t.operator}")
        click.echo(f"  File: {t.path}")
        click.echo(f"  In force: from {t.date_label}" + (f" until {t.effective_until}" if t.effective_until else ""))
        if t.plan:
            click.echo(f"  Price plan: {t.plan} of {t.product} (plans: {', '.join(rates.plans(t.id))})")
        click.echo(f"  Source: {t.source.document}, p. {t.source.pages}"
                   + (f" <{t.source.url}>" if t.source.url else ""))
        click.echo(f"  Currency: {t.currency}; ships from {', '.join(sorted(t.origins))}; "
                   f"customs form: {t.customs_form}")
        click.echo(f"  Weight: steps in {t.weight_unit}, rounding {t.rounding_text}")
        if t.zones_by == "country":
            click.echo(f"  Zones: {', '.join(t.zone_names)} ({len(t.countries)} countries mapped)")
        elif t.zones_by == "input":
            click.echo(f"  Zones (give one with --zone): {', '.join(t.zone_names)}; "
                       f"serves {', '.join(sorted(t.destinations))}")
        else:
            click.echo("  Zones: one price worldwide (any country but the origin)")
        lim = t.limits
        if lim.text:
            click.echo("  Limits: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in lim.text.items()))
        if t.volumetric:
            click.echo(f"  Volumetric weight: {t.volumetric.text}")
        if t.formula:
            click.echo(f"  Price: {t.formula.per_piece} per piece + {t.formula.per_unit} per {t.weight_unit}")
        else:
            zones = t.zone_names
            shown = zones[:10]
            click.echo(f"  {'up to (' + t.weight_unit + ')':>14}  " + "  ".join(f"{z:>7}" for z in shown)
                       + ("  ..." if len(zones) > 10 else ""))
            for s in t.steps:
                click.echo(f"  {s.up_to.normalize():>14f}  " + "  ".join(f"{s.prices[z]:>7}" for z in shown))
            if t.beyond:
                click.echo(f"  {'each +' + str(t.beyond.increment):>14}  "
                           + "  ".join(f"{t.beyond.prices[z]:>7}" for z in shown))
            if t.oversize:
                click.echo(f"  {'oversize':>14}  " + "  ".join(f"{t.oversize.prices[z]:>7}" for z in shown)
                           + f"   (length + girth over {t.oversize.text})")
        for s in t.surcharges:
            click.echo(f"  Surcharge: {s.name}")
        for n in t.notes:
            click.echo(f"  Note: {n}")
        click.echo(f"  Worked examples: {len(t.examples)}")
        click.echo("")


@rates_group.command("validate")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--no-examples", is_flag=True, help="Skip pricing the worked examples.")
def rates_validate(folder: str, no_examples: bool) -> None:
    """Validate a tariff folder strictly (exit 2 on any problem), worked examples included."""
    from postcheck.tariffs import validate_dir

    errors = validate_dir(folder, examples=not no_examples)
    if errors:
        for e in errors:
            click.echo(f"postcheck: error: {e}", err=True)
        click.echo(f"{len(errors)} problem(s) in {folder}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"{folder}: valid")


@rates_group.command("import")
@click.argument("guide", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Tariff folder to write into (created if missing): DIR/<operator>/<id>/<date>.toml.")
@click.option("--product", "products", multiple=True,
              help="Only these product ids (repeatable or comma-separated; default: every product the guide gives).")
@click.option("--force", is_flag=True, help="Replace tariff files that already exist in DIR.")
def rates_import(guide: str, out_dir: str, products: tuple[str, ...], force: bool) -> None:
    """Read an operator's price guide (PDF) into tariff files, each checked by the strict loader.

    Knows Canada Post's Consumer (Counter) Prices and Business Prices (Small Business) guides,
    2020 to 2022 editions.  Says which pages it read for what; a table that does not read as a
    price table is reported and not written (exit 1); an unknown document is refused (exit 2).
    """
    from postcheck.tariffs.guides import import_guide, write_imported

    wanted = _split(products)
    result = import_guide(guide, products=wanted or None)
    click.echo(f"{guide}: {result.document}")
    for use in sorted(result.pages, key=lambda u: (u.page, u.what)):
        click.echo(f"  p. {use.page:<3} {use.what}")
    for path in write_imported(result, out_dir, force=force):
        click.echo(f"wrote {path}")
    for problem in result.problems:
        click.echo(f"postcheck: not imported: {problem}", err=True)
    if not result.tariffs:
        click.echo("postcheck: error: nothing was imported", err=True)
        sys.exit(EXIT_INPUT)
    if result.problems:
        sys.exit(EXIT_FINDINGS)


@rates_group.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--all", "show_all", is_flag=True, help="List unchanged prices too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@rates_option
def rates_diff(old: str, new: str, show_all: bool, fmt: str, rates_dirs: tuple[str, ...]) -> None:
    """What changed between two editions: per product, step and zone, with the percentage.

    OLD and NEW are each a tariff file, a tariff folder, or ID@DATE (the table in force that
    day), e.g. 'postcheck rates diff tracked_packet_usa@2020-03-01 tracked_packet_usa@2022-03-01'.
    """
    from postcheck.tariffs.compare import diff_editions, editions

    rates = load_rates(rates_dirs)
    diffs = diff_editions(editions(old, rates), editions(new, rates))
    if not diffs:
        raise InputProblem(f"{old} and {new} have no product in common")
    if fmt == "json":
        click.echo(json.dumps([{
            "id": d.id, "old": {"effective_from": d.old.date_label, "file": d.old.path},
            "new": {"effective_from": d.new.date_label, "file": d.new.path}, "currency": d.new.currency,
            "prices": [{"step": c.step, "zone": c.zone, "old": None if c.old is None else f"{c.old:.2f}",
                        "new": None if c.new is None else f"{c.new:.2f}",
                        "percent": None if c.percent is None else f"{c.percent:.2f}"}
                       for c in (d.changes if show_all else d.changed)],
            "countries": [{"country": c, "old": a, "new": b} for c, a, b in d.countries],
            "other": d.other} for d in diffs], indent=2, ensure_ascii=False))
        return
    for d in diffs:
        pcts = [c.percent for c in d.changed if c.percent is not None]
        span = f", {min(pcts):+.2f}% to {max(pcts):+.2f}%" if pcts else ""
        ids = d.id if d.old.id == d.new.id else f"{d.old.id} -> {d.new.id}"
        click.echo(f"{ids}: {d.old.date_label} -> {d.new.date_label}, {d.new.currency} "
                   f"({len(d.changed)} of {len(d.changes)} prices changed{span})")
        for c in d.changes if show_all else d.changed:
            click.echo(f"  {c.text()}")
        for country, a, b in d.countries:
            click.echo(f"  country {country}: zone {a or '-'} -> {b or '-'}")
        for o in d.other:
            click.echo(f"  {o}")


@rates_group.command("chart")
@click.argument("product")
@click.option("-o", "--output", "out_path", required=True, type=click.Path(dir_okay=False),
              help="SVG file to write.")
@click.option("--zone", help="Zone or rate code to draw (default: the product's first).")
@click.option("--force", is_flag=True, help="Replace the output if it exists.")
@rates_option
def rates_chart(product: str, out_path: str, zone: str | None, force: bool, rates_dirs: tuple[str, ...]) -> None:
    """Draw a product's price steps across its editions and price plans (SVG, reportlab graphics)."""
    from postcheck.output import write_atomic
    from postcheck.tariffs.chart import price_chart_svg

    rates = load_rates(rates_dirs)
    ids = list(dict.fromkeys([rates.resolve(product), *rates.plans(product).values()]))
    tables = sorted((t for pid in ids for t in rates.tables(pid)),
                    key=lambda t: (t.effective_from or dt.date.min, t.plan or ""))
    write_atomic(out_path, price_chart_svg(tables, zone=zone), force=force)
    click.echo(f"wrote {out_path} ({len(tables)} tables of {', '.join(ids)})")


# ---------------------------------------------------------------------------- entry point

def _register_optional() -> None:
    """Commands that live in their own modules (PDF, batch) register themselves here."""
    import importlib

    for mod in ("postcheck.pdf.commands", "postcheck.batch.commands", "postcheck.service.commands"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("postcheck"):
                continue
            raise
        m.register(cli)


_register_optional()


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="postcheck")


#: Set by a command whose outputs are all written and closed (``batch``): the program may end
#: without tearing down the interpreter.
_DONE = {"end_now": False}


def end_now_when_done() -> None:
    """Let :func:`run` end the process at once after this command (see there)."""
    _DONE["end_now"] = True


def run() -> None:
    """The ``postcheck`` program (console script, ``python -m postcheck``): :func:`main`, then,
    after a ``postcheck batch`` run, the process ends at once (``os._exit``) instead of tearing
    the interpreter down object by object.  The batch has renamed its output into place and the
    summary is flushed here; what is left is freeing the engine's memo tables and unloading
    numpy and pyarrow, a tenth of a second (measured, 1M rows: 80-95 ms from the summary to the
    end of the process).  Only the program does this: :func:`main` and ``cli`` called from other
    code return (or raise ``SystemExit``) as usual."""
    try:
        main()
    except SystemExit as e:
        if _DONE["end_now"] and (e.code is None or isinstance(e.code, int)):
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):  # a closed pipe: as the interpreter would, carry on
                    pass
            os._exit(e.code or 0)
        raise


if __name__ == "__main__":  # pragma: no cover
    run()
