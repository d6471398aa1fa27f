"""UPU S10 item identifiers (tracking numbers) such as ``RB123456785GB``.

Format: two letters (service indicator), eight digits (serial), one check digit, two letters
(ISO 3166-1 alpha-2 code of the issuing postal operator's country).  The check digit: weights
8 6 4 2 3 5 9 7 over the serial, ``C = 11 - (sum mod 11)``, with 10 -> 0 and 11 -> 5.  Service
indicator ranges come from ``data/s10_service_indicators.csv`` (UPU S10; J* and K* reserved,
A A-AU and F* unassigned).  Source: UPU S10 standard as summarised in the reference data.

>>> s10_problems("RB123456785GB")
[]
>>> s10_problems("RB123456786US")
['check digit is 6, the serial 12345678 gives 5']

The same checks over a whole column of numbers (the batch engine's rule I401) are
:func:`s10_invalid_column` and :func:`s10_messages_column`; they need numpy and pyarrow
(``postcheck[fast]``), imported when first called, so ``postcheck check`` never loads them.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from postcheck.label import is_country

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

__all__ = ["s10_check_digit", "s10_problems", "normalise_s10", "service_indicator_meaning", "s10_invalid_column",
           "s10_messages_column"]

_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_FORMAT = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


def normalise_s10(text: str) -> str:
    """Upper case, spaces and dashes removed."""
    return re.sub(r"[\s-]", "", text or "").upper()


def s10_check_digit(serial: str) -> int:
    """The S10 check digit of an eight-digit serial."""
    return _digit(sum(int(d) * w for d, w in zip(serial, _WEIGHTS)))


def _digit(weighted_sum: Any) -> Any:
    """``11 - sum mod 11``, with 10 -> 0 and 11 -> 5: of one sum, or of a numpy array of sums."""
    c = 11 - weighted_sum % 11
    return c - 10 * (c == 10) - 6 * (c == 11)


@lru_cache(maxsize=1)
def _ranges() -> list[tuple[str, str, str]]:
    text = (resources.files("postcheck") / "data" / "s10_service_indicators.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        lo, _, hi = row["range"].partition("-")
        out.append((lo, hi or lo, row["meaning"]))
    return out


def service_indicator_meaning(si: str) -> str | None:
    """What the UPU assigns a two-letter service indicator to, or None when unknown."""
    for lo, hi, meaning in _ranges():
        if lo <= si <= hi:
            return meaning
    return None


def s10_problems(identifier: str) -> list[str]:
    """Every problem with an S10 identifier; an empty list means valid."""
    t = normalise_s10(identifier)
    m = _FORMAT.match(t)
    if not m:
        return [f"{identifier!r} is not in the S10 format AA123456789CC (2 letters, 9 digits, 2 letters)"]
    si, serial, check, country = m.groups()
    problems = []
    meaning = service_indicator_meaning(si)
    if meaning is None:
        problems.append(f"service indicator {si} is not assigned by the UPU")
    elif meaning.startswith(("reserved", "unassigned")):
        problems.append(f"service indicator {si} is {meaning.split(';')[0]}")
    expected = s10_check_digit(serial)
    if int(check) != expected:
        problems.append(f"check digit is {check}, the serial {serial} gives {expected}")
    if not is_country(country):
        problems.append(f"{country} is not an ISO 3166-1 country code")
    return problems


@lru_cache(maxsize=8192)
def s10_message(identifier: str) -> str | None:
    """Rule I401's message for an identifier with a problem (None when it is valid)."""
    problems = s10_problems(identifier)
    return f"Tracking number {normalise_s10(identifier)}: " + "; ".join(problems) + "." if problems else None


# ---------------------------------------------------------------------- over columns

def s10_invalid_column(texts: "pa.Array") -> "np.ndarray":
    """For each (stripped, not blank) text of a string array: True where :func:`s10_problems`
    finds a problem.  Numbers written plainly (13 ASCII bytes, letters and digits in place, either
    case) are checked on their bytes; the rest, once per distinct text, by :func:`s10_problems`."""
    import numpy as np
    import pyarrow as pa

    where, b = _plain(texts)
    ok = np.zeros(len(texts), dtype=bool)
    if len(where):
        ok[where] = _plain_valid(b)
    rest = np.ones(len(texts), dtype=bool)
    rest[where] = False
    if rest.any():
        r = np.flatnonzero(rest)
        values = texts.take(pa.array(r)).to_pylist()
        verdicts = {v: not s10_problems(v) for v in set(values)}
        ok[r] = [verdicts[v] for v in values]
    return ~ok


def s10_messages_column(texts: "pa.Array") -> "pa.Array":
    """:func:`s10_message` for each text of a string array, every one of which has a problem.
    The common case, a plain number whose only problem is its check digit, is written over the
    whole column; the others once per distinct text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(texts)
    if not n:
        return pa.array([], pa.string())
    where, b = _plain(texts)
    si_ok, cc_ok = _letter_pairs()
    only_digit = np.zeros(len(where), dtype=bool)
    if len(where):
        only_digit = si_ok[b[:, 0] - 65, b[:, 1] - 65] & cc_ok[b[:, 11] - 65, b[:, 12] - 65]
    parts, at = [], []
    s = where[only_digit]
    if len(s):
        bs = b[only_digit]
        whole = bs.tobytes().decode("ascii")
        norm = pa.array([whole[k:k + 13] for k in range(0, len(whole), 13)], pa.string())
        num = lambda x: pc.cast(pa.array(x.astype(np.int64)), pa.string())  # noqa: E731
        parts.append(pc.binary_join_element_wise(
            "Tracking number ", norm, ": check digit is ", num(bs[:, 10] - 48), ", the serial ",
            pc.utf8_slice_codeunits(norm, 2, 10), " gives ", num(_check_digits(bs)), ".", ""))
        at.append(s)
    rest = np.ones(n, dtype=bool)
    rest[s] = False
    if rest.any():
        r = np.flatnonzero(rest)
        values = texts.take(pa.array(r)).to_pylist()
        messages = {v: s10_message(v) for v in set(values)}
        parts.append(pa.array([messages[v] for v in values], pa.string()))
        at.append(r)
    pos = np.empty(n, dtype=np.int64)
    pos[np.concatenate(at)] = np.arange(n)
    return pa.concat_arrays(parts).take(pa.array(pos))


def _plain(texts: "pa.Array") -> "tuple[np.ndarray, np.ndarray]":
    """``(positions, bytes)`` of the texts that are a plain S10 number: 13 bytes, two ASCII
    letters, nine digits, two ASCII letters (either case).  ``bytes`` is a (k, 13) uint8 matrix,
    upper-cased: what :func:`normalise_s10` makes of such a text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    lens = pc.fill_null(pc.binary_length(texts), 0).to_numpy(zero_copy_only=False)
    cand = np.flatnonzero(lens == 13)
    if not len(cand):
        return cand, np.zeros((0, 13), dtype=np.uint8)
    s = texts.take(pa.array(cand)).cast(pa.string())
    offs = np.frombuffer(s.buffers()[1], dtype=np.int32, count=len(s) + 1, offset=s.offset * 4).astype(np.int64)
    data = np.frombuffer(s.buffers()[2], dtype=np.uint8)
    k = len(cand)
    if int(offs[-1]) - int(offs[0]) == 13 * k:  # k texts of 13 bytes back to back (what take() builds)
        b = data[int(offs[0]):int(offs[0]) + 13 * k].reshape(k, 13)
    else:
        b = data[offs[:-1, None] + np.arange(13)]
    upper, kind, pattern = _byte_tables()
    b = upper[b]  # letters upper-cased, every other byte as it is
    plain = (kind[b] == pattern).all(axis=1)
    return cand[plain], b[plain]


def _check_digits(b: "np.ndarray") -> "np.ndarray":
    """:func:`s10_check_digit` of each row of a (k, 13) byte matrix of plain S10 numbers."""
    import numpy as np

    return _digit((b[:, 2:10].astype(np.int64) - 48) @ np.array(_WEIGHTS, dtype=np.int64))


def _plain_valid(b: "np.ndarray") -> "np.ndarray":
    """:func:`s10_problems` finds nothing, for each row of a (k, 13) byte matrix of plain numbers."""
    si_ok, cc_ok = _letter_pairs()
    return ((_check_digits(b) == b[:, 10] - 48) & si_ok[b[:, 0] - 65, b[:, 1] - 65]
            & cc_ok[b[:, 11] - 65, b[:, 12] - 65])


@lru_cache(maxsize=1)
def _byte_tables() -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """``(upper case of each byte, kind of each byte: 1 letter 2 digit 0 other, the kinds of a
    plain S10 number's 13 bytes)``."""
    import numpy as np

    upper = np.arange(256, dtype=np.uint8)
    upper[97:123] -= 32
    kind = np.zeros(256, dtype=np.uint8)
    kind[65:91] = 1
    kind[48:58] = 2
    return upper, kind, np.array([1, 1] + [2] * 9 + [1, 1], dtype=np.uint8)


@lru_cache(maxsize=1)
def _letter_pairs() -> "tuple[np.ndarray, np.ndarray]":
    """26 x 26 tables of two upper-case letters: a service indicator the UPU assigns (not
    reserved or unassigned), an ISO country code (as :func:`s10_problems` decides both)."""
    import numpy as np

    si, cc = np.zeros((26, 26), dtype=bool), np.zeros((26, 26), dtype=bool)
    for a in range(26):
        for b in range(26):
            pair = chr(65 + a) + chr(65 + b)
            meaning = service_indicator_meaning(pair)
            si[a, b] = meaning is not None and not meaning.startswith(("reserved", "unassigned"))
            cc[a, b] = is_country(pair)
    return si, cc
