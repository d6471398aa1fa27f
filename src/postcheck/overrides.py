"""``--set FIELD=VALUE``: supply or correct one field of a label before it is checked.

A path names a field of the label's JSON shape (what :meth:`Label.to_dict` gives): a top-level
field (``destination``, ``service``, ``postage_paid``), a field of a contents line
(``items[0].net_weight``) or of an address (``addressee.country``).  The value is the text a
label file would hold (``300 g``, ``12.83``, ``FR``); an empty value removes the field.  A path
that names no field, an index past the end of the contents, or a value the field does not take
raises :class:`~postcheck.errors.InvalidInput` naming the field and what was expected, before
anything is checked.

>>> apply_overrides({"service": "small_packet_usa_air", "items": [{"description": "Mug"}]},
...                 ["destination=US", "items[0].net_weight=300 g"])
{'service': 'small_packet_usa_air', 'items': [{'description': 'Mug', 'net_weight': '300 g'}], 'destination': 'US'}
>>> apply_overrides({}, ["destinaton=US"])
Traceback (most recent call last):
...
postcheck.errors.InvalidInput: --set destinaton: a label field (did you mean 'destination'?), got 'US'
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from postcheck.errors import InvalidInput
from postcheck.label import Address, Item, Label
from postcheck.label import _problems as _wording  # the label's own words for what a field takes

__all__ = ["apply_overrides", "validate_overrides", "parse_override", "Override", "SUB_MODELS"]

#: Fields that hold an object (name -> its model) or a list of objects.
SUB_MODELS: dict[str, type[BaseModel]] = {"sender": Address, "addressee": Address}
_LIST_MODELS: dict[str, type[BaseModel]] = {"items": Item}

_PATH = re.compile(r"^(?P<field>[a-z_]+)(?:\[(?P<index>\d{1,6})\])?(?:\.(?P<sub>[a-z_]+))?$")

#: A valid value for every required field, so one field's value can be checked on its own.
_BASE_LABEL = {"service": "x", "origin": "CA", "destination": "US", "currency": "CAD"}
_BASE_ITEM = {"description": "x", "net_weight": "1 g", "value": "1"}


@dataclass(frozen=True)
class Override:
    """One parsed ``FIELD=VALUE``: ``field``, optional list ``index``, optional ``sub`` field,
    and the value (None: remove the field)."""

    text: str
    field: str
    index: int | None
    sub: str | None
    value: str | None

    @property
    def path(self) -> str:
        return self.field + (f"[{self.index}]" if self.index is not None else "") + (f".{self.sub}" if self.sub else "")


def _bad(path: str, value: object, expected: str) -> InvalidInput:
    return InvalidInput(f"--set {path}", value, expected)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_override(text: str) -> Override:
    """Read ``"items[0].net_weight=300 g"``; raise :class:`InvalidInput` for a path that names
    no field of the label."""
    if not isinstance(text, str) or "=" not in text:
        raise _bad(str(text), text, "FIELD=VALUE, e.g. destination=US or items[0].net_weight=300 g")
    raw_path, raw_value = text.split("=", 1)
    path = raw_path.strip()
    value = raw_value.strip() or None
    m = _PATH.match(path)
    if m is None:
        raise _bad(path, raw_value.strip(), "a field path such as destination, items[0].net_weight or "
                                            "addressee.country")
    name, index, sub = m.group("field"), m.group("index"), m.group("sub")
    top = set(Label.model_fields)
    if name not in top:
        raise _bad(path, raw_value.strip(), "a label field" + _suggest(name, top))
    if name in _LIST_MODELS:
        model = _LIST_MODELS[name]
        if index is None or sub is None:
            raise _bad(path, raw_value.strip(), f"a field of one contents line, such as {name}[0].net_weight")
        if sub not in model.model_fields:
            raise _bad(path, raw_value.strip(), f"a field of a contents line ({', '.join(model.model_fields)})"
                       + _suggest(sub, model.model_fields))
    elif name in SUB_MODELS:
        model = SUB_MODELS[name]
        if index is not None or sub is None:
            raise _bad(path, raw_value.strip(), f"a field of the address, such as {name}.country")
        if sub not in model.model_fields:
            raise _bad(path, raw_value.strip(), f"a field of an address ({', '.join(model.model_fields)})"
                       + _suggest(sub, model.model_fields))
    elif index is not None or sub is not None:
        raise _bad(path, raw_value.strip(), f"{name} alone ({name} holds one value, not a list or an object)")
    return Override(text, name, int(index) if index is not None else None, sub, value)


def _check_value(o: Override) -> None:
    """Validate the value on its own, with the field's own validators."""
    if o.value is None:
        return
    sub = o.sub or ""
    if o.field in _LIST_MODELS:
        doc: dict[str, Any] = {**_BASE_ITEM, sub: o.value}
        model, loc = _LIST_MODELS[o.field], (sub,)
    elif o.field in SUB_MODELS:
        model, doc, loc = SUB_MODELS[o.field], {sub: o.value}, (sub,)
    else:
        model, doc, loc = Label, {**_BASE_LABEL, o.field: o.value}, (o.field,)
    try:
        model.model_validate(doc)
    except ValidationError as e:
        for (_where, _seen, expected), err in zip(_wording(e, set(model.model_fields)), e.errors()):
            if tuple(err["loc"][:1]) == loc:
                raise _bad(o.path, o.value, expected) from None
        raise _bad(o.path, o.value, str(e.errors()[0]["msg"])) from None


def validate_overrides(sets: Iterable[str]) -> list[Override]:
    """Parse every ``FIELD=VALUE`` and check its value, before any label is read; raise
    :class:`InvalidInput` for the first that does not apply (whether a contents line exists is
    checked against each label, by :func:`apply_overrides`)."""
    parsed = [parse_override(s) for s in sets]
    for o in parsed:
        _check_value(o)
    return parsed


def apply_overrides(doc: dict[str, Any], sets: Iterable[str]) -> dict[str, Any]:
    """A copy of ``doc`` (a label in its JSON shape, possibly partial) with each ``FIELD=VALUE``
    of ``sets`` applied in order; ``doc`` itself is not changed.  Every path and value is
    checked first, so a bad one changes nothing."""
    parsed = validate_overrides(sets)
    out = copy.deepcopy(doc)
    for o in parsed:
        if o.field in _LIST_MODELS:
            lines = out.get(o.field)
            if lines is None:
                lines = out[o.field] = []
            if not isinstance(lines, list):
                raise _bad(o.path, o.value, f"{o.field} to be a list in the label")
            assert o.index is not None and o.sub is not None
            if o.index > len(lines):
                have = (f"{o.field}[0] to {o.field}[{len(lines) - 1}] exist" if lines else "the label has none")
                raise _bad(o.path, o.value, f"a contents line that exists ({have}; {o.field}[{len(lines)}] adds one)")
            if o.index == len(lines):
                lines.append({})
            target = lines[o.index]
            if not isinstance(target, dict):
                raise _bad(o.path, o.value, f"{o.field}[{o.index}] to be an object in the label")
            _put(target, o.sub, o.value)
        elif o.field in SUB_MODELS:
            target = out.get(o.field)
            if target is None:
                target = out[o.field] = {}
            if not isinstance(target, dict):
                raise _bad(o.path, o.value, f"{o.field} to be an object in the label")
            assert o.sub is not None
            _put(target, o.sub, o.value)
        else:
            _put(out, o.field, o.value)
    return out


def _put(target: dict[str, Any], key: str, value: str | None) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
