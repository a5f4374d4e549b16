"""Generated HTML that works on a closed network: what a page would fetch from the Internet,
and rewriting those fetches to local files.

A *remote reference* is a URL a browser loads by itself when it opens the page: the ``src`` or
``href`` of a script, stylesheet, image, frame or media tag, a CSS ``url(...)`` or ``@import``,
and a script that sets an element's ``src``. A link the reader may click (``<a href>``) is not
one: it only fails when followed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REMOTE = r"(?:https?:)?//[^\s\"'<>()]+"
_LOADING_TAG = re.compile(
    r"<(?:script|link|img|image|iframe|frame|source|embed|object|audio|video|track)\b[^>]*>", re.I
)
_TAG_URL = re.compile(r"\b(?:src|href|data|poster|srcset)\s*=\s*[\"']?(" + _REMOTE + ")", re.I)
_CSS_URL = re.compile(r"url\(\s*[\"']?(" + _REMOTE + ")", re.I)
_CSS_IMPORT = re.compile(r"@import\s+[\"'](" + _REMOTE + ")", re.I)
_SCRIPT_SRC = re.compile(r"\.src\s*=\s*[\"'](" + _REMOTE + ")", re.I)
# Subresource integrity and CORS mode only make sense for a CDN: a page opened from disk
# (file://) has no origin, and a crossorigin script from disk is refused.
_CDN_ATTRIBUTES = re.compile(r"\s+(?:integrity|crossorigin)(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?", re.I)


def remote_references(text: str) -> list[str]:
    """Every URL that ``text`` (HTML, CSS or a script) would make a browser fetch from the
    network, in order of appearance."""
    found: list[tuple[int, str]] = []
    for tag in _LOADING_TAG.finditer(text):
        found += [(tag.start() + m.start(1), m.group(1)) for m in _TAG_URL.finditer(tag.group(0))]
    for pattern in (_CSS_URL, _CSS_IMPORT, _SCRIPT_SRC):
        found += [(m.start(1), m.group(1)) for m in pattern.finditer(text)]
    return [url for _, url in sorted(found)]


def _without_query(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]


def localize(text: str, local_for: Mapping[str, str]) -> str:
    """``text`` with each remote reference whose URL (without its query) is a key of
    ``local_for`` replaced by its value, a path relative to the page; ``integrity`` and
    ``crossorigin`` attributes dropped from the tags. Unknown remote references are left:
    ``remote_references`` of the result names them."""

    def local(match: re.Match[str]) -> str:
        url = match.group(1)
        path = local_for.get(_without_query(url))
        return match.group(0) if path is None else match.group(0).replace(url, path)

    def tag(match: re.Match[str]) -> str:
        return _CDN_ATTRIBUTES.sub("", _TAG_URL.sub(local, match.group(0)))

    text = _LOADING_TAG.sub(tag, text)
    for pattern in (_CSS_URL, _CSS_IMPORT, _SCRIPT_SRC):
        text = pattern.sub(local, text)
    return text
