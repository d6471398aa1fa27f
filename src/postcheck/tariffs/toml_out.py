"""Write a tariff (a dict in the shape of docs/tariff-format.md) as TOML, deterministically.

Top-level keys first, then the tables in the format's order; prices stay decimal strings.  Keys
starting with ``_`` are not written: ``_header`` holds comment lines for the top of the file,
an example's ``_comment`` the line above it.  Used by ``postcheck rates import`` and by
``tools/make_rates.py``; running either twice gives identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

__all__ = ["to_toml", "TABLES"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")

#: The tables of a tariff file, in the order they are written.
TABLES = ("source", "weight", "zones", "steps", "beyond", "formula", "limits", "oversize", "volumetric",
          "surcharges", "per_sdr", "examples")


def _key(k: str) -> str:
    # Digit-only keys (zone "1") are valid bare keys but quoted for readability.
    return k if _BARE.match(k) and not k.isdigit() else json.dumps(k, ensure_ascii=False)


def _val(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_val(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_val(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to a tariff file")


def to_toml(doc: dict[str, Any]) -> str:
    """The TOML text of one tariff or SDR file."""
    out: list[str] = [f"# {c}" for c in doc.get("_header", [])]
    for k, v in doc.items():
        if k.startswith("_") or k in TABLES:
            continue
        if k == "notes":
            out.append("notes = [")
            out.extend(f"  {_val(n)}," for n in v)
            out.append("]")
        else:
            out.append(f"{_key(k)} = {_val(v)}")
    for t in TABLES:
        if t not in doc:
            continue
        v = doc[t]
        if t == "zones":
            out += ["", "[zones]"]
            out += [f"{k} = {_val(v[k])}" for k in ("by", "names", "destinations") if k in v]
            if "countries" in v:
                out += ["", "[zones.countries]"]
                out += [f"{_key(c)} = {_val(v['countries'][c])}" for c in sorted(v["countries"])]
        elif t == "steps":
            for s in v:
                out += ["", "[[steps]]", f"up_to = {_val(s['up_to'])}"]
                if len(s["prices"]) > 10:
                    out.append("[steps.prices]")
                    out += [f"{_key(z)} = {_val(p)}" for z, p in s["prices"].items()]
                else:
                    out.append(f"prices = {_val(s['prices'])}")
        elif t in ("surcharges", "examples"):
            for item in v:
                out.append("")
                out += [f"# {c}" for c in item.get("_comment", [])]
                out.append(f"[[{t}]]")
                out += [f"{_key(k)} = {_val(x)}" for k, x in item.items() if not k.startswith("_")]
        else:
            out += ["", f"[{t}]"]
            for k, x in v.items():
                if isinstance(x, dict) and len(x) > 10:
                    out.append(f"[{t}.{k}]")
                    out += [f"{_key(z)} = {_val(p)}" for z, p in x.items()]
                else:
                    out.append(f"{_key(k)} = {_val(x)}")
    return "\n".join(out) + "\n"
