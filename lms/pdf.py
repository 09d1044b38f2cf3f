"""The only module that imports xhtml2pdf: HTML to PDF from local resources only, never a URL.

:func:`render_pdf` turns an HTML string into PDF bytes. The text font is DejaVu Sans (``lms/fonts/``), which
covers Latin Extended and Cyrillic, registered with ReportLab once per process (see :func:`_register_fonts`).
Everything the markup asks for (``<img>``, ``<link>``, ``@import``, ``url()``, ``@font-face``) must be a file
inside the core's template, static or font folder, or inside the ``base_dir`` the caller names, or a
``data:image/png`` URI, which :func:`qr_png_data_uri` makes for a QR code. Not ``data:image/svg+xml``: svglib
follows no reference from an SVG held in memory, but an empty SVG makes xhtml2pdf divide by zero and abandon the
render; an SVG file in the allowed folders is ours and is fine. Two gates enforce this:

* the ``link_callback`` (:func:`resolve_resource`) maps an allowed reference to an absolute path and anything
  else to a path that does not exist. xhtml2pdf takes a callback's ``None`` to mean "use the URL as written",
  so answering nothing would not refuse anything;
* the xhtml2pdf resource policy, which every fetch goes through, including the ones that skip the callback:
  no network at all, local reads confined to the same folders, size and time limits on.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path
from urllib.parse import urlsplit

import segno
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as pisa_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
FONTS_DIR = PACKAGE_DIR / "fonts"
APP_ROOTS = (PACKAGE_DIR / "templates", PACKAGE_DIR / "static", FONTS_DIR)
FONT_FAMILY = "DejaVu Sans"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
DATA_IMAGE_TYPES = frozenset({"image/png"})
# What the callback hands back for a refused reference: no scheme, outside every root, and not a file, so the
# policy refuses it and, were the policy ever lifted, there would still be nothing to read.
REFUSED = "/nonexistent/lms-pdf-refused"
# The base-14 faces xhtml2pdf falls back to have no Cyrillic and no Đ/Ć/Č: their glyphs would be black boxes.
BASE14_TEXT_FACES = ("Helvetica", "Times", "Courier")


class PdfRenderError(RuntimeError):
    """xhtml2pdf failed or reported errors while converting the document."""


def render_pdf(html: str, *, base_dir: Path | None = None) -> bytes:
    """Render ``html`` to PDF bytes; resources may come from the app's folders and ``base_dir`` only.

    A refused or missing resource is left out and the render goes on; :class:`PdfRenderError` if it fails.
    """
    _set_up()
    roots = _roots(base_dir)
    out = io.BytesIO()
    try:
        status = pisa.CreatePDF(
            html,
            dest=out,
            link_callback=functools.partial(link_callback, base_dir=base_dir),
            resource_policy=_policy(roots),
            encoding="utf-8",
        )
    except Exception as exc:  # ReportLab and xhtml2pdf raise anything from ValueError to ZeroDivisionError
        raise PdfRenderError(f"xhtml2pdf could not render the document: {exc!r}") from exc
    if status.err:
        raise PdfRenderError(f"xhtml2pdf reported {status.err} error(s)")
    return out.getvalue()


def qr_png_data_uri(url: str, *, scale: int = 4) -> str:
    """A QR code for ``url`` as a ``data:image/png`` URI, made locally (segno), for ``<img src>``."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=scale)


def resolve_resource(uri: str, rel: str | None = None, *, base_dir: Path | None = None) -> str | None:
    """What the PDF may load for ``uri``: an absolute path inside an allowed folder, an allowed ``data:`` image
    URI unchanged, or ``None`` for anything else (any other scheme, ``//host``, or a path escaping the folders).

    ``rel`` is the directory xhtml2pdf resolves against; it counts only when it lies inside an allowed folder.
    Relative paths are also tried against ``base_dir`` and the ``lms`` package (``static/…``, ``/fonts/…``).
    """
    uri = uri.strip()
    if uri[:5].lower() == "data:":
        return uri if _data_media_type(uri) in DATA_IMAGE_TYPES else None
    if not uri or uri.startswith("//") or "\\" in uri or "\x00" in uri or urlsplit(uri).scheme:
        return None
    roots = _roots(base_dir)
    bases = [*_rel_base(rel, roots), *([Path(base_dir)] if base_dir else []), PACKAGE_DIR]
    found = _find_file(uri, bases, roots)
    return str(found) if found else None


def link_callback(uri: object, rel: str | None = None, *, base_dir: Path | None = None) -> str | None:
    """xhtml2pdf's hook: an allowed resource's path, else :data:`REFUSED` (never ``None`` for a string)."""
    if not isinstance(uri, str):  # bytes or a temporary file xhtml2pdf made itself
        return None
    resolved = resolve_resource(uri, rel, base_dir=base_dir)
    if resolved is None:
        log.warning("PDF resource refused: %.120r", uri)
        return REFUSED
    return resolved


def _data_media_type(uri: str) -> str | None:
    """The media type of a ``data:`` URI, lower-cased; ``None`` when it is malformed."""
    header, comma, _ = uri[5:].partition(",")
    return header.split(";", 1)[0].strip().lower() if comma else None


def _find_file(uri: str, bases: list[Path], roots: tuple[Path, ...]) -> Path | None:
    """The first existing file ``uri`` names, absolute or under one of ``bases``, that lies inside ``roots``."""
    path = Path(uri)
    candidates = ([path] if path.is_absolute() else []) + [base / uri.lstrip("/") for base in bases]
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError, ValueError):  # a symlink loop, an unreadable directory
            continue
        # Containment before is_file(): a refused path is not even looked at.
        if _is_inside(resolved, roots) and resolved.is_file():
            return resolved
    return None


def _rel_base(rel: str | None, roots: tuple[Path, ...]) -> list[Path]:
    """xhtml2pdf's base directory, resolved, when it is a directory inside ``roots``; else nothing."""
    if not rel or urlsplit(rel).scheme:
        return []
    try:
        resolved = Path(rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return []
    return [resolved] if _is_inside(resolved, roots) and resolved.is_dir() else []


def _is_inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def _roots(base_dir: Path | None) -> tuple[Path, ...]:
    """The folders a document may read: the core's templates, static files and fonts, then ``base_dir``."""
    return (*APP_ROOTS, Path(base_dir).resolve()) if base_dir else APP_ROOTS


def _policy(roots: tuple[Path, ...]) -> ResourceAccessPolicy:
    """xhtml2pdf's policy for untrusted markup (every limit on), with the network off and reads in ``roots``."""
    return ResourceAccessPolicy.server(base_dir=None, extra_roots=roots, allow_remote=False)


@functools.cache
def _set_up() -> None:
    """Once per process: the fonts, and PDF streams left binary."""
    _register_fonts()
    # ASCII85 only makes a PDF 7-bit clean, which nothing here needs; without ReportLab's C accelerator
    # (rl_accel) it encodes the embedded font subsets in Python, a quarter of the cost of a certificate.
    rl_config.useA85 = 0


def _register_fonts() -> None:
    """Register DejaVu Sans with ReportLab and make it every text family xhtml2pdf knows, once per process.

    Not ``@font-face``: that makes xhtml2pdf read and hash both font files on every render. ReportLab keeps
    fonts in a process-wide registry anyway, and xhtml2pdf copies its ``DEFAULT_FONT`` family table into each
    document, so a family named there is known to every later render. "DejaVu Sans" is added, and the names
    that meant a base-14 face (helvetica, arial, sans-serif, times, serif, courier, monospace …, and the
    fallback for an unknown family, which is "helvetica") now mean DejaVu Sans: no text can land in a face
    without the glyphs. Symbol and ZapfDingbats stay. There is no italic face; italic draws upright.
    """
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / f"{name}.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    families = pisa_default.DEFAULT_FONT
    for alias, face in families.items():
        if face.startswith(BASE14_TEXT_FACES):
            families[alias] = BOLD if "Bold" in face else REGULAR
    families.update({FONT_FAMILY.lower(): REGULAR, REGULAR.lower(): REGULAR, BOLD.lower(): BOLD})
