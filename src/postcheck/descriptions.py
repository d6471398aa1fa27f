"""Goods descriptions that customs reject as too vague.

The lists ship in ``postcheck/data/`` with their sources: Transport Canada's PACT "unacceptable
commodity descriptions" (complete), the EU ICS2 stop words (partial: A to "General cargo" plus
terms named in the press), and the generic terms the UPU CN 22 / CN 23 forms themselves name.
A description is vague when, ignoring case, punctuation, plurals and a leading quantity, it *is*
one of those terms ("Gifts", "parts", "2 x Merchandise"), or holds no letters at all ("12345").
A description that merely *contains* such a word ("cotton clothes for a child") is specific
enough and passes.

>>> vague_reason("Gift")
'"Gift" is on the PACT list of unacceptable commodity descriptions'
>>> vague_reason("Men's cotton shirts") is None
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

__all__ = ["vague_reason", "vague_terms"]

_SOURCES = {
    "pact_unacceptable_descriptions.txt": "the PACT list of unacceptable commodity descriptions",
    "ics2_stop_words_partial.txt": "the EU ICS2 stop-word list",
    "upu_generic_descriptions.txt": "the UPU customs form's list of generic terms",
}
#: Terms on a list that are fine for postal items of the matching category.
_CATEGORY_OK = {"documents": {"documents", "document", "docs", "doc", "dox", "documentations", "documentation"}}
#: Entries the source marks as disabled.
_DISABLED = re.compile(r"temporarily disabled", re.I)


def _norm(text: str) -> str:
    t = text.lower().replace("&", " and ")
    t = re.sub(r"[^\w\s]", " ", t)
    t = re.sub(r"^\s*\d+\s*(x|pcs|pieces|pc)?\s+", " ", t)  # leading quantity "2 x"
    words = [w for w in t.split() if w not in {"a", "an", "the", "of", "some", "misc"} or len(t.split()) == 1]
    out = []
    for w in words:
        if len(w) > 3 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return " ".join(out)


@lru_cache(maxsize=1)
def vague_terms() -> dict[str, str]:
    """Normalised term -> the list it comes from."""
    terms: dict[str, str] = {}
    pkg = resources.files("postcheck") / "data"
    for name, label in _SOURCES.items():
        for line in (pkg / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or _DISABLED.search(line):
                continue
            line = re.sub(r"\s*\(.*?\)\s*$", "", line)
            for variant in line.split(","):
                key = _norm(variant)
                if key:
                    terms.setdefault(key, label)
    return terms


@lru_cache(maxsize=65536)
def vague_reason(description: str, *, category: str | None = None) -> str | None:
    """Why a description is too vague for customs, or None when it is acceptable (remembered:
    descriptions recur label after label)."""
    text = (description or "").strip()
    if not text:
        return "the description is empty"
    if not re.search(r"[^\W\d_]", text):
        return f'"{text}" has no words, only numbers or symbols'
    key = _norm(text)
    if category in _CATEGORY_OK and key in _CATEGORY_OK[category]:
        return None
    src = vague_terms().get(key)
    if src:
        return f'"{text}" is on {src}'
    if len(key.replace(" ", "")) < 3:
        return f'"{text}" is too short to say what the goods are'
    return None
