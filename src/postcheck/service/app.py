"""The HTTP application: ``create_app(settings)``.

One error shape for every refusal (:class:`ErrorBody`): ``{"error": {"status", "message",
"problems": [{"field", "value", "expected"}]}}``, the same field path / value seen / what was
expected triple as :class:`postcheck.errors.InvalidLabel` and ``postcheck check --format json``'s
``{"source", "unreadable"}`` object (both kept in the body: ``source`` and ``unreadable``).

* 422: a label (or a parameter) that cannot be read;
* 200 with findings: a label that is wrong (the report says so, ``ok`` false);
* 413: over a limit of :mod:`postcheck.limits` (request size, items per label, request time);
* 401: no valid token where one is needed (recording, the dossier endpoints);
* 503: the dossier's database cannot be reached (the next request tries again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from fastapi import APIRouter, FastAPI, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from postcheck import __version__
from postcheck.errors import InvalidInput, InvalidLabel, LabelReadError, MISSING, PostcheckError
from postcheck.label import Label

__all__ = ["create_app", "ServiceSettings", "ApiError", "ErrorBody", "CheckRequest", "QuoteRequest"]


# ---------------------------------------------------------------------------- settings


@dataclass
class ServiceSettings:
    """What ``postcheck serve`` was started with."""

    db: str | None = None  # dossier store URL (None: the store's default SQLite file)
    rates_dirs: tuple[str, ...] = ()
    #: plain checks without a token (the default: a check records nothing and reads no dossier)
    anonymous_check: bool = True
    #: seconds one request may work (the request-time limit); POSTCHECK_LIMIT_REQUEST_SECONDS
    request_seconds: float = field(default_factory=lambda: float(os.environ.get("POSTCHECK_LIMIT_REQUEST_SECONDS",
                                                                                "30")))
    #: open the dossier store (False: stateless, the dossier endpoints answer 503)
    use_store: bool = True


# ---------------------------------------------------------------------------- errors


class Problem(BaseModel):
    field: str = Field(description="Dotted path of the field ('items[0].net_weight'), '' for the whole request")
    value: Any = Field(default=None, description="The value seen (absent when the field was missing)")
    expected: str = Field(description="What was expected")


class ErrorDetail(BaseModel):
    status: int
    message: str
    problems: list[Problem] = []
    source: str | None = None
    unreadable: str | None = Field(default=None, description="As `postcheck check --format json` says it")


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, message: str, problems: list[tuple[str, Any, str]] = (),  # type: ignore[assignment]
                 source: str | None = None, unreadable: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.problems = status, message, list(problems)
        self.source, self.unreadable, self.headers = source, unreadable, headers

    def body(self) -> dict[str, Any]:
        probs = []
        for f, v, e in self.problems:
            p: dict[str, Any] = {"field": f, "expected": e}
            if v is not MISSING:
                p["value"] = _jsonable(v)
            probs.append(p)
        d: dict[str, Any] = {"status": self.status, "message": self.message, "problems": probs}
        if self.source is not None:
            d["source"] = self.source
        if self.unreadable is not None:
            d["unreadable"] = self.unreadable
        return {"error": d}


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, Decimal):
        return f"{v:f}"
    return str(v)


def _from_error(e: PostcheckError, source: str | None = None) -> ApiError:
    """A library exception as the one error shape (422)."""
    if isinstance(e, InvalidLabel):
        return ApiError(422, "the label cannot be read", list(e.problems), source=e.source, unreadable=str(e))
    if isinstance(e, InvalidInput):
        return ApiError(422, str(e), [(e.field, e.value, e.expected)], source=e.source or source)
    if isinstance(e, LabelReadError):
        return ApiError(422, "the label file cannot be read", [("", MISSING, e.problem)], source=e.path,
                        unreadable=str(e))
    return ApiError(422, str(e), [("", MISSING, str(e))], source=source)


def _unavailable(e: Exception) -> ApiError:
    return ApiError(503, f"the dossier database cannot be reached ({type(e).__name__}); try again shortly",
                    headers={"Retry-After": "2"})


# ---------------------------------------------------------------------------- request models


class CheckOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measured_weight: str | None = Field(default=None, examples=["520 g"], description="Weight on the scale")
    tolerance: str | None = Field(default=None, examples=["10 g", "2%", "10 g, 2%"])
    select: list[str] | None = Field(default=None, description="Only these rules (code, prefix or name)")
    ignore: list[str] | None = None
    date: dt.date | None = Field(default=None, description="Price as of this date instead of the label's ship_date")
    plan: str | None = Field(default=None, examples=["small_business"])


class CheckRequest(CheckOptions):
    label: dict[str, Any] = Field(description="A label in the shape of the Label schema (GET /v1/schema); "
                                              "required fields may be absent: the report then says what it needs")
    record: bool = Field(default=False, description="Keep the check in the parcel's dossier (needs a token)")
    tracking_number: str | None = Field(default=None, description="For recording, when the label has none")
    shipper: str | None = None


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: str = Field(examples=["CA"])
    destination: str = Field(examples=["US"])
    weight: str = Field(examples=["520 g"])
    dims: str | None = Field(default=None, examples=["25 x 18 x 4 cm"])
    zone: str | None = None
    date: dt.date | None = None
    all: bool = False
    plan: str | None = None


class FixRequest(CheckOptions):
    label: dict[str, Any] = Field(description="A whole label (the Label schema)")
    unsafe_fixes: bool = False
    format: str = Field(default="pdf", pattern="^(pdf|json)$")
    page_size: str = Field(default="4x6", pattern="^(4x6|A4|Letter)$")
    record: bool = False


class NoticeRequest(CheckOptions):
    label: dict[str, Any] = Field(description="A whole label (the Label schema)")
    lang: str = Field(default="en", pattern="^(en|fr)$")
    page_size: str = Field(default="A4", pattern="^(A4|Letter)$")
    record: bool = False


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(note|payment|refund|call|return|weighing)$")
    data: dict[str, Any] = {}
    shipper: str | None = None


# ---------------------------------------------------------------------------- the app


def _label_source(name: str | None) -> str:
    return name or "<request>"


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    app = FastAPI(title="postcheck", version=__version__,
                  description="Check parcel postage and customs labels. Errors: one shape, ErrorBody.",
                  responses={422: {"model": ErrorBody}, 413: {"model": ErrorBody}})
    app.state.settings = settings
    state = _State(settings)
    app.state.service = state

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, e: ApiError) -> JSONResponse:
        return JSONResponse(e.body(), status_code=e.status, headers=e.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError) -> JSONResponse:
        probs = []
        for err in e.errors():
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
            path = ""
            for part in loc:
                path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
            probs.append((path, err.get("input", MISSING) if err.get("type") != "missing" else MISSING,
                          err.get("msg", "a valid value")))
        return JSONResponse(ApiError(422, "the request cannot be read", probs).body(), status_code=422)

    @app.exception_handler(PostcheckError)
    async def _pc_error(request: Request, e: PostcheckError) -> JSONResponse:
        err = _from_error(e)
        return JSONResponse(err.body(), status_code=err.status)

    app.add_middleware(_SizeLimit)
    app.openapi = _openapi_with_label(app)  # type: ignore[method-assign]
    app.include_router(_api_router(state))
    try:
        from .pages import router as pages_router  # the browser pages (issue 18), when present
    except ImportError:
        pass
    else:
        app.include_router(pages_router)
    return app


class _SizeLimit:
    """413 for a request whose declared length is over the limits table (a pure ASGI middleware:
    Starlette's BaseHTTPMiddleware costs a task and a queue per request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            from postcheck.limits import current

            lim = current()
            cap = max(lim.label_file_mb, lim.pdf_file_mb) << 20
            for k, v in scope.get("headers", ()):
                if k == b"content-length" and v.isdigit() and int(v) > cap:
                    n = int(v)
                    resp = JSONResponse(ApiError(413, f"the request is {n} bytes; the limit is {cap} bytes",
                                                 [("", n, f"at most {cap} bytes (limits label_file_mb / "
                                                          "pdf_file_mb)")]).body(), status_code=413)
                    await resp(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _openapi_with_label(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema = Label.model_json_schema(ref_template="#/components/schemas/{model}")
        comps = doc.setdefault("components", {}).setdefault("schemas", {})
        for name, sub in schema.pop("$defs", {}).items():
            comps.setdefault(name, sub)
        comps["Label"] = schema
        for model in (CheckRequest, ErrorBody):
            sub = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, d in sub.pop("$defs", {}).items():
                comps.setdefault(name, d)
            comps[model.__name__] = sub
        for name in ("CheckRequest", "FixRequest", "NoticeRequest"):  # the label property is a Label
            props = comps.get(name, {}).get("properties", {})
            if "label" in props:
                props["label"] = {"allOf": [{"$ref": "#/components/schemas/Label"}],
                                  "description": props["label"].get("description", "")}
        app.openapi_schema = doc
        return doc

    return openapi


class _State:
    """Rates (loaded once) and the dossier store (opened on first use, again after it failed)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._rates: Any = None
        self._store: Any = None
        self.jobs: dict[str, Any] = {}

    @property
    def rates(self) -> Any:
        if self._rates is None:
            from postcheck.checker import default_rates
            from postcheck.cli import load_rates

            self._rates = load_rates(self.settings.rates_dirs) if self.settings.rates_dirs else default_rates()
        return self._rates

    def store(self) -> Any:
        if not self.settings.use_store:
            raise ApiError(503, "this server runs without a dossier (started stateless)")
        try:
            from postcheck.dossier import open_store
        except ImportError:
            raise ApiError(503, "the dossier store is not installed (pip install 'postcheck[serve]')") from None
        if self._store is None:
            try:
                self._store = open_store(self.settings.db)
            except Exception as e:  # the database is unreachable: 503, try again next request
                raise _unavailable(e) from None
        return self._store

    def principal(self, authorization: str | None) -> Any:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ApiError(401, "a token is needed: 'Authorization: Bearer TOKEN' (postcheck tokens create)",
                           [("Authorization", MISSING, "Bearer TOKEN")], headers={"WWW-Authenticate": "Bearer"})
        token = authorization[7:].strip()
        who = self.call_store(lambda s: s.principal(token))
        if who is None:
            raise ApiError(401, "the token is not valid", [("Authorization", "Bearer ...", "a valid token")],
                           headers={"WWW-Authenticate": "Bearer"})
        return who

    def call_store(self, fn: Callable[[Any], Any]) -> Any:
        store = self.store()
        try:
            return fn(store)
        except PostcheckError as e:
            name = type(e).__name__
            if name == "NotAllowed":
                raise ApiError(403, str(e)) from None
            if name == "StoreUnavailable":
                raise _unavailable(e) from None
            raise _from_error(e) from None
        except ApiError:
            raise
        except Exception as e:  # noqa: BLE001 - a driver error (connection refused, disk I/O): 503
            raise _unavailable(e) from None


async def _bounded(state: _State, fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking work in the threadpool within the request-time limit (413 past it)."""
    limit = state.settings.request_seconds
    try:
        return await asyncio.wait_for(run_in_threadpool(fn, *args), timeout=limit)
    except asyncio.TimeoutError:
        raise ApiError(413, f"the request took longer than the limit of {limit:g} s",
                       [("", MISSING, f"work done within {limit:g} s (POSTCHECK_LIMIT_REQUEST_SECONDS)")]) from None


def _items_limit(doc: dict[str, Any]) -> None:
    from postcheck.limits import current

    items = doc.get("items")
    n = current().items
    if isinstance(items, list) and len(items) > n:
        raise ApiError(413, f"the label has {len(items)} contents lines; the limit is {n}",
                       [("items", len(items), f"at most {n} lines (limit items)")])


def _report_json(report: Any) -> dict[str, Any]:
    from postcheck.report import to_json

    return json.loads(to_json(report))  # exactly what `postcheck check --format json` prints


def _check_doc(state: _State, doc: dict[str, Any], opts: CheckOptions, source: str) -> Any:
    from postcheck.checker import check_partial

    _items_limit(doc)
    try:
        return check_partial(doc, measured_weight=opts.measured_weight, rates=state.rates, as_of=opts.date,
                             select=opts.select or None, ignore=opts.ignore or (), tolerance=opts.tolerance,
                             source=source, plan=opts.plan)
    except PostcheckError as e:
        raise _from_error(e, source) from None


def _save_upload(upload: StarletteUpload, data: bytes) -> Path:
    suffix = Path(upload.filename or "label").suffix.lower() or ".json"
    fd, name = tempfile.mkstemp(prefix="postcheck-upload-", suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Path(name)


def _read_upload(state: _State, upload: StarletteUpload, data: bytes) -> tuple[Any, str]:
    """The one label in an uploaded JSON/PDF file, read as ``postcheck check`` reads a file:
    ``(label or PartialLabel, source)``."""
    from postcheck.inputs import read_labels

    source = upload.filename or "<upload>"
    path = _save_upload(upload, data)
    try:
        try:
            labels = list(read_labels(path, partial=True))
        except PostcheckError as e:
            raise ApiError(422, "the label file cannot be read", [("", MISSING, str(e).replace(str(path), source))],
                           source=source, unreadable=str(e).replace(str(path), source)) from None
    finally:
        path.unlink(missing_ok=True)
    if len(labels) != 1:
        raise ApiError(422, f"the file holds {len(labels)} labels; /v1/check takes one (use /v1/batch)",
                       [("file", len(labels), "one label")], source=source)
    li = labels[0]
    if li.label is None:
        msg = str(li.error).replace(str(path), source)
        probs = list(li.error.problems) if isinstance(li.error, InvalidLabel) else [("", MISSING, msg)]
        raise ApiError(422, "the label cannot be read", probs, source=source, unreadable=msg)
    return li.label, source


def _api_router(state: _State) -> APIRouter:
    r = APIRouter(prefix="/v1")

    # ------------------------------------------------------------------ check

    @r.post("/check", summary="Check a label (JSON body or an uploaded JSON/PDF file)",
            responses={200: {"description": "The report, as `postcheck check --format json`"},
                       401: {"model": ErrorBody}, 503: {"model": ErrorBody}},
            openapi_extra={"requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CheckRequest"}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "options": {"type": "string", "description": "CheckRequest fields (without label) as JSON"}}}}},
                "required": True}})
    async def check_endpoint(request: Request, authorization: str | None = Header(default=None),
                             idempotency_key: str | None = Header(default=None)) -> Any:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, StarletteUpload):
                raise ApiError(422, "the upload has no file", [("file", MISSING, "a label file (JSON or PDF)")])
            raw_opts = form.get("options")
            try:
                opts_doc = json.loads(raw_opts) if isinstance(raw_opts, str) and raw_opts else {}
                req = CheckRequest.model_validate({**opts_doc, "label": {}})
            except (ValueError, TypeError) as e:
                raise ApiError(422, "the options cannot be read", [("options", raw_opts, str(e))]) from None
            data = await upload.read()
            label, source = await _bounded(state, _read_upload, state, upload, data)
            doc = label.to_dict() if isinstance(label, Label) else label
        else:
            try:
                body = await request.json()
            except ValueError as e:
                raise ApiError(422, "the body is not JSON", [("", MISSING, f"a JSON object ({e})")]) from None
            try:
                req = CheckRequest.model_validate(body)
            except Exception as e:
                raise RequestValidationError(getattr(e, "errors", lambda: [])()) from None
            doc, source = req.label, "<request>"
        who = None
        if req.record:
            who = await run_in_threadpool(state.principal, authorization)
        elif not state.settings.anonymous_check:
            who = await run_in_threadpool(state.principal, authorization)
        if isinstance(doc, dict):
            # a JSON label is checked on the event loop: the work is pure Python (the GIL gives a
            # thread nothing), under a millisecond, and bounded by the items and text limits;
            # a thread hop per request cost more than the check itself (benchmarks/service.py)
            report = _check_doc(state, doc, req, source)
        else:  # a PartialLabel read from a file
            report = await _bounded(state, _check_label, state, doc, req, source)
        from postcheck.report import to_json

        text = to_json(report)  # the very bytes `postcheck check --format json` prints
        if req.record:
            await _bounded(state, _record, state, who, "check", doc, json.loads(text), req, idempotency_key)
        return Response(text, media_type="application/json")

    # ------------------------------------------------------------------ quote

    @r.post("/quote", summary="Price a parcel with every product that can carry it")
    def quote_endpoint(req: QuoteRequest) -> Any:
        from postcheck.label import is_country
        from postcheck.tariffs.quote import quote as do_quote
        from postcheck.units import format_weight, parse_dimensions, parse_weight

        o, d = req.origin.strip().upper(), req.destination.strip().upper()
        probs = [(f, c, "an ISO 3166-1 alpha-2 country code such as CA") for f, c in (("origin", o), ("destination", d))
                 if not is_country(c)]
        if probs:
            raise ApiError(422, "the request cannot be read", probs)
        try:
            grams = parse_weight(req.weight, field="weight")
            dims_mm = parse_dimensions(req.dims, field="dims") if req.dims else None
        except InvalidInput as e:
            raise _from_error(e) from None
        date = req.date or dt.date.today()
        priced, refused = do_quote(state.rates, origin=o, destination=d, weight_g=grams, date=date, dims_mm=dims_mm,
                                   zone=req.zone, include_other_origins=req.all, plan=req.plan)
        return {"origin": o, "destination": d, "weight": format_weight(grams),
                "weight_g": f"{grams.normalize():f}", "date": date.isoformat(), "date_defaulted": req.date is None,
                "offers": [x.to_dict() for x in priced], "unavailable": [x.to_dict() for x in refused]}

    # ------------------------------------------------------------------ reference

    @r.get("/rules", summary="Every rule: code, name, severity, whether it can fix")
    def rules_endpoint() -> Any:
        from postcheck.rules import rules

        return [x.to_dict() for x in rules()]

    @r.get("/rules/{code}", summary="One rule by code or name", responses={404: {"model": ErrorBody}})
    def rule_endpoint(code: str) -> Any:
        from postcheck.rules import get_rule

        rule = get_rule(code)
        if rule is None:
            raise ApiError(404, f"no rule {code!r}; GET /v1/rules lists them", [("code", code, "a rule code or name")])
        d = rule.to_dict()
        d["doc"] = rule.doc
        d["needs"] = sorted(rule.needs or ())
        return d

    @r.get("/rates", summary="Every price list postcheck can price with")
    def rates_endpoint() -> Any:
        rates = state.rates
        return [t.summary() for pid in rates.ids() for t in rates.tables(pid)]

    @r.get("/rates/{product}", summary="A product's price lists", responses={404: {"model": ErrorBody}})
    def rate_endpoint(product: str, date: dt.date | None = None) -> Any:
        from postcheck.errors import NoTariffInForce, UnknownService

        rates = state.rates
        try:
            tables = [rates.select(product, date).tariff] if date else rates.tables(product)
        except (UnknownService, NoTariffInForce) as e:
            raise ApiError(404, str(e), [("product", product, "a product id from GET /v1/rates")]) from None
        if not tables:
            raise ApiError(404, f"no product {product!r}", [("product", product, "a product id from GET /v1/rates")])
        return [t.summary() for t in tables]

    @r.get("/schema", summary="The JSON Schema of a label")
    def schema_endpoint() -> Any:
        from postcheck.label import label_schema

        return label_schema()

    # ------------------------------------------------------------------ PDF

    @r.post("/extract", summary="Read the label of an uploaded PDF (even a partial one)")
    async def extract_endpoint(file: UploadFile) -> Any:
        data = await file.read()
        return await _bounded(state, _extract, data, file.filename or "<upload>")

    @r.post("/fix", summary="Apply the fixes; the corrected label back (PDF, or JSON with format=json)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}, "application/json": {}}}})
    async def fix_endpoint(req: FixRequest, authorization: str | None = Header(default=None),
                           idempotency_key: str | None = Header(default=None)) -> Any:
        who = await run_in_threadpool(state.principal, authorization) if req.record else None
        body, ctype, summary = await _bounded(state, _fix, state, req)
        if req.record:
            await _bounded(state, _record, state, who, "fix", req.label, summary, req, idempotency_key)
        return Response(body, media_type=ctype, headers={"X-Postcheck-Verdict": summary["verdict"]})

    @r.post("/notice", summary="A one-page notice (PDF) for the shipper of a returned parcel",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
    async def notice_endpoint(req: NoticeRequest, authorization: str | None = Header(default=None),
                              idempotency_key: str | None = Header(default=None)) -> Any:
        who = await run_in_threadpool(state.principal, authorization) if req.record else None
        body, report = await _bounded(state, _notice, state, req)
        if req.record:
            await _bounded(state, _record, state, who, "notice", req.label, report, req, idempotency_key)
        return Response(body, media_type="application/pdf",
                        headers={"X-Postcheck-Verdict": report["verdict"].encode("ascii", "replace").decode()})

    from postcheck.service.batch import batch_router
    from postcheck.service.dossier import dossier_router

    r.include_router(batch_router(state))
    r.include_router(dossier_router(state))
    return r


def _check_label(state: _State, label: Any, opts: CheckOptions, source: str) -> Any:
    from postcheck.checker import check_partial

    try:
        return check_partial(label, measured_weight=opts.measured_weight, rates=state.rates, as_of=opts.date,
                             select=opts.select or None, ignore=opts.ignore or (), tolerance=opts.tolerance,
                             source=source, plan=opts.plan)
    except PostcheckError as e:
        raise _from_error(e, source) from None


def _whole_label(doc: dict[str, Any]) -> Label:
    """fix and notice write a whole label: a missing field is a 422 naming it."""
    from postcheck.label import label_from_dict

    _items_limit(doc)
    try:
        return label_from_dict(dict(doc), source="<request>")
    except PostcheckError as e:
        raise _from_error(e) from None


def _fix(state: _State, req: FixRequest) -> tuple[bytes, str, dict[str, Any]]:
    from postcheck.fix import apply_fixes

    label = _whole_label(req.label)
    try:
        result = apply_fixes(label, measured_weight=req.measured_weight, unsafe=req.unsafe_fixes, rates=state.rates,
                             as_of=req.date, source="<request>")
    except PostcheckError as e:
        raise _from_error(e) from None
    summary = _report_json(result.report)
    if req.format == "json":
        return (result.label.to_json() + "\n").encode("utf-8"), "application/json", summary
    from postcheck.pdf.write import write_cn23

    return write_cn23(result.label, page_size=req.page_size, rates=state.rates), "application/pdf", summary


def _notice(state: _State, req: NoticeRequest) -> tuple[bytes, dict[str, Any]]:
    from postcheck.checker import check
    from postcheck.fix import apply_fixes
    from postcheck.pdf.notice import write_notice
    from postcheck.units import parse_weight

    label = _whole_label(req.label)
    try:
        grams = parse_weight(req.measured_weight, field="measured_weight") if req.measured_weight else None
        report = check(label, measured_weight=req.measured_weight, rates=state.rates, as_of=req.date,
                       source="<request>")
        result = apply_fixes(label, measured_weight=req.measured_weight, rates=state.rates, as_of=req.date,
                             source="<request>")
        data = write_notice(label, report, result, lang=req.lang, page_size=req.page_size, measured_g=grams,
                            rates=state.rates)
    except PostcheckError as e:
        raise _from_error(e) from None
    return data, _report_json(report)


def _extract(data: bytes, source: str) -> dict[str, Any]:
    from postcheck.pdf.read import read_pdf

    try:
        got = read_pdf(data=data)
    except PostcheckError as e:
        raise _from_error(e, source) from None
    label = json.loads(got.label.to_json()) if got.label is not None else got.doc
    return {"label": label, "complete": got.label is not None, "method": got.method,
            "problems": [Problem(field=f, value=_jsonable(v) if v is not MISSING else None, expected=e).model_dump()
                         for f, v, e in got.problems],
            "found": got.found, "not_found": got.not_found, "notes": list(got.notes)}


def _tracking(doc: Any, req: Any) -> str:
    tn = getattr(req, "tracking_number", None) or (doc.get("tracking_number") if isinstance(doc, dict)
                                                     else getattr(doc, "tracking_number", None))
    if not tn:
        raise ApiError(422, "recording needs the parcel's tracking number",
                       [("tracking_number", MISSING, "the label's tracking_number, or tracking_number in the request")])
    return str(tn)


def _record(state: _State, who: Any, kind: str, doc: Any, report: dict[str, Any], req: Any,
            idempotency_key: str | None) -> None:
    tn = _tracking(doc, req)
    data = doc if isinstance(doc, dict) else doc.to_dict()
    tariff = None
    tref = report.get("tariff") if isinstance(report, dict) else None
    if isinstance(tref, dict):
        tariff = tref.get("path") or tref.get("file") or tref.get("id")
    shipper = getattr(req, "shipper", None) or getattr(who, "shipper", None)
    state.call_store(lambda s: s.record(tn, kind, who=who, shipper=shipper, data=_jsonable(data), report=report,
                                        tariff=tariff, idempotency_key=idempotency_key))
