"""Decode fetched HTML bytes to text, trusting declarations only as far as they hold up.

Order: byte-order mark, then the HTTP ``charset``, then ``<meta charset>`` /
``<meta http-equiv="Content-Type">`` in the first 4 KB. A declaration is checked before it
is believed: it must decode strictly, and a single-byte Western declaration (ISO-8859-1,
windows-1252, ...) is overruled when the bytes are valid multi-byte UTF-8 or decode to
mojibake (runs of accented Latin letters, as windows-1251 Russian read as Latin-1 gives).
Undeclared or failed pages are tried as UTF-8, then detected with charset-normalizer on
the lines that hold non-ASCII bytes; windows-1252 with replacement is the last resort.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from charset_normalizer import from_bytes

__all__ = ["decode_html", "normalize_charset"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# WHATWG-style aliases: labels pages use -> the Python codec that decodes what they mean.
_ALIASES: dict[str, str] = {
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "cseucpkdfmtjapanese": "euc_jp",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "windows-949": "cp949",
    "x-cp1251": "cp1251",
    "windows-1251": "cp1251",
    "koi8-r": "koi8_r",
    "koi8r": "koi8_r",
    "koi8-u": "koi8_u",
}

# Codecs that decode any byte string, so a strict decode proves nothing.
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-15", "cp1254", "latin-1", "iso8859-1"})
# If the declared codec is refused, these are tried before detection.
_FALLBACKS: dict[str, tuple[str, ...]] = {"euc_jp": ("euc_jis_2004",), "cp932": ("shift_jis_2004",)}

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.()+-]+)""", re.I)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.()+-]+)""", re.I)
_MOJIBAKE_RUN = re.compile("[\u00c0-\u00ff]{4,}")
_SNIFF_BYTES = 4096
_DETECT_BYTES = 65536


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode an HTML page's bytes to text using BOM, declarations and, if needed, detection."""
    if not body:
        return ""
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_codec, errors="replace")
    for label in (_http_charset(content_type), _meta_charset(body)):
        codec = normalize_charset(label) if label else None
        if codec is None:
            continue
        text = _try_declared(body, codec)
        if text is not None:
            return text
    return _undeclared(body)


@lru_cache(maxsize=128)
def normalize_charset(label: str) -> str | None:
    """Map a charset label from a page or header to a Python codec name, or None if unknown."""
    key = label.strip().strip("\"'").lower()
    codec = _ALIASES.get(key, key)
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return None


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return match.group(1) if match else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return match.group(1).decode("ascii", errors="ignore") if match else None


def _try_declared(body: bytes, codec: str) -> str | None:
    """Decode with a declared codec; None when the declaration is evidently wrong."""
    if codec in ("utf-16-le", "utf-16-be", "utf-16", "utf-32"):
        codec = "utf-8"  # a meta tag readable as ASCII cannot be in UTF-16/32
    if codec in _SINGLE_BYTE_WESTERN and not body.isascii():
        utf8 = _strict(body, "utf-8")
        if utf8 is not None:
            return utf8
        text = body.decode(codec, errors="replace")
        return None if _looks_like_mojibake(text) else text
    for candidate in (codec, *_FALLBACKS.get(codec, ())):
        decoded = _strict(body, candidate)
        if decoded is not None:
            return decoded
    return None


def _undeclared(body: bytes) -> str:
    text = _strict(body, "utf-8")
    if text is not None:
        return text
    codec = _detect(body)
    if codec is not None:
        return body.decode(codec, errors="replace")
    return body.decode("cp1252", errors="replace")


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_like_mojibake(text: str) -> bool:
    return len(_MOJIBAKE_RUN.findall(text)) >= 3


def _detect(body: bytes) -> str | None:
    """Guess the codec from the lines that carry non-ASCII bytes (markup only dilutes)."""
    sample = b"\n".join(line for line in body.splitlines() if not line.isascii())
    best = from_bytes(sample[:_DETECT_BYTES] or body[:_DETECT_BYTES]).best()
    if best is None:
        return None
    codec = normalize_charset(best.encoding)
    return codec if codec is not None and _decodes_mostly(body, codec) else None


def _decodes_mostly(body: bytes, codec: str) -> bool:
    text = body.decode(codec, errors="replace")
    return text.count("\ufffd") <= max(3, len(text) // 1000)
