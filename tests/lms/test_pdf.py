"""lms.pdf: names in Latin Extended and Cyrillic survive, DejaVu Sans is embedded, and the markup cannot make the
renderer open a connection or read a file outside the allowed folders."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from lms import pdf
from lms.pdf import (
    FONTS_DIR,
    PACKAGE_DIR,
    REFUSED,
    PdfRenderError,
    link_callback,
    qr_png_data_uri,
    render_pdf,
    resolve_resource,
)

NAMES = ["Đorđe Čolić", "Ђорђе Чолић", "Xhulja Çela", "Ëndrit Hoxha", "Šime Žužić", "Ѓорѓи Ќосе"]
A4_LANDSCAPE = (841.89, 595.28)


def _document(body: str, head: str = "") -> str:
    return (
        "<html><head><style>@page { size: a4 landscape; margin: 2cm; }</style>"
        f"{head}</head><body>{body}</body></html>"
    )


def _page(data: bytes):
    return PdfReader(io.BytesIO(data)).pages[0]


def _fonts(page) -> list[str]:
    return [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]


# --- glyphs and fonts -------------------------------------------------------------------------------------


def test_names_are_extracted_exactly_from_an_a4_landscape_page():
    rows = "".join(f"<p>{html.escape(name)}</p><p><b>{html.escape(name)}</b></p>" for name in NAMES)
    page = _page(render_pdf(_document(f"<h1>Сертификат — Certifikatë</h1>{rows}")))

    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_LANDSCAPE, abs=0.1)
    lines = page.extract_text().splitlines()
    for name in NAMES:
        assert lines.count(name) == 2, name  # regular and bold


def test_dejavu_sans_regular_and_bold_are_embedded_and_nothing_falls_back_to_boxes():
    page = _page(render_pdf(_document(f"<p>{NAMES[1]}</p><p><b>{NAMES[0]}</b></p>")))

    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    embedded = {str(f["/BaseFont"]).split("+")[-1] for f in fonts if "/FontFile2" in f.get("/FontDescriptor", {})}
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded
    # xhtml2pdf draws a glyph a face lacks as a ZapfDingbats box.
    assert not any("ZapfDingbats" in name for name in _fonts(page))


@pytest.mark.parametrize("family", ["Arial, sans-serif", "Helvetica", "'Times New Roman', serif", "NoSuchFont"])
def test_a_template_naming_another_family_still_gets_the_glyphs(family):
    style = f"<style>p {{ font-family: {family}; }}</style>"
    page = _page(render_pdf(_document(f"<p>{NAMES[0]} {NAMES[5]}</p>", head=style)))

    assert f"{NAMES[0]} {NAMES[5]}" in page.extract_text()
    assert any(name.endswith("+DejaVuSans") for name in _fonts(page))


def test_font_files_are_reasonably_small_and_licensed():
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (FONTS_DIR / name).stat().st_size < 1_000_000
    assert "Bitstream Vera" in (FONTS_DIR / "LICENSE").read_text()


def test_qr_code_is_a_local_png_data_uri_that_renders_as_an_image():
    uri = qr_png_data_uri("https://lms.test/certificates/verify/0b5e")

    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert len(_page(render_pdf(_document(f'<img src="{uri}" width="120" height="120">'))).images) == 1


# --- the resolver behind the link callback ----------------------------------------------------------------

PNG_URI = "data:image/png;base64,iVBORw0KGgo="
EMPTY_SVG_URI = "data:image/svg+xml," + urllib.parse.quote(
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"/>'
)


@pytest.mark.parametrize(
    "uri",
    [
        "../../../../etc/passwd",
        "fonts/../../../../etc/passwd",
        "static/../../../../../../etc/passwd",
        "/static/../../../../../../etc/passwd",
        "/etc/passwd",
        "file:///etc/passwd",
        "FILE:/etc/passwd",
        "static/../config.py",  # in the package, but not in an allowed folder
        "../lms/config.py",
        "http://127.0.0.1/x.png",
        "https://example.org/logo.png",
        "//example.org/logo.png",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "data:text/css,body{background:url(http://127.0.0.1/)}",
        "data:font/ttf;base64,AAAA",
        EMPTY_SVG_URI,  # xhtml2pdf divides by zero on an empty SVG
        "data:image/png",  # malformed: no payload
        "fonts/DejaVuSans.ttf\x00.png",
        "fonts\\..\\..\\etc\\passwd",
        "fonts/missing.ttf",
        "fonts",  # a directory
        "",
    ],
)
def test_resolver_refuses(uri):
    assert resolve_resource(uri) is None


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("fonts/DejaVuSans.ttf", FONTS_DIR / "DejaVuSans.ttf"),
        ("/fonts/DejaVuSans-Bold.ttf", FONTS_DIR / "DejaVuSans-Bold.ttf"),
        (str(FONTS_DIR / "DejaVuSans.ttf"), FONTS_DIR / "DejaVuSans.ttf"),
        ("static/../fonts/DejaVuSans.ttf", FONTS_DIR / "DejaVuSans.ttf"),
        ("/static/lms.css", PACKAGE_DIR / "static" / "lms.css"),
    ],
)
def test_resolver_allows_files_in_the_app_folders(uri, expected):
    assert resolve_resource(uri) == str(expected)


def test_resolver_uses_xhtml2pdfs_base_only_inside_the_allowed_folders():
    assert resolve_resource("DejaVuSans.ttf", str(FONTS_DIR)) == str(FONTS_DIR / "DejaVuSans.ttf")
    assert resolve_resource("passwd", "/etc") is None
    assert resolve_resource("../config.py", str(FONTS_DIR)) is None


@pytest.mark.parametrize("uri", [PNG_URI, "DATA:IMAGE/PNG;base64,iVBORw0KGgo="])
def test_resolver_passes_png_data_uris_through(uri):
    assert resolve_resource(uri) == uri


def test_resolver_confines_base_dir(tmp_path):
    signatures = tmp_path / "signatures"
    signatures.mkdir()
    (signatures / "director.png").write_bytes(b"png")
    (tmp_path / "outside.png").write_bytes(b"png")
    (signatures / "link.png").symlink_to("/etc/passwd")

    assert resolve_resource("director.png", base_dir=signatures) == str(signatures / "director.png")
    assert resolve_resource(str(signatures / "director.png"), base_dir=signatures) == str(signatures / "director.png")
    assert resolve_resource("director.png") is None  # no base_dir, no signatures
    assert resolve_resource("../outside.png", base_dir=signatures) is None
    assert resolve_resource(str(tmp_path / "outside.png"), base_dir=signatures) is None
    assert resolve_resource("link.png", base_dir=signatures) is None  # a symlink out of the folder


def test_link_callback_answers_a_refusal_with_a_dead_path_not_none():
    # xhtml2pdf reads a callback's None as "use the URL as written".
    assert link_callback("../../../../etc/passwd", "/work") == REFUSED
    assert link_callback("http://127.0.0.1/x.png", None) == REFUSED
    assert not Path(REFUSED).exists()
    assert link_callback("fonts/DejaVuSans.ttf", None) == str(FONTS_DIR / "DejaVuSans.ttf")


# --- nothing is fetched -----------------------------------------------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 whose thread records every connection it accepts."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self.server.accept()
            except TimeoutError:
                continue
            self.connections.append(address)
            conn.close()

    def settled(self) -> list[tuple[str, int]]:
        """The connections so far, after giving a pending one time to be accepted."""
        time.sleep(0.2)
        return list(self.connections)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


class AuditLog:
    """Socket and file-open audit events (PEP 578) raised on the recording thread inside :meth:`record`."""

    EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "urllib.Request", "open"})
    _installed: AuditLog | None = None

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple]] = []
        self.thread: int | None = None

    @classmethod
    def get(cls) -> AuditLog:
        # An audit hook cannot be removed, so one is installed per test process, and records only when asked.
        if cls._installed is None:
            cls._installed = cls()
            sys.addaudithook(cls._installed._hook)
        return cls._installed

    @contextlib.contextmanager
    def record(self) -> Iterator[AuditLog]:
        self.events.clear()
        self.thread = threading.get_ident()
        try:
            yield self
        finally:
            self.thread = None

    def _hook(self, event: str, args: tuple) -> None:
        if event in self.EVENTS and threading.get_ident() == self.thread:
            self.events.append((event, args))

    def opened(self) -> set[str]:
        return {os.path.realpath(a[0]) for e, a in self.events if e == "open" and isinstance(a[0], str)}

    def network(self) -> list[tuple[str, tuple]]:
        return [(e, a) for e, a in self.events if e != "open"]


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def audit() -> AuditLog:
    return AuditLog.get()


@pytest.fixture
def secret(tmp_path) -> Path:
    """A real PNG outside every allowed folder: had it been read, the PDF would show an image."""
    path = tmp_path / "secret.png"
    path.write_bytes(base64.b64decode(qr_png_data_uri("secret").split(",", 1)[1]))
    return path


def _hostile(port: int, secret: Path) -> str:
    base = f"http://127.0.0.1:{port}"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">'
        '<rect width="20" height="20" fill="red"/>'
        f'<image xlink:href="{base}/svg.png" width="9" height="9"/><image href="{secret}" width="9" height="9"/>'
        "</svg>"
    )
    head = (
        f'<base href="{base}/">'
        f'<link rel="stylesheet" href="{base}/s.css">'
        f"<style>@import url({base}/i.css); body {{ background: url({base}/b.png) }}"
        f"@font-face {{ font-family: Evil; src: url({base}/f.ttf); }} h1 {{ font-family: Evil }}"
        f"div {{ background-image: url(file://{secret}) }}</style>"
    )
    body = (
        f"<h1>{NAMES[0]}</h1><div>{NAMES[1]}</div>"
        f'<img src="{base}/x.png"><img src="https://127.0.0.1:{port}/y.png"><img src="//127.0.0.1:{port}/z.png">'
        '<img src="file:///etc/passwd"><img src="/etc/passwd"><img src="../../../../etc/passwd">'
        f'<img src="file://{secret}"><img src="{secret}"><img src="relative.png">'
        f'<img src="data:image/svg+xml,{urllib.parse.quote(svg)}">'
        f'<img src="data:text/html,{urllib.parse.quote(f"<img src={base}/h.png>")}">'
    )
    return _document(body, head=head)


def _assert_nothing_fetched(listener: Listener, audit: AuditLog, secret: Path) -> None:
    with audit.record():
        data = render_pdf(_hostile(listener.port, secret))
    assert listener.settled() == []
    assert audit.network() == []
    assert not {"/etc/passwd", str(secret.resolve())} & audit.opened()
    page = _page(data)
    assert len(page.images) == 0  # neither the secret PNG nor anything from the listener
    assert NAMES[1] in page.extract_text()  # and the document itself was rendered


def test_markup_cannot_connect_or_read_files(listener, audit, secret):
    _assert_nothing_fetched(listener, audit, secret)

    # Both witnesses would have seen a connection or a read: check that they do.
    with audit.record():
        socket.create_connection(("127.0.0.1", listener.port)).close()
        secret.read_bytes()
    assert len(listener.settled()) == 1
    assert audit.network()
    assert str(secret.resolve()) in audit.opened()


def test_xhtml2pdf_policy_alone_still_refuses_if_the_resolver_allowed_everything(listener, audit, secret, monkeypatch):
    monkeypatch.setattr(pdf, "resolve_resource", lambda uri, rel=None, *, base_dir=None: uri)

    _assert_nothing_fetched(listener, audit, secret)


def test_link_callback_alone_still_refuses_if_the_policy_allowed_everything(listener, audit, secret, monkeypatch):
    permissive = pdf.ResourceAccessPolicy(allow_private_networks=True, allow_local_outside_base=True)
    monkeypatch.setattr(pdf, "_policy", lambda roots: permissive)

    _assert_nothing_fetched(listener, audit, secret)


def test_base_dir_files_are_rendered(secret):
    # The positive control for the tests above: from an allowed folder, the same file does show.
    page = _page(render_pdf(_document('<img src="secret.png">'), base_dir=secret.parent))

    assert len(page.images) == 1


def test_an_empty_svg_is_refused_and_a_failed_render_raises_pdf_render_error(monkeypatch):
    document = _document(f'<p>{NAMES[0]}</p><img src="{EMPTY_SVG_URI}">')
    assert NAMES[0] in _page(render_pdf(document)).extract_text()

    monkeypatch.setattr(pdf, "resolve_resource", lambda uri, rel=None, *, base_dir=None: uri)
    with pytest.raises(PdfRenderError):
        render_pdf(document)
