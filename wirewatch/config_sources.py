"""Validation of source registry entries: addresses, languages and names.

Used by ``wirewatch.config`` for the packaged registry and a user's ``[[sources]]``
alike, so a malformed address, an unknown language or a duplicate name is one config
error naming the source and the key, never a crawl that silently fetches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from wirecore.errors import ConfigError

# ISO 639-1: the codes a page's <html lang> and py3langid use for a language.
_ISO_639_1 = """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs
    cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
    hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr
    ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng
    nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk
    sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz
    ve vi vo wa wo xh yi yo za zh zu"""
LANGUAGES = frozenset(_ISO_639_1.split())
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?")


def address_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) address, or None when it is."""
    if not url.startswith(("http://", "https://")):
        return f"not an http(s) URL: {url!r}"
    if any(ch.isspace() for ch in url):
        return f"malformed URL (contains whitespace): {url!r}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        return f"malformed URL ({err}): {url!r}"
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"malformed URL (host is not a valid name): {url!r}"
    bracketed = parts.netloc.rsplit("@", 1)[-1].startswith("[")
    if not host or (not bracketed and not _HOST_RE.fullmatch(host)):
        return f"malformed URL (no valid host): {url!r}"
    if port == 0:
        return f"malformed URL (port 0): {url!r}"
    return None


def check_addresses(value: Any, where: str, key: str) -> tuple[str, ...]:
    """A list of http(s) URLs with a valid host, or a ConfigError naming the key."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key}: must be a list of URLs")
    for url in value:
        if (problem := address_problem(url)) is not None:
            raise ConfigError(f"{where}: {key}: {problem}")
    return tuple(value)


def check_address(value: Any, where: str, key: str) -> str | None:
    """One optional http(s) URL (a homepage), or a ConfigError naming the key."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key}: must be a URL")
    if (problem := address_problem(value)) is not None:
        raise ConfigError(f"{where}: {key}: {problem}")
    return value


def check_language(value: Any, where: str, key: str) -> str | None:
    """An ISO 639-1 language code (``en``, ``ru``, ``ja`` ...), or a ConfigError."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in LANGUAGES:
        raise ConfigError(
            f"{where}: {key}: unknown language {value!r} (expected an ISO 639-1 code such as "
            "'en', 'ru', 'ja')"
        )
    return value


def check_unique_names(entries: Iterable[Any], where: str) -> None:
    """A ConfigError when two entries of one ``[[sources]]`` list share a name."""
    seen: set[str] = set()
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            raise ConfigError(
                f"{where}: sources[{name}].name: duplicate name (each source is declared once; "
                "repeat a built-in name only to override it)"
            )
        seen.add(name)
