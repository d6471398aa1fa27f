"""A label with fields missing: what is known is checked, what is not is asked for.

A reader that could not find every required field hands over the label as a mapping in the
label's JSON shape with those fields absent.  :func:`partial_label` validates what is there and
returns a :class:`PartialLabel`: it reads like a :class:`~postcheck.label.Label`, but reading a
field that is not known raises :class:`FieldUnknown` instead of giving a made-up value, so a
rule can never report on a value the label does not have.  The checker skips a rule that needs
an unknown field (its ``needs`` in the registry, or the field it tried to read) and says which
fields would let it run.

Unknown are: the required fields that are absent (``service``, ``origin``, ``destination``,
``currency``; ``description``, ``net_weight`` and ``value`` of a contents line), and the
contents themselves when the reader says it could not find them (``missing`` holds ``items``).
An absent optional field means what it always means: the label does not give one.
"""

from __future__ import annotations

from typing import Any, Mapping

from postcheck.errors import MISSING, InvalidLabel, PostcheckError
from postcheck.label import Item, Label, label_from_dict

__all__ = ["FieldUnknown", "PartialLabel", "partial_label", "REQUIRED", "ITEM_REQUIRED", "ITEMS"]

#: Required fields of the label and of a contents line (the model has no default for them).
REQUIRED = tuple(n for n, f in Label.model_fields.items() if f.is_required())
ITEM_REQUIRED = tuple(n for n, f in Item.model_fields.items() if f.is_required())
#: The need of a rule that reads the contents lines at all.
ITEMS = "items"

#: A valid stand-in for each required field, so the rest of the label can be validated.  A
#: stand-in is never read: the field is unknown and reading it raises FieldUnknown.
_STAND_IN = {"service": "unknown", "origin": "CA", "destination": "US", "currency": "CAD"}
_ITEM_STAND_IN = {"description": "unknown", "net_weight": "0 g", "value": "0"}


class FieldUnknown(PostcheckError, LookupError):
    """A rule read a field the partial label does not have (the checker then skips the rule)."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(field)

    def _message(self) -> str:
        return f"{self.field} is not known"


def item_need(name: str) -> str:
    """The need of a rule that reads one field of every contents line: ``items[].net_weight``."""
    return f"items[].{name}"


class _Partial:
    __slots__ = ("_model", "_unknown", "_prefix")

    def __init__(self, model: Any, unknown: frozenset[str], prefix: str) -> None:
        self._model = model
        self._unknown = unknown
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._prefix + name in self._unknown:
            raise FieldUnknown(self._prefix + name)
        attr = getattr(type(self._model), name, None)
        if isinstance(attr, property) and attr.fget is not None:  # derived values: from the known fields only
            return attr.fget(self)
        return getattr(self._model, name)


class PartialItem(_Partial):
    """A contents line whose unknown fields raise :class:`FieldUnknown` when read."""


class PartialLabel(_Partial):
    """A :class:`Label` whose unknown fields raise :class:`FieldUnknown` when read."""

    __slots__ = ("_items", "missing")

    def __init__(self, label: Label, unknown: frozenset[str], missing: Mapping[str, str] | None = None) -> None:
        super().__init__(label, unknown, "")
        self._items = [PartialItem(it, unknown, f"items[{i}].") for i, it in enumerate(label.items)]
        self.missing = dict(missing or {})

    @property
    def items(self) -> list[Any]:
        if ITEMS in self._unknown:
            raise FieldUnknown(ITEMS)
        return self._items

    @property
    def unknown(self) -> frozenset[str]:
        """The field paths that are not known (``service``, ``items[0].net_weight`` ...)."""
        return self._unknown

    def lacks(self, need: str) -> list[str]:
        """The unknown field paths behind one need (``items[].value`` -> every unknown line value)."""
        if need.startswith("items[]."):
            if ITEMS in self._unknown:
                return [ITEMS]
            name = need.removeprefix("items[].")
            return [p for p in sorted(self._unknown, key=_path_key)
                    if p.startswith("items[") and p.endswith("." + name)]
        return [need] if need in self._unknown else []

    def lacks_like(self, path: str) -> list[str]:
        """The unknown paths a rule that read ``path`` needs: a contents line's field stands for
        that field of every line (rules read the lines in a loop)."""
        if path.startswith("items[") and "]." in path:
            return self.lacks(item_need(path.split("].", 1)[1])) or [path]
        return [path]


def _path_key(path: str) -> tuple[str, int, str]:
    if path.startswith("items["):
        i, _, rest = path[6:].partition("].")
        return ("items", int(i), rest)
    return (path, -1, "")


def partial_label(doc: Mapping[str, Any], *, missing: Mapping[str, str] | None = None,
                  source: str = "<label>") -> Label | PartialLabel:
    """The label in ``doc``: a :class:`Label` when it is complete, else a :class:`PartialLabel`.

    Raises :class:`InvalidLabel` when a value that *is* there cannot be read (a wrong value is
    an input error, not an unknown one), or when ``doc`` is not a mapping.
    """
    if not isinstance(doc, Mapping):
        return label_from_dict(doc, source=source)
    data = dict(doc)
    missing = dict(missing or {})
    unknown: set[str] = set()
    if ITEMS in missing and not data.get(ITEMS):
        unknown.add(ITEMS)
    for name in REQUIRED:
        if data.get(name) is None:
            unknown.add(name)
            data[name] = _STAND_IN[name]
    lines = data.get(ITEMS)
    if isinstance(lines, list):
        filled = []
        for i, line in enumerate(lines):
            if isinstance(line, Mapping):
                line = dict(line)
                for name in ITEM_REQUIRED:
                    if line.get(name) is None:
                        unknown.add(f"items[{i}].{name}")
                        line[name] = _ITEM_STAND_IN[name]
            filled.append(line)
        data[ITEMS] = filled
    if not unknown:
        return label_from_dict(data, source=source)
    try:
        label = label_from_dict(data, source=source)
    except InvalidLabel as e:
        # report the problems with the label as given, not with its stand-ins
        raise InvalidLabel(source, tuple(p for p in e.problems if p[0] not in unknown or p[1] is MISSING)) from None
    return PartialLabel(label, frozenset(unknown), missing)
