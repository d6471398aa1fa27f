"""The dossier endpoints: a parcel's file, search, events, known faults, a shipper's setup.
They call :mod:`postcheck.dossier` (the store) from the threadpool; every one needs a token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Header

from postcheck.service.app import ErrorBody, EventIn, _bounded

__all__ = ["dossier_router"]


def _events(evs: Any) -> list[Any]:
    return [e.model_dump(mode="json") if hasattr(e, "model_dump") else e for e in evs]


def dossier_router(state: Any) -> APIRouter:
    r = APIRouter(responses={401: {"model": ErrorBody}, 503: {"model": ErrorBody}})

    async def who(authorization: str | None) -> Any:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(state.principal, authorization)

    @r.get("/parcels/{tracking_number}", summary="A parcel's whole file (events, newest last)")
    async def parcel(tracking_number: str, authorization: str | None = Header(default=None)) -> Any:
        p = await who(authorization)
        evs = await _bounded(state, state.call_store, lambda s: s.events(tracking_number, who=p))
        return {"tracking_number": tracking_number, "events": _events(evs)}

    @r.get("/parcels", summary="Search events by shipper, date and status")
    async def search(shipper: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
                     status: str | None = None, limit: int = 100,
                     authorization: str | None = Header(default=None)) -> Any:
        p = await who(authorization)
        evs = await _bounded(state, state.call_store, lambda s: s.search(
            who=p, shipper=shipper, since=since, until=until, status=status, limit=max(1, min(limit, 1000))))
        return {"events": _events(evs)}

    @r.post("/parcels/{tracking_number}/events", status_code=201,
            summary="Add a note, payment, refund, call, return or weighing to a parcel's file")
    async def add_event(tracking_number: str, ev: EventIn, authorization: str | None = Header(default=None),
                        idempotency_key: str | None = Header(default=None)) -> Any:
        p = await who(authorization)
        out = await _bounded(state, state.call_store, lambda s: s.record(
            tracking_number, ev.kind, who=p, shipper=ev.shipper or getattr(p, "shipper", None), data=ev.data,
            report=None, tariff=None, idempotency_key=idempotency_key))
        return _events([out])[0]

    @r.get("/faults", summary="Known faults of label tools")
    async def faults(authorization: str | None = Header(default=None)) -> Any:
        await who(authorization)
        fs = await _bounded(state, state.call_store, lambda s: s.faults())
        return [f.model_dump(mode="json") if hasattr(f, "model_dump") else f for f in fs]

    @r.post("/faults", status_code=201, summary="Add a known fault (admin role)")
    async def add_fault(fault: dict[str, Any], authorization: str | None = Header(default=None)) -> Any:
        from postcheck.dossier import Fault

        p = await who(authorization)
        try:
            f = Fault.model_validate(fault)
        except Exception as e:  # pydantic ValidationError: the one error shape
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(getattr(e, "errors", lambda: [])()) from None
        out = await _bounded(state, state.call_store, lambda s: s.add_fault(f, who=p))
        return out.model_dump(mode="json")

    @r.get("/shippers/{shipper}/setup", summary="A shipper's boxes and label tool")
    async def get_setup(shipper: str, authorization: str | None = Header(default=None)) -> Any:
        from postcheck.service.app import ApiError

        p = await who(authorization)
        if getattr(p, "role", None) == "shipper" and getattr(p, "shipper", None) != shipper:
            raise ApiError(403, "a shipper's token sees only its own setup")
        got = await _bounded(state, state.call_store, lambda s: s.setup(shipper))
        if got is None:
            raise ApiError(404, f"no setup for shipper {shipper!r}", [("shipper", shipper, "a shipper with a setup")])
        return got.model_dump(mode="json")

    @r.put("/shippers/{shipper}/setup", summary="Save a shipper's boxes and label tool")
    async def put_setup(shipper: str, setup: dict[str, Any], authorization: str | None = Header(default=None)) -> Any:
        from postcheck.dossier import ShipperSetup

        p = await who(authorization)
        try:
            s_ = ShipperSetup.model_validate({**setup, "shipper": shipper})
        except Exception as e:
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(getattr(e, "errors", lambda: [])()) from None
        await _bounded(state, state.call_store, lambda s: s.save_setup(s_, who=p))
        return s_.model_dump(mode="json")

    return r
