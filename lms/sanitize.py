"""The only module that imports bleach: one allow-list policy for every piece of authored HTML.

Authored Markdown is rendered with :func:`render_markdown`, which sanitizes the result. Links get
``rel="noopener noreferrer nofollow"``; images may only come from this site (relative URLs) or ``data:``-free
sources named by the author inside the course's media folder.
"""

from __future__ import annotations

import re

import bleach
import markdown
from bleach.css_sanitizer import CSSSanitizer
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
        "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
        "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "lang"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["colspan", "rowspan", "style"],
    "th": ["colspan", "rowspan", "scope", "style"],
    "ol": ["start"],
    "span": ["lang"],
    "p": ["lang"],
    "div": ["lang"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_css = CSSSanitizer(allowed_css_properties=["text-align"])


def _link_attributes(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith(("http://", "https://")):
        attrs[(None, "rel")] = "noopener noreferrer nofollow"
    return attrs


def _local_images_only(tag: str, name: str, value: str) -> bool:
    if name == "src":
        # No remote images: they would leak who reads what to another site (and CSP blocks them anyway).
        return not value.startswith(("http:", "https:", "//", "data:", "javascript:"))
    return name in ALLOWED_ATTRIBUTES.get(tag, [])


def _attribute_filter(tag: str, name: str, value: str) -> bool:
    if tag == "img":
        return _local_images_only(tag, name, value)
    return name in ALLOWED_ATTRIBUTES.get(tag, [])


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_attribute_filter,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    css_sanitizer=_css,
    filters=[],
)


# Elements whose content is code or hidden, not text: dropped whole (bleach would keep their text).
_DROP_WITH_CONTENT = re.compile(
    r"<(script|style|template|noscript|iframe|object|textarea|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)


def clean_html(html: str) -> str:
    """Sanitize authored HTML with the one allow-list; returns a string safe to put in a page."""
    cleaned = _cleaner.clean(_DROP_WITH_CONTENT.sub("", html or ""))
    return bleach.linkify(cleaned, callbacks=[_link_attributes], skip_tags={"pre", "code"}, parse_email=False)


def render_markdown(text: str) -> str:
    """Markdown (with tables, footnotes, definition lists) to sanitized HTML."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return clean_html(html)


def safe_html(html: str) -> Markup:
    """Mark HTML as safe for templates after sanitizing it (for content stored before sanitizing)."""
    return Markup(clean_html(html))  # noqa: S704 - sanitized just above
