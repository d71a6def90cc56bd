"""Canonical article URLs (the identity key of an article) and same-site checks.

Percent-encoding, IDNA hosts, query sorting and fragment removal come from
``w3lib.url.canonicalize_url`` (the function Scrapy's own request fingerprints use);
registrable domains come from ``tldextract`` with its bundled Public Suffix List snapshot,
never fetched over the network. Both arrive with Scrapy.
"""

from __future__ import annotations

import contextlib
import functools
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url as w3lib_canonicalize_url

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # ad-click and social identifiers
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "ysclid", "igshid", "twclid", "ttclid", "li_fat_id", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "_ga", "_gl", "_openstat", "__twitter_impression",
        # campaign and referrer markers used by news sites and their feeds
        "from", "ref", "ref_src", "ref_url", "referrer", "rss", "ito", "cmpid", "cmp",
        "ocid", "smid", "smtyp", "xtor", "at_medium", "at_campaign", "sr_share",
        "spm", "rss_id",
    }
)  # fmt: skip
"""Query parameters (compared lower-cased) that never change which article a URL names."""

TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_", "wt_", "ns_", "oly_")
"""Query parameter prefixes of analytics suites (Google, Piwik/Matomo, Webtrends, comScore)."""

AMP_PARAMS: frozenset[str] = frozenset({"amp", "amp_js_v", "usqp", "_amp", "amp_gsa"})
"""Query parameters (besides ``outputType=amp``) that only ask for the AMP rendering."""

VARIANT_HOST_PREFIXES: tuple[str, ...] = ("www.", "m.", "mobile.", "amp.", "sp.")
"""Host prefixes of desktop, mobile and AMP renderings of one site (identity keys ignore them)."""

_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_MOBILE_PREFIXES = ("www.", "m.")


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an article URL, used as its identity; idempotent.

    Lower-cases scheme and host, drops the default port, the fragment, tracking query
    parameters (``TRACKING_PARAMS``, ``TRACKING_PREFIXES``) and AMP markers (``AMP_PARAMS``,
    ``outputType=amp``, an ``amp`` first or last path segment, ``.amp.html``), sorts the
    remaining query parameters and removes trailing slashes from any path other than ``/``.
    """
    normalized = w3lib_canonicalize_url(url.strip(), keep_fragments=False)
    parts = urlsplit(normalized)
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port and netloc.endswith(default_port):
        netloc = netloc.removesuffix(default_port)
    netloc = netloc.removesuffix(":")
    path = _strip_amp_path(parts.path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _is_tracking(pair) and not _is_amp(pair)
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def identity_key(url: str) -> str:
    """The key two renderings of one article share: canonical URL without scheme and variant host.

    ``http``/``https``, ``www.``/``m.``/``amp.`` hosts and AMP paths of one story give one
    key; the stored URL stays what the site calls it.
    """
    parts = urlsplit(canonicalize_url(url))
    host = parts.netloc
    for prefix in VARIANT_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host.removeprefix(prefix)
            break
    key = host + parts.path
    return f"{key}?{parts.query}" if parts.query else key


def request_url(url: str) -> str:
    """The URL to fetch for a feed link: tracking parameters and fragment dropped, path kept.

    Unlike ``canonicalize_url`` this keeps the path's trailing slash, which servers treat
    as a different resource (usually answered with a redirect).
    """
    parts = urlsplit(url.strip())
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def same_site(a: str, b: str) -> bool:
    """Tell whether two URLs belong to the same registrable domain (www./m. ignored)."""
    site_a = _site_key(a)
    return site_a is not None and site_a == _site_key(b)


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.split("=", 1)[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _is_amp(pair: str) -> bool:
    name, _, value = pair.partition("=")
    name = unquote_plus(name).lower()
    return name in AMP_PARAMS or (name == "outputtype" and value.lower() == "amp")


def _strip_amp_path(path: str) -> str:
    segments = path.split("/")
    if len(segments) > 2 and segments[1].lower() == "amp":
        del segments[1]
    stripped = [s for s in segments if s]
    if len(stripped) > 1 and stripped[-1].lower() == "amp":
        while segments and not segments[-1]:
            segments.pop()
        segments.pop()
    path = "/".join(segments) or "/"
    for suffix in (".amp.html", ".amp.htm"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)] + suffix[4:]
    return path


def _site_key(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii").lower()
    for prefix in _MOBILE_PREFIXES:
        if host.startswith(prefix):
            host = host.removeprefix(prefix)
            break
    registrable = _extractor()(host).top_domain_under_public_suffix
    return registrable or host


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    """Build, once, a tldextract that uses only its bundled suffix list (no network, no cache)."""
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )
