"""What the PDF reader, writer and form filler share: the name of the embedded label, the
limits pypdf works under, and opening a PDF safely.  pypdf is imported only when a PDF is opened.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from postcheck.errors import LabelReadError
from postcheck.limits import current

__all__ = ["EMBEDDED_NAME", "MAX_STREAM_BYTES", "MAX_FIELDS", "open_pdf", "form_values", "pypdf_config", "max_bytes",
           "too_big"]

#: The file postcheck embeds its label in (JSON), in every PDF it writes.
EMBEDDED_NAME = "postcheck-label.json"
MAX_STREAM_BYTES = 8_000_000  # decompressed size of any one stream
MAX_FIELDS = 5_000


def max_bytes() -> int:
    """The largest label PDF read (limit ``pdf_file_mb``)."""
    return current().pdf_file_mb * 1_000_000


def too_big(size: int, source: str) -> LabelReadError:
    """The error for a PDF of ``size`` bytes, over :func:`max_bytes`."""
    return LabelReadError(source, f"{size} bytes is over the {max_bytes() // 1_000_000} MB limit for a label PDF "
                                  "(limit pdf_file_mb)")


@dataclass
class _Limits:
    config: Any = None
    pages: int = 0


_LIMITS = _Limits()


def pypdf_config() -> Any:
    """pypdf's configuration with postcheck's limits (pages, streams, fields), made once per
    page limit; use it with ``pypdf.apply_configuration``."""
    MAX_PAGES = current().pdf_pages  # noqa: N806
    if _LIMITS.config is None or _LIMITS.pages != MAX_PAGES:
        import pypdf

        _LIMITS.pages = MAX_PAGES

        base = pypdf.get_configuration()
        _LIMITS.config = base.with_overwrites(
            maximum_declared_stream_length=MAX_STREAM_BYTES, zlib_maximum_output_length=MAX_STREAM_BYTES,
            lzw_maximum_output_length=MAX_STREAM_BYTES, run_length_maximum_output_length=MAX_STREAM_BYTES,
            array_based_stream_maximum_output_length=MAX_STREAM_BYTES, image_maximum_buffer_size=MAX_STREAM_BYTES,
            brotli_maximum_output_length=MAX_STREAM_BYTES, jbig2_maximum_output_length=MAX_STREAM_BYTES,
            stream_decoding_work_maximum_length=4 * MAX_STREAM_BYTES, stream_parsing_work_maximum_count=400_000,
            page_tree_maximum_entries=MAX_PAGES, page_tree_maximum_page_entries=50 * MAX_PAGES,
            form_fields_maximum_entries=MAX_FIELDS, xform_maximum_invocations_per_extraction=200,
            array_maximum_element_count=50_000, dictionary_maximum_element_count=10_000, jbig2dec_binary=None)
    return _LIMITS.config


def open_pdf(data: bytes, source: str) -> Any:
    """A pypdf reader over ``data``, or :class:`LabelReadError` saying plainly why not."""
    import pypdf
    from pypdf.errors import PyPdfError

    if len(data) > max_bytes():
        raise too_big(len(data), source)
    if b"%PDF-" not in data[:1024]:
        raise LabelReadError(source, "is not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-4096:]:
        raise LabelReadError(source, "is truncated: the PDF has no end-of-file marker (%%EOF); the download "
                                     "or copy was cut short")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:
                ok = False
            if not ok:
                raise LabelReadError(source, "is encrypted (password-protected); postcheck cannot read it. "
                                             "Save or print an unencrypted copy and check that")
        n = len(reader.pages)
    except LabelReadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            MemoryError, OSError, AssertionError, OverflowError) as e:
        raise LabelReadError(source, f"is not a readable PDF ({type(e).__name__}: {str(e)[:160]})") from None
    if n == 0:
        raise LabelReadError(source, "has no pages")
    return reader


def form_values(reader: Any) -> dict[str, Any]:
    """Fully qualified field name -> value (``/V``; a checkbox's state as ``/Yes`` or ``/Off``)."""
    root = reader.trailer["/Root"]
    if "/AcroForm" not in root:
        return {}
    fields = reader.get_fields() or {}
    out: dict[str, Any] = {}
    for name, f in fields.items():
        v = f.get("/V")
        if v is None and f.get("/FT") == "/Btn":
            v = f.get("/AS", "/Off")
        if v is not None:
            out[name] = v if isinstance(v, str) else str(v)
        else:
            out[name] = ""
    return out
