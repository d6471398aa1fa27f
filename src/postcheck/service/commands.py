"""``postcheck serve`` (registered on the command line by :mod:`postcheck.cli`); imports
FastAPI and uvicorn only when the command runs."""

from __future__ import annotations

import os
from typing import Any

import click

__all__ = ["register"]


def app_factory() -> Any:
    """The app for uvicorn's ``--factory`` (worker processes): settings from the environment
    ``postcheck serve`` set."""
    from postcheck.service.app import ServiceSettings, create_app

    dirs = tuple(d for d in os.environ.get("POSTCHECK_SERVE_RATES", "").split(os.pathsep) if d)
    return create_app(ServiceSettings(db=os.environ.get("POSTCHECK_SERVE_DB") or None, rates_dirs=dirs,
                                      use_store=os.environ.get("POSTCHECK_SERVE_STATELESS") != "1"))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", help="Dossier database: sqlite:///path.db or postgresql+psycopg://... "
                           "(default: a SQLite file in the user's data folder, or $POSTCHECK_DB).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--stateless", is_flag=True, help="No dossier: checks only (the dossier endpoints answer 503).")
@click.option("--rates", "rates_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Add a tariff folder; repeatable.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host: str, port: int, db: str | None, workers: int, stateless: bool, rates_dirs: tuple[str, ...],
          log_level: str) -> None:
    """Serve the checks over HTTP (JSON API under /v1, OpenAPI at /openapi.json, docs at /docs).

    Needs pip install 'postcheck[serve]'.  Request logs carry no label contents (uvicorn's
    access log names the path and status only)."""
    try:
        import uvicorn
    except ImportError:
        raise click.ClickException("postcheck serve needs FastAPI and uvicorn: pip install 'postcheck[serve]'") \
            from None
    os.environ["POSTCHECK_SERVE_DB"] = db or ""
    os.environ["POSTCHECK_SERVE_RATES"] = os.pathsep.join(rates_dirs)
    os.environ["POSTCHECK_SERVE_STATELESS"] = "1" if stateless else ""
    click.echo(f"postcheck: serving on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})", err=True)
    uvicorn.run("postcheck.service.commands:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=log_level in ("info", "debug"))


def register(cli: Any) -> None:
    cli.add_command(serve)
