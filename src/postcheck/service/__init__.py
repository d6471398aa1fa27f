"""``postcheck serve``: the library over HTTP (FastAPI + uvicorn, extra ``postcheck[serve]``).

:func:`postcheck.service.app.create_app` builds the application; every endpoint calls the same
functions as the command line (``check_partial``, ``quote``, ``read_pdf``, ``apply_fixes``,
``write_notice``, ``postcheck.batch``).
"""

from __future__ import annotations

__all__ = ["create_app", "ServiceSettings"]


def __getattr__(name: str):  # fastapi is imported only when the service is used
    if name in __all__:
        from postcheck.service import app

        return getattr(app, name)
    raise AttributeError(name)
