"""``postcheck batch``: registered on the command line by :mod:`postcheck.cli`.

This module is imported whenever the command line starts, so it imports nothing heavy (no
numpy, pyarrow, pandas or Dask) at module level.
"""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["register", "batch"]


@click.command("batch")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output_path", required=True, type=click.Path(dir_okay=False),
              help="Results: .csv, .jsonl or .parquet (one row per input row).")
@click.option("--items", "items_path", type=click.Path(dir_okay=False),
              help="CSV of contents lines keyed by parcel_id (instead of item1_... columns).")
@click.option("--engine", type=click.Choice(["auto", "python", "vector", "dask"]), default="auto", show_default=True,
              help="vector: whole columns at once (auto); python: postcheck.check() per row; "
                   "dask: the vector engine on a Dask cluster (pip install 'postcheck[dask]').")
@click.option("--jobs", type=click.IntRange(1, 256), default=None,
              help="Worker processes (or Dask workers for a local cluster); default: up to 2.")
@click.option("--scheduler", help="Dask scheduler address (with --engine dask); default: a local cluster.")
@click.option("--chunk-size", type=click.IntRange(100, 10_000_000), default=None,
              help="Rows per chunk (about); memory stays flat whatever the input size.")
@click.option("--format", "out_format", type=click.Choice(["csv", "jsonl", "parquet"]), default=None,
              help="Output format; default: by the output's extension.")
@click.option("--input-format", "in_format", type=click.Choice(["csv", "jsonl", "parquet"]), default=None,
              help="Input format; default: by the input's extension.")
@click.option("--date", "date_text", help="Price every parcel as of this date instead of its ship_date.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--resume", is_flag=True, help="Carry on an interrupted run after its last complete chunk.")
@click.option("--rates", "rates_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Add a tariff folder (negotiated or newer prices); repeatable.")
@click.option("--select", multiple=True, help="Only these rules (code, prefix or name); repeatable or comma-separated.")
@click.option("--ignore", multiple=True, help="Skip these rules (code, prefix or name).")
@click.option("--tolerance", default=None,
              help='Allowed difference between measured and declared weight: "10 g" (default), "2%", '
                   'or "10 g, 2%" (the larger).')
@click.pass_context
def batch(ctx: click.Context, input_path: str, output_path: str, items_path: str | None, engine: str,
          jobs: int | None, scheduler: str | None, chunk_size: int | None, out_format: str | None,
          in_format: str | None, date_text: str | None, force: bool, resume: bool, rates_dirs: tuple[str, ...],
          select: tuple[str, ...], ignore: tuple[str, ...], tolerance: str | None) -> None:
    """Check every parcel in INPUT (CSV, JSON Lines or Parquet) and write one result per row.

    \b
    CSV rows use the columns of 'postcheck check' (parcel_id, service, origin, destination,
    ship_date, currency, postage_paid, packaging_weight, gross_weight, ..., and contents in
    item1_description, item1_net_weight, item1_value ... columns, or in --items FILE keyed by
    parcel_id).  A row that cannot be read becomes a result with the reason and its row number.

    --select, --ignore and --tolerance work as in 'postcheck check' (and come from the settings
    file when not given); with any of them in force the rows are checked on the exact per-row path.

    Exit status 0 when every parcel is OK, 1 when some parcel has an error-level finding, 2 when
    some rows could not be read (every row is still written).
    """
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        _batch_plain(ctx, input_path, output_path, items_path, engine, out_format, in_format, date_text, force,
                     rates_dirs, select, ignore, tolerance)
        return
    from postcheck.batch.run import (arrow_without_pandas, keep_freed_memory, no_cycle_collection, run_batch,
                                     stderr_is_terminal)
    from postcheck.config import Settings, find_settings

    keep_freed_memory()
    settings = ctx.obj if isinstance(ctx.obj, Settings) else find_settings()
    # the command line beats the settings file, option by option (as 'postcheck check')
    sel = _split(select) or list(settings.select)
    ign = _split(ignore) or list(settings.ignore)
    tolerance = tolerance or settings.tolerance
    rates_dirs = (*settings.rates, *rates_dirs)
    if sel or ign:
        # the rules (and the label model under them) load on the engine's own thread otherwise,
        # while the first chunk is read
        from postcheck.rules import Selection

        try:
            Selection(sel or None, ign)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--select/--ignore") from None
    if tolerance is not None:
        from postcheck.errors import PostcheckError
        from postcheck.rules.context import Tolerance

        try:
            Tolerance.parse(tolerance)
        except (ValueError, PostcheckError) as e:
            raise click.BadParameter(str(e), param_hint="--tolerance") from None

    from postcheck.cli import parse_date_option

    as_of = parse_date_option(date_text)
    if engine != "dask" and scheduler:
        raise click.BadParameter("only with --engine dask", param_hint="--scheduler")
    if engine != "dask":
        arrow_without_pandas()  # this process has no use for pandas
    bar: Any = None
    progress = None
    if stderr_is_terminal():
        import os

        size = os.path.getsize(input_path) if os.path.exists(input_path) else 0
        bar = click.progressbar(length=max(size, 1), label="Checking", file=sys.stderr)
        bar.__enter__()
        state = {"done": 0}

        def progress(position: int) -> None:
            bar.update(max(position - state["done"], 0))
            state["done"] = position
    try:
        with no_cycle_collection():
            summary = run_batch(input_path, output_path, in_format=in_format, out_format=out_format, engine=engine,
                                jobs=jobs, chunk_size=chunk_size, force=force, resume=resume, rates_dirs=rates_dirs,
                                as_of=as_of, items_path=items_path, progress=progress, scheduler=scheduler,
                                select=tuple(sel), ignore=tuple(ign), tolerance=tolerance)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(summary.text())
    from postcheck.cli import end_now_when_done

    end_now_when_done()  # the output is in place: nothing left to tidy up
    sys.exit(summary.exit_code)


def _batch_plain(ctx: click.Context, input_path: str, output_path: str, items_path: str | None, engine: str,
                 out_format: str | None, in_format: str | None, date_text: str | None, force: bool,
                 rates_dirs: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...],
                 tolerance: str | None) -> None:
    """``postcheck batch`` without numpy and pyarrow: every row through check(), the same output
    bytes (CSV and JSON Lines), with a one-line hint that ``postcheck[fast]`` is faster."""
    from postcheck.batch.formats import format_of
    from postcheck.batch.plain import HINT, run_plain
    from postcheck.cli import parse_date_option
    from postcheck.config import Settings, find_settings

    if engine in ("vector", "dask"):
        raise click.BadParameter(f"--engine {engine} needs numpy and pyarrow: pip install 'postcheck[fast]'",
                                 param_hint="--engine")
    settings = ctx.obj if isinstance(ctx.obj, Settings) else find_settings()
    sel = _split(select) or list(settings.select)
    ign = _split(ignore) or list(settings.ignore)
    if sel or ign:
        from postcheck.rules import Selection

        try:
            Selection(sel or None, ign)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--select/--ignore") from None
    tolerance = tolerance or settings.tolerance
    if tolerance is not None:
        from postcheck.errors import PostcheckError
        from postcheck.rules.context import Tolerance

        try:
            Tolerance.parse(tolerance)
        except (ValueError, PostcheckError) as e:
            raise click.BadParameter(str(e), param_hint="--tolerance") from None
    click.echo(HINT, err=True)
    summary = run_plain(input_path, output_path, in_format=format_of(input_path, in_format),
                        out_format=format_of(output_path, out_format), force=force,
                        rates_dirs=(*settings.rates, *rates_dirs), as_of=parse_date_option(date_text),
                        items_path=items_path, select=tuple(sel), ignore=tuple(ign),
                        tolerance=tolerance)
    click.echo(summary.text())
    sys.exit(summary.exit_code)


def _split(values: tuple[str, ...]) -> list[str]:
    """Codes given as repeated options or comma-separated."""
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def register(cli: Any) -> None:
    """Add ``batch`` to the ``postcheck`` command group."""
    cli.add_command(batch)
