"""The PDF commands: ``fix``, ``notice`` and ``extract`` (registered on the main ``cli`` group).

This module is imported when the command line starts, so it imports nothing heavy: pypdf and
reportlab are loaded by the commands themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["register"]


def _one_label(path: str, profiles: tuple[str, ...], sets: tuple[str, ...] = ()) -> Any:
    """The one label in a JSON/CSV/PDF file, after the ``--set`` overrides.  A label that lacks
    required fields is refused, naming each field, where the reader looked, and the ``--set``
    that supplies it: fix and notice write a whole label, so they need every field."""
    from postcheck.cli import check_sets
    from postcheck.errors import MISSING, InvalidLabel, LabelReadError
    from postcheck.inputs import read_labels
    from postcheck.partial import PartialLabel

    labels = list(read_labels(Path(path), sets=check_sets(sets), partial=True, profiles=profiles))
    if len(labels) != 1:
        raise LabelReadError(path, f"holds {len(labels)} labels; fix and notice take one (use 'postcheck batch')")
    li = labels[0]
    if li.error is not None:
        raise li.error
    if isinstance(li.label, PartialLabel):
        problems = []
        for field in sorted(li.label.unknown):
            looked = li.label.missing.get(field)
            problems.append((field, MISSING, "required field is missing" + (f"; looked for {looked}" if looked else "")
                             + f" (give it with --set {field}=...)"))
        raise InvalidLabel(li.source, tuple(problems))
    return li.label


def _measured(value: str | None) -> Any:
    if value is None:
        return None
    from postcheck.errors import InvalidLabel, UnitError
    from postcheck.units import parse_weight

    try:
        return parse_weight(value, field="--measured")
    except UnitError as e:
        raise InvalidLabel("--measured", (("measured_weight", value, e.expected),)) from None


def _date(value: str | None) -> Any:
    from postcheck.cli import parse_date_option

    return parse_date_option(value)


def _rates(dirs: tuple[str, ...]) -> Any:
    from postcheck.cli import load_rates

    return load_rates(dirs)


_profile_opt = click.option("--profile", "profiles", multiple=True, type=click.Path(dir_okay=False, exists=True),
                            help="Mapping profile (TOML) for a fillable form; repeatable. "
                                 "Also POSTCHECK_PDF_PROFILES (folders).")
_set_opt = click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
                        help="Supply or correct a field of the label: destination=US, \"items[0].net_weight=300 g\"; "
                             "repeatable; an empty VALUE removes the field.")
_rates_opt = click.option("--rates", "rates_dirs", multiple=True, type=click.Path(file_okay=False),
                          help="Add a tariff folder; repeatable.")


def register(cli: click.Group) -> None:
    """Add ``fix``, ``notice`` and ``extract`` to the ``postcheck`` group."""

    @cli.command("extract")
    @click.argument("label_path", metavar="LABEL.pdf", type=click.Path(dir_okay=False))
    @_profile_opt
    @click.option("--no-embedded", is_flag=True, help="Ignore the label postcheck embeds (read the form or text).")
    @click.option("--no-form", is_flag=True, help="Ignore form fields (read the text layer).")
    @click.option("--explain", is_flag=True, help="Say for every field where it was read (page, caption or rule).")
    def extract(label_path: str, profiles: tuple[str, ...], no_embedded: bool, no_form: bool, explain: bool) -> None:
        """Print the label read from a PDF as JSON, even a partial one; say on stderr how it was
        read and, for each field not found, where postcheck looked.

        Exit status 0 when the label is whole, 2 when a required field is missing or a value
        cannot be read (what was read is still printed).
        """
        import json

        from postcheck.pdf.read import read_pdf

        got = read_pdf(label_path, profiles=profiles, use_embedded=not no_embedded, use_form=not no_form)
        if got.label is not None:
            click.echo(got.label.to_json())
        else:
            click.echo(json.dumps(got.doc, indent=2, ensure_ascii=False))
        how = {"embedded": "the label postcheck embedded", "form": f"form fields (profile {got.profile})",
               "text": "the text layer (words and their positions)"}[got.method]
        click.echo(f"postcheck: read {label_path} from {how}", err=True)
        if explain:
            for key, where in got.found.items():
                click.echo(f"postcheck: {key}: {where}", err=True)
        first = [n for n in got.notes if n.startswith("a blank") or (n.startswith("page ") and "image" in n)]
        blank = bool(first)
        for n in first:
            click.echo(f"postcheck: {n}", err=True)
        for loc, _value, expected in got.problems:
            if blank:
                expected = expected.split(": not found")[0]
            click.echo(f"postcheck: missing: {loc}: {expected}", err=True)
        if explain:
            for key, where in got.not_found.items():
                click.echo(f"postcheck: note: {key} not found; looked for {where}", err=True)
        elif got.not_found and not blank:
            click.echo(f"postcheck: note: not found: {', '.join(got.not_found)} (--explain lists where postcheck "
                       "looked)", err=True)
        for n in got.notes:
            if n not in first:
                click.echo(f"postcheck: note: {n}", err=True)
        if got.label is None:
            sys.exit(2)

    @cli.command("fix")
    @click.argument("label_path", metavar="LABEL", type=click.Path(dir_okay=False))
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
                  help="Corrected label: a .pdf (CN 23) or a .json file.")
    @click.option("--measured", help='Weight measured on the scale, e.g. "520 g".')
    @click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change what is declared.")
    @click.option("--page-size", type=click.Choice(["4x6", "A4", "Letter"], case_sensitive=False), default="4x6",
                  show_default=True)
    @click.option("--in-place-form", is_flag=True, help="Fill a copy of the input's own fillable form instead.")
    @click.option("--force", is_flag=True, help="Replace an existing output file.")
    @click.option("--date", "date_text", help="Price as of this date instead of the label's ship_date.")
    @_profile_opt
    @_rates_opt
    @_set_opt
    def fix_cmd(label_path: str, output: str, measured: str | None, unsafe_fixes: bool, page_size: str,
                in_place_form: bool, force: bool, date_text: str | None, profiles: tuple[str, ...],
                rates_dirs: tuple[str, ...], sets: tuple[str, ...]) -> None:
        """Apply the fixes and write the corrected label; print what was changed.

        Exit status 0 when the corrected label has no error-level finding, 1 when one remains
        (an unsafe fix not applied, or advice only), 2 when the label cannot be read.
        """
        from postcheck.fix import apply_fixes
        from postcheck.output import check_output_path, write_atomic

        check_output_path(output, inputs=[label_path], force=force)
        label = _one_label(label_path, profiles, sets)
        _measured(measured)  # a bad --measured is refused before any work
        rates = _rates(rates_dirs)
        result = apply_fixes(label, measured_weight=measured, unsafe=unsafe_fixes,
                             rates=rates, as_of=_date(date_text), source=label_path)
        if in_place_form:
            from postcheck.pdf.form import fill_form

            if Path(label_path).suffix.lower() != ".pdf":
                raise click.BadParameter("needs a fillable PDF form as LABEL", param_hint="--in-place-form")
            data = fill_form(Path(label_path).read_bytes(), result.label, source=label_path,
                             extra_profiles=profiles)
        elif output.lower().endswith(".json"):
            data = (result.label.to_json() + "\n").encode("utf-8")
        else:
            from postcheck.pdf.write import write_cn23

            data = write_cn23(result.label, page_size=page_size, rates=rates)
        write_atomic(output, data, inputs=[label_path], force=force)
        _print_changes(result)
        click.echo(f"Wrote {output}")
        if not result.report.ok:
            sys.exit(1)

    @cli.command("notice")
    @click.argument("label_path", metavar="LABEL", type=click.Path(dir_okay=False))
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Notice PDF to write.")
    @click.option("--measured", help='Weight measured on the scale, e.g. "520 g".')
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="en", show_default=True)
    @click.option("--page-size", type=click.Choice(["A4", "Letter"], case_sensitive=False), default="A4",
                  show_default=True)
    @click.option("--force", is_flag=True, help="Replace an existing output file.")
    @click.option("--date", "date_text", help="Price as of this date instead of the label's ship_date.")
    @_profile_opt
    @_rates_opt
    @_set_opt
    def notice_cmd(label_path: str, output: str, measured: str | None, lang: str, page_size: str, force: bool,
                   date_text: str | None, profiles: tuple[str, ...], rates_dirs: tuple[str, ...],
                   sets: tuple[str, ...]) -> None:
        """Write a one-page notice for the shipper of a returned parcel, with the corrected label attached."""
        from postcheck.checker import check
        from postcheck.fix import apply_fixes
        from postcheck.output import check_output_path, write_atomic
        from postcheck.pdf.notice import write_notice

        check_output_path(output, inputs=[label_path], force=force)
        label = _one_label(label_path, profiles, sets)
        grams = _measured(measured)
        rates, as_of = _rates(rates_dirs), _date(date_text)
        report = check(label, measured_weight=measured, rates=rates, as_of=as_of, source=label_path)
        result = apply_fixes(label, measured_weight=measured, rates=rates, as_of=as_of, source=label_path)
        data = write_notice(label, report, result, lang=lang, page_size=page_size, measured_g=grams, rates=rates)
        write_atomic(output, data, inputs=[label_path], force=force)
        click.echo(f"{report.verdict}. Wrote {output}")


def _print_changes(result: Any) -> None:
    if result.changes:
        click.echo(f"Changed {len(result.changes)} field(s):")
        for ch in result.changes:
            click.echo(f"  {ch}")
    else:
        click.echo("Nothing to change.")
    for f in result.not_applied:
        tag = "not applied (unsafe; use --unsafe-fixes)" if f.fix and f.fix.safety == "unsafe" else "to do"
        click.echo(f"  {tag}: {f.code} {f.name}: {f.fix.description if f.fix else f.message}")
    for f in result.report.errors:
        click.echo(f"  still an error: {f.code} {f.name}: {f.message}")
